/// One product of a sentence's decoding, described by its operands: C (M, N) = A (M, K)·Bᵀ (or
/// += with `accumulate`), B (N, K) with row stride `ldb` in float, bfloat16, or int8 with a
/// scale per row — for int8, A's rows already in int16 (`Kernels.quantizeInt16`). Described
/// rather than run, so that `SentenceProducts.together` can run several in one fork-join job.
package struct SentenceProduct {
    package enum Weights {
        case float(UnsafePointer<Float>)
        case bfloat16(UnsafePointer<UInt16>)
        /// B's values and row scales, A's int16 rows (row stride K) and their scales.
        case int8(UnsafePointer<Int8>, scales: UnsafePointer<Float>, rows: UnsafePointer<Int16>, rowScales: UnsafePointer<Float>)
    }

    let M: Int, N: Int, K: Int
    let A: UnsafePointer<Float>, lda: Int
    let weights: Weights, ldb: Int
    let C: UnsafeMutablePointer<Float>, ldc: Int
    let accumulate: Bool

    package init(_ M: Int, _ N: Int, _ K: Int, _ A: UnsafePointer<Float>, lda: Int, _ weights: Weights, ldb: Int,
                 _ C: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
        (self.M, self.N, self.K, self.A, self.lda, self.weights, self.ldb) = (M, N, K, A, lda, weights, ldb)
        (self.C, self.ldc, self.accumulate) = (C, ldc, accumulate)
    }

    /// Multiply-adds, for deciding whether to split.
    var work: Int { M * N * K }

    /// Output columns `columns` of the product. Each column's sum is the same whatever the range,
    /// when ranges start at multiples of four (the kernels' column blocks).
    func run(_ columns: Range<Int>) {
        let j = columns.lowerBound, n = columns.count
        switch weights {
        case .float(let B):
            Kernels.gemmNT(M, n, K, A, lda: lda, B + j * ldb, ldb: ldb, C + j, ldc: ldc, accumulate: accumulate)
        case .bfloat16(let B):
            Kernels.gemmNTBFloat16(M, n, K, A, lda: lda, B + j * ldb, ldb: ldb, C + j, ldc: ldc, accumulate: accumulate)
        case .int8(let B, let scales, let rows, let rowScales):
            Kernels.gemmNTInt8(M, n, K, rows, lda: K, scales: rowScales, B + j * ldb, ldb: ldb, scales: scales + j, C + j,
                               ldc: ldc, accumulate: accumulate)
        }
    }
}
