/// Inverted dropout: in training each element is zeroed with probability p and the survivors are
/// scaled by 1/(1 − p), so nothing changes at inference. The mask comes from the caller's seeded
/// generator, so training stays reproducible.
final class Dropout: @unchecked Sendable {
    let probability: Float
    private let mask = Scratch()
    private(set) var active = false

    init(probability: Float) { self.probability = probability }

    /// x ⊙ mask in place over n elements (no-op unless training with p > 0).
    func forward(_ x: UnsafeMutablePointer<Float>, count n: Int, training: Bool, rng: inout SeededGenerator) {
        active = training && probability > 0
        guard active else { return }
        let m = mask.get(n)
        Dropout.drawMask(m, count: n, probability: probability, rng: &rng)
        for k in 0..<n { x[k] *= m[k] }
    }

    /// Fills m[0..<n] with 0 (probability p) or 1/(1 − p), the mask `forward` multiplies by. Each
    /// 64-bit draw decides two elements: keep when a 32-bit half is below (1 − p)·2³².
    static func drawMask(_ m: UnsafeMutablePointer<Float>, count n: Int, probability: Float, rng: inout SeededGenerator) {
        let keep = 1 - probability, scale = 1 / keep
        let threshold = UInt64((Double(keep) * 4_294_967_296).rounded(.down))
        var k = 0
        while k < n {
            let r = rng.next()
            m[k] = (r & 0xFFFF_FFFF) < threshold ? scale : 0
            if k + 1 < n { m[k + 1] = (r >> 32) < threshold ? scale : 0 }
            k += 2
        }
    }

    /// dx = dy ⊙ mask in place.
    func backward(_ dy: UnsafeMutablePointer<Float>, count n: Int) {
        guard active else { return }
        let m = mask.pointer
        for k in 0..<n { dy[k] *= m[k] }
    }
}
