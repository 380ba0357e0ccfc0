/// A (rows, columns) row-major copy of a float matrix in bfloat16 (the top 16 bits of each float,
/// rounded to nearest): half the bytes for products that stream a matrix from memory once per
/// use, at about three significant decimal digits per weight. Made once from the float weights;
/// it does not follow later changes of them.
package final class BFloat16Matrix: @unchecked Sendable {
    package let rows: Int, columns: Int
    /// The bfloat16 bit patterns, row after row.
    package let values: UnsafeMutablePointer<UInt16>

    /// The bfloat16 copy of `rows` rows of `columns` floats at `source` (row stride `ld`).
    package init(rows: Int, columns: Int, _ source: UnsafePointer<Float>, ld: Int? = nil) {
        (self.rows, self.columns) = (rows, columns)
        values = .allocate(capacity: max(rows * columns, 1))
        let ld = ld ?? columns
        if ld == columns {
            Kernels.toBFloat16(rows * columns, source, values)
        } else {
            for r in 0..<rows { Kernels.toBFloat16(columns, source + r * ld, values + r * columns) }
        }
    }

    /// A tensor of shape (rows, columns).
    package convenience init(_ tensor: Tensor) {
        precondition(tensor.shape.count == 2, "a matrix")
        self.init(rows: tensor.shape[0], columns: tensor.shape[1], tensor.data)
    }

    deinit { values.deallocate() }
}
