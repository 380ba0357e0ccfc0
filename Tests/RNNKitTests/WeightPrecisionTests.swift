import Foundation
import Testing
@testable import RNNKit

/// `WeightPrecision.bfloat16` against the float decoding on small trained models: a step's logits
/// within a stated tolerance, nearly the same translations, and nothing of it saved.
@Suite("bfloat16 weights for decoding")
struct WeightPrecisionTests {
    /// A model trained for a few seconds on the made-up reversing language of `Seq2SeqTrainingTests`.
    static func trained(_ attention: Seq2SeqAttention = .additive, cell: CellKind = .gru) throws -> Seq2SeqModel {
        var recipe = Seq2SeqTrainingTests.recipe(attention, cell: cell)
        recipe.training.epochs = 6
        let run = try Seq2SeqTraining(train: Seq2SeqTrainingTests.pairs(400, seed: 1), recipe: recipe)
        try run.fit()
        return run.model
    }

    /// Every step's logits and word of a greedy decoding with `Seq2SeqDecodingStep`, from the float
    /// weights or, given `reduced`, their bfloat16 copies.
    static func greedySteps(_ model: Seq2SeqModel, _ sentence: [Int], steps: Int,
                            reduced: ReducedSeq2SeqWeights?) -> [(logits: [Float], word: Int)] {
        let net = model.network, decoder = net.decoder
        let (Hd, Vt, S, lstm) = (decoder.hiddenSize, decoder.vocabularySize, sentence.count, decoder.cell.hasCellState)
        var rng = SeededGenerator(seed: 0)
        net.encoder.forward(PackedBatch([sentence]), training: false, rng: &rng, reducedHH: reduced?.encoderHH)
        let projection = Scratch()
        let source = decoder.source(1, steps: S, keys: net.encoder.keys, final: net.encoder.final, lengths: [S],
                                    projection: projection, shared: true)
        let step = Seq2SeqDecodingStep(decoder)
        step.prepare(source, reduced: reduced)
        var h = Array(UnsafeBufferPointer(start: net.encoder.s0, count: Hd)), c = [Float](repeating: 0, count: Hd)
        var state = [Float](repeating: 0, count: Hd), cell = [Float](repeating: 0, count: Hd)
        var alpha = [Float](repeating: 0, count: S), logits = [Float](repeating: 0, count: Vt)
        var token = Seq2SeqNetwork.begin, result: [(logits: [Float], word: Int)] = []
        for _ in 0..<steps {
            c.withUnsafeBufferPointer { c in
                cell.withUnsafeMutableBufferPointer { cell in
                    step.step(1, tokens: [token], hPrev: h, cPrev: lstm ? c.baseAddress : nil, source: source, state: &state,
                              cellState: lstm ? cell.baseAddress : nil, weights: &alpha, logits: &logits)
                }
            }
            token = argmax(logits, count: Vt)
            result.append((logits, token))
            (h, c) = (state, cell)
        }
        return result
    }

    @Test("A step's logits with bfloat16 weights are within 2 % of the logits' range of the float ones")
    func logitsWithinTolerance() throws {
        for (attention, cell) in [(Seq2SeqAttention.additive, CellKind.gru), (.general, .lstm), (.none, .gru)] {
            let model = try Self.trained(attention, cell: cell)
            for text in ["eins zwei drei", "vier fünf sechs sieben acht", "null neun"] {
                let ids = model.encodeSource(text).ids
                let float = Self.greedySteps(model, ids, steps: 4, reduced: nil)
                let reduced = Self.greedySteps(model, ids, steps: 4, reduced: ReducedSeq2SeqWeights(model.network))
                for (t, (fs, rs)) in zip(float, reduced).enumerated() {
                    let (f, r) = (fs.logits, rs.logits)
                    let range = Double(f.max()! - f.min()!)
                    let worst = zip(f, r).map { Double(abs($0 - $1)) }.max()!
                    let finite = r.allSatisfy { $0.isFinite }
                    #expect(finite, "\(cell) \(attention) \(text) step \(t)")
                    #expect(worst <= 0.02 * range, "\(cell) \(attention) \"\(text)\" step \(t): |Δ| \(worst), range \(range)")
                    // And not identical: the reduced path did read other weights.
                    #expect(worst > 0, "\(cell) \(attention) \"\(text)\" step \(t)")
                    // Later steps read each path's own word: compared while the words agree.
                    if fs.word != rs.word { break }
                }
            }
        }
    }

    @Test("Translations with bfloat16 weights nearly all equal the float ones; float is the default; nothing is saved")
    func translationsAndFile() throws {
        let model = try Self.trained()
        let before = model.safetensors().serialized()
        let test = Seq2SeqTrainingTests.pairs(60, seed: 3)
        let bf16 = TranslationOptions(includeAttention: false, precision: .bfloat16)
        let float = TranslationOptions(includeAttention: false, precision: .float)
        var same = 0
        for (s, _) in test {
            let exact = model.translate(s, options: TranslationOptions(includeAttention: false))
            #expect(model.translate(s, options: float) == exact)
            let reduced = model.translate(s, options: bf16)
            #expect(reduced.isFinite && !reduced.tokens.isEmpty)
            if reduced.tokens == exact.tokens { same += 1 }
            #expect(abs(reduced.logProbability - exact.logProbability) <= 0.05 * max(1, abs(exact.logProbability)) || reduced.tokens != exact.tokens,
                    "\(s): log p \(reduced.logProbability) vs \(exact.logProbability)")
        }
        #expect(same >= 57, "\(same) of 60 translations unchanged")
        let scores = model.evaluate(sources: test.map(\.source), references: test.map(\.target), options: bf16)
        let exactScores = model.evaluate(sources: test.map(\.source), references: test.map(\.target))
        #expect(abs(scores.bleu - exactScores.bleu) <= 3, "BLEU \(scores.bleu) vs \(exactScores.bleu)")
        // The copies are the model's own, never part of its file.
        #expect(model.safetensors().serialized() == before)
    }
}

extension WeightPrecisionTests {
    @Test("bfloat16 copies made before more training follow the new weights")
    func copiesFollowTraining() throws {
        var recipe = Seq2SeqTrainingTests.recipe(.additive, cell: .gru)
        recipe.training.epochs = 2
        let run = try Seq2SeqTraining(train: Seq2SeqTrainingTests.pairs(200, seed: 1), recipe: recipe)
        try run.fit()
        let bf16 = TranslationOptions(precision: .bfloat16)
        let text = "eins zwei drei vier"
        let before = run.model.translate(text, options: bf16)  // the copies are made from these weights
        try run.fit()
        // Training moved the weights, so a translation from stale copies would differ from a fresh model's.
        #expect(run.model.translate(text, options: bf16).logProbability != before.logProbability)
        // A model holding the same (further trained) weights, whose copies are made now.
        let fresh = try Seq2SeqModel(safetensors: run.model.safetensors())
        #expect(run.model.translate(text, options: bf16) == fresh.translate(text, options: bf16))
    }
}
