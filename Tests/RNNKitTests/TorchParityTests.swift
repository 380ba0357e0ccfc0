import Foundation
import Testing
@testable import RNNKit

/// PyTorch parity: every `*.json` in the torch fixture folder (with the `.safetensors` of the same
/// name holding its parameters) is run through RNNKit, and logits (valid steps only), loss and the
/// gradient of every parameter must match PyTorch's within 1e-4 absolute or 1e-3 relative.
/// The check is chosen by the fixture's `config.task`, so new fixtures of the same form are picked up.
@Suite struct TorchParityTests {
    static let tolerance = 1e-3     // relative, above |e| = 0.1 …
    static let relativeAbove = 0.1  // … and so 1e-4 absolute below it

    static func fixtureFiles() throws -> [URL] { try Fixtures.jsonFiles(in: "torch") }

    @Test func fixturesArePresent() throws {
        let files = try Self.fixtureFiles()
        #expect(!files.isEmpty)
    }

    @Test(arguments: (try? TorchParityTests.fixtureFiles()) ?? [])
    func matchesPyTorch(_ url: URL) throws {
        let name = url.lastPathComponent
        let json = try Fixtures.object(at: url)
        let configObject = try json.field("config", as: [String: Any].self, in: name)
        let configData = try JSONSerialization.data(withJSONObject: configObject)
        let weightsPath = url.deletingPathExtension().appendingPathExtension("safetensors").path
        let weights = try Safetensors.read(path: weightsPath)
        let tokens = try json.field("tokens", as: [[Int]].self, in: name)
        let lengths = try json.field("lengths", as: [Int].self, in: name)
        let sequences = zip(tokens, lengths).map { Array($0.prefix($1)) }
        let batch = PackedBatch(sequences)
        let expectedLoss = try json.double("loss", in: name)
        let expectedLogits = try json.numbers("logits", in: name)
        let task = try configObject.field("task", as: String.self, in: name)

        let parameters: [Parameter], stack: RecurrentStack
        let logits: [Double], loss: Double
        switch task {
        case "classify":
            let config = try JSONDecoder().decode(ClassifierConfiguration.self, from: configData)
            let model = SequenceClassifier(config)
            try StateDict.load(weights.tensors, into: model.parameters, stack: model.rnn, path: weightsPath)
            let targets = try json.field("targets", as: [Int].self, in: name)
            let out = model.logits(batch, targets: targets)
            logits = out.logits.flatMap { $0.map(Double.init) }
            loss = try #require(out.loss)
            model.parameters.zeroGradients()
            _ = model.accumulateGradients(batch, targets: targets)
            (parameters, stack) = (model.parameters, model.rnn)
        case "language_model":
            let config = try JSONDecoder().decode(LanguageModelConfiguration.self, from: configData)
            let model = LanguageModel(config)
            try StateDict.load(weights.tensors, into: model.parameters, stack: model.rnn, path: weightsPath)
            let targets = try json.field("targets", as: [[Int]].self, in: name)
            let out = model.logits(batch, targets: targets)
            // Valid steps only: the fixture pads logits to the longest sequence.
            let V = config.vocabularySize, T = tokens[0].count
            var expected: [Double] = []
            for (b, L) in lengths.enumerated() {
                expected += expectedLogits.values[(b * T * V)..<((b * T + L) * V)]
            }
            expectClose(out.logits.flatMap { $0.flatMap { $0 } }, expected, tolerance: Self.tolerance,
                        relativeAbove: Self.relativeAbove, "\(name): logits")
            logits = []
            loss = try #require(out.loss)
            model.parameters.zeroGradients()
            _ = model.accumulateGradients(batch, targets: targets)
            (parameters, stack) = (model.parameters, model.rnn)
        default:
            Issue.record("\(name): unknown task `\(task)`")
            return
        }
        if task == "classify" {
            expectClose(logits, expectedLogits.values, tolerance: Self.tolerance, relativeAbove: Self.relativeAbove,
                        "\(name): logits")
        }
        expectClose(loss, expectedLoss, tolerance: Self.tolerance, relativeAbove: Self.relativeAbove, "\(name): loss")

        let gradients = try json.field("gradients", as: [String: Any].self, in: name)
        let ours = StateDict.entries(parameters: parameters, stack: stack, gradients: true)
        #expect(Set(gradients.keys).isSubset(of: Set(ours.keys)), "\(name): PyTorch has parameters RNNKit lacks")
        for (key, value) in gradients.sorted(by: { $0.key < $1.key }) {
            let expected = try NumericArray(json: value, name: "\(name): gradients.\(key)")
            guard let mine = ours[key] else { continue }
            #expect(mine.shape == expected.shape, "\(name): \(key) shape")
            expectClose(mine.values, expected.values, tolerance: Self.tolerance, relativeAbove: Self.relativeAbove,
                        shape: expected.shape, "\(name): gradient of \(key)")
        }
    }
}
