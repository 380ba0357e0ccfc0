#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Scalars the naive reference code runs in: Float to compare with the kernels, Double for
/// finite-difference gradient checks.
public protocol ReferenceScalar: BinaryFloatingPoint {
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

/// The naive twins of `Kernels`: plain loops in the order the math is written, on arrays.
/// Slow on purpose; they define what the fast kernels must compute.
public enum ReferenceKernels {
    /// y = A·x (+ y).
    public static func gemv<S: ReferenceScalar>(_ M: Int, _ N: Int, _ A: [S], _ x: [S], _ y: inout [S], accumulate: Bool) {
        for i in 0..<M {
            var s: S = 0
            for j in 0..<N { s += A[i * N + j] * x[j] }
            y[i] = accumulate ? y[i] + s : s
        }
    }

    /// y += Aᵀ·x.
    public static func gemvTransposedAccumulate<S: ReferenceScalar>(_ M: Int, _ N: Int, _ A: [S], _ x: [S], _ y: inout [S]) {
        for j in 0..<N {
            for i in 0..<M { y[j] += A[i * N + j] * x[i] }
        }
    }

    /// C += A·B; A (M, K), B (K, N) as stored (the packed kernel's matrix before packing).
    public static func gemmNNAccumulate<S: ReferenceScalar>(_ M: Int, _ N: Int, _ K: Int, _ A: [S], _ B: [S], _ C: inout [S]) {
        for i in 0..<M {
            for j in 0..<N {
                for k in 0..<K { C[i * N + j] += A[i * K + k] * B[k * N + j] }
            }
        }
    }

    /// W += Gᵀ·X.
    public static func gemmTNAccumulate<S: ReferenceScalar>(_ T: Int, _ M: Int, _ N: Int, _ G: [S], _ X: [S], _ W: inout [S]) {
        for i in 0..<M {
            for j in 0..<N {
                for t in 0..<T { W[i * N + j] += G[t * M + i] * X[t * N + j] }
            }
        }
    }

    public static func tanh<S: ReferenceScalar>(_ x: [S]) -> [S] { x.map { S.tanh($0) } }

    public static func sigmoid<S: ReferenceScalar>(_ x: [S]) -> [S] { x.map { 1 / (1 + S.exp(-$0)) } }

    /// p = softmax(y) and log Σ exp(y), the naive way (after subtracting the max).
    public static func softmax<S: ReferenceScalar>(_ y: [S]) -> (p: [S], logSumExp: S) {
        let m = y.max()!
        let e = y.map { S.exp($0 - m) }
        let sum = e.reduce(0, +)
        return (e.map { $0 / sum }, m + S.log(sum))
    }

    public static func tanhBackward<S: ReferenceScalar>(_ h: [S], _ dh: [S]) -> [S] {
        zip(h, dh).map { (1 - $0 * $0) * $1 }
    }

    public static func axpy<S: ReferenceScalar>(_ a: S, _ x: [S], _ y: inout [S]) {
        for i in y.indices { y[i] += a * x[i] }
    }

    /// w −= lr·clamp(g, −clip, clip); g = 0.
    public static func sgdClipZero<S: ReferenceScalar>(learningRate: S, clip: S, gradient g: inout [S], weight w: inout [S]) {
        for i in w.indices {
            w[i] -= learningRate * min(max(g[i], -clip), clip)
            g[i] = 0
        }
    }

    public static func clamp<S: ReferenceScalar>(_ lo: S, _ hi: S, _ x: inout [S]) {
        for i in x.indices { x[i] = min(max(x[i], lo), hi) }
    }
}

extension ReferenceKernels {
    /// C = α·op(A)·op(B) + β·C, the textbook triple loop.
    public static func gemm<S: ReferenceScalar>(transA: Bool, transB: Bool, _ M: Int, _ N: Int, _ K: Int,
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
