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

    /// After training: every rank must hold rank 0's weights, bit for bit, or the model rank 0
    /// writes is not the one the ranks trained together.
    /// - Throws: `DistributedError.weightsDiverged`, on every rank.
    func checkSameWeights(_ parameters: [Parameter]) throws(DistributedError) {
        let bytes = parameters.lazy.flatMap { p in
            UnsafeRawBufferPointer(start: p.value.data, count: p.value.count * MemoryLayout<Float>.stride)
        }
        let differing = countDiffering(bytes)
        if differing > 0 { throw DistributedError.weightsDiverged(differing: differing, ranks: size) }
    }
}
