import Foundation
@testable import RNNKit

/// A naive, independent forward pass of RNNKit's models in Double: plain arrays and loops, one
/// sequence at a time, no packing and no shared code with the library's cells, layers or heads.
/// Written from PyTorch's documented equations (`nn.RNN`, `nn.LSTM`, `nn.GRU`, `nn.Embedding`,
/// `nn.Linear`, `nn.CrossEntropyLoss`), so that finite differences of its loss are an independent
/// oracle for the library's backward pass.
///
/// Parameters are held by PyTorch `state_dict` name in PyTorch's layout (row-major):
///     embedding.weight (V, E)
///     rnn.weight_ih_l{k}[_reverse] (G·H, I)   rnn.weight_hh_l{k}[_reverse] (G·H, H)
///     rnn.bias_ih_l{k}[_reverse] (G·H)        rnn.bias_hh_l{k}[_reverse] (G·H)
///     fc.weight (O, D·H) or (V, H)            fc.bias (O) or (V)
/// with G = 1 (RNN), 4 (LSTM: i, f, g, o) or 3 (GRU: r, z, n), and per step
///     RNN:  h' = act(W_ih x + b_ih + W_hh h + b_hh)
///     LSTM: i = σ(·), f = σ(·), g = tanh(·), o = σ(·);  c' = f ⊙ c + i ⊙ g;  h' = o ⊙ tanh(c')
///     GRU:  r = σ(W_ir x + b_ir + W_hr h + b_hr),  z = σ(W_iz x + b_iz + W_hz h + b_hz)
///           n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)),  h' = (1 − z) ⊙ n + z ⊙ h
/// Every direction of every layer starts from h = c = 0. The forward direction runs t = 0 … L−1
/// of each sequence's own length L, the reverse direction t = L−1 … 0; layer k+1 reads
/// [forward ‖ reverse] of layer k at each step.
struct ReferenceStack {
    enum Input: Equatable { case embedding, oneHot }
    enum Head: Equatable {
        /// Pool the top layer's outputs, fc, mean cross-entropy over the sequences.
        case classifier(ClassifierConfiguration.Pooling)
        /// fc at every step, mean cross-entropy over the targets that are not −100.
        case languageModel
    }

    let cell: CellKind
    let input: Input
    let head: Head
    let vocabularySize: Int
    let hiddenSize: Int
    let numLayers: Int
    let directions: Int
    /// By PyTorch name, row-major in PyTorch's layout.
    var parameters: [String: [Double]]
    let shapes: [String: [Int]]

    /// The classifier's parameters, read through `StateDict.entries` (PyTorch names and layout).
    init(_ model: SequenceClassifier) {
        let c = model.configuration
        self.init(cell: c.cell, input: c.input == .oneHot ? .oneHot : .embedding, head: .classifier(c.pooling),
                  vocabularySize: c.vocabularySize, hiddenSize: c.hiddenSize, numLayers: c.numLayers,
                  directions: c.bidirectional ? 2 : 1,
                  entries: StateDict.entries(parameters: model.parameters, stack: model.rnn))
    }

    /// The language model's parameters, read through `StateDict.entries`.
    init(_ model: LanguageModel) {
        let c = model.configuration
        self.init(cell: c.cell, input: .embedding, head: .languageModel, vocabularySize: c.vocabularySize,
                  hiddenSize: c.hiddenSize, numLayers: c.numLayers, directions: 1,
                  entries: StateDict.entries(parameters: model.parameters, stack: model.rnn))
    }

    init(cell: CellKind, input: Input, head: Head, vocabularySize: Int, hiddenSize: Int, numLayers: Int,
         directions: Int, entries: [String: Safetensors.Entry]) {
        self.cell = cell
        self.input = input
        self.head = head
        self.vocabularySize = vocabularySize
        self.hiddenSize = hiddenSize
        self.numLayers = numLayers
        self.directions = directions
        parameters = entries.mapValues { $0.values.map(Double.init) }
        shapes = entries.mapValues(\.shape)
    }

    /// Gate blocks per cell, from PyTorch's documentation (not the library's `gateCount`).
    var gates: Int {
        switch cell {
        case .rnnTanh, .rnnRelu: return 1
        case .lstm: return 4
        case .gru: return 3
        }
    }

    static func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }

    // MARK: Forward

    /// One step of a cell from its PyTorch weights (W_ih (G·H, I), W_hh (G·H, H), b_ih, b_hh (G·H),
    /// row-major), input x (I) and state h, c (H; c is LSTM's and ignored otherwise): the equations
    /// at the top of this type. Returns h' and c' (c' = c for cells without a cell state).
    static func cellStep(_ cell: CellKind, wih: [Double], whh: [Double], bih: [Double], bhh: [Double],
                         x: [Double], h: [Double], c: [Double]) -> (h: [Double], c: [Double]) {
        let H = h.count, GH = bih.count, I = x.count
        precondition(wih.count == GH * I && whh.count == GH * H && bhh.count == GH && c.count == H)
        // gi = W_ih·x + b_ih, gh = W_hh·h + b_hh, each (G·H).
        var gi = bih, gh = bhh
        for row in 0..<GH {
            for i in 0..<I { gi[row] += wih[row * I + i] * x[i] }
            for j in 0..<H { gh[row] += whh[row * H + j] * h[j] }
        }
        var next = [Double](repeating: 0, count: H), c = c
        for j in 0..<H {
            switch cell {
            case .rnnTanh:
                next[j] = tanh(gi[j] + gh[j])
            case .rnnRelu:
                next[j] = max(0, gi[j] + gh[j])
            case .lstm:
                let inGate = sigmoid(gi[j] + gh[j])
                let forget = sigmoid(gi[H + j] + gh[H + j])
                let candidate = tanh(gi[2 * H + j] + gh[2 * H + j])
                let outGate = sigmoid(gi[3 * H + j] + gh[3 * H + j])
                c[j] = forget * c[j] + inGate * candidate
                next[j] = outGate * tanh(c[j])
            case .gru:
                let r = sigmoid(gi[j] + gh[j])
                let z = sigmoid(gi[H + j] + gh[H + j])
                let n = tanh(gi[2 * H + j] + r * gh[2 * H + j])
                next[j] = (1 - z) * n + z * h[j]
            }
        }
        return (next, c)
    }

    /// One direction of layer `k` over one sequence of input vectors: h_t for every t, in time order.
    func direction(layer k: Int, reverse: Bool, inputs xs: [[Double]]) -> [[Double]] {
        let suffix = "_l\(k)" + (reverse ? "_reverse" : "")
        let wih = parameters["rnn.weight_ih" + suffix]!, whh = parameters["rnn.weight_hh" + suffix]!
        let bih = parameters["rnn.bias_ih" + suffix]!, bhh = parameters["rnn.bias_hh" + suffix]!
        let H = hiddenSize, GH = gates * hiddenSize, I = xs[0].count
        precondition(wih.count == GH * I && whh.count == GH * H)
        var h = [Double](repeating: 0, count: H), c = [Double](repeating: 0, count: H)
        var out = [[Double]](repeating: [], count: xs.count)
        let steps: [Int] = reverse ? Array(xs.indices.reversed()) : Array(xs.indices)
        for t in steps {
            (h, c) = Self.cellStep(cell, wih: wih, whh: whh, bih: bih, bhh: bhh, x: xs[t], h: h, c: c)
            out[t] = h
        }
        return out
    }

    /// The input vectors of a sequence: embedding rows, or one-hot vectors of size V.
    func inputVectors(_ tokens: [Int]) -> [[Double]] {
        switch input {
        case .embedding:
            let table = parameters["embedding.weight"]!, E = shapes["embedding.weight"]![1]
            return tokens.map { Array(table[($0 * E)..<(($0 + 1) * E)]) }
        case .oneHot:
            return tokens.map { w in (0..<vocabularySize).map { $0 == w ? 1.0 : 0.0 } }
        }
    }

    /// The top layer's outputs of one sequence, (T, D·H): [forward ‖ reverse] at each step.
    func topOutputs(_ tokens: [Int]) -> [[Double]] {
        var xs = inputVectors(tokens)
        for k in 0..<numLayers {
            let perDirection = (0..<directions).map { direction(layer: k, reverse: $0 == 1, inputs: xs) }
            xs = xs.indices.map { t in perDirection.flatMap { $0[t] } }
        }
        return xs
    }

    /// The classifier's pooled feature vector of one sequence, (D·H).
    func features(_ tokens: [Int], pooling: ClassifierConfiguration.Pooling) -> [Double] {
        let top = topOutputs(tokens), H = hiddenSize, F = directions * H, T = top.count
        switch pooling {
        case .last:
            // Forward final state: the sequence's own last step; reverse final state: step 0.
            var f = Array(top[T - 1][0..<H])
            if directions == 2 { f += top[0][H..<(2 * H)] }
            return f
        case .max:
            return (0..<F).map { k in top.map { $0[k] }.max()! }
        case .mean:
            return (0..<F).map { k in top.reduce(0) { $0 + $1[k] } / Double(T) }
        }
    }

    /// fc: W·x + b.
    func linear(_ x: [Double]) -> [Double] {
        let w = parameters["fc.weight"]!, b = parameters["fc.bias"]!
        let I = x.count
        precondition(w.count == b.count * I)
        return b.indices.map { o in b[o] + (0..<I).reduce(0) { $0 + w[o * I + $1] * x[$1] } }
    }

    /// −log softmax(y)[target], computed as logsumexp(y) − y[target].
    static func crossEntropy(_ y: [Double], target: Int) -> Double {
        let m = y.max()!
        return m + log(y.reduce(0) { $0 + exp($1 - m) }) - y[target]
    }

    static func softmax(_ y: [Double]) -> [Double] {
        let m = y.max()!
        let e = y.map { exp($0 - m) }
        let s = e.reduce(0, +)
        return e.map { $0 / s }
    }

    /// Classifier logits of one sequence.
    func classifierLogits(_ tokens: [Int]) -> [Double] {
        guard case .classifier(let pooling) = head else { preconditionFailure("not a classifier") }
        return linear(features(tokens, pooling: pooling))
    }

    /// The classifier's mean cross-entropy over the batch.
    func classifierLoss(_ sequences: [[Int]], targets: [Int]) -> Double {
        zip(sequences, targets).reduce(0) { $0 + Self.crossEntropy(classifierLogits($1.0), target: $1.1) }
            / Double(sequences.count)
    }

    /// The language model's mean cross-entropy over every step whose target is not −100.
    func languageModelLoss(_ sequences: [[Int]], targets: [[Int]]) -> Double {
        precondition(head == .languageModel)
        var sum = 0.0, count = 0
        for (tokens, stepTargets) in zip(sequences, targets) {
            let top = topOutputs(tokens)
            for (t, target) in stepTargets.enumerated() where target != -100 {
                sum += Self.crossEntropy(linear(top[t]), target: target)
                count += 1
            }
        }
        return sum / Double(count)
    }

    // MARK: Finite differences

    /// Central differences (L(θ + h) − L(θ − h)) / 2h of `loss` with respect to every element of
    /// every parameter, by name, row-major in PyTorch's layout. With a loss of order 1 in Double,
    /// rounding contributes ~1e-16/h ≈ 1e-10 and truncation ~h²·|L'''| ≈ 1e-12: the result is
    /// the true derivative of the reference to ~1e-9, far below the Float32 engine's tolerance.
    func finiteDifferences(step h: Double = 1e-6, _ loss: (ReferenceStack) -> Double) -> [String: [Double]] {
        var out: [String: [Double]] = [:]
        for (name, values) in parameters {
            var gradient = [Double](repeating: 0, count: values.count)
            for k in values.indices {
                var plus = self, minus = self
                let up = values[k] + h, down = values[k] - h
                plus.parameters[name]![k] = up
                minus.parameters[name]![k] = down
                gradient[k] = (loss(plus) - loss(minus)) / (up - down)  // the step actually taken
            }
            out[name] = gradient
        }
        return out
    }
}
