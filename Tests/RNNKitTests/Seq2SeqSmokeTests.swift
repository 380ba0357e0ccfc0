import Foundation
import Testing
@testable import RNNKit

@Suite("Seq2Seq smoke")
struct Seq2SeqSmokeTests {
    static let sources = [[2, 5, 6, 7, 3], [2, 8, 3], [2, 9, 10, 11, 12, 3]]
    static let targets = [[2, 5, 6, 3], [2, 7, 8, 9, 10, 3], [2, 4, 3]]

    @Test(arguments: [(CellKind.gru, Seq2SeqAttention.additive, true, 1), (.gru, .none, true, 1), (.lstm, .general, false, 2),
                      (.rnnTanh, .dot, true, 2), (.lstm, .additive, true, 2)])
    func finiteDifferences(cell: CellKind, attention: Seq2SeqAttention, bi: Bool, layers: Int) {
        let hk = (bi ? 2 : 1) * 4
        let c = Seq2SeqConfiguration(cell: cell, attention: attention, sourceVocabularySize: 13, targetVocabularySize: 11,
                                     embeddingSize: 5, encoderHiddenSize: 4, encoderLayers: layers, bidirectional: bi,
                                     decoderHiddenSize: attention == .dot ? hk : 6, attentionSize: 5, dropout: 0)
        let net = Seq2SeqNetwork(c)
        var rng = SeededGenerator(seed: 7)
        for p in net.parameters { for k in 0..<p.value.count { p.value[k] = Float(rng.nextUniform() - 0.5) * 1.2 } }
        for p in net.parameters { p.grad.zero() }
        let r = net.train(sources: Self.sources, targets: Self.targets, rng: &rng)
        let count = Double(r.count)
        var worst = 0.0, worstName = ""
        for p in net.parameters {
            for k in stride(from: 0, to: p.value.count, by: max(1, p.value.count / 7)) {
                let v = p.value[k], h: Float = 1e-2
                p.value[k] = v + h
                let lp = net.train(sources: Self.sources, targets: Self.targets, backward: false, rng: &rng).loss / count
                p.value[k] = v - h
                let lm = net.train(sources: Self.sources, targets: Self.targets, backward: false, rng: &rng).loss / count
                p.value[k] = v
                let fd = (lp - lm) / (2 * Double(h))
                let g = Double(p.grad[k])
                let err = abs(fd - g) / max(1, abs(fd))
                if err > worst { worst = err; worstName = "\(p.name)[\(k)] fd \(fd) g \(g)" }
            }
        }
        #expect(worst < 3e-3, "\(cell) \(attention): worst \(worst) at \(worstName)")
    }
}
