/// The three matrix products a recurrent network needs, each sent to the fastest engine for its
/// shape: our vectorized kernels for one row (the per-example path, where a BLAS call costs more
/// than the work) or few summed steps, the BLAS otherwise. All row-major.
enum MatMul {
    /// Below this many multiply-adds a BLAS call costs more than it saves (call overhead, and
    /// OpenBLAS's worker threads spinning on a 2-core machine); our kernels take those.
    static let blasThreshold = 1 << 17

    @inline(__always)
    static func useBLAS(_ M: Int, _ N: Int, _ K: Int) -> Bool { M > 1 && M * N * K >= blasThreshold }

    /// C (M, N) = A (M, K) · Bᵀ, with B stored (N, K) — x·Wᵀ; `accumulate` adds to C instead.
    @inline(__always)
    static func nt(_ M: Int, _ N: Int, _ K: Int, _ A: UnsafePointer<Float>, lda: Int,
                   _ B: UnsafePointer<Float>, ldb: Int, _ C: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
        if M == 1 {
            Kernels.gemv(N, K, B, lda: ldb, A, C, accumulate: accumulate)
        } else if M <= 16 || !useBLAS(M, N, K) {
            Kernels.gemmNT(M, N, K, A, lda: lda, B, ldb: ldb, C, ldc: ldc, accumulate: accumulate)
        } else {
            BLAS.shared.sgemm(.none, .transpose, M, N, K, alpha: 1, A, lda: lda, B, ldb: ldb,
                              beta: accumulate ? 1 : 0, C, ldc: ldc)
        }
    }

    /// C (M, N) += A (M, K) · B (K, N) — dpre·W, the gradient flowing to inputs and states.
    @inline(__always)
    static func nnAccumulate(_ M: Int, _ N: Int, _ K: Int, _ A: UnsafePointer<Float>, lda: Int,
                             _ B: UnsafePointer<Float>, ldb: Int, _ C: UnsafeMutablePointer<Float>, ldc: Int) {
        if !useBLAS(M, N, K) {
            for r in 0..<M { Kernels.gemvTransposedAccumulate(K, N, B, lda: ldb, A + r * lda, C + r * ldc) }
        } else {
            BLAS.shared.sgemm(.none, .none, M, N, K, alpha: 1, A, lda: lda, B, ldb: ldb, beta: 1, C, ldc: ldc)
        }
    }

    /// C (M, N) += Aᵀ · B with A (K, M), B (K, N) — a weight gradient summed over K rows (steps × batch).
    @inline(__always)
    static func tnAccumulate(_ M: Int, _ N: Int, _ K: Int, _ A: UnsafePointer<Float>, lda: Int,
                             _ B: UnsafePointer<Float>, ldb: Int, _ C: UnsafeMutablePointer<Float>, ldc: Int) {
        if K <= 32 || !useBLAS(M, N, K) {
            Kernels.gemmTNAccumulate(K, M, N, A, ldg: lda, B, ldx: ldb, C, ldw: ldc)
        } else {
            BLAS.shared.sgemm(.transpose, .none, M, N, K, alpha: 1, A, lda: lda, B, ldb: ldb, beta: 1, C, ldc: ldc)
        }
    }

    /// y (N) += Σ over M rows of A (M, N) — a bias gradient.
    @inline(__always)
    static func columnSumAccumulate(_ M: Int, _ N: Int, _ A: UnsafePointer<Float>, lda: Int, _ y: UnsafeMutablePointer<Float>) {
        for r in 0..<M { Kernels.axpy(N, 1, A + r * lda, y) }
    }
}
