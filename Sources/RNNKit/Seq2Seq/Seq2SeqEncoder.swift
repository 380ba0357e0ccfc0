// Dimension letters: B sentences, S source steps of the longest, N packed source rows, E embedding
// size, He hidden size, D directions, Hk = D·He, Hd decoder hidden size. "Caller order" is the order
// the sentences were given in (the decoder's row order); the packed batch sorts them by length.

/// The encoder of a translation model: embeddings, a recurrent stack over the source sentence, and
/// the bridge that makes the decoder's first state (bentrevett's notebook 3 `Encoder`).
///
///     x_s = dropout(E_src[w_s])
///     k_1 … k_S, final = rnn(x_1 … x_S)        k_s (Hk): the top layer's outputs, [→ ‖ ←]
///     final = [→h_S ‖ ←h_1]                    the top layer's last states, (Hk)
///     s_0 = tanh(W_fc·final + b_fc)            the decoder's first state, (Hd)
///
/// Shapes: keys (B, S, Hk) in caller order, padded (positions past a sentence's length hold
/// garbage and are never read), final (B, Hk), s0 (B, Hd).
///
/// Parameters: `encoder.embedding.weight` (Vs, E); `encoder.rnn.*` as PyTorch's `nn.RNN`/`nn.GRU`/
/// `nn.LSTM` (see `RecurrentStack`); `encoder.fc.weight` (Hd, Hk), `encoder.fc.bias` (Hd).
/// Init: PyTorch's (embedding N(0, 1), the rest U(−1/√fan_in, 1/√fan_in)).
package final class Seq2SeqEncoder: @unchecked Sendable {
    let embedding: Embedding
    let rnn: RecurrentStack
    let fc: Linear
    private let dropout: Dropout

    private let embedded = Scratch()     // (N, E)
    private let dEmbedded = Scratch()    // (N, E)
    private let keyBuffer = Scratch()    // (B, S, Hk)
    private let finalBuffer = Scratch()  // (B, Hk)
    private let s0Buffer = Scratch()     // (B, Hd)
    private let dTop = Scratch()         // (N, Hk)
    private let dFinalSorted = Scratch() // (B, Hk)
    private let dBridge = Scratch()      // (B, Hd)

    init(_ c: Seq2SeqConfiguration) {
        embedding = Embedding(vocabularySize: c.sourceVocabularySize, embeddingSize: c.embeddingSize, name: "encoder.embedding")
        rnn = RecurrentStack(cell: c.cell, inputSize: c.embeddingSize, hiddenSize: c.encoderHiddenSize,
                             numLayers: c.encoderLayers, bidirectional: c.bidirectional, dropout: c.dropout,
                             name: "encoder.rnn")
        fc = Linear(inputSize: c.keySize, outputSize: c.decoderHiddenSize, name: "encoder.fc")
        dropout = Dropout(probability: c.dropout)
    }

    var parameters: [Parameter] { [embedding.weight] + rnn.parameters + fc.parameters }
    var keySize: Int { rnn.outputSize }

    func initializePyTorch(using rng: inout SeededGenerator) {
        embedding.initializePyTorch(using: &rng)
        rnn.initializePyTorch(using: &rng)
        fc.initializePyTorch(using: &rng)
    }

    /// The last forward's keys (B, S, Hk), final states (B, Hk) and s_0 (B, Hd), in caller order.
    var keys: UnsafeMutablePointer<Float> { keyBuffer.pointer }
    var final: UnsafeMutablePointer<Float> { finalBuffer.pointer }
    var s0: UnsafeMutablePointer<Float> { s0Buffer.pointer }

    /// Encodes `batch` (the sources, packed); fills `keys`, `final` and `s0`. `reduced`: the
    /// recurrent layers' reduced copies (`ReducedSeq2SeqWeights.encoder`) for one sentence.
    func forward(_ batch: PackedBatch, training: Bool, rng: inout SeededGenerator, reduced: [[ReducedLayerWeights]]? = nil) {
        let (E, Hk, He, D) = (embedding.embeddingSize, keySize, rnn.hiddenSize, rnn.directions)
        let (N, B, S, Hd) = (batch.rowCount, batch.count, batch.steps, fc.outputSize)
        let x = embedded.get(N * E)
        embedding.forward(batch.tokens, x)
        dropout.forward(x, count: N * E, training: training, rng: &rng)
        let top = rnn.forward(batch, input: x, training: training, rng: &rng, reduced: reduced)  // (N, Hk)

        // Unpack the top outputs into caller order: keys[order[e], s] = top[row(s, e)].
        let keys = keyBuffer.get(B * S * Hk)
        for e in 0..<B {
            let b = batch.order[e]
            for s in 0..<batch.lengths[e] {
                (keys + (b * S + s) * Hk).update(from: top + batch.row(step: s, sequence: e) * Hk, count: Hk)
            }
        }
        // final = [→h ‖ ←h] of the top layer, from the stack's (L·D, B, He) final states.
        let states = rnn.finalStates(batch), top0 = (rnn.numLayers - 1) * D
        let final = finalBuffer.get(B * Hk)
        for e in 0..<B {
            let b = batch.order[e]
            for d in 0..<D { (final + b * Hk + d * He).update(from: states + ((top0 + d) * B + e) * He, count: He) }
        }
        let s0 = s0Buffer.get(B * Hd)
        fc.forward(B, final, s0, exactOneRow: false)
        Kernels.tanh(B * Hd, s0, s0)
    }

    /// Backpropagation from the decoder's gradients, all in caller order: dKeys (B, S, Hk) (rows past
    /// a sentence's length are not read), dFinal (B, Hk) — changed: the bridge's share is added —
    /// and dS0 (B, Hd).
    func backward(_ batch: PackedBatch, dKeys: UnsafePointer<Float>, dFinal: UnsafeMutablePointer<Float>,
                  dS0: UnsafePointer<Float>) {
        let (E, Hk, N, B, S, Hd) = (embedding.embeddingSize, keySize, batch.rowCount, batch.count, batch.steps, fc.outputSize)
        // s_0 = tanh(pre): dpre = ds_0 ⊙ (1 − s_0²); then through encoder.fc into dFinal.
        let dPre = dBridge.get(B * Hd)
        Kernels.tanhBackward(B * Hd, s0Buffer.pointer, dS0, dPre)
        fc.backward(B, dPre, finalBuffer.pointer, dFinal)

        let dTop = self.dTop.zeroed(N * Hk), dFinalSorted = self.dFinalSorted.get(B * Hk)
        for e in 0..<B {
            let b = batch.order[e]
            for s in 0..<batch.lengths[e] {
                (dTop + batch.row(step: s, sequence: e) * Hk).update(from: dKeys + (b * S + s) * Hk, count: Hk)
            }
            (dFinalSorted + e * Hk).update(from: dFinal + b * Hk, count: Hk)
        }
        let dx = dEmbedded.zeroed(N * E)
        rnn.backward(batch, dTop: dTop, dFinal: dFinalSorted, input: embedded.pointer, dInput: dx)
        dropout.backward(dx, count: N * E)
        embedding.backward(batch.tokens, dx)
    }
}
