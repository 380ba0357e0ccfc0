import Testing
@testable import RNNKit

@Suite("RNNKitRuntime: the public face of threads and kernels")
struct RNNKitRuntimeTests {
    @Test("Reads the thread count and instruction set in use; refuses a thread count below 1")
    func runtime() throws {
        #expect(RNNKitRuntime.threadCount == Parallel.threads)
        #expect(RNNKitRuntime.defaultThreadCount >= 1)
        #expect(RNNKitRuntime.instructionSet == Kernels.instructionSet)
        #expect(["portable", "avx2", "avx512"].contains(RNNKitRuntime.instructionSet))
        // Setting the count it already has changes nothing for the suites running alongside.
        try RNNKitRuntime.setThreadCount(RNNKitRuntime.threadCount)
        #expect(RNNKitRuntime.threadCount == Parallel.threads)
        for bad in [0, -3] {
            let error = #expect(throws: RNNKitRuntime.InvalidThreadCount.self) { try RNNKitRuntime.setThreadCount(bad) }
            #expect(error?.description == "the thread count must be at least 1 (got \(bad)).")
        }
    }
}
