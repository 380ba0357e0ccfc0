/// A token sequence cut into B contiguous streams and then into batches of T steps each
/// (see `LanguageModelTrainer`), packed once.
struct StreamBatches {
    let streams: Int
    let batches: [PackedBatch]
    /// Per batch, per stream, per step: the next token.
    let targets: [[[Int]]]
    var count: Int { batches.count }

    /// - Parameters:
    ///   - keepPartial: keep a last batch shorter than T (evaluation scores every step); training
    ///     keeps only full batches.
    ///   - only: the streams kept (a rank's share), all by default; the cut is the same.
    init(_ tokens: [Int], streams B: Int, steps T: Int, keepPartial: Bool, only: Range<Int>? = nil) {
        precondition(B >= 1 && T >= 1 && tokens.count >= B + 1)
        let S = (tokens.count - 1) / B
        let count = keepPartial ? (S + T - 1) / T : S / T
        let kept = only ?? 0..<B
        var batches: [PackedBatch] = [], targets: [[[Int]]] = []
        batches.reserveCapacity(count)
        targets.reserveCapacity(count)
        for k in 0..<count {
            let from = k * T, steps = min(T, S - from)
            let inputs = kept.map { b in Array(tokens[(b * S + from)..<(b * S + from + steps)]) }
            targets.append(kept.map { b in Array(tokens[(b * S + from + 1)..<(b * S + from + steps + 1)]) })
            // Equal lengths: the stable sort keeps stream order, so sorted rows are streams.
            batches.append(PackedBatch(inputs))
        }
        streams = kept.count
        self.batches = batches
        self.targets = targets
    }

    /// For scoring: up to B streams, fewer when the text is short (every stream needs a step).
    static func forEvaluation(_ tokens: [Int], streams B: Int, steps T: Int) -> StreamBatches {
        StreamBatches(tokens, streams: max(1, min(B, tokens.count - 1)), steps: T, keepPartial: true)
    }
}
