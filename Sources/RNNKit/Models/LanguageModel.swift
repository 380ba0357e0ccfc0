// Dimension letters: V vocabulary size, E embedding size, H hidden size, D directions (1 here),
// L layers, B streams, T steps, N packed rows.

/// Many-to-many recurrent language model: a prediction of the next token at every step.
///
///     x_t = embedding(w_t)
///     h_t = RNN/LSTM/GRU stack(x_1 … x_t)     (state may carry in from the previous chunk)
///     y_t = W·h_t + b                          (`fc`, V logits at every step)
///     L   = mean over steps with a target (≠ −100) of −log softmax(y_t)[w_{t+1}]
///
/// Parameters in PyTorch `state_dict` order: `embedding.weight`, `rnn.*`, `fc.weight`, `fc.bias`.
package final class LanguageModel: @unchecked Sendable {
    package let configuration: LanguageModelConfiguration
    package let embedding: Embedding
    package let rnn: RecurrentStack
    package let fc: Linear
    package let parameters: [Parameter]
    package var rng = SeededGenerator(seed: 0)

    private let embeddingDropout: Dropout, outputDropout: Dropout
    private let embedded = Scratch(), dEmbedded = Scratch()     // (N, E)
    private let top = Scratch(), dTop = Scratch()               // (N, H)
    private var topRows: UnsafePointer<Float>?                  // what fc read: `top`, or the network's outputs
    private let logits = Scratch(), probs = Scratch(), dLogits = Scratch()  // (N, V)
    private let packedTargets = IndexScratch()  // (N)

    package init(_ configuration: LanguageModelConfiguration) {
        precondition(configuration.problem == nil, configuration.problem ?? "")
        self.configuration = configuration
        let c = configuration
        embedding = Embedding(vocabularySize: c.vocabularySize, embeddingSize: c.embeddingSize)
        rnn = RecurrentStack(cell: c.cell, inputSize: c.embeddingSize, hiddenSize: c.hiddenSize, numLayers: c.numLayers,
                             dropout: c.dropout)
        fc = Linear(inputSize: c.hiddenSize, outputSize: c.vocabularySize)
        parameters = [embedding.weight] + rnn.parameters + fc.parameters
        embeddingDropout = Dropout(probability: c.dropout)
        outputDropout = Dropout(probability: c.dropout)
    }

    package convenience init(_ configuration: LanguageModelConfiguration, seed: UInt64) {
        self.init(configuration)
        var generator = SeededGenerator(seed: seed)
        embedding.initializePyTorch(using: &generator)
        rnn.initializePyTorch(using: &generator)
        fc.initializePyTorch(using: &generator)
        rng = SeededGenerator(seed: seed ^ 0xD50F_0D50)
    }

    package var vocabularySize: Int { configuration.vocabularySize }

    /// Forward over a batch; `targets` (per sequence, per step; −100 = none) in the caller's
    /// order. Logits stay packed in `logits`. Returns the summed loss and the number of targets.
    @discardableResult
    func forward(_ batch: PackedBatch, targets: [[Int]]?, h0: UnsafePointer<Float>?, c0: UnsafePointer<Float>?,
                 training: Bool) -> (sum: Double, count: Int) {
        let (N, E, H, V) = (batch.rowCount, configuration.embeddingSize, configuration.hiddenSize, vocabularySize)
        let e = embedded.get(N * E)
        embedding.forward(batch.tokens, e)
        embeddingDropout.forward(e, count: N * E, training: training, rng: &rng)
        let out = rnn.forward(batch, input: e, h0: h0, c0: c0, training: training, rng: &rng)
        // The head reads the network's outputs in place unless dropout needs a copy to change.
        let t: UnsafeMutablePointer<Float>
        if configuration.dropout > 0 {
            t = top.get(N * H)
            t.update(from: out, count: N * H)
            outputDropout.forward(t, count: N * H, training: training, rng: &rng)
        } else {
            t = out
        }
        topRows = UnsafePointer(t)
        let y = logits.get(N * V), p = probs.get(N * V)
        fc.forward(N, t, y)
        let packed = packedTargets.get(N), order = batch.order, sizes = batch.batchSizes
        for step in 0..<batch.steps {
            for r in 0..<sizes[step] {
                packed[batch.row(step: step, sequence: r)] = targets?[order[r]][step] ?? SoftmaxCrossEntropy.ignoreIndex
            }
        }
        return SoftmaxCrossEntropy.forward(y, rows: N, classes: V, targets: packed, probabilities: p)
    }

    /// Backward: the forward in reverse, one line per layer. No gradient flows into the initial
    /// state, so carried state is truncated backpropagation through time.
    func backward(_ batch: PackedBatch, lossCount: Int) {
        let (N, E, H, V) = (batch.rowCount, configuration.embeddingSize, configuration.hiddenSize, vocabularySize)
        let dy = dLogits.zeroed(N * V), dt = dTop.zeroed(N * H), dx = dEmbedded.zeroed(N * E)
        SoftmaxCrossEntropy.backward(probabilities: probs.pointer, rows: N, classes: V, targets: packedTargets.pointer,
                                     scale: 1 / Float(max(lossCount, 1)), dy)
        fc.backward(N, dy, topRows!, dt)
        outputDropout.backward(dt, count: N * H)
        rnn.backward(batch, dTop: dt, dFinal: nil, input: embedded.pointer, dInput: dx)
        embeddingDropout.backward(dx, count: N * E)
        embedding.backward(batch.tokens, dx)
    }

    /// Forward and backward: adds the gradient of the mean loss over all targets.
    package func accumulateGradients(_ batch: PackedBatch, targets: [[Int]], h0: UnsafePointer<Float>? = nil,
                                    c0: UnsafePointer<Float>? = nil) -> (lossSum: Double, count: Int) {
        let loss = forward(batch, targets: targets, h0: h0, c0: c0, training: true)
        backward(batch, lossCount: loss.count)
        return (loss.sum, loss.count)
    }

    /// Summed loss and target count, without gradients or dropout.
    package func evaluate(_ batch: PackedBatch, targets: [[Int]], h0: UnsafePointer<Float>? = nil,
                         c0: UnsafePointer<Float>? = nil) -> (lossSum: Double, count: Int) {
        let loss = forward(batch, targets: targets, h0: h0, c0: c0, training: false)
        return (loss.sum, loss.count)
    }

    /// Logits (B, T_b, V) in the caller's order, and the mean loss when targets are given.
    package func logits(_ batch: PackedBatch, targets: [[Int]]? = nil) -> (logits: [[[Float]]], loss: Double?) {
        let loss = forward(batch, targets: targets, h0: nil, c0: nil, training: false)
        let V = vocabularySize
        var out = [[[Float]]](repeating: [], count: batch.count)
        for r in 0..<batch.count {
            out[batch.order[r]] = (0..<batch.lengths[r]).map { t in
                Array(UnsafeBufferPointer(start: logits.pointer + batch.row(step: t, sequence: r) * V, count: V))
            }
        }
        return (out, loss.count > 0 ? loss.sum / Double(loss.count) : nil)
    }

    /// Packed logits of the last forward, (N, V).
    var lastLogits: UnsafeMutablePointer<Float> { logits.pointer }

    /// Packed next-token probabilities (softmax of the logits) of the last forward, (N, V).
    var lastProbabilities: UnsafePointer<Float> { UnsafePointer(probs.pointer) }
}
