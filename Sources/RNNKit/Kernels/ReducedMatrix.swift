/// A (rows, columns) row-major copy of a float matrix in fewer bits, for the products that stream
/// a matrix from memory at every word (`WeightPrecision`):
///
/// - bfloat16: the top 16 bits of each float, rounded to nearest (about three significant digits);
///   the product widens each weight to float in registers and sums in float.
/// - int8: row j scaled by its own s_j = max_k |W_jk| / 127, W_jk ≈ s_j·q_jk with q_jk an integer
///   in −127…127. The product rounds each row of activations to int16 the same way (its own scale,
///   `Kernels.int16Limit(K)` steps), sums q·q exactly in int32 and scales each sum once: a quarter
///   of float's bytes, and the same bits at every instruction set and thread count.
///
/// Made once from the float weights; it does not follow later changes of them.
package final class ReducedMatrix: @unchecked Sendable {
    package let precision: WeightPrecision
    package private(set) var rows: Int
    package let columns: Int
    /// bfloat16 bit patterns (rows, columns), or nil.
    package private(set) var halves: UnsafeMutablePointer<UInt16>?
    /// int8 values (rows, columns) and their scales (rows), or nil.
    package private(set) var bytes: UnsafeMutablePointer<Int8>?
    package private(set) var scales: UnsafeMutablePointer<Float>?
    /// Rows allocated.
    private var capacity: Int

    /// An empty matrix of `columns` columns, for `gather`.
    package init(precision: WeightPrecision, columns: Int) {
        precondition(precision != .float, "a reduced precision")
        (self.precision, self.columns, rows, capacity) = (precision, columns, 0, 0)
        allocate(0)
    }

    /// The copy of `rows` rows of `columns` floats at `source` (row stride `ld`).
    package convenience init(_ precision: WeightPrecision, rows: Int, columns: Int, _ source: UnsafePointer<Float>,
                             ld: Int? = nil) {
        self.init(precision: precision, columns: columns)
        reserve(rows)
        self.rows = rows
        let ld = ld ?? columns
        for r in 0..<rows { set(row: r, from: source + r * ld) }
    }

    /// A matrix tensor of shape (rows, columns).
    package convenience init(_ precision: WeightPrecision, _ tensor: Tensor) {
        precondition(tensor.shape.count == 2, "a matrix")
        self.init(precision, rows: tensor.shape[0], columns: tensor.shape[1], tensor.data)
    }

    deinit {
        halves?.deallocate()
        bytes?.deallocate()
        scales?.deallocate()
    }

    private func reserve(_ count: Int) {
        guard count > capacity else { return }
        allocate(max(count, capacity * 2))
    }

    /// Storage for `rows` rows (never none, so that even an empty matrix has its format's buffers).
    private func allocate(_ rows: Int) {
        capacity = rows
        let n = max(capacity * columns, 1)
        if precision == .bfloat16 {
            halves?.deallocate()
            halves = .allocate(capacity: n)
        } else {
            bytes?.deallocate()
            scales?.deallocate()
            bytes = .allocate(capacity: n)
            scales = .allocate(capacity: max(capacity, 1))
        }
    }

    /// Row r from the floats at `source`.
    private func set(row r: Int, from source: UnsafePointer<Float>) {
        if let halves {
            Kernels.toBFloat16(columns, source, halves + r * columns)
            return
        }
        let q = bytes! + r * columns
        let m = Kernels.maxAbs(columns, source)  // NaN when a weight is NaN or ±inf
        guard m > 0, m.isFinite else {
            // A NaN or ±inf weight makes the row's products NaN, as the float weights would.
            q.update(repeating: 0, count: columns)
            scales![r] = m.isNaN ? .nan : 0
            return
        }
        // In double: |w|·127/m ≤ 127 exactly, and no overflow for the tiniest rows.
        scales![r] = m / 127
        let m64 = Double(m)
        for k in 0..<columns { q[k] = Int8((Double(source[k]) * 127 / m64).rounded(.toNearestOrEven)) }
    }

    /// Makes this matrix rows `indices` of `other` (same precision and columns), in that order:
    /// the shortlisted rows of fc_out, once per sentence; no allocation once it has grown.
    package func gather(_ indices: [Int], from other: ReducedMatrix) {
        precondition(other.precision == precision && other.columns == columns, "matrices of one kind")
        reserve(indices.count)
        rows = indices.count
        let n = columns
        if let halves, let source = other.halves {
            for (j, t) in indices.enumerated() { (halves + j * n).update(from: source + t * n, count: n) }
        } else if let bytes, let scales, let source = other.bytes, let sourceScales = other.scales {
            for (j, t) in indices.enumerated() {
                (bytes + j * n).update(from: source + t * n, count: n)
                scales[j] = sourceScales[t]
            }
        }
    }

    /// C (M, rows) (+)= A (M, K)·W[:, column ..< column + K]ᵀ: the product with the columns of one
    /// block of the matrix (the per-row int8 scales are the whole row's). `split`: by output
    /// columns over `ForkJoin`'s threads (`SentenceProducts`), the same numbers at any thread count.
    /// `activations` holds the int16 rows of A for int8.
    package func product(_ M: Int, _ K: Int, _ A: UnsafePointer<Float>, lda: Int, column: Int, _ C: UnsafeMutablePointer<Float>,
                         ldc: Int, accumulate: Bool, split: Bool, activations: QuantizedRows) {
        let p = operand(M, K, A, lda: lda, column: column, C, ldc: ldc, accumulate: accumulate, activations: activations)
        if split { SentenceProducts.run(p) } else { p.run(0..<rows) }
    }

    /// The same product described for `SentenceProducts` (A's rows rounded to int16 into
    /// `activations` now, for int8): valid while `activations` and the operands are.
    package func operand(_ M: Int, _ K: Int, _ A: UnsafePointer<Float>, lda: Int, column: Int, _ C: UnsafeMutablePointer<Float>,
                         ldc: Int, accumulate: Bool, activations: QuantizedRows) -> SentenceProduct {
        precondition(column >= 0 && column + K <= columns, "columns within the matrix")
        if let halves {
            return SentenceProduct(M, rows, K, A, lda: lda, .bfloat16(halves + column), ldb: columns, C, ldc: ldc,
                                   accumulate: accumulate)
        }
        // Widths are bounded (`ModelLimits.maxWidth`), so the int16 steps never run out.
        precondition(Kernels.int16Limit(K) >= 127, "at most 133,144 columns in an int8 product")
        let q = activations.values.get(M * K), s = activations.scales.get(M)
        Kernels.quantizeInt16(M, K, A, lda: lda, q, ldq: K, scales: s)
        return SentenceProduct(M, rows, K, A, lda: lda, .int8(bytes! + column, scales: scales!, rows: q, rowScales: s),
                               ldb: columns, C, ldc: ldc, accumulate: accumulate)
    }
}

/// The int16 rows (and their scales) an int8 product makes of its float activations: a work
/// buffer of the caller's, so that products on different threads never share one.
package final class QuantizedRows: @unchecked Sendable {
    let values = ScratchBuffer<Int16>()
    let scales = ScratchBuffer<Float>()
    package init() {}
}
