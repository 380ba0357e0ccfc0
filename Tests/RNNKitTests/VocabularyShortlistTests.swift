import Foundation
import Testing
@testable import RNNKit

/// The vocabulary shortlist: its content from a tiny corpus, decoding with it against exact
/// decoding (the whole vocabulary; the exact scores restricted to the shortlist), the model file
/// round trip and damaged files.
@Suite("Vocabulary shortlist")
struct VocabularyShortlistTests {
    /// Ids: source words 4 and 5, target words 6, 7 and 8 (0–3 are the specials on both sides).
    static let corpus: [(source: [Int], target: [Int])] = [([2, 4, 5, 3], [2, 6, 7, 3]), ([2, 4, 3], [2, 6, 3]), ([2, 5, 3], [2, 7, 8, 3])]

    @Test func contentFromATinyCorpus() {
        // c(4) = c(5) = 2; c(6) = c(7) = 2, c(8) = 1; c(4,6) = 2, c(4,7) = 1, c(5,6) = 1, c(5,7) = 2, c(5,8) = 1.
        // Dice: 4 → 6 (1), 7 (0.5); 5 → 7 (1), 8 (2/3), 6 (0.5).
        let list = VocabularyShortlist.build(pairs: Self.corpus, sourceVocabularySize: 6, targetVocabularySize: 9,
                                             options: .init(perWord: 2, frequent: 1))
        #expect(list.candidates == [[], [], [], [], [6, 7], [7, 8]])
        #expect(list.frequent == [6], "6 and 7 are as frequent: the lower id")
        #expect(list.targets(for: [2, 5, 3]) == [1, 3, 6, 7, 8])
        #expect(list.targets(for: [2, 4, 3]) == [1, 3, 6, 7])
        let wide = VocabularyShortlist.build(pairs: Self.corpus, sourceVocabularySize: 6, targetVocabularySize: 9,
                                             options: .init(perWord: 5, frequent: 0))
        #expect(wide.candidates[5] == [7, 8, 6])
        #expect(wide.frequent.isEmpty && wide.targets(for: [2, 3]) == [1, 3])
    }

    /// A random model over a 30-word target vocabulary, its source words "w0"… and target words "t0"….
    static func model(_ attention: Seq2SeqAttention = .additive, cell: CellKind = .gru) -> Seq2SeqModel {
        let (Vs, Vt) = (20, 30)
        let c = Seq2SeqConfiguration(cell: cell, attention: attention, sourceVocabularySize: Vs, targetVocabularySize: Vt,
                                     embeddingSize: 8, encoderHiddenSize: 6, encoderLayers: 1, bidirectional: true,
                                     decoderHiddenSize: attention == .dot ? 12 : 10, attentionSize: 5, dropout: 0)
        let net = Seq2SeqNetwork(c)
        var rng = SeededGenerator(seed: 5)
        net.initializePyTorch(using: &rng)
        // Larger output weights, so that the words' scores differ widely (an untrained model's are close).
        for k in 0..<net.decoder.output.weight.value.count { net.decoder.output.weight.value[k] *= 8 }
        let source = Vocabulary(tokens: Seq2SeqModel.specialTokens + (4..<Vs).map { "w\($0)" })!
        let target = Vocabulary(tokens: Seq2SeqModel.specialTokens + (4..<Vt).map { "t\($0)" })!
        return Seq2SeqModel(network: net, sourceVocabulary: source, targetVocabulary: target, tokenizer: .words(lowercase: true))
    }

    static let sentences = ["w4 w5 w6", "w7 w7 w8 w9 w10", "w19", "w11 w12 w13 w14 w15 w16 w17 w18"]

    @Test(arguments: [(CellKind.gru, Seq2SeqAttention.additive), (.lstm, .general), (.gru, .none), (.rnnTanh, .dot)])
    func theWholeVocabularyDecodesAsExact(cell: CellKind, attention: Seq2SeqAttention) {
        let m = Self.model(attention, cell: cell)
        let Vt = m.targetVocabulary.count
        m.shortlist = VocabularyShortlist(perWord: 1, candidates: Array(repeating: [], count: m.sourceVocabulary.count),
                                          frequent: Array(0..<Vt), targetVocabularySize: Vt)
        for s in Self.sentences {
            for beam in [1, 3] {
                let short = m.translate(s, options: TranslationOptions(beam: beam, maxLength: 12))
                let exact = m.translate(s, options: TranslationOptions(beam: beam, maxLength: 12, shortlist: false))
                #expect(short == exact, "\(cell) \(attention) beam \(beam): \(s)")
            }
        }
    }

    @Test func neverEmitsPaddingOrBegin() {
        let m = Self.model()
        // Make <pad> and <bos> every step's best scores by far: they must still never be chosen.
        m.network.decoder.output.bias.value[Seq2SeqNetwork.padding] = 100
        m.network.decoder.output.bias.value[Seq2SeqNetwork.begin] = 90
        for s in Self.sentences {
            for (beam, shortlist) in [(1, false), (3, false), (1, true)] {
                let t = m.translate(s, options: TranslationOptions(beam: beam, maxLength: 12, shortlist: shortlist))
                #expect(!t.tokens.contains("<pad>") && !t.tokens.contains("<bos>") && !t.tokens.isEmpty, "beam \(beam): \(t.tokens)")
                #expect(t.logProbability.isFinite)
            }
        }
    }

    /// Greedy decoding with a shortlist (beam K = 1) is the exact step's greedy decoding with every
    /// word outside the shortlist excluded, and the log-softmax taken over the shortlist.
    @Test(arguments: [Seq2SeqAttention.additive, .none])
    func greedyIsTheExactStepRestricted(attention: Seq2SeqAttention) {
        let m = Self.model(attention)
        let ids = m.sourceVocabulary.count
        // Each source word suggests three of the target words 4…16, different ones for different words.
        let candidates = (0..<ids).map { s in s < 4 ? [] : [4 + s % 13, 4 + (3 * s) % 13, 4 + (7 * s + 1) % 13] }
        m.shortlist = VocabularyShortlist(perWord: 3, candidates: candidates, frequent: [5, 9], targetVocabularySize: 30)
        let net = m.network, decoder = net.decoder, Hd = net.configuration.decoderHiddenSize, Vt = 30
        for s in Self.sentences {
            let source = m.encodeSource(s).ids
            let allowed = m.shortlist!.targets(for: source)
            #expect(allowed.count < Vt - 10 && allowed.contains(3))
            // The reference: the exact step, scores of the allowed words only.
            var rng = SeededGenerator(seed: 0)
            net.encoder.forward(PackedBatch([source]), training: false, rng: &rng)
            let projection = Scratch()
            let src = decoder.source(1, steps: source.count, keys: net.encoder.keys, final: net.encoder.final, lengths: [source.count],
                                     projection: projection, shared: true)
            let step = Seq2SeqDecodingStep(decoder)
            step.prepare(src)
            let buffers = (h: Scratch(), next: Scratch(), weights: Scratch(), logits: Scratch())
            let h = buffers.h.get(Hd), next = buffers.next.get(Hd), logits = buffers.logits.get(Vt)
            let weights = attention == .none ? nil : buffers.weights.get(source.count)
            h.update(from: net.encoder.s0, count: Hd)
            var token = Seq2SeqNetwork.begin, words: [Int] = [], logp = 0.0
            for _ in 0..<12 {
                step.step(1, tokens: [token], hPrev: h, cPrev: nil, source: src, state: next, cellState: nil, weights: weights,
                          logits: logits)
                let best = allowed.max { logits[$0] != logits[$1] ? logits[$0] < logits[$1] : $0 > $1 }!
                let z = allowed.map { Double(logits[$0]) }
                let top = z.max()!
                logp += Double(logits[best]) - (top + log(z.reduce(0) { $0 + exp($1 - top) }))
                h.update(from: next, count: Hd)
                token = best
                if best == Seq2SeqNetwork.end { break }
                words.append(best)
            }
            let greedy = m.translate(s, options: TranslationOptions(beam: 1, maxLength: 12))
            #expect(greedy.tokens == words.map { m.targetVocabulary.tokens[$0] }, "\(attention): \(s)")
            #expect(abs(greedy.logProbability - logp) < 1e-4 * max(1, abs(logp)), "\(attention): \(s)")
            #expect(greedy.tokens.allSatisfy { allowed.contains(m.targetVocabulary.id(of: $0)!) })
            // A wider beam keeps to the shortlist too.
            let wide = m.translate(s, options: TranslationOptions(beam: 4, maxLength: 12))
            #expect(wide.tokens.allSatisfy { allowed.contains(m.targetVocabulary.id(of: $0)!) })
        }
    }

    static func temporaryFile() throws -> (dir: URL, path: String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("shortlist-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return (dir, dir.appendingPathComponent("m.safetensors").path)
    }

    static let pairs = [("w4 w5", "t6 t7"), ("w4", "t6"), ("w5 w9", "t7 t8 t20"), ("w9 w10 w11", "t21 t22 t8")]

    @discardableResult
    static func trainedShortlist(_ m: Seq2SeqModel) throws -> VocabularyShortlist.Report {
        try m.buildShortlist(pairs: pairs.map { (source: $0.0, target: $0.1) }, options: .init(perWord: 2, frequent: 3))
    }

    @Test func reportsWhatItBuiltAndRefusesPairsTheModelDoesNotKnow() throws {
        let m = Self.model()
        let report = try Self.trainedShortlist(m)
        #expect(report.pairs == 4)
        let perSentence = Self.pairs.map { m.shortlist!.targets(for: m.encodeSource($0.0).ids).count }
        #expect(report.targetsPerSentence == Double(perSentence.reduce(0, +)) / 4)
        // The languages swapped: the source side's words are the target vocabulary's, unknown here.
        let fresh = Self.model()
        #expect(throws: VocabularyShortlist.BuildError.unfamiliarWords(side: .source, unknown: 9, words: 9)) {
            try fresh.buildShortlist(pairs: Self.pairs.map { (source: $0.1, target: $0.0) })
        }
        #expect(fresh.shortlist == nil)
    }

    @Test func roundTripsThroughTheFile() throws {
        let m = Self.model()
        try Self.trainedShortlist(m)
        #expect(m.shortlist!.candidates[m.sourceVocabulary.id(of: "w4")!] == [m.targetVocabulary.id(of: "t6")!, m.targetVocabulary.id(of: "t7")!])
        let (dir, path) = try Self.temporaryFile()
        defer { try? FileManager.default.removeItem(at: dir) }
        try m.save(to: path)
        let loaded = try Seq2SeqModel.load(from: path)
        #expect(loaded.shortlist == m.shortlist)
        #expect(loaded.safetensors().serialized() == m.safetensors().serialized())
        for s in Self.sentences {
            #expect(loaded.translate(s) == m.translate(s))
            #expect(loaded.translate(s, options: TranslationOptions(shortlist: false)) == m.translate(s, options: TranslationOptions(shortlist: false)))
        }
        // The weights are those of the model without a shortlist, byte for byte.
        let plain = Self.model()
        for (name, e) in plain.safetensors().tensors { #expect(loaded.safetensors().tensors[name] == e, "\(name)") }
        #expect(Set(loaded.safetensors().tensors.keys).subtracting(plain.safetensors().tensors.keys)
                == [VocabularyShortlist.candidatesTensor, VocabularyShortlist.frequentTensor])
        // Without one, none comes back.
        try plain.save(to: path)
        #expect(try Seq2SeqModel.load(from: path).shortlist == nil)
    }

    /// Loads a file made from `m`'s contents after `damage`, expecting a `ModelFileError` whose
    /// message contains `expected`.
    func expectRefused(_ expected: String, _ damage: (inout Safetensors) -> Void) throws {
        let m = Self.model()
        try Self.trainedShortlist(m)
        var file = m.safetensors()
        damage(&file)
        let (dir, path) = try Self.temporaryFile()
        defer { try? FileManager.default.removeItem(at: dir) }
        try file.write(to: path)
        do {
            _ = try Seq2SeqModel.load(from: path)
            Issue.record("loaded a damaged shortlist (\(expected))")
        } catch let e as ModelFileError {
            #expect(e.description.contains(expected), "\(e)")
            #expect(e.description.hasPrefix(path))
        }
    }

    @Test func refusesDamagedShortlists() throws {
        let c = VocabularyShortlist.candidatesTensor, f = VocabularyShortlist.frequentTensor
        // A word outside the target vocabulary (30 words).
        try expectRefused("tensor `\(c)` holds 30.0 at index 9, which is not a target word id (0 to 29)") { $0.tensors[c]!.values[9] = 30 }
        try expectRefused("tensor `\(f)` holds -1.0 at index 0") { $0.tensors[f]!.values[0] = -1 }
        try expectRefused("holds 2.5 at index 8") { $0.tensors[c]!.values[8] = 2.5 }
        // One tensor without the other; a shape that does not fit the source vocabulary.
        try expectRefused("tensor `\(f)` is missing") { file in
            file.tensors[f] = nil
            file.metadata["rnnkit.shortlist"] = "{\"per_word\":2,\"frequent\":0}"
        }
        try expectRefused("has shape [10, 4]") { file in
            file.tensors[c] = .init(shape: [10, 4], values: [Float](repeating: 4, count: 40))
        }
        // Metadata that does not describe the tensors, or is not the sizes at all.
        try expectRefused("does not give the sizes") { file in
            file.tensors[c] = .init(shape: [20, 1], values: [Float](repeating: 5, count: 20))
            file.tensors[f] = .init(shape: [23], values: [Float](repeating: 6, count: 23))
        }
        try expectRefused("metadata `rnnkit.shortlist` is not") { $0.metadata["rnnkit.shortlist"] = "[1, 2]" }
    }
}
