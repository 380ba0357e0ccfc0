import Foundation

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
    /// - Throws: `RNNKitRuntime.InvalidThreadCount` when `count` is below 1 or above
    ///   `maxThreadCount`.
    public static func setThreadCount(_ count: Int) throws {
        guard (1...maxThreadCount).contains(count) else { throw InvalidThreadCount(count: count) }
        Parallel.threads = count
    }

    /// The most threads RNNKit runs on: far more than any machine's cores, and few enough that a
    /// mistyped count cannot ask the system for millions of threads.
    public static let maxThreadCount = 1024

    /// A thread count below 1 or above `maxThreadCount`.
    public struct InvalidThreadCount: Error, CustomStringConvertible {
        public let count: Int
        public var description: String { "the thread count must be between 1 and \(maxThreadCount) (got \(count))." }
    }

    /// An environment variable RNNKit reads, set to a value it cannot use.
    public struct InvalidEnvironment: Error, CustomStringConvertible, Equatable {
        /// `RNNKIT_THREADS` or `RNNKIT_BLAS`.
        public let variable: String
        public let value: String
        /// What is wrong, and the values that are accepted.
        public let detail: String
        public var description: String { "\(variable)=\(value): \(detail)" }
    }

    /// Throws for the first of `RNNKIT_THREADS` and `RNNKIT_BLAS` that is set (to something
    /// other than the empty string) but unusable; call it before anything else. Left alone, a
    /// bad thread count falls back to every core and a BLAS library that does not load to the
    /// built-in kernels — a run with other numbers, or 5–8× slower, than the one asked for.
    public static func checkEnvironment() throws(InvalidEnvironment) {
        func value(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }
        if let problem = environmentProblem(threads: value("RNNKIT_THREADS"), blas: value("RNNKIT_BLAS"),
                                            blasLoaded: { BLAS.shared.backend != .builtIn }) {
            throw problem
        }
    }

    /// `checkEnvironment`'s rule on given values; `blasLoaded` says whether the library that
    /// `blas` names was loaded (asked only when it names one).
    static func environmentProblem(threads: String?, blas: String?, blasLoaded: () -> Bool) -> InvalidEnvironment? {
        if let threads, !threads.isEmpty {
            let digits = threads.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
            if !digits || Int(threads).map({ !(1...maxThreadCount).contains($0) }) ?? true {
                return InvalidEnvironment(variable: "RNNKIT_THREADS", value: threads,
                                          detail: "not a thread count. Set it to a whole number from 1 to \(maxThreadCount) (such as 2), or unset it to use every core.")
            }
        }
        if let blas, !blas.isEmpty, !RNNKitEnvironment.namedBLASChoices.contains(blas), !blasLoaded() {
            return InvalidEnvironment(variable: "RNNKIT_BLAS", value: blas,
                                      detail: "no BLAS library with cblas_sgemm could be loaded from it. Set it to \(RNNKitEnvironment.namedBLASChoices.map { "`\($0)`" }.joined(separator: ", ")) or the path or file name of a BLAS library (such as libopenblas.so.0), or unset it.")
        }
        return nil
    }

    /// The instruction set the kernels run with: "avx512", "avx2" or "portable", picked once from
    /// the CPU's features.
    public static var instructionSet: String { Kernels.instructionSet }

    /// The BLAS library the large products use (OpenBLAS or Accelerate loaded at run time, with
    /// its core type), or that the built-in kernels stand in for one.
    public static var blas: String { BLAS.shared.description }
}
