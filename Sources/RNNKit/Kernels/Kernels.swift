import CRNNKernels

/// The hot loops of RNNKit, vectorized in C (see `Sources/CRNNKernels`) for the instruction set
/// found at run time. Each has a naive twin in `Reference.swift`; `KernelTests` compares them.
///
/// Dimension letters: M rows and N columns of A; T steps. All matrices are row-major.
package enum Kernels {
    /// y = A·x (or y += A·x when `accumulate`), summed in Double; A is (M, N) with row stride `lda`.
    @inline(__always)
    package static func gemv(_ M: Int, _ N: Int, _ A: UnsafePointer<Float>, lda: Int,
                            _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, accumulate: Bool = false) {
        rk_gemv_n(Int32(M), Int32(N), A, Int32(lda), x, y, accumulate ? 1 : 0)
    }

    /// C = A·Bᵀ (or C += A·Bᵀ); A is (M, K), B is (N, K), C is (M, N).
    @inline(__always)
    package static func gemmNT(_ M: Int, _ N: Int, _ K: Int, _ A: UnsafePointer<Float>, lda: Int, _ B: UnsafePointer<Float>,
                              ldb: Int, _ C: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool = false) {
        rk_gemm_nt(Int32(M), Int32(N), Int32(K), A, Int32(lda), B, Int32(ldb), C, Int32(ldc), accumulate ? 1 : 0)
    }

    /// C = A·Bᵀ (or C += A·Bᵀ) with B in bfloat16: A is (M, K) floats, B (N, K) bfloat16 bit
    /// patterns (`toBFloat16`), C (M, N); each weight widened to float, float sums.
    @inline(__always)
    package static func gemmNTBFloat16(_ M: Int, _ N: Int, _ K: Int, _ A: UnsafePointer<Float>, lda: Int,
                                       _ B: UnsafePointer<UInt16>, ldb: Int, _ C: UnsafeMutablePointer<Float>, ldc: Int,
                                       accumulate: Bool = false) {
        rk_gemm_nt_bf16(Int32(M), Int32(N), Int32(K), A, Int32(lda), B, Int32(ldb), C, Int32(ldc), accumulate ? 1 : 0)
    }

    /// The largest int16 magnitude `quantizeInt16` gives rows of K columns: min(32767,
    /// ⌊(2³¹ − 1) / (127·K)⌋), so that K products with int8 weights sum exactly in int32.
    @inline(__always)
    package static func int16Limit(_ K: Int) -> Int { Int(rk_i16_limit(Int32(K))) }

    /// Each row of A (M, K) to int16: Q[i, k] = round(A[i, k]·L/m_i) (ties to even), scales[i] =
    /// m_i/L, m_i = max_k |A[i, k]|, L = `int16Limit(K)`; scale 0 for a zero row, NaN for a row
    /// with NaN or ±inf.
    @inline(__always)
    package static func quantizeInt16(_ M: Int, _ K: Int, _ A: UnsafePointer<Float>, lda: Int, _ Q: UnsafeMutablePointer<Int16>,
                                      ldq: Int, scales: UnsafeMutablePointer<Float>) {
        rk_quantize_i16(Int32(M), Int32(K), A, Int32(lda), Q, Int32(ldq), scales)
    }

    /// C (+)= float(Σ_k A[i, k]·B[j, k])·(sa[i]·sb[j]): A (M, K) int16 rows with scales sa
    /// (`quantizeInt16`), B (N, K) int8 with a scale per row; the sums exact in int32.
    @inline(__always)
    package static func gemmNTInt8(_ M: Int, _ N: Int, _ K: Int, _ A: UnsafePointer<Int16>, lda: Int,
                                   scales sa: UnsafePointer<Float>, _ B: UnsafePointer<Int8>, ldb: Int,
                                   scales sb: UnsafePointer<Float>, _ C: UnsafeMutablePointer<Float>, ldc: Int,
                                   accumulate: Bool = false) {
        rk_gemm_nt_i8(Int32(M), Int32(N), Int32(K), A, Int32(lda), sa, B, Int32(ldb), sb, C, Int32(ldc), accumulate ? 1 : 0)
    }

    /// y = bfloat16(x) (the top 16 bits of the nearest such float; ties to even); finite stays finite.
    @inline(__always)
    package static func toBFloat16(_ n: Int, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<UInt16>) {
        rk_to_bf16(Int32(n), x, y)
    }

    /// Floats `pack` writes for a (K, N) matrix: whole panels of `RK_PANEL` columns.
    @inline(__always)
    package static func packedSize(_ K: Int, _ N: Int) -> Int { Int(rk_packed_size(Int32(K), Int32(N))) }

    /// Packs B (K, N) — stored as `source` (K, N), or (N, K) when `transposed` — into panels of
    /// `RK_PANEL` columns for `gemmPacked`, as rows `rowOffset ..< rowOffset + K` of a packed matrix
    /// of `packedRows` rows (default K): two calls stack two matrices, e.g. [W_ih W_hh]ᵀ.
    @inline(__always)
    package static func pack(_ K: Int, _ N: Int, _ source: UnsafePointer<Float>, ld: Int, transposed: Bool,
                            into packed: UnsafeMutablePointer<Float>, rowOffset: Int = 0, packedRows: Int? = nil) {
        rk_pack_panels(Int32(K), Int32(N), source, Int32(ld), transposed ? 1 : 0, packed, Int32(rowOffset),
                       Int32(packedRows ?? K))
    }

    /// C = bias + [A1 A2]·B (or C += [A1 A2]·B when `bias` is nil): A1 is (M, K1), A2 (M, K2), B
    /// rows `rowOffset ..< rowOffset + K1 + K2` of the (packedRows, N) matrix packed by `pack`, C
    /// is (M, N). Row i of C depends only on row i of A1 and A2, bit for bit, however many rows are
    /// computed together.
    @inline(__always)
    package static func gemmPacked(_ M: Int, _ N: Int, _ A1: UnsafePointer<Float>, lda1: Int, k1: Int,
                                  and A2: UnsafePointer<Float>? = nil, lda2: Int = 0, k2: Int = 0,
                                  packed: UnsafePointer<Float>, packedRows: Int, rowOffset: Int = 0,
                                  bias: UnsafePointer<Float>?, _ C: UnsafeMutablePointer<Float>, ldc: Int) {
        rk_gemm_nn_packed(Int32(M), Int32(N), Int32(packedRows), Int32(rowOffset), Int32(k1), A1, Int32(lda1),
                          Int32(k2), A2, Int32(lda2), packed, bias, C, Int32(ldc))
    }

    /// C += A·B; A is (M, K), B (K, N) packed by `pack`, C is (M, N).
    @inline(__always)
    package static func gemmPackedAccumulate(_ M: Int, _ N: Int, _ K: Int, _ A: UnsafePointer<Float>, lda: Int,
                                            _ packed: UnsafePointer<Float>, _ C: UnsafeMutablePointer<Float>, ldc: Int) {
        gemmPacked(M, N, A, lda1: lda, k1: K, packed: packed, packedRows: K, bias: nil, C, ldc: ldc)
    }

    /// y += Aᵀ·x; A is (M, N), x has M elements, y has N.
    @inline(__always)
    package static func gemvTransposedAccumulate(_ M: Int, _ N: Int, _ A: UnsafePointer<Float>, lda: Int,
                                                _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
        rk_gemv_t_acc(Int32(M), Int32(N), A, Int32(lda), x, y)
    }

    /// W += Gᵀ·X; G is (T, M), X is (T, N), W is (M, N). The weight gradient of T steps at once.
    @inline(__always)
    package static func gemmTNAccumulate(_ T: Int, _ M: Int, _ N: Int, _ G: UnsafePointer<Float>, ldg: Int,
                                        _ X: UnsafePointer<Float>, ldx: Int, _ W: UnsafeMutablePointer<Float>, ldw: Int) {
        rk_gemm_tn_acc(Int32(T), Int32(M), Int32(N), G, Int32(ldg), X, Int32(ldx), W, Int32(ldw))
    }

    /// y = tanh(x); y may be x.
    @inline(__always)
    package static func tanh(_ n: Int, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
        rk_tanh(Int32(n), x, y)
    }

    /// y = σ(x) = 1/(1 + e^−x); y may be x.
    @inline(__always)
    package static func sigmoid(_ n: Int, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
        rk_sigmoid(Int32(n), x, y)
    }

    /// y = eˣ; y may be x.
    @inline(__always)
    package static func exp(_ n: Int, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
        rk_exp(Int32(n), x, y)
    }

    /// p = softmax(y) over n classes; returns log Σ exp(y), so −log p_t = result − y_t.
    @inline(__always)
    package static func softmax(_ n: Int, _ y: UnsafePointer<Float>, _ p: UnsafeMutablePointer<Float>) -> Float {
        rk_softmax(Int32(n), y, p)
    }

    /// g = (1 − h²)·dh; g may be dh.
    @inline(__always)
    package static func tanhBackward(_ n: Int, _ h: UnsafePointer<Float>, _ dh: UnsafePointer<Float>,
                                    _ g: UnsafeMutablePointer<Float>) {
        rk_tanh_backward(Int32(n), h, dh, g)
    }

    /// y += a·x.
    @inline(__always)
    package static func axpy(_ n: Int, _ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
        rk_axpy(Int32(n), a, x, y)
    }

    /// x = min(max(x, lo), hi).
    @inline(__always)
    package static func clamp(_ n: Int, _ lo: Float, _ hi: Float, _ x: UnsafeMutablePointer<Float>) {
        rk_clamp(Int32(n), lo, hi, x)
    }

    /// W −= lr·clamp(Gᵀ·X, −clip, clip); G is (T, M), X is (T, N), W is (M, N). Bit for bit what
    /// `gemmTNAccumulate` into a zero gradient followed by `sgdClipZero` leave in W, without the
    /// gradient ever written to memory.
    @inline(__always)
    package static func sgdOuter(_ T: Int, _ M: Int, _ N: Int, _ G: UnsafePointer<Float>, ldg: Int,
                                _ X: UnsafePointer<Float>, ldx: Int, _ W: UnsafeMutablePointer<Float>, ldw: Int,
                                learningRate: Float, clip: Float) {
        rk_sgd_outer(Int32(T), Int32(M), Int32(N), G, Int32(ldg), X, Int32(ldx), W, Int32(ldw), learningRate, clip)
    }

    /// w −= lr·clamp(g, −clip, clip); g = 0.
    @inline(__always)
    package static func sgdClipZero(_ n: Int, learningRate: Float, clip: Float, gradient g: UnsafeMutablePointer<Float>,
                                   weight w: UnsafeMutablePointer<Float>) {
        rk_sgd_clip_zero(Int32(n), learningRate, clip, g, w)
    }

    /// Σ x², accumulated in Double.
    @inline(__always)
    package static func sumOfSquares(_ n: Int, _ x: UnsafePointer<Float>) -> Double { rk_sumsq(Int32(n), x) }

    /// Whether no element is NaN or infinite.
    @inline(__always)
    package static func allFinite(_ n: Int, _ x: UnsafePointer<Float>) -> Bool { rk_all_finite(Int32(n), x) != 0 }

    /// max |xᵢ| (0 for none), or NaN when an element is NaN or infinite.
    @inline(__always)
    package static func maxAbs(_ n: Int, _ x: UnsafePointer<Float>) -> Float { rk_max_abs(Int32(n), x) }

    /// x *= a.
    @inline(__always)
    package static func scale(_ n: Int, _ a: Float, _ x: UnsafeMutablePointer<Float>) { rk_scale(Int32(n), a, x) }

    /// One Adam/AdamW step without AMSGrad, for first-moment weights below 0.5 (`AdamCore`'s
    /// order of operations, see `rk_adam`): θ' = shrink ? θ·decay : θ, g' = g + l2·θ',
    /// m += mWeight·(g' − m), v = v·β2 + vScale·g'², θ = θ' + negStep·m / (√v / bc2Sqrt + eps).
    @inline(__always)
    package static func adam(_ n: Int, weight w: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>,
                             m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>, mWeight: Float,
                             beta2: Float, vScale: Float, l2: Float, shrink: Bool, decay: Float, bc2Sqrt: Float,
                             negStep: Float, eps: Float) {
        rk_adam(Int32(n), w, g, m, v, mWeight, beta2, vScale, l2, shrink ? 1 : 0, decay, bc2Sqrt, negStep, eps)
    }

    /// LSTM gate math for B rows (see `LSTMCell`): pre (B, 4H) in gate order i, f, g, o; writes
    /// gates (B, 4H), c = f·c_prev + i·g and h = o·tanh(c), (B, H) each.
    @inline(__always)
    package static func lstmForward(_ B: Int, _ H: Int, pre: UnsafePointer<Float>, cPrev: UnsafePointer<Float>,
                                    c: UnsafeMutablePointer<Float>, h: UnsafeMutablePointer<Float>,
                                    gates: UnsafeMutablePointer<Float>) {
        rk_lstm_forward(Int32(B), Int32(H), pre, cPrev, c, h, gates)
    }

    /// Its backward: from dh and dc (B, H; dc is replaced by the gradient for c_prev), dPre (B, 4H).
    @inline(__always)
    package static func lstmBackward(_ B: Int, _ H: Int, dh: UnsafePointer<Float>, dc: UnsafeMutablePointer<Float>,
                                     cPrev: UnsafePointer<Float>, c: UnsafePointer<Float>, gates: UnsafePointer<Float>,
                                     dPre: UnsafeMutablePointer<Float>) {
        rk_lstm_backward(Int32(B), Int32(H), dh, dc, cPrev, c, gates, dPre)
    }

    /// The instruction set the kernels use: "avx512", "avx2" or "portable".
    package static var instructionSet: String { String(cString: rk_kernel_isa()) }

    /// The instruction sets this CPU can run, from portable up; tests run every one.
    package static var availableLevels: [Int] { Array(0...Int(rk_cpu_kernel_level())) }

    /// Switches the instruction set (0 portable, 1 avx2, 2 avx512); returns the level now in use.
    @discardableResult
    package static func setLevel(_ level: Int) -> Int { Int(rk_set_kernel_level(Int32(level))) }
}
