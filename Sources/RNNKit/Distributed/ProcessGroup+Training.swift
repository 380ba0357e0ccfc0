import Foundation

extension ProcessGroup {
    /// Before a trainer makes its task: the ranks must run the same thing — the run's identity
    /// (model, options, data), the thread count and the checkpoint they would resume from — and
    /// each must have a part of every global batch. Every rank reaches the same verdict, so each
    /// can report it and leave in order.
    /// - Parameters:
    ///   - checkpoint: the checkpoint file and whether the run resumes from it.
    ///   - globalBatch: the items a global batch holds (at most), shared out among the ranks; `unit`
    ///     names them.
    /// - Throws: `DistributedError.ranksDisagree` or `.moreRanksThanBatch`, on every rank.
    func checkRun(identity: Checkpoint.Identity, checkpoint: (path: String, resume: Bool)?, globalBatch: Int,
                  unit: String) throws(DistributedError) {
        var fingerprint = "threads \(Parallel.threads)\n" + Checkpoint.json(identity)
        if let checkpoint, checkpoint.resume {
            fingerprint += "\nresume from "
                + (FileManager.default.contents(atPath: checkpoint.path).map { Checkpoint.hash($0.lazy.map(Int.init)) } ?? "nothing")
        }
        try checkSameRun(fingerprint: fingerprint)
        if size > globalBatch { throw DistributedError.moreRanksThanBatch(ranks: size, batchSize: globalBatch, unit: unit) }
    }
}
