import Foundation
import Testing
@testable import RNNKit

/// `WeightPrecision.bfloat16` and `.int8` against the float decoding on small trained models: a
/// step's logits within a stated tolerance, nearly the same translations, and nothing of it saved.
@Suite("bfloat16 and int8 weights for decoding")
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
    /// weights or, given `reduced`, their reduced copies.
    static func greedySteps(_ model: Seq2SeqModel, _ sentence: [Int], steps: Int,
                            reduced: ReducedSeq2SeqWeights?) -> [(logits: [Float], word: Int)] {
        let net = model.network, decoder = net.decoder
        let (Hd, Vt, S, lstm) = (decoder.hiddenSize, decoder.vocabularySize, sentence.count, decoder.cell.hasCellState)
        var rng = SeededGenerator(seed: 0)
        net.encoder.forward(PackedBatch([sentence]), training: false, rng: &rng, reduced: reduced?.encoder)
        let projection = Scratch()
        let source = decoder.source(1, steps: S, keys: net.encoder.keys, final: net.encoder.final, lengths: [S],
                                    projection: projection, shared: true, reducedAttention: reduced?.attention)
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

    @Test("A step's logits with bfloat16 (int8) weights are within 2 % (3 %) of the logits' range of the float ones",
          arguments: [(WeightPrecision.bfloat16, 0.02), (.int8, 0.03)])
    func logitsWithinTolerance(precision: WeightPrecision, tolerance: Double) throws {
        for (attention, cell) in [(Seq2SeqAttention.additive, CellKind.gru), (.general, .lstm), (.none, .gru), (.dot, .rnnTanh)] {
            let model = try Self.trained(attention, cell: cell)
            let copies = ReducedSeq2SeqWeights(model.network, precision: precision)
            for text in ["eins zwei drei", "vier fünf sechs sieben acht", "null neun"] {
                let ids = model.encodeSource(text).ids
                let float = Self.greedySteps(model, ids, steps: 4, reduced: nil)
                let reduced = Self.greedySteps(model, ids, steps: 4, reduced: copies)
                for (t, (fs, rs)) in zip(float, reduced).enumerated() {
                    let (f, r) = (fs.logits, rs.logits)
                    let range = Double(f.max()! - f.min()!)
                    let worst = zip(f, r).map { Double(abs($0 - $1)) }.max()!
                    let finite = r.allSatisfy { $0.isFinite }
                    #expect(finite, "\(precision) \(cell) \(attention) \(text) step \(t)")
                    #expect(worst <= tolerance * range,
                            "\(precision) \(cell) \(attention) \"\(text)\" step \(t): |Δ| \(worst), range \(range)")
                    // And not identical: the reduced path did read other weights.
                    #expect(worst > 0, "\(cell) \(attention) \"\(text)\" step \(t)")
                    // Later steps read each path's own word: compared while the words agree.
                    if fs.word != rs.word { break }
                }
            }
        }
    }

    @Test("Translations with bfloat16 or int8 weights nearly all equal the float ones; float is the default; nothing is saved",
          arguments: [WeightPrecision.bfloat16, .int8])
    func translationsAndFile(precision: WeightPrecision) throws {
        let model = try Self.trained()
        let before = model.safetensors().serialized()
        let test = Seq2SeqTrainingTests.pairs(60, seed: 3)
        let bf16 = TranslationOptions(includeAttention: false, precision: precision)
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
        #expect(same >= 57, "\(precision): \(same) of 60 translations unchanged")
        let scores = model.evaluate(sources: test.map(\.source), references: test.map(\.target), options: bf16)
        let exactScores = model.evaluate(sources: test.map(\.source), references: test.map(\.target))
        #expect(abs(scores.bleu - exactScores.bleu) <= 3, "BLEU \(scores.bleu) vs \(exactScores.bleu)")
        // The copies are the model's own, never part of its file.
        #expect(model.safetensors().serialized() == before)
    }
}

extension WeightPrecisionTests {
    @Test("Reduced copies made before more training follow the new weights", arguments: [WeightPrecision.bfloat16, .int8])
    func copiesFollowTraining(precision: WeightPrecision) throws {
        var recipe = Seq2SeqTrainingTests.recipe(.additive, cell: .gru)
        recipe.training.epochs = 2
        let run = try Seq2SeqTraining(train: Seq2SeqTrainingTests.pairs(200, seed: 1), recipe: recipe)
        try run.fit()
        let bf16 = TranslationOptions(precision: precision)
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

extension WeightPrecisionTests {
    @Test("int8 copies: each weight within half a step of its row's scale; zero and non-finite rows")
    func int8Copies() {
        var rng = SeededGenerator(seed: 9)
        var w = randomFloats(4 * 50, &rng)
        for k in 0..<50 { w[50 + k] = 0 }
        w[2 * 50 + 7] = .nan
        w[3 * 50 + 3] = Float.leastNormalMagnitude / 16  // a subnormal weight in a row of normal ones: it rounds to 0
        let m = ReducedMatrix(.int8, rows: 4, columns: 50, w)
        for r in [0, 3] {
            let scale = m.scales![r]
            for k in 0..<50 {
                let back = Double(m.bytes![r * 50 + k]) * Double(scale)
                #expect(abs(back - Double(w[r * 50 + k])) <= 0.5001 * Double(scale), "row \(r) column \(k)")
            }
            #expect((0..<50).map { abs(Int(m.bytes![r * 50 + $0])) }.max() == 127)
        }
        #expect(m.scales![1] == 0 && m.scales![2].isNaN)
        // A NaN weight makes its row's products NaN, as the float weights would; the others stay finite.
        let x = randomFloats(2 * 50, &rng)
        var y = [Float](repeating: 0, count: 2 * 4)
        m.product(2, 50, x, lda: 50, column: 0, &y, ldc: 4, accumulate: false, split: false, activations: QuantizedRows())
        for i in 0..<2 {
            #expect(y[i * 4 + 1] == 0 && y[i * 4 + 2].isNaN && y[i * 4].isFinite && y[i * 4 + 3].isFinite)
            // Close to the float product: int8 weights (2⁻⁸ of the row's largest), int16 inputs.
            var exact = 0.0, size = 0.0
            for k in 0..<50 {
                exact += Double(x[i * 50 + k]) * Double(w[k])
                size += abs(Double(x[i * 50 + k])) * Double(m.scales![0]) * 127
            }
            #expect(abs(Double(y[i * 4]) - exact) <= size / 127, "\(y[i * 4]) vs \(exact)")
        }
        // Gathering rows keeps their values and scales.
        let short = ReducedMatrix(precision: .int8, columns: 50)
        short.gather([3, 0], from: m)
        #expect(short.rows == 2 && short.scales![0] == m.scales![3] && short.scales![1] == m.scales![0])
        #expect((0..<50).allSatisfy { short.bytes![50 + $0] == m.bytes![$0] })
        // No rows: a product with nothing to write, in either format.
        for precision in [WeightPrecision.int8, .bfloat16] {
            let none = ReducedMatrix(precision: precision, columns: 50)
            none.gather([], from: ReducedMatrix(precision, rows: 4, columns: 50, w))
            var nothing: [Float] = [7]
            none.product(1, 50, x, lda: 50, column: 0, &nothing, ldc: 0, accumulate: false, split: true, activations: QuantizedRows())
            #expect(none.rows == 0 && nothing == [7])
        }
    }
}
