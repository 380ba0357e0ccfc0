import Foundation
import Testing
@testable import RNNKit

/// Finite-difference gradient check in Double of the translation model, for every attention kind
/// (additive, dot, general, none), every cell (rnn_tanh, gru, lstm), one and two encoder layers,
/// one and two directions.
///
/// The oracle is `ReferenceSeq2Seq`: an independent, naive Double forward pass of the same model and
/// loss, one sentence pair at a time, built on the other Double twins (`ReferenceStack`,
/// `ReferenceAttention`). Its loss must equal the library's within 1e-5, which pins the forward
/// pass (the bridge, the attention's query s_{t−1}, the order of [emb ‖ c] and [s ‖ c ‖ emb], the
/// packing of pairs by source and by target length) independently; then central differences of its
/// loss (h = 1e-6) for every element of every parameter must agree with the library's analytic
/// Float32 gradients after one `train` call, within the stack check's tolerances (1e-4 absolute
/// below |g| = 0.1, 1e-3 relative above), and no tensor's differences may be all zero.
///
/// Teacher forcing on, no dropout: the loss is then smooth in every parameter (free running feeds
/// argmax words, where differences say nothing; `Seq2SeqFloatGradientTests` covers it in Float).
@Suite("Seq2Seq gradient checks (Double finite differences)")
struct Seq2SeqGradientCheckTests {
    // Vs = 11, Vt = 10. Three pairs: sources of lengths 5, 3, 6 (packed order 2, 0, 1) and targets of
    // lengths 4, 6, 3 (packed order 1, 0, 2), so the encoder's and the decoder's row orders differ
    // from each other and from the caller's. Pair 1's source holds a single word, [<bos>, w, <eos>];
    // the configurations marked `bare` replace it with the word alone, a one-position source (the
    // attention's softmax over one key, both directions ending on the same step).
    // Source tokens 0 and 1 and fed target tokens 0, 1 and 3 appear nowhere: their embedding rows
    // must not matter.
    static let Vs = 11, Vt = 10
    static let sources = [[2, 5, 6, 7, 3], [2, 8, 3], [2, 9, 10, 4, 6, 3]]
    static let bareSources = [[2, 5, 6, 7, 3], [8], [2, 9, 10, 4, 6, 3]]
    static let targets = [[2, 5, 6, 3], [2, 7, 8, 4, 9, 3], [2, 4, 3]]
    static let unusedSourceTokens = [0, 1], unusedFedTargetTokens = [0, 1, 3]

    /// Every parameter ~ U(−0.5, 0.5) from `SeededGenerator(seed:)`. This seed gives every tensor of
    /// every configuration below finite differences that are not all zero (checked by `compare`).
    /// The smallest tensor is the additive attention's `attn.bias` (with such weights α stays near
    /// uniform, and b shifts every score alike): of seeds 1…24 this one gives it the largest
    /// difference, ~1.3e-4; every other tensor's largest exceeds 3e-4.
    static let seed: UInt64 = 6

    struct Case: CustomTestStringConvertible, Sendable {
        var cell: CellKind
        var attention: Seq2SeqAttention
        var layers: Int
        var bidirectional: Bool
        var embeddingSize: Int
        /// A one-position source instead of [<bos>, w, <eos>].
        var bare = false

        var testDescription: String {
            "\(cell.rawValue), \(attention), \(layers) layer\(layers == 1 ? "" : "s"), "
                + "\(bidirectional ? "bi" : "uni")directional, E \(embeddingSize)\(bare ? ", one-position source" : "")"
        }

        /// He = 3; Hd = 4, or Hk = D·He for dot; A = 5 (differs from Hd and Hk, so a transposed
        /// weight cannot pass).
        var configuration: Seq2SeqConfiguration {
            let hk = (bidirectional ? 2 : 1) * 3
            return Seq2SeqConfiguration(cell: cell, attention: attention, sourceVocabularySize: Seq2SeqGradientCheckTests.Vs,
                                        targetVocabularySize: Seq2SeqGradientCheckTests.Vt, embeddingSize: embeddingSize,
                                        encoderHiddenSize: 3, encoderLayers: layers, bidirectional: bidirectional,
                                        decoderHiddenSize: attention == .dot ? hk : 4, attentionSize: 5, dropout: 0)
        }
    }

    static let cases: [Case] = [
        Case(cell: .gru, attention: .additive, layers: 1, bidirectional: true, embeddingSize: 4),
        Case(cell: .lstm, attention: .dot, layers: 2, bidirectional: true, embeddingSize: 4, bare: true),
        Case(cell: .rnnTanh, attention: .general, layers: 2, bidirectional: false, embeddingSize: 3),
        Case(cell: .gru, attention: .none, layers: 2, bidirectional: true, embeddingSize: 3, bare: true),
        Case(cell: .lstm, attention: .additive, layers: 1, bidirectional: false, embeddingSize: 3),
        Case(cell: .rnnTanh, attention: .none, layers: 1, bidirectional: false, embeddingSize: 4),
    ]

    @Test("Every covered kind appears")
    func coverage() {
        #expect(Set(Self.cases.map(\.attention)) == Set(Seq2SeqAttention.allCases))
        #expect(Set(Self.cases.map(\.cell)) == [.rnnTanh, .gru, .lstm])
        #expect(Set(Self.cases.map(\.layers)) == [1, 2])
        #expect(Set(Self.cases.map(\.bidirectional)) == [false, true])
    }

    @Test("Loss and every gradient against the Double reference", arguments: Seq2SeqGradientCheckTests.cases)
    func gradientCheck(_ c: Case) {
        let what = c.testDescription
        let network = Seq2SeqNetwork(c.configuration)
        StackGradientCheckTests.randomize(network.parameters, seed: Self.seed)
        let sources = c.bare ? Self.bareSources : Self.sources, targets = Self.targets
        let reference = ReferenceSeq2Seq(network)

        // (1) The loss: the library returns the sum and the count of predicted words.
        network.parameters.zeroGradients()
        var rng = SeededGenerator(seed: 1)
        let result = network.train(sources: sources, targets: targets, teacherForcing: 1, training: true, backward: true,
                                   rng: &rng)
        let (referenceSum, referenceCount) = reference.lossSum(sources: sources, targets: targets)
        #expect(result.count == targets.reduce(0) { $0 + $1.count - 1 } && result.count == referenceCount,
                "\(what): \(result.count) predicted words, the reference \(referenceCount)")
        expectClose(result.loss / Double(result.count), referenceSum / Double(referenceCount), tolerance: 1e-5,
                    "\(what): loss")

        // (2), (3) Every parameter element's central difference against the analytic gradient.
        let numeric = reference.finiteDifferences { $0.loss(sources: sources, targets: targets) }
        let analytic = StateDict.entries(parameters: network.parameters, stack: network.encoder.rnn, gradients: true)
        Self.compare(analytic: analytic, numeric: numeric, reference: reference, what: what)
        Self.expectUnusedTokensHaveZeroDifferences(numeric, what: what)

        // And one closed form for the differences themselves: dL/db_out = Σ_rows (softmax − onehot) / N.
        var expectedBias = [Double](repeating: 0, count: Self.Vt)
        for (source, target) in zip(sources, targets) {
            for (t, y) in reference.logits(source: source, target: target).enumerated() {
                let p = ReferenceStack.softmax(y)
                for k in 0..<Self.Vt { expectedBias[k] += (p[k] - (k == target[t + 1] ? 1 : 0)) / Double(referenceCount) }
            }
        }
        expectClose(numeric["decoder.fc_out.bias"]!, expectedBias, tolerance: 1e-8,
                    "\(what): finite differences of decoder.fc_out.bias")
    }

    /// The library's analytic gradients against the reference's finite differences, tensor by tensor,
    /// with `StackGradientCheckTests`' tolerances; every tensor's differences must hold a nonzero.
    /// A tensor whose differences all lie below the absolute tolerance (1e-4) would pass that check
    /// with any gradient at all, zero included, so each tensor is also held to 1e-2 of its own
    /// largest difference (the Float gradients agree to ~1e-9 absolute here).
    static func compare(analytic: [String: Safetensors.Entry], numeric: [String: [Double]], reference: ReferenceSeq2Seq,
                        what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(Set(analytic.keys) == Set(numeric.keys), "\(what): parameter names differ", sourceLocation: sourceLocation)
        for name in numeric.keys.sorted() {
            guard let mine = analytic[name], let fd = numeric[name] else { continue }
            #expect(mine.shape == reference.shapes[name], "\(what): \(name) shape", sourceLocation: sourceLocation)
            expectClose(mine.values, fd, tolerance: StackGradientCheckTests.tolerance,
                        relativeAbove: StackGradientCheckTests.relativeAbove, shape: mine.shape,
                        "\(what): gradient of \(name)", sourceLocation: sourceLocation)
            let scale = fd.map(abs).max() ?? 0
            expectClose(mine.values, fd, tolerance: 1e-2, relativeAbove: max(scale, 1e-12), shape: mine.shape,
                        "\(what): gradient of \(name), relative to its largest difference \(scale)",
                        sourceLocation: sourceLocation)
            #expect(fd.contains { abs($0) > 1e-6 }, "\(what): finite differences of \(name) are all zero",
                    sourceLocation: sourceLocation)
        }
    }

    /// The loss cannot depend on the embedding rows of tokens no pair uses (the perturbed value is
    /// never read): their differences are exactly zero, and those of every used token are not.
    static func expectUnusedTokensHaveZeroDifferences(_ numeric: [String: [Double]], what: String,
                                                      sourceLocation: SourceLocation = #_sourceLocation) {
        for (name, V, unused) in [("encoder.embedding.weight", Vs, unusedSourceTokens),
                                  ("decoder.embedding.weight", Vt, unusedFedTargetTokens)] {
            let fd = numeric[name]!, E = fd.count / V
            for w in 0..<V {
                let row = fd[(w * E)..<((w + 1) * E)]
                if unused.contains(w) {
                    #expect(row.allSatisfy { $0 == 0 }, "\(what): \(name) of unused token \(w): \(Array(row))",
                            sourceLocation: sourceLocation)
                } else {
                    #expect(row.contains { $0 != 0 }, "\(what): \(name) of used token \(w) is all zero",
                            sourceLocation: sourceLocation)
                }
            }
        }
    }
}
