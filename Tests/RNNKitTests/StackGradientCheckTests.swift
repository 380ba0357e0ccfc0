import Foundation
import Testing
@testable import RNNKit

/// Finite-difference gradient check in Double for each cell, 2 layers, bidirectional.
///
/// The oracle is `ReferenceStack`: an independent, naive Double forward pass written from
/// PyTorch's equations. Central differences of its loss (h = 1e-6) give the gradient of every
/// parameter element to ~1e-9; the library's analytic Float32 gradients (read in PyTorch's
/// layout through `StateDict.entries(…, gradients: true)`) must agree within 1e-4 absolute below
/// |g| = 0.1 and 1e-3 relative above it. The reference's loss must equal the library's within 1e-5,
/// which pins the forward pass (gate order, directions, variable lengths, pooling) independently.
@Suite("Stack gradient checks (Double finite differences)")
struct StackGradientCheckTests {
    // V = 7, E = 4, H = 3, 3 classes. Lengths 5, 2, 4 (packed order differs from the caller's);
    // tokens 5 and 6 appear in no sequence, so nothing may depend on their embedding rows.
    static let V = 7, E = 4, H = 3, O = 3
    static let sequences = [[0, 3, 1, 4, 2], [4, 1], [2, 2, 0, 3]]
    static let targets = [2, 0, 1]
    static let unusedTokens = [5, 6]
    /// Weights for the classifiers. With H = 3, ReLU units die easily: some seeds leave a whole
    /// direction of layer 1 at zero (and max pooling can route every gradient to step 0), which
    /// would make parts of the check vacuous. `compare` refuses all-zero tensors; this seed gives
    /// every tensor of every configuration here a gradient.
    static let seed: UInt64 = 3

    static let tolerance = 1e-3     // relative above |g| = 0.1 …
    static let relativeAbove = 0.1  // … and so 1e-4 absolute below it

    /// Every parameter ~ U(−0.5, 0.5), drawn from a seeded generator.
    static func randomize(_ parameters: [Parameter], seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        for p in parameters {
            for k in 0..<p.value.count { p.value[k] = Float(rng.nextUniform() - 0.5) }
        }
    }

    static func classifier(_ cell: CellKind, input: ClassifierConfiguration.Input = .embedding,
                           pooling: ClassifierConfiguration.Pooling, seed: UInt64) -> SequenceClassifier {
        var c = ClassifierConfiguration(cell: cell, input: input, vocabularySize: V,
                                        embeddingSize: input == .embedding ? E : 0, hiddenSize: H, numClasses: O,
                                        numLayers: 2, bidirectional: true)
        c.pooling = pooling
        let model = SequenceClassifier(c)
        randomize(model.parameters, seed: seed)
        return model
    }

    /// Compares the library's analytic gradients with the reference's finite differences, tensor by
    /// tensor, and checks that the finite differences themselves are sane.
    static func compare(analytic: [String: Safetensors.Entry], numeric: [String: [Double]], reference: ReferenceStack,
                        what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(Set(analytic.keys) == Set(numeric.keys), "\(what): parameter names differ", sourceLocation: sourceLocation)
        for name in numeric.keys.sorted() {
            guard let mine = analytic[name], let fd = numeric[name] else { continue }
            #expect(mine.shape == reference.shapes[name], "\(what): \(name) shape", sourceLocation: sourceLocation)
            expectClose(mine.values, fd, tolerance: tolerance, relativeAbove: relativeAbove, shape: mine.shape,
                        "\(what): gradient of \(name)", sourceLocation: sourceLocation)
            // Every tensor takes part: a check of all-zero gradients would prove nothing.
            #expect(fd.contains { abs($0) > 1e-6 }, "\(what): finite differences of \(name) are all zero",
                    sourceLocation: sourceLocation)
        }
    }

    /// The finite differences' own sanity, needing no analytic gradient: the loss cannot depend on
    /// the input weights of tokens no sequence uses, so their differences are exactly zero (the
    /// perturbed value is never read). Embedding rows, or, with one-hot input, the columns of the
    /// first layer's W_ih.
    static func expectUnusedTokensHaveZeroDifferences(_ numeric: [String: [Double]], reference r: ReferenceStack,
                                                      what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        var names: [(String, rowsAreTokens: Bool)] = []
        if r.input == .embedding {
            names = [("embedding.weight", true)]
        } else {
            names = (0..<r.directions).map { ("rnn.weight_ih_l0" + ($0 == 1 ? "_reverse" : ""), false) }
        }
        for (name, rowsAreTokens) in names {
            let shape = r.shapes[name]!, fd = numeric[name]!
            for w in 0..<r.vocabularySize {
                let values = rowsAreTokens
                    ? Array(fd[(w * shape[1])..<((w + 1) * shape[1])])
                    : (0..<shape[0]).map { fd[$0 * shape[1] + w] }
                if unusedTokens.contains(w) {
                    #expect(values.allSatisfy { $0 == 0 }, "\(what): \(name) of unused token \(w): \(values)",
                            sourceLocation: sourceLocation)
                } else {
                    #expect(values.contains { $0 != 0 }, "\(what): \(name) of used token \(w) is all zero",
                            sourceLocation: sourceLocation)
                }
            }
        }
    }

    /// Runs the whole check for a classifier.
    static func checkClassifier(_ model: SequenceClassifier, what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let reference = ReferenceStack(model)
        model.parameters.zeroGradients()
        let result = model.accumulateGradients(PackedBatch(sequences), targets: targets)
        let libraryLoss = result.lossSum / Double(sequences.count)
        let referenceLoss = reference.classifierLoss(sequences, targets: targets)
        expectClose(libraryLoss, referenceLoss, tolerance: 1e-5, "\(what): loss", sourceLocation: sourceLocation)

        let numeric = reference.finiteDifferences { $0.classifierLoss(sequences, targets: targets) }
        let analytic = StateDict.entries(parameters: model.parameters, stack: model.rnn, gradients: true)
        compare(analytic: analytic, numeric: numeric, reference: reference, what: what, sourceLocation: sourceLocation)
        expectUnusedTokensHaveZeroDifferences(numeric, reference: reference, what: what, sourceLocation: sourceLocation)

        // And one closed form: dL/d(fc.bias) = mean over the batch of softmax(y) − onehot(target).
        var expectedBias = [Double](repeating: 0, count: O)
        for (tokens, target) in zip(sequences, targets) {
            let p = ReferenceStack.softmax(reference.classifierLogits(tokens))
            for k in 0..<O { expectedBias[k] += (p[k] - (k == target ? 1 : 0)) / Double(sequences.count) }
        }
        expectClose(numeric["fc.bias"]!, expectedBias, tolerance: 1e-8, "\(what): finite differences of fc.bias",
                    sourceLocation: sourceLocation)
    }

    @Test("Embedding classifier, 2 layers, bidirectional, last pooling", arguments: CellKind.allCases)
    func embeddingClassifier(cell: CellKind) {
        let model = Self.classifier(cell, pooling: .last, seed: Self.seed)
        Self.checkClassifier(model, what: "\(cell.rawValue), last")
    }

    @Test("Embedding classifier, 2 layers, bidirectional, max and mean pooling",
          arguments: CellKind.allCases, [ClassifierConfiguration.Pooling.max, .mean])
    func pooledClassifier(cell: CellKind, pooling: ClassifierConfiguration.Pooling) {
        let model = Self.classifier(cell, pooling: pooling, seed: Self.seed)
        Self.checkClassifier(model, what: "\(cell.rawValue), \(pooling)")
    }

    @Test("One-hot classifier, 2 layers, bidirectional", arguments: [CellKind.rnnTanh, .rnnRelu])
    func oneHotClassifier(cell: CellKind) {
        let model = Self.classifier(cell, input: .oneHot, pooling: .last, seed: Self.seed)
        // The one-hot first layer stores W_ih transposed; StateDict must hand both sides (G·H, V).
        #expect(model.rnn.layers[0][0].weightIH.value.shape == [Self.V, Self.H])
        #expect(ReferenceStack(model).shapes["rnn.weight_ih_l0"] == [Self.H, Self.V])
        Self.checkClassifier(model, what: "\(cell.rawValue), one-hot")
    }

    @Test("Language model, 2 layers", arguments: CellKind.allCases)
    func languageModel(cell: CellKind) {
        let model = LanguageModel(LanguageModelConfiguration(cell: cell, vocabularySize: Self.V, embeddingSize: Self.E,
                                                             hiddenSize: Self.H, numLayers: 2))
        Self.randomize(model.parameters, seed: 404)
        // Next-token targets; the last step has none, and one more step is masked with −100.
        let sequences = Self.sequences
        var targets = sequences.map { s in s.indices.map { $0 + 1 < s.count ? s[$0 + 1] : -100 } }
        targets[0][1] = -100
        let reference = ReferenceStack(model)
        model.parameters.zeroGradients()
        let result = model.accumulateGradients(PackedBatch(sequences), targets: targets)
        #expect(result.count == 11 - 3 - 1)
        let referenceLoss = reference.languageModelLoss(sequences, targets: targets)
        expectClose(result.lossSum / Double(result.count), referenceLoss, tolerance: 1e-5, "\(cell.rawValue) LM: loss")

        let numeric = reference.finiteDifferences { $0.languageModelLoss(sequences, targets: targets) }
        let analytic = StateDict.entries(parameters: model.parameters, stack: model.rnn, gradients: true)
        Self.compare(analytic: analytic, numeric: numeric, reference: reference, what: "\(cell.rawValue) LM")
        Self.expectUnusedTokensHaveZeroDifferences(numeric, reference: reference, what: "\(cell.rawValue) LM")
    }
}
