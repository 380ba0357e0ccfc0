/// A rank's contiguous part of each global batch: of n items, rank r of p takes items
/// ⌊r·n/p⌋ ..< ⌊(r+1)·n/p⌋, so the parts differ in size by at most one and together are the batch,
/// in order.
package struct BatchShare: Equatable, Sendable {
    package let rank: Int
    package let ranks: Int

    /// The whole batch: a process on its own.
    package static let whole = BatchShare(rank: 0, ranks: 1)

    package init(rank: Int, ranks: Int) {
        precondition(ranks >= 1 && (0..<ranks).contains(rank))
        self.rank = rank
        self.ranks = ranks
    }

    /// This rank's positions among `n` items.
    package func range(of n: Int) -> Range<Int> {
        (rank * n / ranks)..<((rank + 1) * n / ranks)
    }
}
