/// How RNNKit runs on this machine: the threads it trains and evaluates on, and the instruction
/// set its kernels were chosen for.
public enum RNNKitRuntime {
    /// Threads used for training and evaluation: `RNNKIT_THREADS` or, by default, every core.
    /// Same seed, data and thread count give a bit-identical model.
    public static var threadCount: Int { Parallel.threads }

    /// `RNNKIT_THREADS` if set to a positive number, else the active cores.
    public static var defaultThreadCount: Int { Parallel.defaultThreads }

    /// Sets the thread count; call it before training or evaluation starts (each parallel region
    /// reads it when it begins), not while one runs.
    /// - Throws: `RNNKitRuntime.InvalidThreadCount` when `count` is below 1.
    public static func setThreadCount(_ count: Int) throws {
        guard count >= 1 else { throw InvalidThreadCount(count: count) }
        Parallel.threads = count
    }

    /// A thread count below 1.
    public struct InvalidThreadCount: Error, CustomStringConvertible {
        public let count: Int
        public var description: String { "the thread count must be at least 1 (got \(count))." }
    }

    /// The instruction set the kernels run with: "avx512", "avx2" or "portable", picked once from
    /// the CPU's features.
    public static var instructionSet: String { Kernels.instructionSet }

    /// The BLAS library the large products use (OpenBLAS or Accelerate loaded at run time, with
    /// its core type), or that the built-in kernels stand in for one.
    public static var blas: String { BLAS.shared.description }
}
