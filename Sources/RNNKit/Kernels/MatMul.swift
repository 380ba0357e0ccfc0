/// The three matrix products a recurrent network needs, each sent to the fastest engine for its
/// shape: our vectorized kernels for one row (the per-example path, where a BLAS call costs more
/// than the work) or few summed steps, the BLAS otherwise. All row-major.
package enum MatMul {
    /// Below this many multiply-adds a BLAS call costs more than it saves (call overhead, and
    /// OpenBLAS's worker threads spinning on a 2-core machine); our kernels take those.
    static let blasThreshold = 1 << 17

    /// Weight gradients summed over at most this many rows always take our kernel, which sums each
    /// element's rows in order (what `FusedSGDStep` relies on to match it).
    static let kernelSumSteps = 32

    @inline(__always)
    static func useBLAS(_ M: Int, _ N: Int, _ K: Int) -> Bool { M > 1 && M * N * K >= blasThreshold }

    /// C (M, N) = A (M, K) · Bᵀ, with B stored (N, K) — x·Wᵀ; `accumulate` adds to C instead.
    /// One row is summed in double (`exactOneRow`, the tutorial's per-example path, which its
    /// float64 oracle needs), or in float like every other row count.
    @inline(__always)
    static func nt(_ M: Int, _ N: Int, _ K: Int, _ A: UnsafePointer<Float>, lda: Int,
                   _ B: UnsafePointer<Float>, ldb: Int, _ C: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool,
                   exactOneRow: Bool = true) {
        if M == 1 && exactOneRow {
            Kernels.gemv(N, K, B, lda: ldb, A, C, accumulate: accumulate)
        } else if M <= 16 || !useBLAS(M, N, K) {
            // Few rows against a large W (a decoder step's output layer) stream W from memory: the
            // columns are split across threads, in whole groups of the kernel's four, so every
            // element is summed the same way whatever the split.
            Parallel.rowRanges(N / 4, work: M * N * K) { groups in
                let lo = groups.lowerBound * 4, hi = groups.upperBound == N / 4 ? N : groups.upperBound * 4
                Kernels.gemmNT(M, hi - lo, K, A, lda: lda, B + lo * ldb, ldb: ldb, C + lo, ldc: ldc, accumulate: accumulate)
            }
        } else {
            splitRows(M, N, K) { rows in
                BLAS.shared.sgemm(.none, .transpose, rows.count, N, K, alpha: 1, A + rows.lowerBound * lda, lda: lda,
                                  B, ldb: ldb, beta: accumulate ? 1 : 0, C + rows.lowerBound * ldc, ldc: ldc)
            }
        }
    }

    /// C (M, N) += A (M, K) · B (K, N) — dpre·W, the gradient flowing to inputs and states.
    @inline(__always)
    static func nnAccumulate(_ M: Int, _ N: Int, _ K: Int, _ A: UnsafePointer<Float>, lda: Int,
                             _ B: UnsafePointer<Float>, ldb: Int, _ C: UnsafeMutablePointer<Float>, ldc: Int,
                             split: Bool = true) {
        if !useBLAS(M, N, K) {
            for r in 0..<M { Kernels.gemvTransposedAccumulate(K, N, B, lda: ldb, A + r * lda, C + r * ldc) }
        } else {
            splitRows(M, N, K, split: split) { rows in
                BLAS.shared.sgemm(.none, .none, rows.count, N, K, alpha: 1, A + rows.lowerBound * lda, lda: lda,
                                  B, ldb: ldb, beta: 1, C + rows.lowerBound * ldc, ldc: ldc)
            }
        }
    }

    /// C (M, N) += Aᵀ · B with A (K, M), B (K, N) — a weight gradient summed over K rows (steps × batch).
    @inline(__always)
    static func tnAccumulate(_ M: Int, _ N: Int, _ K: Int, _ A: UnsafePointer<Float>, lda: Int,
                             _ B: UnsafePointer<Float>, ldb: Int, _ C: UnsafeMutablePointer<Float>, ldc: Int,
                             split: Bool = true) {
        if K <= kernelSumSteps || !useBLAS(M, N, K) {
            Kernels.gemmTNAccumulate(K, M, N, A, ldg: lda, B, ldx: ldb, C, ldw: ldc)
        } else {
            // Rows of C are columns of A: each part sums all K rows for its own block of C.
            splitRows(M, N, K, split: split) { rows in
                BLAS.shared.sgemm(.transpose, .none, rows.count, N, K, alpha: 1, A + rows.lowerBound, lda: lda,
                                  B, ldb: ldb, beta: 1, C + rows.lowerBound * ldc, ldc: ldc)
            }
        }
    }

    /// C (M, N) = A (M, K) · B (K, N), dense row-major, on `Parallel.threads` threads: the path
    /// RNNKit's large products take (`rnn bench sgemm` measures it).
    package static func product(_ M: Int, _ N: Int, _ K: Int, _ A: UnsafePointer<Float>, _ B: UnsafePointer<Float>,
                               _ C: UnsafeMutablePointer<Float>) {
        splitRows(M, N, K) { rows in
            BLAS.shared.sgemm(.none, .none, rows.count, N, K, alpha: 1, A + rows.lowerBound * K, lda: K, B, ldb: N,
                              beta: 0, C + rows.lowerBound * N, ldc: N)
        }
    }

    /// y (N) += Σ over M rows of A (M, N) — a bias gradient, by column blocks across threads.
    @inline(__always)
    static func columnSumAccumulate(_ M: Int, _ N: Int, _ A: UnsafePointer<Float>, lda: Int, _ y: UnsafeMutablePointer<Float>,
                                    split: Bool = true) {
        Parallel.columnBlocks(N, work: M * N * 8, split: split) { lo, hi in
            for r in 0..<M { Kernels.axpy(hi - lo, 1, A + r * lda + lo, y + lo) }
        }
    }

    /// A large product split into blocks of output rows, two per thread; each block is computed by
    /// the single-threaded BLAS. `split: false` keeps it whole (it is one of several tasks
    /// already running side by side).
    @inline(__always)
    private static func splitRows(_ M: Int, _ N: Int, _ K: Int, split: Bool = true, _ product: (Range<Int>) -> Void) {
        Parallel.rowRanges(M, work: M * N * K, minimum: 1 << 21, minimumRows: 16, split: split, product)
    }
}
