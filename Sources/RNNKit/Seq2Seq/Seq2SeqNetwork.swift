// Dimension letters: B sentence pairs, N packed decoder rows (Σ of each target's length − 1),
// S source steps of the longest, Hk key size, Hd decoder hidden size, GH = G·Hd, E embedding size,
// X = Hd + Hk + E, Vt target vocabulary.

/// A translation model: `Seq2SeqEncoder` and `Seq2SeqDecoder`, trained on sentence pairs with
/// cross-entropy on every target word (bentrevett's notebook 3 `Seq2Seq`, any cell and attention).
///
/// Token ids on both sides: 0 `<pad>`, 1 `<unk>`, 2 `<bos>`, 3 `<eos>`. A source is
/// [<bos>, w_1 … w_n, <eos>]; a target is [<bos>, y_1 … y_m, <eos>], and the decoder runs m + 1
/// steps: it reads <bos>, y_1 … y_m (teacher forcing) or its own previous best word (free running,
/// chosen per step for the whole batch with probability 1 − `teacherForcing`), and predicts
/// y_1 … y_m, <eos>. The loss is the mean cross-entropy over all predicted words of the batch.
///
/// The batch's pairs are packed twice: the decoder's rows sorted by target length (so each step runs
/// only the sentences still being decoded, as `PackedBatch` does for one sequence), the encoder's by
/// source length; the encoder hands its keys and states over in the decoder's row order. No padding
/// enters a recurrence; source padding is masked out of the attention.
package final class Seq2SeqNetwork: @unchecked Sendable {
    package static let padding = 0, unknown = 1, begin = 2, end = 3

    package let configuration: Seq2SeqConfiguration
    let encoder: Seq2SeqEncoder
    let decoder: Seq2SeqDecoder

    // The training pass's caches, packed by decoder step (rows of step t at offsets[t]).
    private let input = Scratch(), state = Scratch(), cellState = Scratch(), gates = Scratch(), extra = Scratch()
    private let weights = Scratch(), outputInput = Scratch(), previous = Scratch(), previousCell = Scratch()
    private let masks = Scratch()                 // (N, E)
    private let logits = Scratch()                // (N, Vt)
    private let probabilities = Scratch()         // (N, Vt)
    private let projected = Scratch()             // (B, S, P)
    private let tokensFed = IndexScratch()        // (N): the word each row read
    private let targets = IndexScratch()          // (N)
    // Gradients.
    private let dLogits = Scratch(), dOutputInput = Scratch(), dInput = Scratch(), dState = Scratch()
    private let dPreX = Scratch(), dPreH = Scratch(), dCell = Scratch(), dS0 = Scratch()
    private let dKeys = Scratch(), dProjected = Scratch(), dFinal = Scratch(), dEmbedded = Scratch()

    package init(_ configuration: Seq2SeqConfiguration) {
        precondition(configuration.problem == nil, configuration.problem ?? "")
        self.configuration = configuration
        encoder = Seq2SeqEncoder(configuration)
        decoder = Seq2SeqDecoder(configuration)
    }

    /// Every parameter, in PyTorch's `state_dict` order (encoder, then decoder).
    package var parameters: [Parameter] { encoder.parameters + decoder.parameters }

    package func initializePyTorch(using rng: inout SeededGenerator) {
        encoder.initializePyTorch(using: &rng)
        decoder.initializePyTorch(using: &rng)
    }

    /// What one training pass over a batch gives.
    package struct PassResult {
        /// Summed cross-entropy (nats) over the batch's predicted words, and their number.
        package var loss: Double
        package var count: Int
    }

    /// Forward over a batch of (source, target) id sequences, each with its <bos> and <eos>;
    /// with `backward`, the gradients of the mean loss are added to every parameter's `grad`.
    /// `logitsOut`, when given, receives each pair's logits ((len(target) − 1) × Vt per pair, in
    /// the caller's order) and `weightsOut` its attention ((len(target) − 1) × len(source)).
    @discardableResult
    package func train(sources: [[Int]], targets targetSequences: [[Int]], teacherForcing: Double = 1,
                       training: Bool = true, backward: Bool = true, rng: inout SeededGenerator,
                       logitsOut: ((Int, Int, UnsafePointer<Float>) -> Void)? = nil,
                       weightsOut: ((Int, Int, UnsafePointer<Float>) -> Void)? = nil) -> PassResult {
        precondition(sources.count == targetSequences.count && !sources.isEmpty, "a batch needs as many targets as sources")
        precondition(targetSequences.allSatisfy { $0.count >= 2 }, "a target holds at least <bos> and <eos>")
        let c = configuration
        let (E, Hk, Hd, Vt) = (c.embeddingSize, c.keySize, c.decoderHiddenSize, c.targetVocabularySize)
        let (GH, I, X) = (decoder.gateWidth, decoder.inputWidth, decoder.outputInputWidth)
        let lstm = c.cell.hasCellState, gru = c.cell == .gru

        // The decoder's rows: targets without their last word, longest first.
        let dec = PackedBatch(targetSequences.map { Array($0.dropLast()) })
        let B = dec.count, N = dec.rowCount, T = dec.steps
        let enc = PackedBatch(dec.order.map { sources[$0] })
        let S = enc.steps
        var lengths = [Int](repeating: 0, count: B)
        for e in 0..<B { lengths[enc.order[e]] = enc.lengths[e] }

        encoder.forward(enc, training: training, rng: &rng)
        let source = decoder.source(B, steps: S, keys: encoder.keys, final: encoder.final, lengths: lengths,
                                    projection: projected)

        let rin = input.get(N * I), st = state.get(N * Hd), gt = gates.get(N * GH), xo = outputInput.get(N * X)
        let cs = lstm ? cellState.get(N * Hd) : nil, ex = gru ? extra.get(N * Hd) : nil
        let al = decoder.attention != nil ? weights.get(N * S) : nil
        let prev = previous.get(N * Hd), prevC = lstm ? previousCell.get(N * Hd) : nil
        let dropping = training && c.dropout > 0
        let mask = dropping ? masks.get(N * E) : nil
        let lg = logits.get(N * Vt)
        let fed = tokensFed.get(N), tg = self.targets.get(N)
        for t in 0..<T {
            for r in 0..<dec.batchSizes[t] { tg[dec.offsets[t] + r] = targetSequences[dec.order[r]][t + 1] }
        }

        func cache(_ n0: Int) -> Seq2SeqDecoder.StepCache {
            Seq2SeqDecoder.StepCache(input: rin + n0 * I, state: st + n0 * Hd, cellState: cs.map { $0 + n0 * Hd },
                                     gates: gt + n0 * GH, extra: ex.map { $0 + n0 * Hd }, weights: al.map { $0 + n0 * S },
                                     outputInput: xo + n0 * X)
        }
        // Logits are computed as late as possible, in one product for a run of steps, unless the
        // next step reads the best word (free running).
        var logitsDone = 0
        func computeLogits(through row: Int) {
            if row > logitsDone { decoder.output.forward(row - logitsDone, xo + logitsDone * X, lg + logitsDone * Vt, exactOneRow: false) }
            logitsDone = max(logitsDone, row)
        }
        for t in 0..<T {
            let b = dec.batchSizes[t], n0 = dec.offsets[t]
            // Teacher forcing decides per step, for the whole batch (notebook 3's rule).
            let forced = t == 0 || teacherForcing >= 1 || (teacherForcing > 0 && rng.nextUniform() < teacherForcing)
            if forced {
                for r in 0..<b { fed[n0 + r] = dec.tokens[n0 + r] }
            } else {
                let p0 = dec.offsets[t - 1]
                computeLogits(through: p0 + dec.batchSizes[t - 1])
                for r in 0..<b { fed[n0 + r] = argmax(lg + (p0 + r) * Vt, count: Vt) }
            }
            // s_{t−1}: the bridge's s_0 at t = 0, else the previous step's first b rows.
            if t == 0 {
                (prev + n0 * Hd).update(from: encoder.s0, count: b * Hd)
                prevC.map { ($0 + n0 * Hd).update(repeating: 0, count: b * Hd) }
            } else {
                let p0 = dec.offsets[t - 1]
                (prev + n0 * Hd).update(from: st + p0 * Hd, count: b * Hd)
                if let prevC, let cs { (prevC + n0 * Hd).update(from: cs + p0 * Hd, count: b * Hd) }
            }
            if let mask { Dropout.drawMask(mask + n0 * E, count: b * E, probability: c.dropout, rng: &rng) }
            decoder.stepForward(b, tokens: fed + n0, hPrev: prev + n0 * Hd, cPrev: prevC.map { UnsafePointer($0 + n0 * Hd) },
                                source: source, mask: mask.map { UnsafePointer($0 + n0 * E) }, cache: cache(n0))
        }
        computeLogits(through: N)
        if let logitsOut { report(dec, Vt, lg, logitsOut) }
        if let weightsOut, let al { report(dec, S, al, weightsOut) }

        let pr = probabilities.get(N * Vt)
        let (sum, count) = SoftmaxCrossEntropy.forward(lg, rows: N, classes: Vt, targets: tg, probabilities: pr)
        guard backward else { return PassResult(loss: sum, count: count) }

        // Backward: fc_out over all rows, then the steps in reverse, then the weights in one product each.
        let dy = dLogits.zeroed(N * Vt)
        SoftmaxCrossEntropy.backward(probabilities: pr, rows: N, classes: Vt, targets: tg, scale: 1 / Float(count), dy)
        let dx = dOutputInput.zeroed(N * X)
        decoder.output.backward(N, dy, xo, dx)
        let ds = dState.get(N * Hd), din = dInput.get(N * I)
        for n in 0..<N {
            (ds + n * Hd).update(from: dx + n * X, count: Hd)
            (din + n * I).update(from: dx + n * X + Hd + Hk, count: E)   // emb's share
            (din + n * I + E).update(from: dx + n * X + Hd, count: Hk)   // c_t's share
        }
        let dpx = dPreX.get(N * GH), dph = c.cell.separatesPreactivations ? dPreH.get(N * GH) : dpx
        let dc = lstm ? dCell.zeroed(B * Hd) : nil
        let ds0 = dS0.zeroed(B * Hd)
        let dk = dKeys.zeroed(B * S * Hk)  // stays zero without attention
        let dp = source.projected != nil ? dProjected.zeroed(B * S * decoder.attention!.projectedKeySize) : nil
        let df = dFinal.zeroed(B * Hk)
        for t in stride(from: T - 1, through: 0, by: -1) {
            let b = dec.batchSizes[t], n0 = dec.offsets[t]
            let dPrevious = t == 0 ? ds0 : ds + dec.offsets[t - 1] * Hd
            decoder.stepBackward(b, hPrev: prev + n0 * Hd, cPrev: prevC.map { UnsafePointer($0 + n0 * Hd) }, source: source,
                                 cache: cache(n0),
                                 grads: .init(dInput: din + n0 * I, dState: ds + n0 * Hd, dCellState: dc,
                                              dPreX: dpx + n0 * GH, dPreH: dph + n0 * GH, dPrevious: dPrevious,
                                              dKeys: decoder.attention != nil ? dk : nil, dProjected: dp,
                                              dFinal: decoder.attention == nil ? df : nil))
        }
        decoder.weightGradients(N, dPreX: dpx, dPreH: dph, input: rin, hPrev: prev)
        // The embedding's gradient: the emb share of d[emb ‖ c], through the dropout mask.
        let de = dEmbedded.get(N * E)
        for n in 0..<N {
            (de + n * E).update(from: din + n * I, count: E)
            if let mask { for k in 0..<E { de[n * E + k] *= mask[n * E + k] } }
        }
        decoder.embedding.backward(Array(UnsafeBufferPointer(start: fed, count: N)), de)
        if let attention = decoder.attention, let dp {
            attention.projectKeysBackward(B, S, dProjected: dp, keys: source.keys, lengths: lengths, dKeys: dk)
        }
        encoder.backward(enc, dKeys: dk, dFinal: df, dS0: ds0)
        return PassResult(loss: sum, count: count)
    }

    /// Hands each pair's rows of a packed (N, width) buffer to `body(pair, steps, rows)`, copied
    /// into one contiguous (steps, width) block in step order.
    private func report(_ dec: PackedBatch, _ width: Int, _ buffer: UnsafePointer<Float>,
                        _ body: (Int, Int, UnsafePointer<Float>) -> Void) {
        let block = UnsafeMutablePointer<Float>.allocate(capacity: dec.steps * width)
        defer { block.deallocate() }
        for r in 0..<dec.count {
            let L = dec.lengths[r]
            for t in 0..<L { (block + t * width).update(from: buffer + dec.row(step: t, sequence: r) * width, count: width) }
            body(dec.order[r], L, block)
        }
    }
}
