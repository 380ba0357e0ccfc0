import Foundation
import Testing
@testable import RNNKit

// The activations' accuracy in ulps against Double, at every instruction-set level (each check
// runs in a child process: see KernelTests for why levels are switched only there).

/// The largest errors the fast activations may have, in ulps of the exact result. Measured with
/// an optimized build over all 2³² floats at every level: tanh 1.51 (portable) / 1.49 (AVX2,
/// AVX-512), σ 2.40, exp 0.99 / 1.01; NaN in gives NaN out, everywhere.
enum ActivationBounds {
    static let tanh = 2.0
    static let sigmoid = 3.0
    static let exp = 1.5
    /// The largest relative error of any of them: 3 ulps, an ulp being at most 2⁻²³ of the value.
    static let relative = 3 * Double(Float.ulpOfOne)
}

/// |y − exact| in ulps of the float spacing at |exact| (the spacing below a power of two when
/// exact lies just below it); infinity when y is NaN, infinite or of the wrong kind while exact
/// is not, 0 when both are the same NaN/infinity/overflow.
func ulpError(_ y: Float, exact: Double) -> Double {
    if exact.isNaN { return y.isNaN ? 0 : .infinity }
    if y.isNaN { return .infinity }
    let rounded = Float(exact)
    if rounded.isInfinite { return y == rounded ? 0 : .infinity }
    if y.isInfinite { return .infinity }
    let m = rounded.magnitude
    let spacing = Double(m) > exact.magnitude ? m.nextDown.ulp : m.ulp
    return abs(Double(y) - exact) / Double(spacing)
}

extension KernelChecks {
    /// Every `stride`-th float in [−20, 20] (by bit pattern, so every binade down to the subnormals
    /// is visited) plus the special values.
    static func activationInputs(stride: UInt32) -> [Float] {
        var xs: [Float] = []
        let top = (20 as Float).bitPattern
        var bits: UInt32 = 0
        while bits <= top {
            let x = Float(bitPattern: bits)
            xs.append(x)
            xs.append(-x)
            bits += stride
        }
        xs += [0, -0.0, .leastNonzeroMagnitude, -.leastNonzeroMagnitude, .leastNormalMagnitude, 1e-30, -1e-30,
               0.55, Float(0.55).nextDown, -0.55, 9, Float(9).nextUp, 88.72, 88.73, 89, -87.3, -103.9, -104, -105,
               50, -50, 100, -100, 1e10, -1e10, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
               .infinity, -.infinity, .nan]
        return xs
    }

    /// Runs kernel on xs, returns the worst ulp error against exact and where it is.
    static func worstUlps(_ xs: [Float], _ kernel: (Int, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void,
                          exact: (Double) -> Double) -> (ulps: Double, x: Float, y: Float) {
        var ys = [Float](repeating: .nan, count: xs.count)
        kernel(xs.count, xs, &ys)
        var worst = (ulps: 0.0, x: Float(0), y: Float(0))
        for (x, y) in zip(xs, ys) {
            let e = ulpError(y, exact: exact(Double(x)))
            if !(e <= worst.ulps) { worst = (e.isNaN ? .infinity : e, x, y) }
        }
        return worst
    }

    /// tanh, σ and exp within their ulp bounds against Double on every 1009th float in [−20, 20]
    /// (2.2 million, every binade: about 30 s in a debug build, where every 37th takes 6 minutes)
    /// and the special values; exact on the values that have an exact answer
    static func activationUlps() {
        let xs = activationInputs(stride: 1009)
        let functions: [(name: String, bound: Double,
                         kernel: (Int, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void,
                         exact: (Double) -> Double)] = [
            ("tanh", ActivationBounds.tanh, { Kernels.tanh($0, $1, $2) }, { Foundation.tanh($0) }),
            ("sigmoid", ActivationBounds.sigmoid, { Kernels.sigmoid($0, $1, $2) }, { ReferenceKernels.sigmoid($0) }),
            ("exp", ActivationBounds.exp, { Kernels.exp($0, $1, $2) }, { Foundation.exp($0) }),
        ]
        forEachLevel { level in
            for f in functions {
                let worst = worstUlps(xs, f.kernel, exact: f.exact)
                #expect(worst.ulps <= f.bound,
                        "\(f.name) level \(level): \(worst.ulps) ulps at x = \(worst.x) (got \(worst.y)), bound \(f.bound)")
            }
            // Exact answers: signs of zero, tiny values, saturation, NaN.
            func one(_ kernel: (Int, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void, _ x: Float) -> Float {
                var y: Float = .nan
                kernel(1, [x], &y)
                return y
            }
            let tanhK: (Int, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void = { Kernels.tanh($0, $1, $2) }
            let sigmoidK: (Int, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void = { Kernels.sigmoid($0, $1, $2) }
            let expK: (Int, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void = { Kernels.exp($0, $1, $2) }
            let minusZero = one(tanhK, -0.0)
            #expect(minusZero == 0 && minusZero.sign == .minus, "level \(level): tanh(−0) = \(minusZero)")
            for tiny: Float in [.leastNonzeroMagnitude, 1e-40, .leastNormalMagnitude, 1e-20, 1e-5] {
                #expect(one(tanhK, tiny) == tiny && one(tanhK, -tiny) == -tiny, "level \(level): tanh(±\(tiny))")
            }
            for (x, y) in [(Float.infinity, Float(1)), (-.infinity, -1), (9.5, 1), (-1e30, -1), (.greatestFiniteMagnitude, 1)] {
                #expect(one(tanhK, x) == y, "level \(level): tanh(\(x)) = \(one(tanhK, x))")
            }
            for (x, y) in [(Float(0), Float(0.5)), (-0.0, 0.5), (.infinity, 1), (-.infinity, 0), (1e-30, 0.5), (200, 1), (-200, 0)] {
                #expect(one(sigmoidK, x) == y, "level \(level): σ(\(x)) = \(one(sigmoidK, x))")
            }
            for (x, y) in [(Float(0), Float(1)), (-0.0, 1), (.infinity, .infinity), (-.infinity, 0), (89, .infinity),
                           (-104, 0), (1e-30, 1), (.greatestFiniteMagnitude, .infinity)] {
                #expect(one(expK, x) == y, "level \(level): exp(\(x)) = \(one(expK, x))")
            }
            // exp and σ keep subnormal results (rounded once) instead of flushing them to zero.
            #expect(one(expK, -100) > 0 && ulpError(one(expK, -100), exact: Foundation.exp(-100.0)) <= 1, "level \(level): exp(−100)")
            #expect(one(sigmoidK, -100) > 0, "level \(level): σ(−100) flushed to 0")
            for kernel in [tanhK, sigmoidK, expK] {
                #expect(one(kernel, .nan).isNaN, "level \(level): NaN did not stay NaN")
            }
        }
    }
}

@Suite("Activation accuracy at every instruction-set level", .serialized)
struct ActivationAccuracyTests {
    @Test("tanh ≤ 2 ulps, σ ≤ 3 ulps, exp ≤ 1.5 ulps over every 1009th float in [−20, 20] and the special values, at every level")
    func activationUlps() async {
        await #expect(processExitsWith: .success) { KernelChecks.activationUlps() }
    }

    @Test("The ulp measure itself: 0 for the exact float, 1 per float step, ∞ for NaN where a number is due")
    func ulpMeasure() {
        #expect(ulpError(1, exact: 1) == 0)
        #expect(ulpError(Float(1).nextUp, exact: 1) == 1)
        #expect(ulpError(Float(1).nextDown, exact: 1) == 0.5)  // the spacing below 1 is half the spacing above
        #expect(ulpError(.leastNonzeroMagnitude, exact: 0) == 1)
        #expect(ulpError(.nan, exact: 0.5) == .infinity)
        #expect(ulpError(.infinity, exact: 1e40) == 0)
        #expect(ulpError(.nan, exact: .nan) == 0)
    }
}
