// Dimension letters: V vocabulary size, E embedding size, H hidden size, D directions,
// F = D·H features, O classes, B sequences in a batch, N packed rows.

/// Many-to-one sequence classifier:
///
///     x_t  = embedding(w_t)                 (or one-hot: the first layer looks up W_ih's column)
///     h    = RNN/LSTM/GRU stack(x_1 … x_T)  (see `RecurrentStack`)
///     f    = pool(h)                        (final states [forward ‖ reverse], or max / mean)
///     y    = W·f + b                        (`fc`, O logits)
///     p    = softmax(y),  L = mean over the batch of −log p_target
///
/// With the tutorial's configuration this is exactly its model: y = Why·h_T + by.
/// Parameters in PyTorch `state_dict` order: `embedding.weight`, `rnn.*`, `fc.weight`, `fc.bias`.
package final class SequenceClassifier: @unchecked Sendable {
    package enum Initialization: Sendable { case pytorch, tutorial }

    package let configuration: ClassifierConfiguration
    package let embedding: Embedding?
    package let rnn: RecurrentStack
    package let fc: Linear
    package let parameters: [Parameter]
    /// The wide part of a wide-and-deep classifier, whose logits add to `fc`'s; its weight is
    /// not in `parameters` (it has its own sparse update). Batches must then carry n-grams.
    package var wide: WideHead?
    /// Draws the dropout masks; seed it for reproducible training.
    package var rng = SeededGenerator(seed: 0)

    private let embeddingDropout: Dropout, featureDropout: Dropout
    private let embedded = Scratch(), dEmbedded = Scratch()          // (N, E)
    private let features = Scratch(), dFeatures = Scratch()          // (B, F)
    private let logits = Scratch(), probs = Scratch(), dLogits = Scratch()  // (B, O)
    private let dTop = Scratch()                                     // (N, F)
    private let maxIndex = IndexScratch()                            // (B, F): packed row of each max
    private let sortedTargets = IndexScratch()                       // (B)

    /// A model with all parameters zero; load weights or initialize.
    package init(_ configuration: ClassifierConfiguration) {
        precondition(configuration.problem == nil, configuration.problem ?? "")
        self.configuration = configuration
        let c = configuration
        let oneHot = c.input == .oneHot
        embedding = oneHot ? nil : Embedding(vocabularySize: c.vocabularySize, embeddingSize: c.embeddingSize)
        rnn = RecurrentStack(cell: c.cell, inputSize: oneHot ? c.vocabularySize : c.embeddingSize,
                             hiddenSize: c.hiddenSize, numLayers: c.numLayers, bidirectional: c.bidirectional,
                             dropout: c.dropout, oneHotInput: oneHot, separateRecurrentBias: c.recurrentBias)
        fc = Linear(inputSize: rnn.outputSize, outputSize: c.numClasses)
        parameters = (embedding.map { [$0.weight] } ?? []) + rnn.parameters + fc.parameters
        for row in rnn.layers { for layer in row { layer.backward = c.backward } }
        embeddingDropout = Dropout(probability: c.dropout)
        featureDropout = Dropout(probability: c.dropout)
    }

    /// A model with initial weights drawn from `seed`.
    package convenience init(_ configuration: ClassifierConfiguration, seed: UInt64, initialization: Initialization = .pytorch) {
        self.init(configuration)
        var generator = SeededGenerator(seed: seed)
        switch initialization {
        case .tutorial:
            for row in rnn.layers { for layer in row { layer.initializeTutorial(using: &generator) } }
            fc.initializeTutorial(using: &generator)
        case .pytorch:
            embedding?.initializePyTorch(using: &generator)
            rnn.initializePyTorch(using: &generator)
            fc.initializePyTorch(using: &generator)
        }
        rng = SeededGenerator(seed: seed ^ 0xD50F_0D50)
    }

    package var numClasses: Int { configuration.numClasses }
    private var featureSize: Int { rnn.outputSize }

    /// Forward pass over a batch; logits and probabilities are left in sorted row order.
    /// Returns the summed loss over rows with a target (targets in the caller's order, or nil).
    @discardableResult
    private func forward(_ batch: PackedBatch, targets: [Int]?, training: Bool) -> (sum: Double, count: Int) {
        let (B, N, F, O) = (batch.count, batch.rowCount, featureSize, numClasses)
        var x: UnsafePointer<Float>? = nil
        if let embedding {
            let e = embedded.get(N * embedding.embeddingSize)
            embedding.forward(batch.tokens, e)
            embeddingDropout.forward(e, count: N * embedding.embeddingSize, training: training, rng: &rng)
            x = UnsafePointer(e)
        }
        let top = rnn.forward(batch, input: x, training: training, rng: &rng)
        let f = features.get(B * F)
        pool(batch, top: top, into: f)
        featureDropout.forward(f, count: B * F, training: training, rng: &rng)
        let y = logits.get(B * O), p = probs.get(B * O)
        fc.forward(B, f, y)
        if let wide {
            guard let rows = batch.ngrams else { preconditionFailure("a wide-and-deep batch without n-gram vectors") }
            wide.addLogits(rows, order: batch.order, y)
        }
        let t = sortedTargets.get(B), order = batch.order
        for r in 0..<B { t[r] = targets?[order[r]] ?? SoftmaxCrossEntropy.ignoreIndex }
        return SoftmaxCrossEntropy.forward(y, rows: B, classes: O, targets: t, probabilities: p)
    }

    /// Backward pass: the forward in reverse, one line per layer, adding into every gradient.
    private func backward(_ batch: PackedBatch, lossCount: Int) {
        let dy = dLogits.zeroed(batch.count * numClasses)
        SoftmaxCrossEntropy.backward(probabilities: probs.pointer, rows: batch.count, classes: numClasses,
                                     targets: sortedTargets.pointer, scale: 1 / Float(max(lossCount, 1)), dy)
        backward(batch, dLogits: dy)
    }

    /// The backward pass from dL/dlogits (B, O) in sorted row order down to every gradient.
    private func backward(_ batch: PackedBatch, dLogits dy: UnsafePointer<Float>) {
        let (B, N, F) = (batch.count, batch.rowCount, featureSize)
        let df = dFeatures.zeroed(B * F)
        if let wide, let rows = batch.ngrams { wide.backward(rows, order: batch.order, dy) }
        fc.backward(B, dy, features.pointer, df)
        featureDropout.backward(df, count: B * F)
        let dx = embedding.map { dEmbedded.zeroed(N * $0.embeddingSize) }
        let x = embedding.map { _ in UnsafePointer(embedded.pointer) }
        switch configuration.pooling {
        case .last:
            rnn.backward(batch, dTop: nil, dFinal: df, input: x, dInput: dx)
        case .max, .mean:
            rnn.backward(batch, dTop: unpool(batch, df), dFinal: nil, input: x, dInput: dx)
        }
        if let embedding, let dx {
            embeddingDropout.backward(dx, count: N * embedding.embeddingSize)
            embedding.backward(batch.tokens, dx)
        }
    }

    /// f (B, F) from the top layer's outputs (N, F).
    private func pool(_ batch: PackedBatch, top: UnsafePointer<Float>, into f: UnsafeMutablePointer<Float>) {
        let (B, F, H) = (batch.count, featureSize, rnn.hiddenSize)
        switch configuration.pooling {
        case .last:
            let topLayer = rnn.layers[rnn.numLayers - 1]
            for r in 0..<B {
                for (d, layer) in topLayer.enumerated() {
                    (f + r * F + d * H).update(from: top + layer.finalRow(batch, sequence: r) * F + d * H, count: H)
                }
            }
        case .max:
            let maxIndex = self.maxIndex.get(B * F)
            for r in 0..<B {
                let row = f + r * F
                row.update(from: top + batch.row(step: 0, sequence: r) * F, count: F)
                for k in 0..<F { maxIndex[r * F + k] = batch.row(step: 0, sequence: r) }
                for t in 1..<batch.lengths[r] {
                    let n = batch.row(step: t, sequence: r), src = top + n * F
                    for k in 0..<F where src[k] > row[k] {
                        row[k] = src[k]
                        maxIndex[r * F + k] = n
                    }
                }
            }
        case .mean:
            for r in 0..<B {
                let row = f + r * F
                row.update(repeating: 0, count: F)
                for t in 0..<batch.lengths[r] { Kernels.axpy(F, 1, top + batch.row(step: t, sequence: r) * F, row) }
                let inv = 1 / Float(batch.lengths[r])
                for k in 0..<F { row[k] *= inv }
            }
        }
    }

    /// dL/d(top outputs) (N, F) from dL/df (B, F), for max and mean pooling.
    private func unpool(_ batch: PackedBatch, _ df: UnsafePointer<Float>) -> UnsafePointer<Float> {
        let (B, F) = (batch.count, featureSize)
        let d = dTop.zeroed(batch.rowCount * F), maxIndex = self.maxIndex.pointer
        for r in 0..<B {
            if configuration.pooling == .max {
                for k in 0..<F { d[maxIndex[r * F + k] * F + k] += df[r * F + k] }
            } else {
                let scale = 1 / Float(batch.lengths[r])
                for t in 0..<batch.lengths[r] { Kernels.axpy(F, scale, df + r * F, d + batch.row(step: t, sequence: r) * F) }
            }
        }
        return UnsafePointer(d)
    }

    private func predictedClass(sortedRow r: Int) -> Int {
        argmax(probs.pointer + r * numClasses, count: numClasses)
    }

    private func correctCount(_ batch: PackedBatch) -> Int {
        let t = sortedTargets.pointer
        return (0..<batch.count).reduce(0) { $0 + (t[$1] == predictedClass(sortedRow: $1) ? 1 : 0) }
    }

    /// Forward and backward over a batch: adds the gradient of the batch's mean loss. Returns the
    /// summed loss and the number of correct predictions (both from before any update).
    package func accumulateGradients(_ batch: PackedBatch, targets: [Int]) -> (lossSum: Double, correct: Int) {
        let loss = forward(batch, targets: targets, training: true)
        let correct = correctCount(batch)
        backward(batch, lossCount: loss.count)
        return (loss.sum, correct)
    }

    /// Summed loss and correct predictions over a batch, without touching gradients or dropout.
    package func evaluate(_ batch: PackedBatch, targets: [Int]) -> (lossSum: Double, correct: Int) {
        let loss = forward(batch, targets: targets, training: false)
        return (loss.sum, correctCount(batch))
    }

    /// Loss and correctness for one example, without touching gradients.
    package func evaluate(_ tokens: [Int], target: Int) -> (loss: Float, correct: Bool) {
        let r = evaluate(PackedBatch([tokens]), targets: [target])
        return (Float(r.lossSum), r.correct == 1)
    }

    /// Forward and backward for one example (adds its gradients); its loss and correctness.
    package func accumulateGradients(_ tokens: [Int], target: Int) -> (loss: Float, correct: Bool) {
        let r = accumulateGradients(PackedBatch([tokens]), targets: [target])
        return (Float(r.lossSum), r.correct == 1)
    }

    /// Logits (B, O) for a batch, in the caller's order, and the mean loss when targets are given.
    package func logits(_ batch: PackedBatch, targets: [Int]? = nil) -> (logits: [[Float]], loss: Double?) {
        let loss = forward(batch, targets: targets, training: false)
        var out = [[Float]](repeating: [], count: batch.count)
        for r in 0..<batch.count {
            out[batch.order[r]] = Array(UnsafeBufferPointer(start: logits.pointer + r * numClasses, count: numClasses))
        }
        return (out, loss.count > 0 ? loss.sum / Double(loss.count) : nil)
    }

    /// Class probabilities for a sequence of word ids (and its n-gram vector, with a wide part).
    package func probabilities(_ tokens: [Int], ngrams: SparseRow? = nil) -> [Float] {
        forward(PackedBatch([tokens], ngrams: ngrams.map { [$0] }), targets: nil, training: false)
        return Array(UnsafeBufferPointer(start: probs.pointer, count: numClasses))
    }

    /// Raw scores (before softmax) for a sequence of word ids.
    package func logits(_ tokens: [Int]) -> [Float] {
        logits(PackedBatch([tokens])).logits[0]
    }

    /// Gradient × input for each step of one sequence: Σ_i (∂logit_c/∂x_t,i)·x_t,i, the first-order
    /// share of logit `c` that token t's input vector carries. For one-hot input x_t is the one-hot
    /// vector, so this is the gradient's entry at the token's id: the layer's dpreX_t · W_ih[:, w_t].
    ///
    /// Runs the usual forward and backward with the exact rule (the tutorial's published rule is
    /// not the gradient); the parameters' gradients and backward rules are left as they were.
    package func gradientTimesInput(_ tokens: [Int], logit c: Int) -> [Float] {
        let saved = parameters.map { $0.grad.clone() }
        let rules = rnn.layers.map { $0.map(\.backward) }
        defer {
            for (p, g) in zip(parameters, saved) { p.grad.copy(from: g) }
            for (row, rule) in zip(rnn.layers, rules) { for (layer, r) in zip(row, rule) { layer.backward = r } }
        }
        for row in rnn.layers { for layer in row { layer.backward = .exact } }
        let batch = PackedBatch([tokens])
        forward(batch, targets: nil, training: false)
        let dy = dLogits.zeroed(numClasses)
        dy[c] = 1
        backward(batch, dLogits: dy)
        // B = 1: packed row n is step n.
        var out = [Float](repeating: 0, count: tokens.count)
        if let embedding {
            let E = embedding.embeddingSize, x = embedded.pointer, dx = dEmbedded.pointer
            for t in 0..<tokens.count {
                var s: Double = 0
                for e in 0..<E { s += Double(dx[t * E + e]) * Double(x[t * E + e]) }
                out[t] = Float(s)
            }
        } else {
            for layer in rnn.layers[0] {
                let GH = layer.gateWidth, dPreX = layer.dPreX.pointer
                for t in 0..<tokens.count {
                    let column = layer.weightIH.value.row(tokens[t])  // stored (V, G·H): W_ih's column
                    var s: Double = 0
                    for g in 0..<GH { s += Double(dPreX[t * GH + g]) * Double(column[g]) }
                    out[t] += Float(s)
                }
            }
        }
        return out
    }

    /// The pooled features of the most recent single-sequence forward (the tutorial's h_T).
    package var finalHidden: [Float] { Array(UnsafeBufferPointer(start: features.pointer, count: featureSize)) }
}
