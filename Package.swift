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
        // `rnn serve` only: the RNNKit library stays free of it.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
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
                .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
        .testTarget(
            name: "RNNKitTests",
            dependencies: ["RNNKit", "CRNNKernels"],
            // The oracle and PyTorch fixtures (scripts/fixtures/ writes them).
            resources: [.copy("Fixtures")]
        ),
        // The README's "Use from Swift" code; rnnTests builds and runs it.
        .executableTarget(name: "UseFromSwift", dependencies: ["RNNKit"], path: "Examples/UseFromSwift"),
        .testTarget(name: "rnnTests", dependencies: ["rnn", "UseFromSwift"]),
    ]
)

// `swift package generate-documentation` needs the DocC plugin; building and testing do not, so
// it is added only on request: RNNKIT_DOCS=1 swift package generate-documentation --target RNNKit
if Context.environment["RNNKIT_DOCS"] != nil {
    package.dependencies.append(.package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"))
}
