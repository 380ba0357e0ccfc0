import ArgumentParser
import RNNKit

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the version, the BLAS library, the CPU kernels and the MPI library in use.",
        discussion: """
            RNNKIT_BLAS=none forces the built-in kernels; RNNKIT_BLAS=/path/to/libblas.so picks a \
            library. Install OpenBLAS for fast large products: apt-get install libopenblas0.

            Under mpirun or srun, MPI is loaded (libmpi.so.40 of Open MPI or libmpi.so.12 of MPICH; \
            RNNKIT_MPI_LIBRARY=/path/to/libmpi.so picks one) and the rank count shown.
            """)

    func run() throws {
        let ranks = try TrainingRanks.join()  // rank 0 alone prints
        print("RNNKit \(rnnKitVersion)")
        print("BLAS: \(RNNKitRuntime.blas)")
        print("Threads: \(RNNKitRuntime.threadCount) (RNNKIT_THREADS=N or --threads N to change)")
        print("Kernels: \(RNNKitRuntime.instructionSet)")
        if let group = ranks.group {
            print("MPI: \(group.library.version) (\(group.library.path), \(group.library.flavor.rawValue) ABI); rank \(group.rank) of \(group.size)")
            group.finish()
        } else {
            print("MPI: not loaded (not started by mpirun or srun)")
        }
    }
}
