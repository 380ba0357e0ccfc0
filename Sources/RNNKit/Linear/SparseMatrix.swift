/// A sparse matrix in compressed rows (CSR): row i's nonzero columns are
/// `columns[offsets[i] ..< offsets[i + 1]]`, ascending, and its values `values[…]` the same range.
/// One allocation per array, where `[SparseRow]` has two per row: the objective of a linear model
/// walks every row at every evaluation.
struct SparseMatrix: Sendable {
    let rows: Int
    let offsets: [Int]       // (rows + 1)
    let columns: [Int32]     // (nonzeros)
    let values: [Double]     // (nonzeros)

    init(_ rows: [SparseRow]) {
        self.rows = rows.count
        var offsets = [0], columns: [Int32] = [], values: [Double] = []
        let total = rows.reduce(0) { $0 + $1.features.count }
        offsets.reserveCapacity(rows.count + 1); columns.reserveCapacity(total); values.reserveCapacity(total)
        for row in rows {
            columns.append(contentsOf: row.features.map { Int32($0) })
            values.append(contentsOf: row.values)
            offsets.append(columns.count)
        }
        (self.offsets, self.columns, self.values) = (offsets, columns, values)
    }
}
