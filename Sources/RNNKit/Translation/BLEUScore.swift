/// A corpus BLEU score and the statistics it was computed from, as sacreBLEU's `BLEUScore`
/// reports them (see `BLEU` for the definitions).
package struct BLEUScore: Equatable, Sendable {
    /// BLEU on sacreBLEU's 0–100 scale.
    package var score: Double
    /// `counts[n - 1]`: clipped n-gram matches summed over the corpus, n = 1…4.
    package var counts: [Int]
    /// `totals[n - 1]`: hypothesis n-grams summed over the corpus.
    package var totals: [Int]
    /// `precisions[n - 1]`: the (smoothed) n-gram precision in percent.
    package var precisions: [Double]
    /// The brevity penalty, in [0, 1].
    package var brevityPenalty: Double
    /// sacreBLEU's `sys_len`: the hypothesis tokens of the corpus.
    package var hypothesisLength: Int
    /// sacreBLEU's `ref_len`: the summed lengths of the references closest in length.
    package var referenceLength: Int
}
