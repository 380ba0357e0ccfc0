/// Corpus chrF exactly as sacreBLEU computes it with its defaults (`sacrebleu -m chrf`, or with
/// `-lc` when `lowercase`): character n-grams up to 6, no word n-grams, β = 2, whitespace
/// removed, on the 0–100 scale.
///
/// Definitions. Each sentence is lowercased (when asked) and stripped of every whitespace scalar
/// (`PythonWhitespace`); no tokenization. For each order n = 1…6 and sentence i, with hᵢ's and
/// rᵢ's character n-grams: hypₙ = the n-grams of hᵢ, but 0 when rᵢ has none (it is shorter than
/// n); refₙ = the n-grams of rᵢ; matchₙ = clipped matches (`NGramCounts`). These are summed over
/// the corpus. Then, over the orders where Σhypₙ > 0 and Σrefₙ > 0 only (sacreBLEU's "effective
/// order" rule, its default, rather than ε-smoothing):
/// - P = mean of Σmatchₙ/Σhypₙ, R = mean of Σmatchₙ/Σrefₙ;
/// - chrF = 100·(1 + β²)·P·R / (β²·P + R), and 0 when no order counts or P + R = 0.
/// With several references, each sentence uses the one whose sentence-level chrF is highest (the
/// first of equals).
///
/// The arithmetic follows sacreBLEU's operation for operation (the tests allow 1e-9). An empty
/// corpus scores 0. `lowercase` is Python's `str.lower()` (`PythonLowercase`).
package struct ChrF: Sendable {
    /// The largest character n-gram order (sacreBLEU's `CHAR_ORDER`).
    package static let charOrder = 6
    /// Recall weighs β² = 4 times as much as precision (sacreBLEU's `BETA`).
    package static let beta = 2.0

    /// Compare lowercased text (sacreBLEU's `-lc`).
    package var lowercase: Bool

    package init(lowercase: Bool = false) {
        self.lowercase = lowercase
    }

    /// Corpus chrF with one reference per hypothesis.
    /// - Precondition: as many references as hypotheses.
    package func score(hypotheses: [String], references: [String]) -> Double {
        score(hypotheses: hypotheses, references: references.map { [$0] })
    }

    /// Corpus chrF; `references[i]` are the references of `hypotheses[i]`.
    /// - Precondition: as many reference lists as hypotheses, none of them empty.
    package func score(hypotheses: [String], references: [[String]]) -> Double {
        precondition(hypotheses.count == references.count,
                     "chrF needs one reference list per hypothesis (\(hypotheses.count) hypotheses, \(references.count) lists)")
        var corpus = [OrderCounts](repeating: OrderCounts(), count: Self.charOrder)
        for (hypothesis, sentenceReferences) in zip(hypotheses, references) {
            precondition(!sentenceReferences.isEmpty, "chrF needs at least one reference per hypothesis")
            let hypothesisGrams = NGramCounts(characters(hypothesis), maxOrder: Self.charOrder)
            var best: [OrderCounts] = [], bestScore = -1.0
            for reference in sentenceReferences {
                let referenceGrams = NGramCounts(characters(reference), maxOrder: Self.charOrder)
                let counts = (1...Self.charOrder).map { n in
                    OrderCounts(
                        hypothesis: referenceGrams.totals[n - 1] > 0 ? hypothesisGrams.totals[n - 1] : 0,
                        reference: referenceGrams.totals[n - 1],
                        matches: hypothesisGrams.clippedMatches(against: referenceGrams, order: n))
                }
                let sentenceScore = Self.fScore(counts)
                if sentenceScore > bestScore { best = counts; bestScore = sentenceScore }
            }
            for n in corpus.indices { corpus[n].add(best[n]) }
        }
        return Self.fScore(corpus)
    }

    /// A sentence as chrF counts it: lowercased when asked, whitespace removed.
    func characters(_ sentence: String) -> [Unicode.Scalar] {
        let scalars = Array(sentence.unicodeScalars)
        return PythonWhitespace.removing(from: lowercase ? PythonLowercase.lowercased(scalars) : scalars)
    }

    /// chrF from per-order counts (sacreBLEU's `_compute_f_score` without ε-smoothing).
    static func fScore(_ orders: [OrderCounts]) -> Double {
        let factor = beta * beta
        var precision = 0.0, recall = 0.0, effectiveOrder = 0
        for order in orders where order.hypothesis > 0 && order.reference > 0 {
            precision += Double(order.matches) / Double(order.hypothesis)
            recall += Double(order.matches) / Double(order.reference)
            effectiveOrder += 1
        }
        guard effectiveOrder > 0 else { return 0 }
        precision /= Double(effectiveOrder)
        recall /= Double(effectiveOrder)
        guard precision + recall != 0 else { return 0 }
        return 100 * ((1 + factor) * precision * recall / (factor * precision + recall))
    }

    /// The statistics of one order: hypothesis n-grams, reference n-grams, clipped matches.
    struct OrderCounts {
        var hypothesis = 0, reference = 0, matches = 0

        mutating func add(_ other: OrderCounts) {
            hypothesis += other.hypothesis
            reference += other.reference
            matches += other.matches
        }
    }
}
