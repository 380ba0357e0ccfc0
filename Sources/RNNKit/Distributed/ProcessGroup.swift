import Foundation

/// The ranks of an MPI job (`MPI_COMM_WORLD`) and the few collective operations data-parallel
/// training needs: a sum over every rank, a broadcast from rank 0, and an abort.
///
/// Every call is collective: each rank must make the same calls in the same order, or the job
/// hangs. Only the thread that joined may call (MPI is initialised without thread support).
package final class ProcessGroup: @unchecked Sendable {
    package let library: MPILibrary
    package let rank: Int
    package let size: Int
    private var finished = false

    /// The process's group: nil when no MPI launcher started it, else MPI initialised once (the
    /// first call; later calls return the same group or error).
    package static func joinIfLaunched() throws(DistributedError) -> ProcessGroup? {
        try world.get()
    }

    private static let world: Result<ProcessGroup?, DistributedError> = {
        guard MPILaunch.detect() != nil else { return .success(nil) }
        do throws(DistributedError) {
            return .success(try ProcessGroup(library: MPILibrary.load()))
        } catch {
            return .failure(error)
        }
    }()

    private init(library: MPILibrary) throws(DistributedError) {
        self.library = library
        let code = library.initialize(nil, nil)
        guard code == 0 else { throw DistributedError.initFailed(code: code) }
        var r: Int32 = 0, n: Int32 = 0
        _ = library.commRank(library.commWorld, &r)
        _ = library.commSize(library.commWorld, &n)
        (rank, size) = (Int(r), Int(n))
    }

    /// Whether this rank is the one that reports and writes files.
    package var isLeader: Bool { rank == 0 }

    /// This rank's part of each global batch.
    package var share: BatchShare { BatchShare(rank: rank, ranks: size) }

    /// Writes the sum over the ranks of each rank's `values` to `sums` on every rank
    /// (`MPI_Allreduce`); the two must not overlap.
    package func sum(_ values: UnsafePointer<Double>, into sums: UnsafeMutablePointer<Double>, count: Int) {
        var done = 0
        while done < count {  // counts are C ints
            let n = min(count - done, Int(Int32.max))
            _ = library.allreduce(values + done, sums + done, Int32(n), library.double, library.sum, library.commWorld)
            done += n
        }
    }

    /// Replaces `values` on every rank with their sum over the ranks.
    package func sum(_ values: UnsafeMutablePointer<Double>, count: Int) {
        // MPI_IN_PLACE is (void *)1 in Open MPI and (void *)-1 in MPICH; a copy serves both.
        let send = UnsafeMutablePointer<Double>.allocate(capacity: count)
        defer { send.deallocate() }
        send.update(from: values, count: count)
        sum(send, into: values, count: count)
    }

    /// Sums of `values` over the ranks.
    package func sum(_ values: [Double]) -> [Double] {
        var out = values
        out.withUnsafeMutableBufferPointer { sum($0.baseAddress!, count: $0.count) }
        return out
    }

    /// Replaces `values` on every rank with rank 0's (`MPI_Bcast`).
    package func broadcast(_ values: inout [Double]) {
        let count = Int32(values.count)
        values.withUnsafeMutableBytes { _ = library.bcast($0.baseAddress, count, library.double, 0, library.commWorld) }
    }

    /// Checks that every rank has the same `fingerprint` (of its data and options): rank 0's is
    /// broadcast, every rank compares it with its own, and the count of differing ranks is summed,
    /// so that every rank reaches the same verdict.
    /// - Throws: `DistributedError.ranksDisagree` on every rank when any rank differs.
    package func checkSameRun(fingerprint: String) throws(DistributedError) {
        let differing = countDiffering(fingerprint.utf8)
        if differing > 0 { throw DistributedError.ranksDisagree(differing: differing, ranks: size) }
    }

    /// How many ranks' `bytes` differ from rank 0's: a 64-bit FNV-1a hash of each, rank 0's
    /// broadcast, the verdicts summed (collective; every rank gets the same count).
    func countDiffering<S: Sequence>(_ bytes: S) -> Int where S.Element == UInt8 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes { h = (h ^ UInt64(byte)) &* 0x100_0000_01B3 }
        // In 16-bit pieces: doubles carry them exactly.
        let mine = (0..<4).map { Double((h >> (16 * UInt64($0))) & 0xFFFF) }
        var leaders = mine
        broadcast(&leaders)
        return Int(sum([leaders == mine ? 0 : 1])[0])
    }

    /// Ends MPI on this rank (`MPI_Finalize`, collective); once.
    package func finish() {
        guard !finished else { return }
        finished = true
        _ = library.finalize()
    }

    /// Ends every rank of the job at once (`MPI_Abort`): for a failure of this rank alone, which
    /// the others would otherwise wait for.
    package func abort(code: Int32) -> Never {
        _ = library.abort(library.commWorld, code)
        exit(code)
    }
}
