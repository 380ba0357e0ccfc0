import Foundation
import Testing
@testable import RNNKit

/// The parts of data-parallel training that need no MPI: how batches are shared out, how a
/// launch is recognised, and what a missing library says. The runs themselves are in
/// rnnTests/DataParallelCLITests.
@Suite("Distributed")
struct DistributedTests {
    @Test("the shares of a batch are contiguous, in order, cover it once and differ in size by at most one")
    func shares() {
        for ranks in 1...5 {
            for n in ranks...23 {
                let parts = (0..<ranks).map { BatchShare(rank: $0, ranks: ranks).range(of: n) }
                #expect(parts.first?.lowerBound == 0 && parts.last?.upperBound == n)
                for (a, b) in zip(parts, parts.dropFirst()) { #expect(a.upperBound == b.lowerBound) }
                let sizes = parts.map(\.count)
                #expect(sizes.max()! - sizes.min()! <= 1 && sizes.min()! >= 1, "\(n) items on \(ranks) ranks: \(sizes)")
            }
        }
        #expect(BatchShare.whole.range(of: 7) == 0..<7)
        // Fewer items than ranks (an epoch's last batch): some ranks have none.
        #expect((0..<3).map { BatchShare(rank: $0, ranks: 3).range(of: 2).count } == [0, 1, 1])
    }

    @Test("a launch is recognised from the launchers' variables; a lone Slurm task is not one")
    func launch() {
        #expect(MPILaunch.detect([:]) == nil)
        #expect(MPILaunch.detect(["OMPI_COMM_WORLD_SIZE": "1"])?.evidence == "OMPI_COMM_WORLD_SIZE=1")
        #expect(MPILaunch.detect(["PMI_SIZE": "4", "PMI_RANK": "2"])?.evidence == "PMI_SIZE=4")
        #expect(MPILaunch.detect(["PMIX_RANK": "0"]) != nil)
        #expect(MPILaunch.detect(["SLURM_PROCID": "0", "SLURM_NTASKS": "1"]) == nil)
        #expect(MPILaunch.detect(["SLURM_PROCID": "0", "SLURM_NTASKS": "8"])?.evidence == "SLURM_NTASKS=8")
    }

    @Test("no loadable MPI library: the error names each library tried and what to install")
    func missingLibrary() {
        #expect(throws: DistributedError.self) { try MPILibrary.load(candidates: ["/nonexistent/libmpi.so.40", "libmpi-none.so.12"]) }
        do {
            _ = try MPILibrary.load(candidates: ["/nonexistent/libmpi.so.40", "libmpi-none.so.12"])
        } catch {
            let text = error.description
            #expect(text.contains("/nonexistent/libmpi.so.40") && text.contains("libmpi-none.so.12"), "\(text)")
            #expect(text.contains("apt-get install openmpi-bin libopenmpi3") && text.contains("RNNKIT_MPI_LIBRARY"), "\(text)")
            #expect(!error.everyRank)
        }
    }

    @Test("a library that loads but is not MPI is refused with the symbol it lacks")
    func notMPI() throws {
        do {
            _ = try MPILibrary.load(candidates: ["libm.so.6"])
            Issue.record("libm loaded as MPI")
        } catch {
            #expect(error.description.contains("libm.so.6: has no symbol MPI_Init"), "\(error)")
        }
    }
}
