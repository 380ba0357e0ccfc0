/// How often each n-gram of orders 1…`maxOrder` occurs in one sequence: the sufficient statistic
/// of both BLEU (word n-grams) and chrF (character n-grams).
///
/// Definitions: the n-grams of a sequence x₁…x_L are the L − n + 1 windows xᵢ…xᵢ₊ₙ₋₁ (none when
/// L < n). The clipped match count of a hypothesis h against a reference r at order n is
/// Σ_g min(count_h(g), count_r(g)) over the n-grams g of h: a hypothesis gets credit for an
/// n-gram at most as often as the reference holds it.
///
/// Elements are compared by `==` of `Element`: for text, `Unicode.Scalar`s (or arrays of them),
/// never `String`s, whose `==` treats canonically equivalent spellings as equal where Python,
/// and so sacreBLEU, does not.
struct NGramCounts<Element: Hashable> {
    /// `grams[n - 1][g]`: how often the n-gram `g` occurs.
    private(set) var grams: [[[Element]: Int]]
    /// `totals[n - 1]`: the number of n-grams, max(0, L − n + 1).
    let totals: [Int]

    /// - Parameters:
    ///   - sequence: the words or characters, in order.
    ///   - maxOrder: the largest n counted.
    init(_ sequence: [Element], maxOrder: Int) {
        var grams: [[[Element]: Int]] = []
        for n in 1...maxOrder {
            var counts: [[Element]: Int] = [:]
            if sequence.count >= n {
                for start in 0...(sequence.count - n) {
                    counts[Array(sequence[start..<(start + n)]), default: 0] += 1
                }
            }
            grams.append(counts)
        }
        self.grams = grams
        self.totals = (1...maxOrder).map { max(0, sequence.count - $0 + 1) }
    }

    /// The clipped match count of `self` (the hypothesis) against `reference` at order `n`.
    func clippedMatches(against reference: NGramCounts, order n: Int) -> Int {
        let referenceGrams = reference.grams[n - 1]
        var matches = 0
        for (gram, count) in grams[n - 1] {
            if let available = referenceGrams[gram] { matches += min(count, available) }
        }
        return matches
    }

    /// Keeps, for every n-gram, the larger of its two counts: several references allow an
    /// n-gram as often as the most generous one holds it (sacreBLEU's multi-reference BLEU).
    /// `totals` keep `self`'s; they are not meaningful for a merged count.
    mutating func formMaximum(with other: NGramCounts) {
        for n in grams.indices {
            grams[n].merge(other.grams[n]) { Swift.max($0, $1) }
        }
    }
}
