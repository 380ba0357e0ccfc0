import ArgumentParser
import RNNKit

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the version, the BLAS library and the CPU kernels in use.",
        discussion: """
            RNNKIT_BLAS=none forces the built-in kernels; RNNKIT_BLAS=/path/to/libblas.so picks a \
            library. Install OpenBLAS for fast large products: apt-get install libopenblas0.
            """)

    func run() throws {
        print("RNNKit \(rnnKitVersion)")
        print("BLAS: \(RNNKitRuntime.blas)")
        print("Threads: \(RNNKitRuntime.threadCount) (RNNKIT_THREADS=N or --threads N to change)")
        print("Kernels: \(RNNKitRuntime.instructionSet)")
    }
}
