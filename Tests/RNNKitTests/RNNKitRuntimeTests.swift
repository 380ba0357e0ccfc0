import Testing
@testable import RNNKit

@Suite("RNNKitRuntime: the public face of threads and kernels")
struct RNNKitRuntimeTests {
    @Test("Reads the thread count and instruction set in use; refuses a thread count below 1 or above the maximum")
    func runtime() throws {
        #expect(RNNKitRuntime.threadCount == Parallel.threads)
        #expect(RNNKitRuntime.defaultThreadCount >= 1)
        #expect(RNNKitRuntime.instructionSet == Kernels.instructionSet)
        #expect(["portable", "avx2", "avx512"].contains(RNNKitRuntime.instructionSet))
        // Setting the count it already has changes nothing for the suites running alongside.
        try RNNKitRuntime.setThreadCount(RNNKitRuntime.threadCount)
        #expect(RNNKitRuntime.threadCount == Parallel.threads)
        for bad in [0, -3, RNNKitRuntime.maxThreadCount + 1, 100_000_000] {
            let error = #expect(throws: RNNKitRuntime.InvalidThreadCount.self) { try RNNKitRuntime.setThreadCount(bad) }
            #expect(error?.description == "the thread count must be between 1 and 1024 (got \(bad)).")
        }
    }

    @Test("An RNNKIT_THREADS that is no thread count, or an RNNKIT_BLAS that loads nothing, is refused with the value")
    func environment() {
        func problem(threads: String? = nil, blas: String? = nil, loads: Bool = false) -> RNNKitRuntime.InvalidEnvironment? {
            RNNKitRuntime.environmentProblem(threads: threads, blas: blas, blasLoaded: { loads })
        }
        for fine in [nil, "", "1", "16", "1024"] { #expect(problem(threads: fine) == nil, "RNNKIT_THREADS=\(fine ?? "unset")") }
        for bad in ["0", "-2", "abc", "4x", " 4", "+4", "1025", "99999999999999999999999"] {
            let error = problem(threads: bad)
            #expect(error?.variable == "RNNKIT_THREADS" && error?.value == bad, "RNNKIT_THREADS=\(bad)")
            #expect(error?.description.hasPrefix("RNNKIT_THREADS=\(bad): not a thread count. Set it to a whole number from 1 to 1024") == true)
        }
        for fine in [nil, "", "auto", "none"] { #expect(problem(blas: fine) == nil, "RNNKIT_BLAS=\(fine ?? "unset")") }
        #expect(problem(blas: "/opt/lib/libblas.so", loads: true) == nil)
        let error = problem(blas: "/no/such/libblas.so")
        #expect(error?.variable == "RNNKIT_BLAS")
        #expect(error?.description.contains("no BLAS library with cblas_sgemm could be loaded from it. Set it to `auto`, `none`") == true)
    }
}
