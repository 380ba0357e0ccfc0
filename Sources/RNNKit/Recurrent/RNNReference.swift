// Dimension letters: V vocabulary size, H hidden size, O classes, T steps.

/// The five parameters of the tutorial classifier, named as the seed fixtures name them.
package enum ReferenceParameter: String, CaseIterable, Sendable {
    case wxh = "Wxh", whh = "Whh", bh = "bh", why = "Why", by = "by"
}

/// The naive twin of `SequenceClassifier` (the tutorial's many-to-one vanilla RNN): plain arrays,
/// loops in the order the equations are written, generic over the scalar so it can run in Double for
/// finite-difference gradient checks and in Float to compare with the optimized path. Slow on
/// purpose; it defines what the fast code must compute.
///
/// Parameters, in PyTorch layout (row-major):
///
///     Wxh (H, V)   Whh (H, H)   bh (H)   Why (O, H)   by (O)
///
/// Forward, for word ids w_1 … w_T (x_t is the one-hot vector of w_t):
///
///     h_0 = 0
///     h_t = tanh(Wxh·x_t + Whh·h_{t−1} + bh)         t = 1 … T
///     y   = Why·h_T + by                             (logits, O)
///     p   = softmax(y),  p_k = exp(y_k − m) / Σ_j exp(y_j − m),  m = max_j y_j
///     L   = −log p_target
///
/// Backward (backpropagation through time):
///
///     dy    = p − onehot(target)
///     dWhy  = dy ⊗ h_T,   dby = dy,   dh_T = Whyᵀ·dy
///     for t = T … 1:
///         g_t      = (1 − h_t²) ⊙ dh_t               (gradient of the pre-activation)
///         dbh     += g_t
///         dWhh    += g_t ⊗ h_{t−1}
///         dWxh[:, w_t] += g_t
///         dh_{t−1} = Whhᵀ·g_t                        (`.tutorial`: Whh·g_t)
///
/// No clipping happens here; `Gradients.clipped(to:)` and `sgdStep` are separate, as in the tutorial:
/// each gradient element clamped to [−c, c], then θ ← θ − η·dθ.
package struct ReferenceRNNClassifier<S: ReferenceScalar>: ReferenceParameterSet {
    package let vocabularySize: Int
    package let hiddenSize: Int
    package let numClasses: Int

    /// Wxh (H, V), row-major: element (i, v) at `i * V + v`.
    package var wxh: [S]
    /// Whh (H, H).
    package var whh: [S]
    /// bh (H).
    package var bh: [S]
    /// Why (O, H).
    package var why: [S]
    /// by (O).
    package var by: [S]

    /// A model with every parameter zero.
    package init(vocabularySize V: Int, hiddenSize H: Int, numClasses O: Int) {
        precondition(V > 0 && H > 0 && O > 0, "empty dimension: V \(V), H \(H), O \(O)")
        vocabularySize = V
        hiddenSize = H
        numClasses = O
        wxh = [S](repeating: 0, count: H * V)
        whh = [S](repeating: 0, count: H * H)
        bh = [S](repeating: 0, count: H)
        why = [S](repeating: 0, count: O * H)
        by = [S](repeating: 0, count: O)
    }

    /// The one recurrent layer of an optimized model of the tutorial's shape.
    private static func tutorialLayer(of model: SequenceClassifier) -> RecurrentLayer {
        let c = model.configuration
        precondition(c.cell == .rnnTanh && c.input == .oneHot && c.numLayers == 1 && !c.bidirectional
                     && c.pooling == .last && c.dropout == 0,
                     "the reference models only the tutorial's classifier (one-hot, one tanh layer, last state); got \(c)")
        return model.rnn.layers[0][0]
    }

    /// The weights of an optimized model of the tutorial's shape, converted to `S`. The optimized
    /// model stores Wxh transposed for its one-hot lookup, as `weightIH` (V, H); here it is back in
    /// the (H, V) layout. A model with PyTorch's two biases gives bh = b_ih + b_hh.
    package init(from model: SequenceClassifier) {
        let c = model.configuration
        self.init(vocabularySize: c.vocabularySize, hiddenSize: c.hiddenSize, numClasses: c.numClasses)
        let (V, H, O) = (vocabularySize, hiddenSize, numClasses)
        let layer = Self.tutorialLayer(of: model)
        for i in 0..<H { for v in 0..<V { wxh[i * V + v] = S(layer.weightIH.value[v, i]) } }
        for k in 0..<(H * H) { whh[k] = S(layer.weightHH.value[k]) }
        for i in 0..<H { bh[i] = S(layer.biasIH.value[i]) + S(layer.biasHH?.value[i] ?? 0) }
        for k in 0..<(O * H) { why[k] = S(model.fc.weight.value[k]) }
        for k in 0..<O { by[k] = S(model.fc.bias.value[k]) }
    }

    /// Writes these weights, rounded to Float, into an optimized model of the same sizes.
    package func copy(into model: SequenceClassifier) {
        let c = model.configuration
        precondition(c.vocabularySize == vocabularySize && c.hiddenSize == hiddenSize && c.numClasses == numClasses,
                     "copying a (V \(vocabularySize), H \(hiddenSize), O \(numClasses)) reference into a model of \(c)")
        let (V, H, O) = (vocabularySize, hiddenSize, numClasses)
        let layer = Self.tutorialLayer(of: model)
        for i in 0..<H { for v in 0..<V { layer.weightIH.value[v, i] = Float(wxh[i * V + v]) } }
        for k in 0..<(H * H) { layer.weightHH.value[k] = Float(whh[k]) }
        for i in 0..<H { layer.biasIH.value[i] = Float(bh[i]) }
        layer.biasHH?.value.zero()
        for k in 0..<(O * H) { model.fc.weight.value[k] = Float(why[k]) }
        for k in 0..<O { model.fc.bias.value[k] = Float(by[k]) }
    }

    /// The shape of a parameter, in PyTorch layout.
    package func shape(of parameter: ReferenceParameter) -> [Int] {
        switch parameter {
        case .wxh: return [hiddenSize, vocabularySize]
        case .whh: return [hiddenSize, hiddenSize]
        case .bh: return [hiddenSize]
        case .why: return [numClasses, hiddenSize]
        case .by: return [numClasses]
        }
    }

    // MARK: Forward

    /// h_0 … h_T.
    private func hiddenStates(_ tokens: [Int]) -> [[S]] {
        let (V, H) = (vocabularySize, hiddenSize)
        var hs: [[S]] = [[S](repeating: 0, count: H)]
        for w in tokens {
            precondition(w >= 0 && w < V, "word id \(w) outside the vocabulary of \(V)")
            let hPrev = hs[hs.count - 1]
            var h = [S](repeating: 0, count: H)
            for i in 0..<H {
                var a = wxh[i * V + w]                              // Wxh·x_t (column w_t)
                for j in 0..<H { a += whh[i * H + j] * hPrev[j] }   //  + Whh·h_{t−1}
                a += bh[i]                                          //  + bh
                h[i] = S.tanh(a)
            }
            hs.append(h)
        }
        return hs
    }

    /// y = Why·h + by.
    private func logits(from h: [S]) -> [S] {
        let (H, O) = (hiddenSize, numClasses)
        var y = [S](repeating: 0, count: O)
        for k in 0..<O {
            var s = by[k]
            for i in 0..<H { s += why[k * H + i] * h[i] }
            y[k] = s
        }
        return y
    }

    /// Stable softmax: p_k = exp(y_k − m) / Σ_j exp(y_j − m), m = max y.
    package static func softmax(_ y: [S]) -> [S] {
        let m = y.max()!
        let e = y.map { S.exp($0 - m) }
        let sum = e.reduce(0, +)
        return e.map { $0 / sum }
    }

    /// Logits y, probabilities p = softmax(y) and the last hidden state h_T.
    package func forward(tokens: [Int]) -> (logits: [S], probs: [S], hT: [S]) {
        let hT = hiddenStates(tokens).last!
        let y = logits(from: hT)
        return (y, Self.softmax(y), hT)
    }

    /// L = −log p_target, computed as log Σ_j exp(y_j − m) − (y_target − m) so that it stays finite
    /// and accurate when p_target underflows.
    package func loss(tokens: [Int], target: Int) -> S {
        precondition(target >= 0 && target < numClasses, "target \(target) outside 0..<\(numClasses)")
        let y = forward(tokens: tokens).logits
        let m = y.max()!
        let sum = y.reduce(S(0)) { $0 + S.exp($1 - m) }
        return S.log(sum) - (y[target] - m)
    }

    // MARK: Backward

    /// dL/dθ for each of the five parameters, in the same layouts as the parameters.
    package struct Gradients: ReferenceParameterSet {
        package var wxh: [S]
        package var whh: [S]
        package var bh: [S]
        package var why: [S]
        package var by: [S]

        /// All zero, sized for `model`.
        package init(zeroLike model: ReferenceRNNClassifier) {
            wxh = [S](repeating: 0, count: model.wxh.count)
            whh = [S](repeating: 0, count: model.whh.count)
            bh = [S](repeating: 0, count: model.bh.count)
            why = [S](repeating: 0, count: model.why.count)
            by = [S](repeating: 0, count: model.by.count)
        }

        /// The gradients accumulated in an optimized model's `Parameter.grad` buffers, converted to
        /// `S` and to this layout (the optimized dWxh is stored transposed, (V, H)). For a model with
        /// two biases this reads b_ih's gradient, which equals b_hh's.
        package init(gradientsOf model: SequenceClassifier) {
            let c = model.configuration
            let (V, H, O) = (c.vocabularySize, c.hiddenSize, c.numClasses)
            wxh = [S](repeating: 0, count: H * V)
            let layer = ReferenceRNNClassifier.tutorialLayer(of: model)
            for i in 0..<H { for v in 0..<V { wxh[i * V + v] = S(layer.weightIH.grad[v, i]) } }
            whh = (0..<(H * H)).map { S(layer.weightHH.grad[$0]) }
            bh = (0..<H).map { S(layer.biasIH.grad[$0]) }
            why = (0..<(O * H)).map { S(model.fc.weight.grad[$0]) }
            by = (0..<O).map { S(model.fc.bias.grad[$0]) }
        }

        /// Each element clamped to [−c, c] (the tutorial's clipping, c = 1).
        package func clipped(to c: S) -> Gradients {
            var out = self
            for p in ReferenceParameter.allCases { out[p] = self[p].map { min(max($0, -c), c) } }
            return out
        }
    }

    /// Backpropagation through time for one example: the five gradients of L = −log p_target,
    /// unclipped. `rule` picks the true gradient (default) or the published tutorial's recurrence.
    package func gradients(tokens: [Int], target: Int, rule: BackwardRule = .exact) -> Gradients {
        precondition(target >= 0 && target < numClasses, "target \(target) outside 0..<\(numClasses)")
        let (V, H, O) = (vocabularySize, hiddenSize, numClasses)
        let hs = hiddenStates(tokens)
        let hT = hs[hs.count - 1]
        let p = Self.softmax(logits(from: hT))
        var grads = Gradients(zeroLike: self)

        // dy = p − onehot(target)
        var dy = p
        dy[target] -= 1
        // dWhy = dy ⊗ h_T, dby = dy, dh_T = Whyᵀ·dy
        var dh = [S](repeating: 0, count: H)
        for k in 0..<O {
            grads.by[k] = dy[k]
            for i in 0..<H {
                grads.why[k * H + i] = dy[k] * hT[i]
                dh[i] += why[k * H + i] * dy[k]
            }
        }
        for t in stride(from: tokens.count, through: 1, by: -1) {
            let h = hs[t], hPrev = hs[t - 1], w = tokens[t - 1]
            // g_t = (1 − h_t²) ⊙ dh_t
            var g = [S](repeating: 0, count: H)
            for i in 0..<H { g[i] = (1 - h[i] * h[i]) * dh[i] }
            for i in 0..<H {
                grads.bh[i] += g[i]                                               // dbh += g_t
                grads.wxh[i * V + w] += g[i]                                      // dWxh[:, w_t] += g_t
                for j in 0..<H { grads.whh[i * H + j] += g[i] * hPrev[j] }        // dWhh += g_t ⊗ h_{t−1}
            }
            // dh_{t−1} = Whhᵀ·g_t  (published tutorial: Whh·g_t)
            for j in 0..<H {
                var s: S = 0
                switch rule {
                case .exact: for i in 0..<H { s += whh[i * H + j] * g[i] }
                case .tutorial: for i in 0..<H { s += whh[j * H + i] * g[i] }
                }
                dh[j] = s
            }
        }
        return grads
    }

    // MARK: Update

    /// One plain SGD step, θ ← θ − η·clip(dθ), with each gradient element clamped to [−clip, clip]
    /// first when `clip` is given.
    package mutating func sgdStep(_ gradients: Gradients, learningRate: S, clip: S?) {
        let g = clip.map { gradients.clipped(to: $0) } ?? gradients
        for p in ReferenceParameter.allCases {
            let d = g[p]
            var values = self[p]
            for k in values.indices { values[k] -= learningRate * d[k] }
            self[p] = values
        }
    }

    /// The tutorial's training step on one example: gradients, clipping, SGD. Returns the loss
    /// before the update.
    @discardableResult
    package mutating func trainStep(tokens: [Int], target: Int, learningRate: S, clip: S?,
                                   rule: BackwardRule = .exact) -> S {
        let l = loss(tokens: tokens, target: target)
        sgdStep(gradients(tokens: tokens, target: target, rule: rule), learningRate: learningRate, clip: clip)
        return l
    }
}

extension ReferenceRNNClassifier: Sendable where S: Sendable {}
extension ReferenceRNNClassifier.Gradients: Sendable where S: Sendable {}

/// The five tensors of the tutorial's model, by name: the weights and their gradients alike.
package protocol ReferenceParameterSet {
    associatedtype S: ReferenceScalar
    var wxh: [S] { get set }
    var whh: [S] { get set }
    var bh: [S] { get set }
    var why: [S] { get set }
    var by: [S] { get set }
}

extension ReferenceParameterSet {
    private static func path(_ parameter: ReferenceParameter) -> WritableKeyPath<Self, [S]> {
        switch parameter {
        case .wxh: return \.wxh
        case .whh: return \.whh
        case .bh: return \.bh
        case .why: return \.why
        case .by: return \.by
        }
    }

    /// A tensor by name, flattened row-major in PyTorch layout.
    package subscript(parameter: ReferenceParameter) -> [S] {
        get { self[keyPath: Self.path(parameter)] }
        set {
            precondition(newValue.count == self[parameter].count, "\(parameter.rawValue): \(newValue.count) values for \(self[parameter].count)")
            self[keyPath: Self.path(parameter)] = newValue
        }
    }
}
