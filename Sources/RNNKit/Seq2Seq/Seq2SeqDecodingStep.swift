// Dimension letters: b rows of one step (beam hypotheses), S source positions, E embedding size,
// Hk key size, Hd decoder hidden size, GH gate width, Vt target vocabulary, I = E + Hk (the cell's
// input), X = Hd + Hk + E (fc_out's input). C is the number of context rows: S with attention, 1
// without.

/// The decoder's step for decoding (no gradients), regrouped so that what depends only on the
/// source is computed once per sentence instead of once per word.
///
/// Both products that read the context c_t = Σ_s α_s·k_s are linear in it:
///
///     W_ih·[emb ‖ c_t]            = W_ih,e·emb + Σ_s α_s·(W_ih,c·k_s)
///     W_out·[s_t ‖ c_t ‖ emb] + b = W_out,s·s_t + W_out,e·emb + Σ_s α_s·(W_out,c·k_s) + b
///
/// so `prepare` makes the source's rows K·W_ih,cᵀ (C, GH) and K·W_out,cᵀ (C, Vt) once — one pass
/// over those weight columns per sentence — and each step reads only W_ih,e, W_hh, the
/// attention's query weights, W_out,s and W_out,e. The plain step (`Seq2SeqDecoder.stepForward`
/// and fc_out) streams all of W_out at every word: 42 MB for notebook 3's model, where this step
/// streams 18 MB. Without attention c_t is the encoder's final state: C = 1 and α = 1.
///
/// The source's rows take C·(GH + Vt) floats: for a source so long that they would pass
/// `sourceValueLimit` (32 MB; about 1,000 words for notebook 3's model), the step reads c_t as
/// the plain step does instead, so memory stays bounded by the keys'.
///
/// The results equal the plain step's up to float rounding (the sums are regrouped);
/// `Seq2SeqDecodingStepTests` compares the two. The weights are read in place, column blocks of
/// the decoder's own matrices, so a step always sees the current weights; `prepare` must follow
/// any change of them (it is called once per sentence).
///
/// With a shortlist of target ids (`VocabularyShortlist`), `prepare` copies those rows of fc_out
/// (and their biases) into a compact matrix once per sentence and the step scores only them: the
/// logits are then (b, L), column j for target id `targets[j]`. The copy reads L·X floats, less
/// than the source's rows read without it; the products are the same kernels on fewer rows, so
/// a shortlist of the whole vocabulary gives the plain step's logits bit for bit.
///
/// The products go through `SentenceProducts`: split by output columns over `Parallel.threads`
/// threads, with the same numbers at every thread count. The four that read only s_{t−1} and the
/// previous words — W_hh·s_{t−1}, the attention's query projection, W_ih,e·emb and W_out,e·emb —
/// run as one fork-join job, each into its own buffer, and are added where the plain order sums
/// them (the same numbers, for up to 16 rows; more rows of float weights go to BLAS, whose sums
/// can then group differently); then W_out,s·s_t after the cell: two product jobs a step instead
/// of five.
/// Given `ReducedSeq2SeqWeights`, they read the bfloat16 or int8 copies of W_ih, W_hh, the
/// attention's weight and fc_out instead (the shortlist's rows gathered from it).
final class Seq2SeqDecodingStep {
    let decoder: Seq2SeqDecoder
    private let sourceGates = Scratch()   // (C, GH): K·W_ih,cᵀ
    private let sourceLogits = Scratch()  // (C, Vt): K·W_out,cᵀ
    private let embedded = Scratch()      // (b, E)
    private let ones = Scratch()          // (b): α without attention
    private let context = Scratch()       // (b, Hk): attention's c_t, not read here
    private let gates = Scratch()         // (b, GH)
    private let hiddenGates = Scratch()   // (b, GH): s_{t−1}·W_hhᵀ
    private let embeddedGates = Scratch() // (b, GH): emb·W_ih,eᵀ
    private let embeddedLogits = Scratch()  // (b, L): emb·W_out,eᵀ
    private let extra = Scratch()         // (b, Hd): GRU's W_hn·s_{t−1} + b_hn
    private let shortWeight = Scratch()   // (L, X): the shortlisted rows of W_out
    private let shortBias = Scratch()     // (L)
    private var shortReduced: ReducedMatrix?  // (L, X): the shortlisted rows of the reduced copy
    // A product's rows in int16, for int8 weights: one per product of a job.
    private let quantizedRows = QuantizedRows(), hiddenRows = QuantizedRows()
    private let embeddedRows = QuantizedRows(), embeddedOutputRows = QuantizedRows()
    private var reduced: ReducedSeq2SeqWeights?
    private var rows = 0
    /// The rows of fc_out this sentence scores: the decoder's own, or the shortlist's copies (the
    /// decoder's own, unread, when `outReduced` is set).
    private var outWeight: UnsafePointer<Float>?, outBias: UnsafePointer<Float>?
    /// Their reduced copy, with `reduced`.
    private var outReduced: ReducedMatrix?
    /// How many words a step scores: Vt, or the shortlist's L.
    private(set) var outputs = 0
    /// Whether this sentence's source rows were made (else the step multiplies c_t).
    private(set) var regrouped = true
    /// The most floats the source's rows may take.
    var sourceValueLimit = 1 << 23

    init(_ decoder: Seq2SeqDecoder) { self.decoder = decoder }

    /// C (+)= A·Wᵀ over columns `column ..< column + K` of one of the decoder's matrices (row
    /// stride `ld`): the float weights, or their reduced copy when given; described, to be run.
    private func operand(_ M: Int, _ N: Int, _ K: Int, _ A: UnsafePointer<Float>, lda: Int, _ weight: UnsafePointer<Float>,
                         _ reduced: ReducedMatrix?, column: Int, ld: Int, _ C: UnsafeMutablePointer<Float>, ldc: Int,
                         accumulate: Bool, activations: QuantizedRows) -> SentenceProduct {
        if let reduced {
            precondition(reduced.rows == N, "the reduced copy of this product's weight")
            return reduced.operand(M, K, A, lda: lda, column: column, C, ldc: ldc, accumulate: accumulate, activations: activations)
        }
        return SentenceProduct(M, N, K, A, lda: lda, .float(weight + column), ldb: ld, C, ldc: ldc, accumulate: accumulate)
    }

    /// `operand`'s product, run now.
    private func product(_ M: Int, _ N: Int, _ K: Int, _ A: UnsafePointer<Float>, lda: Int, _ weight: UnsafePointer<Float>,
                         _ reduced: ReducedMatrix?, column: Int, ld: Int, _ C: UnsafeMutablePointer<Float>, ldc: Int,
                         accumulate: Bool) {
        SentenceProducts.run(operand(M, N, K, A, lda: lda, weight, reduced, column: column, ld: ld, C, ldc: ldc,
                                     accumulate: accumulate, activations: quantizedRows))
    }

    /// Computes the source's rows for the one sentence of `source`: its keys (S, Hk) with
    /// attention, its final state (Hk) without; `targets` (ascending target ids) restricts the
    /// words scored to those, nil scores them all; `reduced`: read the reduced copies.
    func prepare(_ source: Seq2SeqDecoder.Source, targets: [Int]? = nil, reduced: ReducedSeq2SeqWeights? = nil) {
        let d = decoder
        let (E, Hk, Hd, GH, I, X) = (d.embeddingSize, d.keySize, d.hiddenSize, d.gateWidth, d.inputWidth, d.outputInputWidth)
        if let targets {
            let bias = shortBias.get(targets.count), fullB = d.output.bias.value.data
            for (j, t) in targets.enumerated() { bias[j] = fullB[t] }
            (outBias, outputs) = (UnsafePointer(bias), targets.count)
            if let full = reduced?.output {
                // The products read only the reduced rows: the float ones are not copied.
                if shortReduced?.precision != full.precision { shortReduced = ReducedMatrix(precision: full.precision, columns: X) }
                shortReduced!.gather(targets, from: full)
                (outWeight, outReduced) = (UnsafePointer(d.output.weight.value.data), shortReduced)
            } else {
                let w = shortWeight.get(targets.count * X), fullW = UnsafePointer(d.output.weight.value.data)
                for (j, t) in targets.enumerated() { (w + j * X).update(from: fullW + t * X, count: X) }
                (outWeight, outReduced) = (UnsafePointer(w), nil)
            }
        } else {
            (outWeight, outBias, outputs) = (UnsafePointer(d.output.weight.value.data), UnsafePointer(d.output.bias.value.data),
                                             d.vocabularySize)
            outReduced = reduced?.output
        }
        self.reduced = reduced
        let Vt = outputs
        rows = d.attention == nil ? 1 : source.steps
        regrouped = d.attention == nil || rows * (GH + Vt) <= sourceValueLimit  // without attention: one row
        guard regrouped else { return }
        let k = d.attention == nil ? source.final : source.keys  // (C, Hk)
        product(rows, GH, Hk, k, lda: Hk, d.weightIH.value.data, reduced?.decoderIH, column: E, ld: I,
                sourceGates.get(rows * GH), ldc: GH, accumulate: false)
        product(rows, Vt, Hk, k, lda: Hk, outWeight!, outReduced, column: Hd, ld: X, sourceLogits.get(rows * Vt), ldc: Vt,
                accumulate: false)
    }

    /// One step for rows 0..<b from the previous words `tokens` (b) and states hPrev/cPrev (b, Hd):
    /// writes s_t into `state` (b, Hd) (and LSTM's c_t into `cellState`), α into `weights` (b, S)
    /// with attention, and the logits (b, `outputs`). `source` is where attention reads the keys, as
    /// `Seq2SeqDecoder.stepForward` takes it.
    func step(_ b: Int, tokens: UnsafePointer<Int>, hPrev: UnsafePointer<Float>, cPrev: UnsafePointer<Float>?,
              source: Seq2SeqDecoder.Source, state: UnsafeMutablePointer<Float>, cellState: UnsafeMutablePointer<Float>?,
              weights: UnsafeMutablePointer<Float>?, logits: UnsafeMutablePointer<Float>) {
        let d = decoder
        let (E, Hk, Hd, GH, I, X, Vt, C) = (d.embeddingSize, d.keySize, d.hiddenSize, d.gateWidth, d.inputWidth,
                                            d.outputInputWidth, outputs, rows)
        let emb = embedded.get(b * E), table = UnsafePointer(d.embedding.weight.value.data)
        for r in 0..<b { (emb + r * E).update(from: table + tokens[r] * E, count: E) }
        let w = outWeight!, ih = reduced?.decoderIH
        // The products that read only s_{t−1} and emb, in one job, each into its own buffer.
        let fromState = hiddenGates.get(b * GH), ihEmb = embeddedGates.get(b * GH), outEmb = embeddedLogits.get(b * Vt)
        withUnsafeTemporaryAllocation(of: SentenceProduct.self, capacity: 4) { job in
            let start = job.baseAddress!
            start.initialize(to: operand(b, GH, Hd, hPrev, lda: Hd, d.weightHH.value.data, reduced?.decoderHH, column: 0, ld: Hd,
                                         fromState, ldc: GH, accumulate: false, activations: hiddenRows))
            (start + 1).initialize(to: operand(b, GH, E, emb, lda: E, d.weightIH.value.data, ih, column: 0, ld: I, ihEmb, ldc: GH,
                                               accumulate: false, activations: embeddedRows))
            (start + 2).initialize(to: operand(b, Vt, E, emb, lda: E, w, outReduced, column: Hd + Hk, ld: X, outEmb, ldc: Vt,
                                               accumulate: false, activations: embeddedOutputRows))
            var count = 3
            if let query = d.attention?.queryProjection(b, hPrev, reduced: reduced?.attention) {
                (start + 3).initialize(to: query)
                count = 4
            }
            SentenceProducts.together(UnsafeBufferPointer(start: start, count: count))
            start.deinitialize(count: count)
        }
        let alpha: UnsafeMutablePointer<Float>, ctx = context.get(b * Hk)  // (b, Hk): c_t, read when not regrouped
        if let attention = d.attention {
            alpha = weights!
            attention.forward(b, source.steps, query: hPrev, keys: source.keys, projectedKeys: source.projected,
                              lengths: source.lengths, sharedSource: source.shared, queriesProjected: true,
                              weights: alpha, context: ctx)
        } else {
            alpha = ones.get(b)
            alpha.update(repeating: 1, count: b)
        }
        // preX = b_ih + emb·W_ih,eᵀ + α·(K·W_ih,cᵀ); the α rows are (b, S) with attention, (b, 1) without.
        let preX = gates.get(b * GH), biasIH = d.biasIH.value.data
        for r in 0..<b {
            for k in 0..<GH { preX[r * GH + k] = biasIH[k] + ihEmb[r * GH + k] }
        }
        if regrouped {
            SentenceProducts.nnAccumulate(b, GH, C, alpha, lda: C, sourceGates.get(0), ldb: GH, preX, ldc: GH)
        } else {
            product(b, GH, Hk, ctx, lda: Hk, d.weightIH.value.data, ih, column: E, ld: I, preX, ldc: GH, accumulate: true)
        }
        d.recur(b, preX: preX, hPrev: hPrev, cPrev: cPrev, state: state, cellState: cellState, gates: preX,
                extra: d.cell == .gru ? extra.get(b * Hd) : nil, hiddenProduct: fromState)
        // logits = b + s_t·W_out,sᵀ + emb·W_out,eᵀ + α·(K·W_out,cᵀ).
        for r in 0..<b { (logits + r * Vt).update(from: outBias!, count: Vt) }
        product(b, Vt, Hd, state, lda: Hd, w, outReduced, column: 0, ld: X, logits, ldc: Vt, accumulate: true)
        for k in 0 ..< b * Vt { logits[k] += outEmb[k] }
        if regrouped {
            SentenceProducts.nnAccumulate(b, Vt, C, alpha, lda: C, sourceLogits.get(0), ldb: Vt, logits, ldc: Vt)
        } else {
            product(b, Vt, Hk, ctx, lda: Hk, w, outReduced, column: Hd, ld: X, logits, ldc: Vt, accumulate: true)
        }
    }
}
