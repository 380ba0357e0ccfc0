import ArgumentParser
import Foundation
import RNNKit

/// How a training command takes part in a run: alone, or as one rank of an MPI job started by
/// `mpirun` or `srun` (data-parallel: `ProcessGroup`). Rank 0 prints and writes every file; the
/// other ranks train their share silently (their standard output goes to /dev/null; warnings and
/// errors still reach standard error).
struct TrainingRanks {
    let group: ProcessGroup?

    /// Whether this process prints results and writes the model, reports and checkpoints.
    var writesFiles: Bool { group?.isLeader ?? true }

    /// Joins the MPI job when a launcher started this process.
    /// - Throws: `DistributedError` when a launcher started it but no MPI library loads.
    static func join() throws -> TrainingRanks {
        let group = try ProcessGroup.joinIfLaunched()
        if let group, !group.isLeader {
            let null = open("/dev/null", O_WRONLY)
            if null >= 0 { dup2(null, STDOUT_FILENO); close(null) }
        }
        return TrainingRanks(group: group)
    }

    /// Runs a command's work on this rank and leaves MPI in order. An error every rank meets at
    /// the same point (`DistributedError.everyRank`) ends each rank with it; any other error is
    /// this rank's alone, and the others would wait for it forever at the next sum, so it is
    /// printed and the whole job aborted (`MPI_Abort`).
    func run(_ body: () throws -> Void) throws {
        guard let group else { return try body() }
        do {
            try body()
            group.finish()
        } catch let error as DistributedError where error.everyRank {
            // One write per rank, so that mpirun does not interleave the ranks' lines.
            printError("Error (rank \(group.rank) of \(group.size)): \(error)")
            group.finish()
            throw ExitCode.failure
        } catch {
            printError("Error on rank \(group.rank) of \(group.size): \(RNN.message(for: error))")
            printError("rnn: aborting the MPI job (every rank stops).")
            fflush(nil)
            group.abort(code: 1)
        }
    }

    /// Refuses a run that cannot be split across ranks, on every rank, when there are several.
    func refuse(if condition: Bool, _ reason: String) throws {
        guard let group, group.size > 1, condition else { return }
        throw DistributedError.notDistributable(reason)
    }
}
