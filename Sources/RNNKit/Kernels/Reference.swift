#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Scalars the naive reference code runs in: Float to compare with the kernels, Double for
/// finite-difference gradient checks. Public because `ReferenceRNNClassifier` is.
package protocol ReferenceScalar: BinaryFloatingPoint {
    static func tanh(_ x: Self) -> Self
    static func exp(_ x: Self) -> Self
    static func log(_ x: Self) -> Self
}

extension Float: ReferenceScalar {
    public static func tanh(_ x: Float) -> Float { libmTanh(x) }
    public static func exp(_ x: Float) -> Float { libmExp(x) }
    public static func log(_ x: Float) -> Float { libmLog(x) }
}

extension Double: ReferenceScalar {
    public static func tanh(_ x: Double) -> Double { libmTanh(x) }
    public static func exp(_ x: Double) -> Double { libmExp(x) }
    public static func log(_ x: Double) -> Double { libmLog(x) }
}

// At file scope these names reach libm, not the static requirements above.
private func libmTanh(_ x: Float) -> Float { tanhf(x) }
private func libmExp(_ x: Float) -> Float { expf(x) }
private func libmLog(_ x: Float) -> Float { logf(x) }
private func libmTanh(_ x: Double) -> Double { tanh(x) }
private func libmExp(_ x: Double) -> Double { exp(x) }
private func libmLog(_ x: Double) -> Double { log(x) }

/// The naive twins of `Kernels` (and of the gate kernels the cells run): plain loops in the order
/// the math is written, on arrays, with libm's tanh and exp. Slow on purpose; they define what the
/// fast kernels must compute, and `KernelTests` compares each pair at every instruction set.
package enum ReferenceKernels {
    /// y = A·x (+ y).
    package static func gemv<S: ReferenceScalar>(_ M: Int, _ N: Int, _ A: [S], _ x: [S], _ y: inout [S], accumulate: Bool) {
        for i in 0..<M {
            var s: S = 0
            for j in 0..<N { s += A[i * N + j] * x[j] }
            y[i] = accumulate ? y[i] + s : s
        }
    }

    /// The bfloat16 nearest to x (ties: the even one), as its 16 bits; a finite x whose nearest is
    /// infinite gets the largest finite one below it; NaN gives a NaN.
    package static func bfloat16(_ x: Float) -> UInt16 {
        if x.isNaN { return 0x7fc0 }
        let low = UInt16(truncatingIfNeeded: x.bitPattern >> 16)
        if x.isInfinite { return low }
        let high = low &+ 1, a = Double(widen(low)), b = Double(widen(high))
        if !widen(high).isFinite { return low }
        let da = abs(Double(x) - a), db = abs(Double(x) - b)
        return da < db ? low : db < da ? high : (low & 1 == 0 ? low : high)
    }

    /// The float whose top 16 bits are `h`.
    package static func widen(_ h: UInt16) -> Float { Float(bitPattern: UInt32(h) << 16) }

    /// C = A·Bᵀ (+ C) with B's bfloat16 weights widened, summed in S.
    package static func gemmNTBFloat16<S: ReferenceScalar>(_ M: Int, _ N: Int, _ K: Int, _ A: [S], _ B: [UInt16],
                                                           _ C: inout [S], accumulate: Bool) {
        for i in 0..<M {
            for j in 0..<N {
                var s: S = 0
                for k in 0..<K { s += A[i * K + k] * S(widen(B[j * K + k])) }
                C[i * N + j] = accumulate ? C[i * N + j] + s : s
            }
        }
    }

    /// `Kernels.int16Limit`: min(32767, ⌊(2³¹ − 1) / (127·K)⌋).
    package static func int16Limit(_ K: Int) -> Int { min(32767, Int(Int32.max) / (127 * max(K, 1))) }

    /// `Kernels.quantizeInt16`: each row of A (M, K) as int16 values round(a·(L/m)) (ties to even;
    /// in double when L/m overflows a float) and its scale m/L, with m = max |a| and L =
    /// `int16Limit(K)`; zeros and scale 0 for a zero row, zeros and scale NaN for a row with NaN or ±inf.
    package static func quantizeInt16(_ M: Int, _ K: Int, _ A: [Float]) -> (values: [Int16], scales: [Float]) {
        let L = Float(int16Limit(K))
        var values = [Int16](repeating: 0, count: M * K), scales = [Float](repeating: 0, count: M)
        for i in 0..<M {
            let row = Array(A[i * K ..< (i + 1) * K])
            guard row.allSatisfy(\.isFinite) else {
                scales[i] = .nan
                continue
            }
            let m = row.map(abs).max() ?? 0
            guard m > 0 else { continue }
            scales[i] = m / L
            let inverse = L / m
            for k in 0..<K {
                let x = inverse.isFinite ? (row[k] * inverse).rounded(.toNearestOrEven)
                                         : Float((Double(row[k]) * Double(L) / Double(m)).rounded(.toNearestOrEven))
                values[i * K + k] = Int16(x)
            }
        }
        return (values, scales)
    }

    /// `Kernels.gemmNTInt8`: C[i, j] (+)= Float(Σ_k A[i, k]·B[j, k]) · (sb[j]·sa[i]), the sum in
    /// integers.
    package static func gemmNTInt8(_ M: Int, _ N: Int, _ K: Int, _ A: [Int16], _ sa: [Float], _ B: [Int8], _ sb: [Float],
                                   _ C: inout [Float], accumulate: Bool) {
        for i in 0..<M {
            for j in 0..<N {
                var s = 0
                for k in 0..<K { s += Int(A[i * K + k]) * Int(B[j * K + k]) }
                let r = Float(s) * (sb[j] * sa[i])
                C[i * N + j] = accumulate ? C[i * N + j] + r : r
            }
        }
    }

    /// y += Aᵀ·x.
    package static func gemvTransposedAccumulate<S: ReferenceScalar>(_ M: Int, _ N: Int, _ A: [S], _ x: [S], _ y: inout [S]) {
        for j in 0..<N {
            for i in 0..<M { y[j] += A[i * N + j] * x[i] }
        }
    }

    /// C += A·B; A (M, K), B (K, N) as stored (the packed kernel's matrix before packing).
    package static func gemmNNAccumulate<S: ReferenceScalar>(_ M: Int, _ N: Int, _ K: Int, _ A: [S], _ B: [S], _ C: inout [S]) {
        for i in 0..<M {
            for j in 0..<N {
                for k in 0..<K { C[i * N + j] += A[i * K + k] * B[k * N + j] }
            }
        }
    }

    /// C = bias + [A1 A2]·B: A1 (M, K1), A2 (M, K2), B (K1 + K2, N) as stored, bias (N): the
    /// packed product's form in the batched forward pass, [x h]·[W_ih W_hh]ᵀ + b.
    package static func gemmNNBias<S: ReferenceScalar>(_ M: Int, _ N: Int, _ K1: Int, _ A1: [S], _ K2: Int, _ A2: [S],
                                                       _ B: [S], bias: [S]) -> [S] {
        var C = [S](repeating: 0, count: M * N)
        for i in 0..<M {
            for j in 0..<N {
                var s = bias[j]
                for k in 0..<K1 { s += A1[i * K1 + k] * B[k * N + j] }
                for k in 0..<K2 { s += A2[i * K2 + k] * B[(K1 + k) * N + j] }
                C[i * N + j] = s
            }
        }
        return C
    }

    /// W += Gᵀ·X.
    package static func gemmTNAccumulate<S: ReferenceScalar>(_ T: Int, _ M: Int, _ N: Int, _ G: [S], _ X: [S], _ W: inout [S]) {
        for i in 0..<M {
            for j in 0..<N {
                for t in 0..<T { W[i * N + j] += G[t * M + i] * X[t * N + j] }
            }
        }
    }

    package static func tanh<S: ReferenceScalar>(_ x: [S]) -> [S] { x.map { S.tanh($0) } }

    package static func sigmoid<S: ReferenceScalar>(_ x: [S]) -> [S] { x.map { sigmoid($0) } }

    /// σ(x) = 1/(1 + e^−x), written so that e^−x cannot overflow (e^x/(1 + e^x) below 0).
    package static func sigmoid<S: ReferenceScalar>(_ x: S) -> S {
        x >= 0 ? 1 / (1 + S.exp(-x)) : S.exp(x) / (1 + S.exp(x))
    }

    package static func exp<S: ReferenceScalar>(_ x: [S]) -> [S] { x.map { S.exp($0) } }

    /// p = softmax(y) and log Σ exp(y), the naive way (after subtracting the max).
    package static func softmax<S: ReferenceScalar>(_ y: [S]) -> (p: [S], logSumExp: S) {
        let m = y.max()!
        let e = y.map { S.exp($0 - m) }
        let sum = e.reduce(0, +)
        return (e.map { $0 / sum }, m + S.log(sum))
    }

    package static func tanhBackward<S: ReferenceScalar>(_ h: [S], _ dh: [S]) -> [S] {
        zip(h, dh).map { (1 - $0 * $0) * $1 }
    }

    package static func axpy<S: ReferenceScalar>(_ a: S, _ x: [S], _ y: inout [S]) {
        for i in y.indices { y[i] += a * x[i] }
    }

    /// w −= lr·clamp(g, −clip, clip); g = 0.
    package static func sgdClipZero<S: ReferenceScalar>(learningRate: S, clip: S, gradient g: inout [S], weight w: inout [S]) {
        for i in w.indices {
            w[i] -= learningRate * min(max(g[i], -clip), clip)
            g[i] = 0
        }
    }

    /// W −= lr·clamp(Gᵀ·X, −clip, clip): the weight gradient of T steps and its clipped SGD step at once.
    package static func sgdOuter<S: ReferenceScalar>(_ T: Int, _ M: Int, _ N: Int, _ G: [S], _ X: [S], _ W: inout [S],
                                                     learningRate: S, clip: S) {
        var gradient = [S](repeating: 0, count: M * N)
        gemmTNAccumulate(T, M, N, G, X, &gradient)
        sgdClipZero(learningRate: learningRate, clip: clip, gradient: &gradient, weight: &W)
    }

    /// max |xᵢ| (0 for none), or NaN when an element is NaN or infinite.
    package static func maxAbs<S: ReferenceScalar>(_ x: [S]) -> S {
        x.allSatisfy(\.isFinite) ? x.reduce(0) { max($0, abs($1)) } : .nan
    }

    package static func clamp<S: ReferenceScalar>(_ lo: S, _ hi: S, _ x: inout [S]) {
        for i in x.indices { x[i] = min(max(x[i], lo), hi) }
    }
}

// The recurrent cells' gate math (`LSTMCell`, `GRUCell`), one element at a time.
extension ReferenceKernels {
    /// LSTM gates for B rows: pre (B, 4H) in gate order i, f, g, o; returns gates (B, 4H),
    /// c = f·c_prev + i·g and h = o·tanh(c), (B, H) each.
    package static func lstmForward<S: ReferenceScalar>(_ B: Int, _ H: Int, pre: [S], cPrev: [S])
        -> (gates: [S], c: [S], h: [S]) {
        var gates = [S](repeating: 0, count: B * 4 * H), c = [S](repeating: 0, count: B * H), h = c
        for b in 0..<B {
            for k in 0..<H {
                let p = b * 4 * H + k
                let i = sigmoid(pre[p]), f = sigmoid(pre[p + H]), g = S.tanh(pre[p + 2 * H]), o = sigmoid(pre[p + 3 * H])
                gates[p] = i; gates[p + H] = f; gates[p + 2 * H] = g; gates[p + 3 * H] = o
                c[b * H + k] = f * cPrev[b * H + k] + i * g
                h[b * H + k] = o * S.tanh(c[b * H + k])
            }
        }
        return (gates, c, h)
    }

    /// Its backward, from dh and dc (B, H), the forward's c_prev, c and gates: returns dPre (B, 4H)
    /// and dc_prev (B, H).
    ///     dc_total = dc + dh·o·(1 − tanh²c)
    ///     di = dc_total·g·i(1−i)   df = dc_total·c_prev·f(1−f)   dg = dc_total·i·(1−g²)
    ///     do = dh·tanh(c)·o(1−o)   dc_prev = dc_total·f
    package static func lstmBackward<S: ReferenceScalar>(_ B: Int, _ H: Int, dh: [S], dc: [S], cPrev: [S], c: [S],
                                                         gates: [S]) -> (dPre: [S], dcPrev: [S]) {
        var dPre = [S](repeating: 0, count: B * 4 * H), dcPrev = [S](repeating: 0, count: B * H)
        for b in 0..<B {
            for k in 0..<H {
                let p = b * 4 * H + k, q = b * H + k
                let i = gates[p], f = gates[p + H], g = gates[p + 2 * H], o = gates[p + 3 * H]
                let tc = S.tanh(c[q])
                let total = dc[q] + dh[q] * o * (1 - tc * tc)
                dPre[p] = total * g * i * (1 - i)
                dPre[p + H] = total * cPrev[q] * f * (1 - f)
                dPre[p + 2 * H] = total * i * (1 - g * g)
                dPre[p + 3 * H] = dh[q] * tc * o * (1 - o)
                dcPrev[q] = total * f
            }
        }
        return (dPre, dcPrev)
    }

    /// GRU gates for B rows from preX (B, 3H) = W_i·x + b_i and preH (B, 3H) = W_h·h + b_h in gate
    /// order r, z, n: returns gates r, z, n (B, 3H) and h' = (1 − z)·n + z·h (B, H), with
    /// r = σ(preX_r + preH_r), z = σ(preX_z + preH_z), n = tanh(preX_n + r·preH_n).
    package static func gruForward<S: ReferenceScalar>(_ B: Int, _ H: Int, preX: [S], preH: [S], hPrev: [S])
        -> (gates: [S], h: [S]) {
        var gates = [S](repeating: 0, count: B * 3 * H), h = [S](repeating: 0, count: B * H)
        for b in 0..<B {
            for k in 0..<H {
                let p = b * 3 * H + k, q = b * H + k
                let r = sigmoid(preX[p] + preH[p]), z = sigmoid(preX[p + H] + preH[p + H])
                let n = S.tanh(preX[p + 2 * H] + r * preH[p + 2 * H])
                gates[p] = r; gates[p + H] = z; gates[p + 2 * H] = n
                h[q] = (1 - z) * n + z * hPrev[q]
            }
        }
        return (gates, h)
    }

    /// Its backward from dh (B, H): returns dPreX, dPreH (B, 3H) and the part of dh_prev that flows
    /// through z (B, H), hn being preH_n:
    ///     dn = dh·(1 − z)·(1 − n²)   dz = dh·(h − n)·z(1 − z)   dr = dn·hn·r(1 − r)
    ///     dPreX = (dr, dz, dn)        dPreH = (dr, dz, dn·r)      dh_prev = dh·z
    package static func gruBackward<S: ReferenceScalar>(_ B: Int, _ H: Int, dh: [S], hPrev: [S], gates: [S], hn: [S])
        -> (dPreX: [S], dPreH: [S], dhPrev: [S]) {
        var dPreX = [S](repeating: 0, count: B * 3 * H), dPreH = dPreX, dhPrev = [S](repeating: 0, count: B * H)
        for b in 0..<B {
            for k in 0..<H {
                let p = b * 3 * H + k, q = b * H + k
                let r = gates[p], z = gates[p + H], n = gates[p + 2 * H]
                let dn = dh[q] * (1 - z) * (1 - n * n)
                let dz = dh[q] * (hPrev[q] - n) * z * (1 - z)
                let dr = dn * hn[q] * r * (1 - r)
                dPreX[p] = dr; dPreH[p] = dr
                dPreX[p + H] = dz; dPreH[p + H] = dz
                dPreX[p + 2 * H] = dn; dPreH[p + 2 * H] = dn * r
                dhPrev[q] = dh[q] * z
            }
        }
        return (dPreX, dPreH, dhPrev)
    }
}

extension ReferenceKernels {
    /// One Adam/AdamW step (no AMSGrad) in `Kernels.adam`'s order of operations, on Float, so
    /// that the two agree to the bit (neither contracts into FMAs):
    ///     θ' = shrink ? θ·decay : θ      g' = l2 ≠ 0 ? g + l2·θ' : g
    ///     m = m + mWeight·(g' − m)       v = v·β2 + vScale·g'·g'
    ///     θ = θ' + negStep·m / (√v / bc2Sqrt + eps)
    package static func adam(weight w: inout [Float], gradient g: [Float], m: inout [Float], v: inout [Float],
                             mWeight: Float, beta2: Float, vScale: Float, l2: Float, shrink: Bool, decay: Float,
                             bc2Sqrt: Float, negStep: Float, eps: Float) {
        for i in w.indices {
            let th = shrink ? w[i] * decay : w[i]
            let gv = l2 != 0 ? g[i] + l2 * th : g[i]
            let mv = m[i] + mWeight * (gv - m[i])
            let vv = v[i] * beta2 + vScale * gv * gv
            let denom = vv.squareRoot() / bc2Sqrt + eps
            w[i] = th + negStep * mv / denom
            m[i] = mv
            v[i] = vv
        }
    }
}

extension ReferenceKernels {
    /// C = α·op(A)·op(B) + β·C, the textbook triple loop.
    package static func gemm<S: ReferenceScalar>(transA: Bool, transB: Bool, _ M: Int, _ N: Int, _ K: Int,
                                                alpha: S, _ A: [S], lda: Int, _ B: [S], ldb: Int,
                                                beta: S, _ C: inout [S], ldc: Int) {
        for i in 0..<M {
            for j in 0..<N {
                var s: S = 0
                for p in 0..<K {
                    let a = transA ? A[p * lda + i] : A[i * lda + p]
                    let b = transB ? B[j * ldb + p] : B[p * ldb + j]
                    s += a * b
                }
                C[i * ldc + j] = alpha * s + beta * C[i * ldc + j]
            }
        }
    }
}
