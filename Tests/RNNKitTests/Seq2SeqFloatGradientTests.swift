import Foundation
import Testing
@testable import RNNKit

/// The network's own Float loss, differenced centrally (h = 1e-2), against its analytic gradient,
/// for every tensor of five configurations (each cell, each attention kind and none, one and two
/// encoder layers, one and two directions), teacher forcing on and off: a quick check that needs no
/// fixture. PyTorch's gradients (`Seq2SeqParityTests`) and the Double reference are the exact ones.
@Suite("Seq2Seq Float finite differences")
struct Seq2SeqFloatGradientTests {
    static let sources = [[2, 5, 6, 7, 3], [2, 8, 3], [2, 9, 10, 11, 12, 3]]
    static let targets = [[2, 5, 6, 3], [2, 7, 8, 9, 10, 3], [2, 4, 3]]

    @Test(arguments: [(CellKind.gru, Seq2SeqAttention.additive, true, 1), (.gru, .none, true, 1), (.lstm, .general, false, 2),
                      (.rnnTanh, .dot, true, 2), (.lstm, .additive, true, 2)])
    func finiteDifferences(cell: CellKind, attention: Seq2SeqAttention, bi: Bool, layers: Int) {
        for teacherForcing in [1.0, 0.0] { check(cell, attention, bi, layers, teacherForcing) }
    }

    func check(_ cell: CellKind, _ attention: Seq2SeqAttention, _ bi: Bool, _ layers: Int, _ teacherForcing: Double) {
        let hk = (bi ? 2 : 1) * 4
        let c = Seq2SeqConfiguration(cell: cell, attention: attention, sourceVocabularySize: 13, targetVocabularySize: 11,
                                     embeddingSize: 5, encoderHiddenSize: 4, encoderLayers: layers, bidirectional: bi,
                                     decoderHiddenSize: attention == .dot ? hk : 6, attentionSize: 5, dropout: 0)
        let net = Seq2SeqNetwork(c)
        var rng = SeededGenerator(seed: 7)
        for p in net.parameters { for k in 0..<p.value.count { p.value[k] = Float(rng.nextUniform() - 0.5) * 1.2 } }
        for p in net.parameters { p.grad.zero() }
        // Free running feeds each step the previous step's best word: an element whose nudge
        // changes a best word is a jump in the loss, where differences say nothing; it is skipped.
        func bestWords() -> [[Int]] {
            var best = [[Int]](repeating: [], count: Self.sources.count)
            let V = c.targetVocabularySize
            _ = net.train(sources: Self.sources, targets: Self.targets, teacherForcing: teacherForcing, backward: false, rng: &rng,
                          logitsOut: { k, steps, p in best[k] = (0..<steps).map { argmax(p + $0 * V, count: V) } })
            return best
        }
        let base = bestWords()
        let r = net.train(sources: Self.sources, targets: Self.targets, teacherForcing: teacherForcing, rng: &rng)
        let count = Double(r.count)
        var worst = 0.0, worstName = "", checked = 0
        for p in net.parameters {
            for k in stride(from: 0, to: p.value.count, by: max(1, p.value.count / 7)) {
                let v = p.value[k], h: Float = 1e-2
                p.value[k] = v + h
                let lp = net.train(sources: Self.sources, targets: Self.targets, teacherForcing: teacherForcing, backward: false, rng: &rng).loss / count
                let jumpsUp = teacherForcing < 1 && bestWords() != base
                p.value[k] = v - h
                let lm = net.train(sources: Self.sources, targets: Self.targets, teacherForcing: teacherForcing, backward: false, rng: &rng).loss / count
                let jumpsDown = teacherForcing < 1 && bestWords() != base
                p.value[k] = v
                if jumpsUp || jumpsDown { continue }
                checked += 1
                let fd = (lp - lm) / (2 * Double(h))
                let g = Double(p.grad[k])
                let err = abs(fd - g) / max(1, abs(fd))
                if err > worst { worst = err; worstName = "\(p.name)[\(k)] fd \(fd) g \(g)" }
            }
        }
        #expect(checked > 100, "\(cell) \(attention): only \(checked) elements checked")
        #expect(worst < 3e-3, "\(cell) \(attention) teacher forcing \(teacherForcing): worst \(worst) at \(worstName)")
    }
}
