import Foundation
@testable import RNNKit

/// A naive, independent forward pass of the translation model (`Seq2SeqNetwork`) in Double: one
/// sentence pair at a time, plain arrays and loops, no packing, no padding, no code shared with the
/// library's cells, layers or heads. The encoder's stack is `ReferenceStack` (PyTorch's `nn.RNN`/
/// `nn.GRU`/`nn.LSTM`), the decoder's cell step is `ReferenceStack.cellStep` and the attention is
/// `ReferenceAttention`: the other Double twins of the tests. Finite differences of its loss are the
/// oracle for the library's backward pass (`Seq2SeqGradientCheckTests`).
///
/// The model (bentrevett's notebook 3, any cell and attention), for a source x_0 … x_{L−1} and a
/// target y_0 … y_M (y_0 = <bos>, y_M = <eos>), with E the embedding size, He the encoder's hidden
/// size, D its directions, Hk = D·He, Hd the decoder's hidden size:
///
///     k_0 … k_{L−1} = rnn(E_src[x_0] … E_src[x_{L−1}])      the top layer's [→ ‖ ←] outputs (Hk)
///     final = [→h of step L−1 ‖ ←h of step 0]                 the top layer's last states (Hk)
///     s_0 = tanh(W_fc·final + b_fc)                           (Hd); LSTM's cell state starts at 0
///     for t = 1 … M (teacher forcing: the decoder reads the true previous word y_{t−1}):
///         emb = E_tgt[y_{t−1}]                                (E)
///         c_t = attention(s_{t−1}; k_0 … k_{L−1})             (Hk), or c_t = final without attention
///         s_t = cell([emb ‖ c_t], s_{t−1})                    (Hd), one layer
///         logits_t = W_out·[s_t ‖ c_t ‖ emb] + b_out          (Vt)
///         loss += −log softmax(logits_t)[y_t]
///
/// and the batch's loss is the sum over every pair and step divided by the number of predicted
/// words Σ M. No dropout (the check's configurations have none).
///
/// Parameters by the library's (PyTorch's) names, row-major in PyTorch's layout:
///     encoder.embedding.weight (Vs, E)   encoder.rnn.* (see `ReferenceStack`)
///     encoder.fc.weight (Hd, Hk)         encoder.fc.bias (Hd)
///     decoder.attention.* (see `ReferenceAttention`; none for dot and none)
///     decoder.embedding.weight (Vt, E)
///     decoder.rnn.weight_ih_l0 (G·Hd, E + Hk)   decoder.rnn.weight_hh_l0 (G·Hd, Hd)
///     decoder.rnn.bias_ih_l0 (G·Hd)             decoder.rnn.bias_hh_l0 (G·Hd)
///     decoder.fc_out.weight (Vt, Hd + Hk + E)   decoder.fc_out.bias (Vt)
struct ReferenceSeq2Seq {
    let cell: CellKind
    let attention: Seq2SeqAttention
    let encoderHiddenSize: Int
    let directions: Int
    let decoderHiddenSize: Int
    /// By name, row-major in PyTorch's layout; the only state finite differences perturb.
    var parameters: [String: [Double]]
    let shapes: [String: [Int]]
    /// The encoder's embedding and stack, under ReferenceStack's names (the prefix `encoder.` dropped);
    /// its parameters are replaced by `parameters`' at every forward.
    private let encoderTemplate: ReferenceStack
    /// The attention, its parameters likewise replaced at every forward; nil for `none`.
    private let attentionTemplate: ReferenceAttention<Double>?

    static let encoderPrefix = "encoder.", attentionPrefix = "decoder.attention"

    /// The network's parameters, read through `StateDict.entries` (PyTorch names and layout), as
    /// Double (exactly: every Float is a Double).
    init(_ network: Seq2SeqNetwork) {
        let c = network.configuration
        precondition(c.dropout == 0, "the reference has no dropout")
        cell = c.cell
        attention = c.attention
        encoderHiddenSize = c.encoderHiddenSize
        directions = c.bidirectional ? 2 : 1
        decoderHiddenSize = c.decoderHiddenSize
        let entries = StateDict.entries(parameters: network.parameters, stack: network.encoder.rnn)
        parameters = entries.mapValues { $0.values.map(Double.init) }
        shapes = entries.mapValues(\.shape)
        var encoderEntries: [String: Safetensors.Entry] = [:]
        for (name, entry) in entries where name.hasPrefix("encoder.embedding.") || name.hasPrefix("encoder.rnn.") {
            encoderEntries[String(name.dropFirst(Self.encoderPrefix.count))] = entry
        }
        encoderTemplate = ReferenceStack(cell: c.cell, input: .embedding, head: .languageModel,
                                         vocabularySize: c.sourceVocabularySize, hiddenSize: c.encoderHiddenSize,
                                         numLayers: c.encoderLayers, directions: directions, entries: encoderEntries)
        attentionTemplate = network.decoder.attention.map { ReferenceAttention($0, prefix: Self.attentionPrefix) }
        precondition((attentionTemplate == nil) == (c.attention == .none))
    }

    // MARK: Forward

    /// W·x + b, W (O, I) row-major.
    static func linear(_ w: [Double], _ b: [Double], _ x: [Double]) -> [Double] {
        let I = x.count
        precondition(w.count == b.count * I)
        return b.indices.map { o in
            var y = b[o]
            for i in 0..<I { y += w[o * I + i] * x[i] }
            return y
        }
    }

    /// The encoder's stack and the attention, holding the current `parameters`.
    private func parts() -> (encoder: ReferenceStack, attention: ReferenceAttention<Double>?) {
        var encoder = encoderTemplate
        encoder.parameters = [:]
        for (name, values) in parameters where name.hasPrefix("encoder.embedding.") || name.hasPrefix("encoder.rnn.") {
            encoder.parameters[String(name.dropFirst(Self.encoderPrefix.count))] = values
        }
        precondition(encoder.parameters.count == encoderTemplate.parameters.count)
        var attention = attentionTemplate
        if attention != nil {
            attention!.parameters = [:]
            for (name, values) in parameters where name.hasPrefix(Self.attentionPrefix + ".") {
                attention!.parameters[String(name.dropFirst(Self.attentionPrefix.count + 1))] = values
            }
            precondition(attention!.parameters.count == attentionTemplate!.parameters.count)
        }
        return (encoder, attention)
    }

    /// The logits of every decoder step of one pair, (len(target) − 1) × Vt, teacher forcing on.
    func logits(source: [Int], target: [Int]) -> [[Double]] {
        logits(source: source, target: target, parts())
    }

    private func logits(source: [Int], target: [Int],
                        _ parts: (encoder: ReferenceStack, attention: ReferenceAttention<Double>?)) -> [[Double]] {
        precondition(!source.isEmpty && target.count >= 2)
        let p = parameters, He = encoderHiddenSize, L = source.count
        // Encoder: the top layer's outputs are the keys; its last states [→ at L−1 ‖ ← at 0] the final.
        let keys = parts.encoder.topOutputs(source)
        var final = Array(keys[L - 1][0..<He])
        if directions == 2 { final += keys[0][He..<(2 * He)] }
        var s = Self.linear(p["encoder.fc.weight"]!, p["encoder.fc.bias"]!, final).map { tanh($0) }
        var cellState = [Double](repeating: 0, count: decoderHiddenSize)

        // Decoder, one step per predicted word.
        let table = p["decoder.embedding.weight"]!, E = shapes["decoder.embedding.weight"]![1]
        let wih = p["decoder.rnn.weight_ih_l0"]!, whh = p["decoder.rnn.weight_hh_l0"]!
        let bih = p["decoder.rnn.bias_ih_l0"]!, bhh = p["decoder.rnn.bias_hh_l0"]!
        let wOut = p["decoder.fc_out.weight"]!, bOut = p["decoder.fc_out.bias"]!
        var out: [[Double]] = []
        for t in 1..<target.count {
            let y = target[t - 1]
            let emb = Array(table[(y * E)..<((y + 1) * E)])
            let context = parts.attention.map { $0.forward(s, keys).context } ?? final
            (s, cellState) = ReferenceStack.cellStep(cell, wih: wih, whh: whh, bih: bih, bhh: bhh,
                                                     x: emb + context, h: s, c: cellState)
            out.append(Self.linear(wOut, bOut, s + context + emb))
        }
        return out
    }

    /// Summed cross-entropy over the batch's predicted words, and their number.
    func lossSum(sources: [[Int]], targets: [[Int]]) -> (sum: Double, count: Int) {
        precondition(sources.count == targets.count)
        let parts = parts()
        var sum = 0.0, count = 0
        for (source, target) in zip(sources, targets) {
            for (t, y) in logits(source: source, target: target, parts).enumerated() {
                sum += ReferenceStack.crossEntropy(y, target: target[t + 1])
                count += 1
            }
        }
        return (sum, count)
    }

    /// The mean cross-entropy over the batch's predicted words.
    func loss(sources: [[Int]], targets: [[Int]]) -> Double {
        let (sum, count) = lossSum(sources: sources, targets: targets)
        return sum / Double(count)
    }

    // MARK: Finite differences

    /// Central differences (L(θ + h) − L(θ − h)) / 2h of `loss` with respect to every element of
    /// every parameter, by name, row-major in PyTorch's layout (see `ReferenceStack.finiteDifferences`
    /// for why h = 1e-6 gives the reference's derivative to ~1e-9).
    func finiteDifferences(step h: Double = 1e-6, _ loss: (ReferenceSeq2Seq) -> Double) -> [String: [Double]] {
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
