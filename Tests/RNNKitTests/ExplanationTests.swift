import Foundation
import Testing
@testable import RNNKit

/// `explain`: the numbers it shows are the model's own (predict, the text without a word,
/// finite differences of the logits, the language model's probabilities).
@Suite("Explanations")
struct ExplanationTests {
    static let words = ["<unk>", "alpha", "beta", "gamma", "delta", "epsilon", "zeta"]
    static let text = "alpha beta gamma delta epsilon"

    /// A classifier with PyTorch-initialised weights (nothing trained: every word matters some).
    static func classifier(_ configure: @Sendable (inout ClassifierConfiguration) -> Void, seed: UInt64 = 7) -> TextClassifier {
        var c = ClassifierConfiguration(vocabularySize: words.count, embeddingSize: 5, hiddenSize: 6, numClasses: 3)
        configure(&c)
        let model = SequenceClassifier(c, seed: seed)
        for row in model.rnn.layers { for layer in row { layer.backward = c.backward } }
        return TextClassifier(model: model, vocabulary: Vocabulary(tokens: words)!, labels: ["a", "b", "c"],
                              tokenizer: .words())
    }

    static let configurations: [(String, @Sendable (inout ClassifierConfiguration) -> Void)] = [
        ("tutorial: one-hot tanh RNN, last state, one bias, the tutorial's backward rule", {
            $0.input = .oneHot; $0.recurrentBias = false; $0.backward = .tutorial
        }),
        ("embedding LSTM, mean pooling", { $0.cell = .lstm; $0.pooling = .mean }),
        ("embedding GRU, 2 layers, bidirectional, max pooling", {
            $0.cell = .gru; $0.numLayers = 2; $0.bidirectional = true; $0.pooling = .max
        }),
        ("one-hot GRU, bidirectional, last states", { $0.cell = .gru; $0.input = .oneHot; $0.bidirectional = true }),
    ]

    @Test("The running prediction ends at predict's probabilities; occlusion is predict without the word",
          arguments: configurations.indices)
    func runningPredictionAndOcclusion(_ k: Int) throws {
        let model = Self.classifier(Self.configurations[k].1)
        let e = try model.explain(Self.text)
        let p = try model.predict(Self.text)
        #expect(e.probabilities == p.probabilities && e.label == p.label)
        #expect(e.tokens.last?.probabilities == p.probabilities, "\(Self.configurations[k].0)")
        #expect(e.tokens.map(\.text) == Self.text.split(separator: " ").map(String.init))
        let predicted = model.labels.firstIndex(of: p.label)!
        let words = Self.text.split(separator: " ")
        for t in words.indices {
            let without = (words[..<t] + words[(t + 1)...]).joined(separator: " ")
            let expected = p.probabilities[predicted] - (try model.predict(without)).probabilities[predicted]
            #expect(e.tokens[t].occlusion == expected, "token \(t), \(Self.configurations[k].0)")
        }
        // After a prefix: predict on the prefix.
        let prefix = words[..<2].joined(separator: " ")
        #expect(e.tokens[1].probabilities == (try model.predict(prefix)).probabilities)
    }

    @Test("Gradient × input matches central finite differences of the predicted logit",
          arguments: configurations.indices)
    func gradientTimesInput(_ k: Int) throws {
        let model = Self.classifier(Self.configurations[k].1)
        let e = try model.explain(Self.text)
        let predicted = model.labels.firstIndex(of: e.label)!
        let ids = model.vocabulary.encode(Self.text, tokenizer: model.tokenizer).ids
        let net = model.model
        // Each word appears once, so scaling its input vector by (1 + a) — its embedding row, or
        // its W_ih column (one-hot input's x_t = e_w feeds only that column) — scales x_t alone;
        // d logit/da at a = 0 is exactly Σ (∂logit/∂x_t)·x_t.
        for (t, id) in ids.enumerated() {
            let rows: [UnsafeMutablePointer<Float>]
            let width: Int
            if let embedding = net.embedding {
                rows = [embedding.weight.value.row(id)]
                width = embedding.embeddingSize
            } else {
                rows = net.rnn.layers[0].map { $0.weightIH.value.row(id) }
                width = net.rnn.layers[0][0].gateWidth
            }
            let original = rows.map { Array(UnsafeBufferPointer(start: $0, count: width)) }
            func logit(_ a: Float) -> Double {
                for (row, values) in zip(rows, original) { for j in 0..<width { row[j] = values[j] * (1 + a) } }
                defer { for (row, values) in zip(rows, original) { for j in 0..<width { row[j] = values[j] } } }
                return Double(net.logits(ids)[predicted])
            }
            // Float logits of size ~1: with h = 1e-2 the rounding error is ~1e-7/1e-2 = 1e-5 and
            // the truncation error h²·f'''/6 ~ 1e-5 for these smooth, unsaturated cells; the
            // tolerance is 100× that, and a wrong gradient (the tutorial's rule, a missed
            // direction) is off by 10% or more.
            let h: Float = 1e-2
            let difference = (logit(h) - logit(-h)) / (2 * Double(h))
            let g = Double(e.tokens[t].gradientTimesInput)
            #expect(abs(difference - g) <= 1e-3 + 1e-2 * abs(g),
                    "token \(t): finite difference \(difference), gradient × input \(g), \(Self.configurations[k].0)")
        }
    }

    @Test("Explaining is deterministic and leaves the model as it was (gradients, backward rule)")
    func deterministicAndSideEffectFree() throws {
        let model = Self.classifier(Self.configurations[0].1)
        let before = try model.predict(Self.text)
        let first = try model.explain(Self.text)
        #expect(try model.explain(Self.text) == first)
        #expect(try model.predict(Self.text) == before)
        #expect(model.model.parameters.allSatisfy { p in (0..<p.grad.count).allSatisfy { p.grad[$0] == 0 } })
        #expect(model.model.rnn.layers[0][0].backward == .tutorial)
        let data = try JSONEncoder().encode(first)
        #expect(try JSONDecoder().decode(ClassifierExplanation.self, from: data) == first)
    }

    @Test("Units: the largest total change by default, or those asked for; an unknown unit is refused")
    func classifierUnits() throws {
        let model = Self.classifier(Self.configurations[1].1)
        let e = try model.explain(Self.text)
        #expect(e.units.count == TextClassifier.explainedUnitCount)
        #expect(e.units.map(\.change) == e.units.map(\.change).sorted(by: >))
        let all = try model.explain(Self.text, units: Array(0..<6))
        #expect(all.units.map(\.change).max() == e.units[0].change)
        let unit = all.units[2]
        #expect(unit.change == HiddenUnits.totalChange(unit.activations, reverse: false))
        #expect(unit.activations.count == 5)
        #expect(throws: ExplanationError.noSuchUnit(6, count: 6)) { try model.explain(Self.text, units: [6]) }
        #expect(throws: ExplanationError.tooManyTokens(5, limit: 4)) { try model.explain(Self.text, maxTokens: 4) }
        #expect(try model.explain(Self.text, maxTokens: 5).tokens.count == 5)
    }

    @Test("Unknown words: read as <unk> and marked, or skipped and listed; a text of unknown words alone is refused")
    func unknownWords() throws {
        let model = Self.classifier(Self.configurations[1].1)
        let e = try model.explain("alpha omega beta")
        #expect(e.tokens.map(\.known) == [true, false, true])
        #expect(e.tokens.last?.probabilities == (try model.predict("alpha omega beta")).probabilities)
        #expect(e.tokens[0].occlusion != nil)
        #expect(try model.explain("alpha omega").tokens[0].occlusion == nil, "without alpha only <unk> is left")
        #expect(throws: TextClassifier.PredictionError.self) { try model.explain("omega") }
        // A vocabulary without <unk> skips the word.
        let noUnk = TextClassifier(model: SequenceClassifier(ClassifierConfiguration(
            vocabularySize: 6, embeddingSize: 3, hiddenSize: 4, numClasses: 2), seed: 1),
            vocabulary: Vocabulary(tokens: Array(Self.words.dropFirst()))!, labels: ["x", "y"], tokenizer: .words())
        let skipped = try noUnk.explain("alpha omega beta")
        #expect(skipped.tokens.map(\.text) == ["alpha", "beta"] && skipped.skippedWords == ["omega"])
    }

    // MARK: Language models

    static func languageModel() -> TextLanguageModel {
        let characters = ["<unk>", " ", "a", "b", "c", "(", ")", "\n"]
        let c = LanguageModelConfiguration(cell: .lstm, vocabularySize: characters.count, embeddingSize: 4,
                                           hiddenSize: 5, numLayers: 2)
        return TextLanguageModel(model: LanguageModel(c, seed: 3), vocabulary: Vocabulary(tokens: characters)!, level: .char)
    }

    @Test("Language model: surprisal is −log₂ of the model's softmax probability of each next character")
    func surprisal() throws {
        let lm = Self.languageModel()
        let text = "ab (ca)\nbz"
        let e = try lm.explain(text)
        #expect(e.tokens.map(\.text) == text.map(String.init))
        #expect(e.tokens[0].probability == nil && e.tokens[0].surprisal == nil)
        #expect(e.tokens.map(\.known) == text.map { $0 != "z" })
        let ids = lm.encode(text).ids
        let logits = lm.model.logits(PackedBatch([ids])).logits[0]
        var total = 0.0
        for t in 1..<ids.count {
            let row = logits[t - 1].map(Double.init), top = row.max()!
            let p = exp(row[ids[t]] - top) / row.reduce(0) { $0 + exp($1 - top) }
            let token = e.tokens[t]
            #expect(abs(Double(token.probability!) - p) <= 1e-6, "position \(t)")
            #expect(token.surprisal == Float(-log2(Double(token.probability!))))
            total += Double(token.surprisal!)
        }
        #expect(abs(Double(e.meanSurprisal!) - total / Double(ids.count - 1)) <= 1e-5)
        #expect(try lm.explain(text) == e, "deterministic")
    }

    @Test("Text features: inside quotes and parentheses (closing marks included), position in line; constant ones left out")
    func textFeatures() {
        let tokens = "a\"b\"(c)\nd".map(String.init)
        let features = TextFeatures.values(tokens, characterLevel: true)
        #expect(features.map(\.name) == ["inside quotes", "inside parentheses", "position in line"])
        #expect(features[0].values == [0, 1, 1, 1, 0, 0, 0, 0, 0])
        #expect(features[1].values == [0, 0, 0, 0, 1, 1, 1, 0, 0])
        #expect(features[2].values == [0, 1, 2, 3, 4, 5, 6, 7, 0])
        #expect(TextFeatures.values("ab".map(String.init), characterLevel: false).isEmpty)
        #expect(TextFeatures.correlation([1, 2, 3], [2, 4, 6]) == 1 && TextFeatures.correlation([1, 2, 3], [3, 2, 1]) == -1)
        #expect(TextFeatures.correlation([1, 1, 1], [1, 2, 3]) == 0)
    }

    @Test("Language model units: those following a text feature best, or those asked for; errors for a bad unit or an empty text")
    func languageModelUnits() throws {
        let lm = Self.languageModel()
        let text = "abc(ab)"
        let e = try lm.explain(text)
        #expect(e.units.count == TextLanguageModel.explainedUnitCount)
        let all = try lm.explain(text, units: [0, 1, 2, 3, 4])
        let strongest = all.units.map { abs($0.correlation!) }.max()
        #expect(abs(e.units[0].correlation!) == strongest)
        #expect(e.units.map { abs($0.correlation!) } == e.units.map { abs($0.correlation!) }.sorted(by: >))
        #expect(all.units[3].variance == HiddenUnits.variance(all.units[3].activations))
        let features = TextFeatures.values(text.map(String.init), characterLevel: true)
        let unit = all.units[3], feature = try #require(features.first { $0.name == unit.feature })
        #expect(unit.correlation == TextFeatures.correlation(unit.activations, feature.values))
        #expect(features.allSatisfy { abs(TextFeatures.correlation(unit.activations, $0.values)) <= abs(unit.correlation!) })
        #expect(try lm.explain("a").meanSurprisal == nil)
        #expect(throws: ExplanationError.noSuchUnit(5, count: 5)) { try lm.explain("ab", units: [5]) }
        #expect(throws: ExplanationError.emptyText) { try lm.explain("") }
    }
}
