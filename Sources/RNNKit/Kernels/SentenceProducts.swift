/// The products of decoding one sentence — a row or a few (beam hypotheses) against a large weight
/// — split by output columns over `ForkJoin`'s threads. Each column is summed by the same kernel
/// code whatever the split (the cuts fall on the kernels' own column blocks), so the numbers equal
/// `MatMul`'s bit for bit at any thread count.
package enum SentenceProducts {
    /// Runs `product` (C (M, N) = A·Bᵀ, or += with `accumulate`), split by output columns; its
    /// numbers equal `MatMul.nt`'s with `exactOneRow: false` (any M for reduced weights: each group
    /// of four rows of B is read once for all rows of A; float weights with M > 16 go to `MatMul.nt`).
    static func run(_ product: SentenceProduct) {
        if case .float(let B) = product.weights, product.M > 16 {
            let p = product
            MatMul.nt(p.M, p.N, p.K, p.A, lda: p.lda, B, ldb: p.ldb, p.C, ldc: p.ldc, accumulate: p.accumulate, exactOneRow: false)
            return
        }
        // The kernels take rows of B four at a time, the remainder one by one at the end.
        ForkJoin.ranges(product.N, granule: 4, work: product.work) { product.run($0) }
    }

    /// Runs independent products (up to four; none may read another's output) in one fork-join
    /// job: each is cut as `run` would cut it alone, and all the pieces are taken by the threads as
    /// they come free — one start and one wait instead of one per product. The same numbers as
    /// running them one by one.
    static func together(_ products: UnsafeBufferPointer<SentenceProduct>) {
        precondition(products.count <= 4, "at most four products")
        let whole = products.allSatisfy { p in
            if case .float = p.weights { return p.M <= 16 } else { return true }
        }
        // One thread: one after another, on this thread (a job of several parts would start a worker).
        guard whole, products.count > 1, Parallel.threads > 1 else {
            for p in products { run(p) }
            return
        }
        var parts = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &parts) { raw in
            let parts = raw.bindMemory(to: Int.self)
            for (i, p) in products.enumerated() { parts[i] = ForkJoin.partCount(p.N, granule: 4, work: p.work) }
            let total = parts[0 ..< products.count].reduce(0, +)
            ForkJoin.run(total) { piece in
                var i = 0, q = piece
                while q >= parts[i] { q -= parts[i]; i += 1 }
                let p = products[i]
                p.run(ForkJoin.range(q, of: parts[i], count: p.N, granule: 4))
            }
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
