/// The products of decoding one sentence — a row or a few (beam hypotheses) against a large weight
/// — split by output columns over `ForkJoin`'s threads. Each column is summed by the same kernel
/// code whatever the split (the cuts fall on the kernels' own column blocks), so the numbers equal
/// `MatMul`'s bit for bit at any thread count.
package enum SentenceProducts {
    /// C (M, N) = A (M, K)·Bᵀ (or += with `accumulate`), B stored (N, K): `MatMul.nt` with
    /// `exactOneRow: false` for M ≤ 16.
    static func nt(_ M: Int, _ N: Int, _ K: Int, _ A: UnsafePointer<Float>, lda: Int, _ B: UnsafePointer<Float>, ldb: Int,
                   _ C: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
        guard M <= 16 else {
            MatMul.nt(M, N, K, A, lda: lda, B, ldb: ldb, C, ldc: ldc, accumulate: accumulate, exactOneRow: false)
            return
        }
        // gemmNT takes rows of B four at a time, the remainder one by one at the end.
        ForkJoin.ranges(N, granule: 4, work: M * N * K) { cols in
            Kernels.gemmNT(M, cols.count, K, A, lda: lda, B + cols.lowerBound * ldb, ldb: ldb, C + cols.lowerBound, ldc: ldc,
                           accumulate: accumulate)
        }
    }

    /// C (M, N) = A (M, K)·Bᵀ (or += with `accumulate`) with B (N, K) in bfloat16, row stride
    /// `ldb`: `Kernels.gemmNTBFloat16`, any M (each group of four rows of B is read once for all
    /// rows of A).
    static func ntBFloat16(_ M: Int, _ N: Int, _ K: Int, _ A: UnsafePointer<Float>, lda: Int, _ B: UnsafePointer<UInt16>,
                           ldb: Int, _ C: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
        ForkJoin.ranges(N, granule: 4, work: M * N * K) { cols in
            Kernels.gemmNTBFloat16(M, cols.count, K, A, lda: lda, B + cols.lowerBound * ldb, ldb: ldb, C + cols.lowerBound,
                                   ldc: ldc, accumulate: accumulate)
        }
    }

    /// C (M, N) (+)= A·Bᵀ with A's int16 rows (scales sa) and B (N, K) int8 (scales sb, one per
    /// row): `Kernels.gemmNTInt8`, exact integer sums.
    static func ntInt8(_ M: Int, _ N: Int, _ K: Int, _ A: UnsafePointer<Int16>, lda: Int, scales sa: UnsafePointer<Float>,
                       _ B: UnsafePointer<Int8>, ldb: Int, scales sb: UnsafePointer<Float>, _ C: UnsafeMutablePointer<Float>,
                       ldc: Int, accumulate: Bool) {
        ForkJoin.ranges(N, granule: 4, work: M * N * K) { cols in
            Kernels.gemmNTInt8(M, cols.count, K, A, lda: lda, scales: sa, B + cols.lowerBound * ldb, ldb: ldb,
                               scales: sb + cols.lowerBound, C + cols.lowerBound, ldc: ldc, accumulate: accumulate)
        }
    }

    /// Columns a block of `Kernels.gemvTransposedAccumulate` takes at the widest instruction set
    /// (four vectors of 16); cuts at its multiples keep every column in the same kind of block.
    static let transposedGranule = 64

    /// C (M, N) += A (M, K)·B (K, N): `MatMul.nnAccumulate`.
    static func nnAccumulate(_ M: Int, _ N: Int, _ K: Int, _ A: UnsafePointer<Float>, lda: Int, _ B: UnsafePointer<Float>,
                             ldb: Int, _ C: UnsafeMutablePointer<Float>, ldc: Int) {
        guard !MatMul.useBLAS(M, N, K) else {
            MatMul.nnAccumulate(M, N, K, A, lda: lda, B, ldb: ldb, C, ldc: ldc)
            return
        }
        ForkJoin.ranges(N, granule: transposedGranule, work: M * N * K) { cols in
            for r in 0..<M {
                Kernels.gemvTransposedAccumulate(K, cols.count, B + cols.lowerBound, lda: ldb, A + r * lda,
                                                 C + r * ldc + cols.lowerBound)
            }
        }
    }
}
