/// A seedable pseudo-random generator: xoshiro256** seeded through SplitMix64.
///
/// Swift's `SystemRandomNumberGenerator` cannot be seeded, and reproducible training needs every
/// random draw (initial weights, shuffles, dropout) to come from one explicit seed.
package struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64
    private var spareNormal: Double?

    package init(seed: UInt64) {
        var x = seed
        func splitMix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix(); s1 = splitMix(); s2 = splitMix(); s3 = splitMix()
    }

    /// The complete state, to save in a checkpoint: four words, then the spare normal sample's
    /// bits and whether there is one.
    package var state: [UInt64] {
        [s0, s1, s2, s3, spareNormal?.bitPattern ?? 0, spareNormal == nil ? 0 : 1]
    }

    /// A generator continuing exactly where the one whose `state` this is left off; nil for a
    /// malformed state.
    package init?(state: [UInt64]) {
        guard state.count == 6, state[0...3].contains(where: { $0 != 0 }) else { return nil }
        (s0, s1, s2, s3) = (state[0], state[1], state[2], state[3])
        spareNormal = state[5] == 1 ? Double(bitPattern: state[4]) : nil
    }

    package mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }

    /// Uniform in [0, 1) with 53 random bits.
    package mutating func nextUniform() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Standard normal sample by the Box–Muller transform (the second value of each pair is kept).
    package mutating func nextNormal() -> Double {
        if let z = spareNormal {
            spareNormal = nil
            return z
        }
        var u1 = nextUniform()
        while u1 == 0 { u1 = nextUniform() }
        let u2 = nextUniform()
        let r = (-2 * _log(u1)).squareRoot()
        spareNormal = r * _sin(2 * Double.pi * u2)
        return r * _cos(2 * Double.pi * u2)
    }

    /// Uniform integer in 0..<bound, unbiased (Lemire's multiply-and-reject).
    package mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0)
        let b = UInt64(bound)
        var m = next().multipliedFullWidth(by: b)
        if m.low < b {
            let threshold = (0 &- b) % b
            while m.low < threshold { m = next().multipliedFullWidth(by: b) }
        }
        return Int(m.high)
    }

    /// Fisher–Yates shuffle; the same generator state gives the same order on every platform,
    /// unlike `Array.shuffle(using:)` whose algorithm is unspecified.
    package mutating func shuffle<T>(_ items: inout [T]) {
        guard items.count > 1 else { return }
        for i in stride(from: items.count - 1, to: 0, by: -1) {
            items.swapAt(i, nextInt(below: i + 1))
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
@inline(__always) private func _log(_ x: Double) -> Double { log(x) }
@inline(__always) private func _sin(_ x: Double) -> Double { sin(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { cos(x) }
