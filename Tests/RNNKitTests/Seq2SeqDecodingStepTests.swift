import Foundation
import Testing
@testable import RNNKit

/// The decoding step (source-side products made once per sentence) against its plain twin, the
/// training step `Seq2SeqDecoder.stepForward` followed by fc_out: the same states, attention and
/// logits up to float rounding, for every cell and every attention kind, over several steps of
/// three hypotheses of one sentence.
@Suite("Seq2Seq decoding step")
struct Seq2SeqDecodingStepTests {
    @Test(arguments: [(CellKind.gru, Seq2SeqAttention.additive), (.gru, .none), (.lstm, .general), (.rnnTanh, .dot),
                      (.lstm, .additive), (.rnnRelu, .none)])
    func matchesThePlainStep(cell: CellKind, attention: Seq2SeqAttention) {
        // Regrouped, and (a source too long for its rows) multiplying c_t.
        for limit in [1 << 23, 0] { check(cell, attention, sourceValueLimit: limit) }
    }

    func check(_ cell: CellKind, _ attention: Seq2SeqAttention, sourceValueLimit: Int) {
        let c = Seq2SeqConfiguration(cell: cell, attention: attention, sourceVocabularySize: 17, targetVocabularySize: 23,
                                     embeddingSize: 7, encoderHiddenSize: 6, encoderLayers: 1, bidirectional: true,
                                     decoderHiddenSize: attention == .dot ? 12 : 9, attentionSize: 5, dropout: 0)
        let net = Seq2SeqNetwork(c)
        var rng = SeededGenerator(seed: 11)
        net.initializePyTorch(using: &rng)
        let decoder = net.decoder
        let (Hd, Vt, GH, I, X) = (c.decoderHiddenSize, c.targetVocabularySize, decoder.gateWidth, decoder.inputWidth,
                                  decoder.outputInputWidth)
        let sentence = [2, 5, 9, 14, 6, 3], S = sentence.count, b = 3
        net.encoder.forward(PackedBatch([sentence]), training: false, rng: &rng)
        let projection = Scratch()
        let source = decoder.source(1, steps: S, keys: net.encoder.keys, final: net.encoder.final, lengths: [S],
                                    projection: projection, shared: true)
        let step = Seq2SeqDecodingStep(decoder)
        step.sourceValueLimit = sourceValueLimit
        step.prepare(source)

        // Buffers of both steps; Scratch keeps each one's address for the test's length.
        var buffers: [Scratch] = []
        func buffer(_ n: Int) -> UnsafeMutablePointer<Float> { let s = Scratch(); buffers.append(s); return s.zeroed(n) }
        // Three hypotheses with different states and words, as a beam holds them.
        let hPrev = buffer(b * Hd), cPrev = buffer(b * Hd)
        for k in 0..<(b * Hd) { hPrev[k] = Float(rng.nextUniform() - 0.5); cPrev[k] = Float(rng.nextUniform() - 0.5) }
        var tokens = [2, 7, 19]
        let lstm = cell.hasCellState, hasAttention = attention != .none
        let cache = Seq2SeqDecoder.StepCache(input: buffer(b * I), state: buffer(b * Hd), cellState: lstm ? buffer(b * Hd) : nil,
                                             gates: buffer(b * GH), extra: cell == .gru ? buffer(b * Hd) : nil,
                                             weights: hasAttention ? buffer(b * S) : nil, outputInput: buffer(b * X))
        let plainLogits = buffer(b * Vt)
        let state = buffer(b * Hd), cellState = lstm ? buffer(b * Hd) : nil, weights = hasAttention ? buffer(b * S) : nil
        let logits = buffer(b * Vt)
        func array(_ p: UnsafeMutablePointer<Float>?, _ n: Int) -> [Float] { p.map { Array(UnsafeBufferPointer(start: $0, count: n)) } ?? [] }
        for t in 0..<4 {
            decoder.stepForward(b, tokens: tokens, hPrev: hPrev, cPrev: lstm ? cPrev : nil, source: source, mask: nil, cache: cache)
            decoder.output.forward(b, cache.outputInput, plainLogits, exactOneRow: false)
            step.step(b, tokens: tokens, hPrev: hPrev, cPrev: lstm ? cPrev : nil, source: source, state: state,
                      cellState: cellState, weights: weights, logits: logits)
            let name = "\(cell) \(attention) step \(t)\(step.regrouped ? "" : " (c_t)")"
            expectClose(array(state, b * Hd), array(cache.state, b * Hd), tolerance: 1e-5, relativeAbove: 1, "\(name): s_t")
            expectClose(array(cellState, b * Hd), array(cache.cellState, b * Hd), tolerance: 1e-5, relativeAbove: 1, "\(name): c_t")
            expectClose(array(weights, b * S), array(cache.weights, b * S), tolerance: 1e-6, relativeAbove: 1, "\(name): α")
            let ours = array(logits, b * Vt)
            expectClose(ours, array(plainLogits, b * Vt), tolerance: 1e-5, relativeAbove: 1, "\(name): logits")
            #expect(ours.allSatisfy(\.isFinite) && ours.contains { $0 != 0 }, "\(name): logits not computed")
            // The next step reads these states and each row's best word.
            hPrev.update(from: state, count: b * Hd)
            if let cellState { cPrev.update(from: cellState, count: b * Hd) }
            tokens = (0..<b).map { r in argmax(logits + r * Vt, count: Vt) }
        }
    }
}
