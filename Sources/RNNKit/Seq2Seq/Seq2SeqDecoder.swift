// Dimension letters: b rows of one step, S source steps (padded), E embedding size, Hk key size,
// Hd hidden size, G gates (1, 4, 3), GH = G·Hd, Vt target vocabulary, X = Hd + Hk + E.

/// The decoder of a translation model: one recurrent layer that reads the previous word and a
/// context of the source, and a layer that scores the next word (bentrevett's notebook 3 `Decoder`,
/// with the cell and the attention chosen by the configuration).
///
/// One step, for each sentence still being decoded, from the previous word y and state s_{t−1}:
///
///     emb = dropout(E_tgt[y])                                   (E)
///     c_t = Σ_s α_s·k_s, α = attention(s_{t−1}, k)              (Hk)  — or c_t = final without attention
///     s_t = cell([emb ‖ c_t], s_{t−1})                          (Hd)  — see `CellKind`; LSTM's c_0 = 0
///     logits = W_out·[s_t ‖ c_t ‖ emb] + b_out                  (Vt)
///
/// Parameters (PyTorch names): `decoder.embedding.weight` (Vt, E); `decoder.attention.*` (see
/// `Attention`); `decoder.rnn.weight_ih_l0` (GH, E + Hk), `decoder.rnn.weight_hh_l0` (GH, Hd),
/// `decoder.rnn.bias_ih_l0`, `decoder.rnn.bias_hh_l0` (GH); `decoder.fc_out.weight` (Vt, X),
/// `decoder.fc_out.bias` (Vt). Init: PyTorch's.
///
/// `stepForward` is the one place the step's math lives; training (`Seq2SeqNetwork`) calls it with
/// pointers into its per-step caches, decoding with small buffers of its own. `stepBackward` is
/// its reverse.
package final class Seq2SeqDecoder: @unchecked Sendable {
    let cell: CellKind
    let embedding: Embedding
    let attention: Attention?
    let weightIH: Parameter  // (GH, E + Hk)
    let weightHH: Parameter  // (GH, Hd)
    let biasIH: Parameter    // (GH)
    let biasHH: Parameter    // (GH)
    let output: Linear       // decoder.fc_out: (Vt, X)

    let embeddingSize: Int, keySize: Int, hiddenSize: Int
    var gateWidth: Int { cell.gateCount * hiddenSize }
    var inputWidth: Int { embeddingSize + keySize }             // E + Hk, the cell's input
    var outputInputWidth: Int { hiddenSize + keySize + embeddingSize }  // X
    var vocabularySize: Int { output.outputSize }

    private let preH = Scratch()      // (b, GH)
    private let context = Scratch()   // (b, Hk)
    private let dContext = Scratch()  // (b, Hk)
    private let dh = Scratch()        // (b, Hd)

    init(_ c: Seq2SeqConfiguration) {
        cell = c.cell
        (embeddingSize, keySize, hiddenSize) = (c.embeddingSize, c.keySize, c.decoderHiddenSize)
        embedding = Embedding(vocabularySize: c.targetVocabularySize, embeddingSize: c.embeddingSize, name: "decoder.embedding")
        attention = c.attention.kind.map {
            Attention($0, querySize: c.decoderHiddenSize, keySize: c.keySize, attentionSize: c.attentionSize,
                      name: "decoder.attention")
        }
        let GH = c.cell.gateCount * c.decoderHiddenSize
        weightIH = Parameter(name: "decoder.rnn.weight_ih_l0", shape: [GH, c.embeddingSize + c.keySize])
        weightHH = Parameter(name: "decoder.rnn.weight_hh_l0", shape: [GH, c.decoderHiddenSize])
        biasIH = Parameter(name: "decoder.rnn.bias_ih_l0", shape: [GH])
        biasHH = Parameter(name: "decoder.rnn.bias_hh_l0", shape: [GH])
        output = Linear(inputSize: c.decoderHiddenSize + c.keySize + c.embeddingSize, outputSize: c.targetVocabularySize,
                        name: "decoder.fc_out")
    }

    /// In PyTorch's `state_dict` order (notebook 3's: attention, embedding, rnn, fc_out).
    var parameters: [Parameter] {
        (attention?.parameters ?? []) + [embedding.weight, weightIH, weightHH, biasIH, biasHH] + output.parameters
    }

    func initializePyTorch(using rng: inout SeededGenerator) {
        attention?.initializePyTorch(using: &rng)
        embedding.initializePyTorch(using: &rng)
        let bound = 1 / Double(hiddenSize).squareRoot()
        for p in [weightIH, weightHH, biasIH, biasHH] {
            for k in 0..<p.value.count { p.value[k] = Float((2 * rng.nextUniform() - 1) * bound) }
        }
        output.initializePyTorch(using: &rng)
    }

    /// Where one step reads the source: keys (·, S, Hk) and, for additive and general attention,
    /// their projection (·, S, P), with each row's source length; `final` (·, Hk) is the context
    /// without attention. `shared`: every row reads the first sentence's (beam search).
    struct Source {
        var keys: UnsafePointer<Float>
        var projected: UnsafePointer<Float>?
        var steps: Int
        var lengths: [Int]
        var final: UnsafePointer<Float>
        var shared = false
    }

    /// The source of B sentences — keys (B, S, Hk), final states (B, Hk), lengths — with the
    /// attention's key projection made into `projection` (B, S, P), once for all the steps that
    /// read it. `shared` (B = 1): any number of rows will read it. `reducedAttention`: a reduced
    /// copy of the attention's weight for the projection (one sentence's decoding).
    func source(_ B: Int, steps S: Int, keys: UnsafePointer<Float>, final: UnsafePointer<Float>, lengths: [Int],
                projection: Scratch, shared: Bool = false, reducedAttention: ReducedMatrix? = nil) -> Source {
        precondition(!shared || B == 1, "a shared source is one sentence")
        var projected: UnsafeMutablePointer<Float>? = nil
        if let attention, attention.kind != .dot {
            projected = projection.get(B * S * attention.projectedKeySize)
            attention.projectKeys(B, S, keys: keys, lengths: lengths, projected: projected!, reduced: reducedAttention)
        }
        return Source(keys: keys, projected: projected.map { UnsafePointer($0) }, steps: S, lengths: lengths, final: final,
                      shared: shared)
    }

    /// What one step keeps for its backward, b rows each.
    struct StepCache {
        var input: UnsafeMutablePointer<Float>        // (b, E + Hk): [emb ‖ c_t], the cell's input
        var state: UnsafeMutablePointer<Float>        // (b, Hd): s_t
        var cellState: UnsafeMutablePointer<Float>?   // (b, Hd): LSTM's c_t
        var gates: UnsafeMutablePointer<Float>        // (b, GH)
        var extra: UnsafeMutablePointer<Float>?       // (b, Hd): GRU's W_hn·s_{t−1} + b_hn
        var weights: UnsafeMutablePointer<Float>?     // (b, S): α
        var outputInput: UnsafeMutablePointer<Float>  // (b, X): [s_t ‖ c_t ‖ emb], fc_out's input
    }

    /// One step for rows 0..<b: tokens (b) are the previous words, hPrev/cPrev (b, Hd) the previous
    /// states; `mask` (b, E) the embedding dropout's mask, or nil. Writes everything in `cache`;
    /// the logits are fc_out(cache.outputInput), left to the caller (training batches them).
    func stepForward(_ b: Int, tokens: UnsafePointer<Int>, hPrev: UnsafePointer<Float>, cPrev: UnsafePointer<Float>?,
                     source: Source, mask: UnsafePointer<Float>?, cache: StepCache) {
        let (E, Hk, Hd, GH, I, X) = (embeddingSize, keySize, hiddenSize, gateWidth, inputWidth, outputInputWidth)
        let table = UnsafePointer(embedding.weight.value.data), rin = cache.input
        // emb = dropout(E_tgt[y]), straight into the cell's input.
        for r in 0..<b {
            let e = rin + r * I
            e.update(from: table + tokens[r] * E, count: E)
            if let mask { for k in 0..<E { e[k] *= mask[r * E + k] } }
        }
        // c_t: attention over the source, queried by s_{t−1}; or the encoder's final state.
        let ctx = context.get(b * Hk)
        if let attention {
            attention.forward(b, source.steps, query: hPrev, keys: source.keys, projectedKeys: source.projected,
                              lengths: source.lengths, sharedSource: source.shared, weights: cache.weights!, context: ctx)
        } else if source.shared {
            for r in 0..<b { (ctx + r * Hk).update(from: source.final, count: Hk) }
        } else {
            ctx.update(from: source.final, count: b * Hk)
        }
        for r in 0..<b { (rin + r * I + E).update(from: ctx + r * Hk, count: Hk) }

        // preX = [emb ‖ c]·W_ihᵀ + b_ih and preH = s_{t−1}·W_hhᵀ + b_hh (into preX for cells that
        // only use the sum); preX is the gate buffer's first use and the cell overwrites it.
        let preX = cache.gates
        for r in 0..<b { (preX + r * GH).update(from: biasIH.value.data, count: GH) }
        // Float sums for one row too: the precision training uses, and a quarter of the double
        // product's time.
        MatMul.nt(b, GH, I, rin, lda: I, weightIH.value.data, ldb: I, preX, ldc: GH, accumulate: true, exactOneRow: false)
        recur(b, preX: preX, hPrev: hPrev, cPrev: cPrev, state: cache.state, cellState: cache.cellState, gates: cache.gates,
              extra: cache.extra)
        // fc_out's input [s_t ‖ c_t ‖ emb].
        for r in 0..<b {
            let x = cache.outputInput + r * X
            x.update(from: cache.state + r * Hd, count: Hd)
            (x + Hd).update(from: ctx + r * Hk, count: Hk)
            (x + Hd + Hk).update(from: rin + r * I, count: E)
        }
    }

    /// The cell's half of a step, given preX = W_ih·[emb ‖ c_t] + b_ih (b, GH) in `gates`' place
    /// (the cell overwrites it): adds preH = s_{t−1}·W_hhᵀ + b_hh and runs the cell into s_t
    /// (`state`) and LSTM's c_t. `Seq2SeqDecodingStep` shares it, with `hiddenProduct`:
    /// s_{t−1}·W_hhᵀ (b, GH) made already (alongside its other products, on the fork-join
    /// threads), added where the product would have been.
    func recur(_ b: Int, preX: UnsafeMutablePointer<Float>, hPrev: UnsafePointer<Float>, cPrev: UnsafePointer<Float>?,
               state: UnsafeMutablePointer<Float>, cellState: UnsafeMutablePointer<Float>?,
               gates: UnsafeMutablePointer<Float>, extra: UnsafeMutablePointer<Float>?,
               hiddenProduct: UnsafePointer<Float>? = nil) {
        let (Hd, GH, separate) = (hiddenSize, gateWidth, cell.separatesPreactivations)
        // Cells that only use the sum take preH into preX.
        let preH = separate ? self.preH.get(b * GH) : preX
        if separate {
            for r in 0..<b { (preH + r * GH).update(from: biasHH.value.data, count: GH) }
        } else {
            for r in 0..<b { Kernels.axpy(GH, 1, biasHH.value.data, preH + r * GH) }
        }
        if let hiddenProduct {
            // What the product's accumulate does, preH + s: the same numbers.
            for k in 0 ..< b * GH { preH[k] += hiddenProduct[k] }
        } else {
            MatMul.nt(b, GH, Hd, hPrev, lda: Hd, weightHH.value.data, ldb: Hd, preH, ldc: GH, accumulate: true, exactOneRow: false)
        }
        cell.forwardStep(B: b, H: Hd, preX: preX, preH: separate ? UnsafePointer(preH) : nil, hPrev: hPrev, cPrev: cPrev,
                         h: state, c: cellState, gates: gates, extra: extra)
    }

    /// Gradient buffers of one step, b rows each.
    struct StepGradients {
        var dInput: UnsafeMutablePointer<Float>    // (b, E + Hk): added to (dL/d[emb ‖ c_t] from fc_out on entry)
        var dState: UnsafeMutablePointer<Float>    // (b, Hd): dL/ds_t, all paths (read)
        var dCellState: UnsafeMutablePointer<Float>?  // (b, Hd): LSTM's dL/dc_t in, dL/dc_{t−1} out
        var dPreX: UnsafeMutablePointer<Float>     // (b, GH): written
        var dPreH: UnsafeMutablePointer<Float>     // (b, GH): written (the same buffer for cells that sum)
        var dPrevious: UnsafeMutablePointer<Float> // (b, Hd): dL/ds_{t−1}, added to
        var dKeys: UnsafeMutablePointer<Float>?    // (·, S, Hk): added to (attention)
        var dProjected: UnsafeMutablePointer<Float>?  // (·, S, P): added to (additive, general)
        var dFinal: UnsafeMutablePointer<Float>?   // (·, Hk): added to (no attention)
    }

    /// Backward of `stepForward` for rows 0..<b, given dL/ds_t and dL/d[emb ‖ c_t] (the part fc_out
    /// sent): adds the gradients of s_{t−1} (through the cell, W_hh and the attention's query), of
    /// the keys (or the final state) and of the attention's parameters. The cell weights' gradients
    /// are left to the caller, one product over all steps (`weightGradients`); so is the embedding's.
    func stepBackward(_ b: Int, hPrev: UnsafePointer<Float>, cPrev: UnsafePointer<Float>?, source: Source,
                      cache: StepCache, grads g: StepGradients) {
        let (E, Hk, Hd, GH, I) = (embeddingSize, keySize, hiddenSize, gateWidth, inputWidth)
        let dh = self.dh.get(b * Hd)
        dh.update(from: g.dState, count: b * Hd)
        cell.backwardStep(B: b, H: Hd, dh: dh, dc: g.dCellState, hPrev: hPrev, cPrev: cPrev, h: cache.state,
                          c: cache.cellState, gates: cache.gates, extra: cache.extra, dPreX: g.dPreX, dPreH: g.dPreH,
                          dhPrev: g.dPrevious)
        // ds_{t−1} += dpreH·W_hh;  d[emb ‖ c] += dpreX·W_ih.
        MatMul.nnAccumulate(b, Hd, GH, g.dPreH, lda: GH, weightHH.value.data, ldb: Hd, g.dPrevious, ldc: Hd)
        MatMul.nnAccumulate(b, I, GH, g.dPreX, lda: GH, weightIH.value.data, ldb: I, g.dInput, ldc: I)
        let dc = dContext.get(b * Hk)
        for r in 0..<b { (dc + r * Hk).update(from: g.dInput + r * I + E, count: Hk) }
        if let attention {
            attention.backward(b, source.steps, dContext: dc, query: hPrev, keys: source.keys,
                               projectedKeys: source.projected, lengths: source.lengths, weights: cache.weights!,
                               dQuery: g.dPrevious, dKeys: g.dKeys!, dProjectedKeys: g.dProjected)
        } else {
            Kernels.axpy(b * Hk, 1, dc, g.dFinal!)
        }
    }

    /// dW_ih += dPreXᵀ·input, dW_hh += dPreHᵀ·hPrev and the biases, over all n rows of a batch at once.
    func weightGradients(_ n: Int, dPreX: UnsafePointer<Float>, dPreH: UnsafePointer<Float>, input: UnsafePointer<Float>,
                         hPrev: UnsafePointer<Float>) {
        let (GH, I, Hd) = (gateWidth, inputWidth, hiddenSize)
        MatMul.tnAccumulate(GH, I, n, dPreX, lda: GH, input, ldb: I, weightIH.grad.data, ldc: I)
        MatMul.tnAccumulate(GH, Hd, n, dPreH, lda: GH, hPrev, ldb: Hd, weightHH.grad.data, ldc: Hd)
        MatMul.columnSumAccumulate(n, GH, dPreX, lda: GH, biasIH.grad.data)
        MatMul.columnSumAccumulate(n, GH, dPreH, lda: GH, biasHH.grad.data)
    }
}
