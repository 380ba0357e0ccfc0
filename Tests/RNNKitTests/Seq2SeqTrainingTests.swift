import Foundation
import Testing
@testable import RNNKit

/// End to end on a made-up language whose sentences translate word by word in reverse order, so a
/// model must align words across the sentence (what attention is for).
@Suite("Seq2Seq training and decoding")
struct Seq2SeqTrainingTests {
    static let dictionary = [("eins", "one"), ("zwei", "two"), ("drei", "three"), ("vier", "four"), ("fünf", "five"),
                             ("sechs", "six"), ("sieben", "seven"), ("acht", "eight"), ("neun", "nine"), ("null", "zero")]

    static func pairs(_ count: Int, seed: UInt64) -> [(source: String, target: String)] {
        var rng = SeededGenerator(seed: seed)
        return (0..<count).map { _ in
            let n = 2 + rng.nextInt(below: 4)
            let words = (0..<n).map { _ in dictionary[rng.nextInt(below: dictionary.count)] }
            return (words.map(\.0).joined(separator: " "), words.reversed().map(\.1).joined(separator: " "))
        }
    }

    static func recipe(_ attention: Seq2SeqAttention = .additive, cell: CellKind = .gru) -> Seq2SeqRecipe {
        var training = Seq2SeqTrainingOptions()
        training.batchSize = 32
        training.epochs = 12
        training.learningRate = 0.01
        training.teacherForcing = 1
        return Seq2SeqRecipe(minCount: 1, tokenizer: .words(lowercase: true), cell: cell, attention: attention,
                             embeddingSize: 16, encoderHiddenSize: 24, encoderLayers: 1, bidirectional: true,
                             decoderHiddenSize: attention == .dot ? 48 : 32, attentionSize: 16, dropout: 0,
                             training: training)
    }

    @Test func learnsToTranslateAndRoundTrips() throws {
        let run = try Seq2SeqTraining(train: Self.pairs(600, seed: 1), validation: Self.pairs(60, seed: 2), recipe: Self.recipe())
        var losses: [Double] = []
        try run.fit { event in
            if case .evaluated(let e) = event, let v = e.validation { losses.append(v.loss) }
        }
        #expect(losses.count == 12)
        #expect(losses.last! < losses.first! / 4, "validation loss \(losses)")
        let model = run.model
        let test = Self.pairs(40, seed: 3)
        let scores = model.evaluate(sources: test.map(\.source), references: test.map(\.target))
        #expect(scores.bleu > 80, "BLEU \(scores.bleu): \(scores.hypotheses.prefix(5))")
        #expect(model.translate("eins zwei drei").text == "three two one")

        // Beam search: K = 1 is greedy exactly; a wider beam still translates.
        for (s, _) in test.prefix(10) {
            let greedy = model.translate(s), beam1 = model.translate(s, options: TranslationOptions(beam: 1))
            #expect(greedy == beam1)
            #expect(greedy.attention.count == greedy.tokens.count + 1)
            #expect(greedy.attention.allSatisfy { abs($0.reduce(0, +) - 1) < 1e-4 && $0.count == greedy.sourceTokens.count })
        }
        let wide = model.evaluate(sources: test.map(\.source), references: test.map(\.target), options: TranslationOptions(beam: 4))
        #expect(wide.bleu > 80)

        // The file: same translations after a round trip; the same bytes when saved again.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("s2s-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("m.safetensors").path
        try model.save(to: path)
        let loaded = try Seq2SeqModel.load(from: path)
        for (s, _) in test.prefix(10) { #expect(loaded.translate(s, options: TranslationOptions(beam: 3)) == model.translate(s, options: TranslationOptions(beam: 3))) }
        #expect(loaded.safetensors().serialized() == model.safetensors().serialized())
        #expect(loaded.configuration == model.configuration)
    }

    @Test func sameSeedSameModel() throws {
        var r = Self.recipe(.general, cell: .lstm)
        r.training.epochs = 2
        r.training.teacherForcing = 0.5
        r.dropout = 0.2
        let a = try Seq2SeqTraining(train: Self.pairs(100, seed: 1), recipe: r), b = try Seq2SeqTraining(train: Self.pairs(100, seed: 1), recipe: r)
        try a.fit()
        try b.fit()
        #expect(a.model.safetensors().serialized() == b.model.safetensors().serialized())
    }

    /// A run stopped after 2 epochs and resumed to 4 from its checkpoint ends with the model an
    /// uninterrupted 4-epoch run gives, bit for bit (shuffles, dropout, teacher forcing, Adam).
    @Test func resumesBitIdentically() throws {
        var r = Self.recipe(.additive)
        r.dropout = 0.3
        r.training.teacherForcing = 0.5
        r.training.epochs = 4
        let train = Self.pairs(90, seed: 4), validation = Self.pairs(20, seed: 5)
        let whole = try Seq2SeqTraining(train: train, validation: validation, recipe: r)
        try whole.fit()

        let dir = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let checkpoint = dir.appendingPathComponent("run.ckpt").path
        var first = r
        first.training.epochs = 2
        try Seq2SeqTraining(train: train, validation: validation, recipe: first).fit(checkpoint: checkpoint)
        let resumed = try Seq2SeqTraining(train: train, validation: validation, recipe: r)
        var resumedAt: Int?
        try resumed.fit(checkpoint: checkpoint, resume: true) { event in
            if case .started(let plan) = event { resumedAt = plan.resumed?.epoch }
        }
        #expect(resumedAt == 3)
        #expect(resumed.model.safetensors().serialized() == whole.model.safetensors().serialized())
    }
}
