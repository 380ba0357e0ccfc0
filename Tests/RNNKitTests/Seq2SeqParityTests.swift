import Foundation
import Testing
@testable import RNNKit

/// PyTorch parity of the translation model: every fixture of `Fixtures/seq2seq` (written by
/// `scripts/fixtures/seq2seq_fixtures.py`: notebook 3's encoder–attention–decoder with each cell,
/// attention kind, one or two encoder layers, one or two directions, teacher forcing on and off)
/// is run through `Seq2SeqNetwork`: the words fed to the decoder, the logits, the attention, the
/// loss and the gradient of every parameter must match within 1e-4 absolute (1e-3 relative above
/// 0.1), and greedy decoding of each source alone must give PyTorch's words and attention.
@Suite struct Seq2SeqParityTests {
    static let tolerance = 1e-3, relativeAbove = 0.1

    static func fixtureFiles() throws -> [URL] { try Fixtures.jsonFiles(in: "seq2seq", extra: nil) }

    @Test func fixturesArePresent() throws {
        #expect(try Self.fixtureFiles().count >= 9)
    }

    @Test(arguments: (try? Seq2SeqParityTests.fixtureFiles()) ?? [])
    func matchesPyTorch(_ url: URL) throws {
        let name = url.lastPathComponent
        let json = try Fixtures.object(at: url)
        let config = try json.field("config", as: [String: Any].self, in: name)
        let configuration = try JSONDecoder().decode(Seq2SeqConfiguration.self,
                                                     from: JSONSerialization.data(withJSONObject: config))
        let network = Seq2SeqNetwork(configuration)
        let weightsPath = url.deletingPathExtension().appendingPathExtension("safetensors").path
        try StateDict.load(Safetensors.read(path: weightsPath).tensors, into: network.parameters, stack: network.encoder.rnn,
                           path: weightsPath)
        let sources = try json.field("sources", as: [[Int]].self, in: name)
        let targets = try json.field("targets", as: [[Int]].self, in: name)
        let teacherForcing = try config.field("teacher_forcing", as: Double.self, in: name)
        let expectedLogits = try json.field("logits", as: [Any].self, in: name)
        let expectedAttention = json["attention"] as? [Any]

        network.parameters.zeroGradients()
        var rng = SeededGenerator(seed: 1)
        var logits = [[Float]](repeating: [], count: sources.count), weights = logits
        let V = configuration.targetVocabularySize
        let r = network.train(sources: sources, targets: targets, teacherForcing: teacherForcing, rng: &rng,
                              logitsOut: { k, steps, p in logits[k] = Array(UnsafeBufferPointer(start: p, count: steps * V)) },
                              weightsOut: { k, steps, p in
                                  let S = sources.map(\.count).max()!
                                  weights[k] = (0..<steps).flatMap { t in Array(UnsafeBufferPointer(start: p + t * S, count: sources[k].count)) }
                              })
        for k in sources.indices {
            let expected = try NumericArray(json: expectedLogits[k], name: "\(name): logits[\(k)]")
            expectClose(logits[k], expected.values, tolerance: Self.tolerance, relativeAbove: Self.relativeAbove, "\(name): logits of pair \(k)")
            if let expectedAttention {
                let e = try NumericArray(json: expectedAttention[k], name: "\(name): attention[\(k)]")
                expectClose(weights[k], e.values, tolerance: Self.tolerance, relativeAbove: Self.relativeAbove, "\(name): attention of pair \(k)")
            }
        }
        expectClose(r.loss / Double(r.count), try json.double("loss", in: name), tolerance: Self.tolerance,
                    relativeAbove: Self.relativeAbove, "\(name): loss")

        let gradients = try json.field("gradients", as: [String: Any].self, in: name)
        let ours = Dictionary(uniqueKeysWithValues: network.parameters.map { ($0.name, $0) })
        #expect(Set(gradients.keys) == Set(ours.keys), "\(name): parameter names differ from PyTorch's")
        for (key, value) in gradients.sorted(by: { $0.key < $1.key }) {
            let expected = try NumericArray(json: value, name: "\(name): gradients.\(key)")
            guard let mine = ours[key] else { continue }
            #expect(mine.grad.shape == expected.shape, "\(name): \(key) shape")
            expectClose(mine.grad.array, expected.values, tolerance: Self.tolerance, relativeAbove: Self.relativeAbove,
                        shape: expected.shape, "\(name): gradient of \(key)")
        }

        // Greedy decoding of each source alone: PyTorch's words, and its attention.
        let greedy = try json.field("greedy", as: [[String: Any]].self, in: name)
        let search = BeamSearch(network)
        for (k, g) in greedy.enumerated() {
            let tokens = try g.field("tokens", as: [Int].self, in: name)
            let decoded = search.decode(sources[k], beam: 1, maxLength: 8)
            let produced = decoded.tokens + (decoded.finished ? [Seq2SeqNetwork.end] : [])
            #expect(produced == tokens, "\(name): greedy decoding of source \(k)")
            if let a = g["attention"], configuration.attention != .none {
                let e = try NumericArray(json: a, name: "\(name): greedy attention \(k)")
                expectClose(decoded.attention.flatMap { $0 }, e.values, tolerance: Self.tolerance,
                            relativeAbove: Self.relativeAbove, "\(name): greedy attention of source \(k)")
            }
        }
    }
}
