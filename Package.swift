// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "RNNKit",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "RNNKit", targets: ["RNNKit"]),
        .executable(name: "rnn", targets: ["rnn"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // SIMD kernels in C: Swift's default x86-64 target is SSE2, and only C function target
        // attributes let us pick AVX2/AVX-512 at run time without unsafeFlags.
        .target(name: "CRNNKernels"),
        .target(
            name: "RNNKit",
            dependencies: ["CRNNKernels"]
        ),
        .executableTarget(
            name: "rnn",
            dependencies: [
                "RNNKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "RNNKitTests",
            dependencies: ["RNNKit", "CRNNKernels"],
            // The oracle and PyTorch fixtures (scripts/fixtures/ writes them).
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "rnnTests", dependencies: ["rnn"]),
    ]
)
