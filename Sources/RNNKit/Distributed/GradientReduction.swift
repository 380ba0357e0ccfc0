/// The one `MPI_Allreduce` of a data-parallel training step, over one contiguous buffer: every
/// parameter's gradient, then the batch's loss sum, count, correct predictions and tokens, and a
/// time-is-up flag.
///
/// Each rank's gradient is the mean over its own share of the batch (its `count` examples or
/// targets); it enters the sum times that count, so the sum divided by the global count is the
/// mean over the whole batch: the single-process gradient, with the sums regrouped. The buffer is
/// in doubles: a float times a count is exact there, and the only rounding after the ranks'
/// own is the final one back to float — with one rank, g·n/n gives g back exactly.
final class GradientReduction {
    let group: ProcessGroup
    let parameters: [Parameter]
    private let gradientCount: Int
    /// What this rank sends, and the sums it receives: kept for the run, as a step's buffers are
    /// the size of the model.
    private let buffer: UnsafeMutablePointer<Double>, sums: UnsafeMutablePointer<Double>
    private static let scalars = 5

    init(group: ProcessGroup, parameters: [Parameter]) {
        self.group = group
        self.parameters = parameters
        gradientCount = parameters.reduce(0) { $0 + $1.grad.count }
        buffer = .allocate(capacity: gradientCount + Self.scalars)
        sums = .allocate(capacity: gradientCount + Self.scalars)
    }

    deinit {
        buffer.deallocate()
        sums.deallocate()
    }

    /// Sums this rank's batch result and gradients with every other rank's, leaving the global
    /// mean gradient in the parameters' `grad` on every rank. For each table in `sparse` only the
    /// rows listed are sent (the same on every rank: they come from the whole batch); its other
    /// rows are zero on every rank, and stay so.
    /// - Returns: the global batch result, and whether any rank's time budget is used up (so
    ///   that all stop after the same step).
    func reduce(_ local: BatchResult, timeUp: Bool, sparse: [(parameter: Parameter, rows: [Int])] = []) -> (result: BatchResult, timeUp: Bool) {
        let weight = Double(local.count)
        let rowsOf = Dictionary(sparse.map { (ObjectIdentifier($0.parameter), $0.rows) }, uniquingKeysWith: { a, _ in a })
        // Each parameter's pieces in the buffer, in order: (first element, count) runs of its
        // gradient; packing and unpacking walk the same layout.
        let layout: [[(start: Int, count: Int)]] = parameters.map { p in
            guard let rows = rowsOf[ObjectIdentifier(p)] else { return [(0, p.grad.count)] }
            let width = p.grad.count / max(p.grad.shape.first ?? 1, 1)
            return rows.map { ($0 * width, width) }
        }
        var offset = 0
        for (p, runs) in zip(parameters, layout) {
            let g = p.grad.data
            for run in runs {
                for i in 0..<run.count { buffer[offset + i] = Double(g[run.start + i]) * weight }
                offset += run.count
            }
        }
        let used = offset
        let mine = buffer + used
        (mine[0], mine[1], mine[2], mine[3], mine[4]) = (local.lossSum, weight, Double(local.correct ?? 0), Double(local.tokens),
                                                         timeUp ? 1 : 0)
        group.sum(buffer, into: sums, count: used + Self.scalars)
        let s = sums + used
        let total = max(s[1], 1)
        offset = 0
        for (p, runs) in zip(parameters, layout) {
            let g = p.grad.data
            for run in runs {
                for i in 0..<run.count { g[run.start + i] = Float(sums[offset + i] / total) }
                offset += run.count
            }
        }
        let result = BatchResult(lossSum: s[0], count: Int(s[1]), correct: local.correct.map { _ in Int(s[2]) },
                                 tokens: Int(s[3]))
        return (result, s[4] > 0)
    }
}
