// Dimension letters: B sequences, T steps of the longest, N = Σ lengths (packed rows).

/// A batch of variable-length sequences, packed time-major as PyTorch's `PackedSequence`:
/// sequences are sorted longest first, and step t holds rows 0..<batchSizes[t] — exactly the
/// sequences still running at t. Every product then runs on real rows only, each sequence ends at
/// its own last step, and the caller never sorts or pads anything.
///
/// Immutable; a class so that handing a batch down through the layers costs no reference counting
/// of its five arrays.
package final class PackedBatch: Sendable {
    /// Lengths in sorted (longest-first) order.
    package let lengths: [Int]
    /// `order[r]` is the caller's index of sorted row r.
    package let order: [Int]
    /// Rows active at each step (non-increasing), (T).
    package let batchSizes: [Int]
    /// First packed row of each step, (T + 1); `offsets[T] = N`.
    package let offsets: [Int]
    /// Token ids, packed: step t's rows at offsets[t]…, (N).
    package let tokens: [Int]
    /// Each sequence's n-gram vector in the caller's order, for a model with a wide part.
    package let ngrams: [SparseRow]?

    package var count: Int { lengths.count }
    package var steps: Int { batchSizes.count }
    package var rowCount: Int { offsets.last ?? 0 }

    /// Packs `sequences` (each at least one token). The sort is stable, so equal lengths keep
    /// the caller's order and packing is deterministic.
    package init(_ sequences: [[Int]], ngrams: [SparseRow]? = nil) {
        precondition(!sequences.isEmpty && sequences.allSatisfy { !$0.isEmpty }, "a batch needs non-empty sequences")
        precondition(ngrams.map { $0.count == sequences.count } ?? true, "one n-gram vector per sequence")
        self.ngrams = ngrams
        let order = sequences.indices.sorted { (sequences[$0].count, $1) > (sequences[$1].count, $0) }
        let lengths = order.map { sequences[$0].count }
        let T = lengths[0]
        var batchSizes = [Int](repeating: 0, count: T)
        for L in lengths { for t in 0..<L { batchSizes[t] += 1 } }
        var offsets = [0]
        for b in batchSizes { offsets.append(offsets.last! + b) }
        var tokens = [Int](repeating: 0, count: offsets[T])
        for t in 0..<T {
            for r in 0..<batchSizes[t] { tokens[offsets[t] + r] = sequences[order[r]][t] }
        }
        self.order = order
        self.lengths = lengths
        self.batchSizes = batchSizes
        self.offsets = offsets
        self.tokens = tokens
    }

    /// Packed row of sorted sequence r at step t (t < lengths[r]).
    @inline(__always)
    package func row(step t: Int, sequence r: Int) -> Int { offsets[t] + r }

    /// A batch of examples, with their n-gram vectors when every one has them.
    package convenience init(examples: some Collection<EncodedExample>) {
        let ngrams = examples.compactMap(\.ngrams)
        self.init(examples.map(\.tokens), ngrams: ngrams.count == examples.count ? ngrams : nil)
    }
}
