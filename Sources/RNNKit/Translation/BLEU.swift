import Foundation

/// Corpus BLEU exactly as sacreBLEU computes it with its defaults (`sacrebleu` with no options,
/// or `-lc` when `lowercase`): 13a tokenization, n-grams up to 4, the brevity penalty and the
/// `exp` smoothing, on the 0–100 scale.
///
/// Definitions. Each sentence is lowercased (when asked), stripped of trailing whitespace and
/// tokenized by `Tokenizer13a`. For a corpus of hypotheses hᵢ with references rᵢ:
/// - cₙ = Σᵢ clipped n-gram matches of hᵢ against rᵢ (`NGramCounts`); with several references, an
///   n-gram counts up to the largest number of times any one of them holds it;
/// - tₙ = Σᵢ n-grams of hᵢ; c = Σᵢ |hᵢ| (`sys_len`); r = Σᵢ |r*ᵢ| (`ref_len`), where r*ᵢ is the
///   reference closest in length to hᵢ, the shorter one on a tie;
/// - BP = 1 when c ≥ r, exp(1 − r/c) when 0 < c < r, and 0 when c = 0;
/// - pₙ = 100·cₙ/tₙ when cₙ > 0. When cₙ = 0 (`exp` smoothing, NIST's mteval-v13a rule) pₙ =
///   100/(2ᵏ·tₙ), k counting the zero-match orders so far (1 for the first, 2 for the second, …).
///   Once some tₙ = 0 (every hypothesis shorter than n tokens) this and all higher pₙ stay 0;
/// - BLEU = BP·exp(¼ Σₙ log pₙ), where log 0 is taken as −9 999 999 999 (sacreBLEU's `my_log`),
///   so a zero pₙ makes BLEU 0 rather than undefined; and BLEU = 0 outright when every cₙ = 0.
///
/// The arithmetic follows sacreBLEU's operation for operation, so scores agree to the last bit
/// or nearly (the tests allow 1e-9). An empty corpus scores 0 with BP 1. `lowercase` is
/// Python's `str.lower()` (`PythonLowercase`), final sigma included.
package struct BLEU: Sendable {
    /// The largest n-gram order (sacreBLEU's `MAX_NGRAM_ORDER`).
    package static let maxOrder = 4

    /// Compare lowercased text (sacreBLEU's `-lc`).
    package var lowercase: Bool

    package init(lowercase: Bool = false) {
        self.lowercase = lowercase
    }

    /// Corpus BLEU with one reference per hypothesis.
    /// - Precondition: as many references as hypotheses.
    package func score(hypotheses: [String], references: [String]) -> BLEUScore {
        score(hypotheses: hypotheses, references: references.map { [$0] })
    }

    /// Corpus BLEU; `references[i]` are the references of `hypotheses[i]`.
    /// - Precondition: as many reference lists as hypotheses, none of them empty.
    package func score(hypotheses: [String], references: [[String]]) -> BLEUScore {
        precondition(hypotheses.count == references.count,
                     "BLEU needs one reference list per hypothesis (\(hypotheses.count) hypotheses, \(references.count) lists)")
        var counts = [Int](repeating: 0, count: Self.maxOrder), totals = counts
        var hypothesisLength = 0, referenceLength = 0
        for (hypothesis, sentenceReferences) in zip(hypotheses, references) {
            precondition(!sentenceReferences.isEmpty, "BLEU needs at least one reference per hypothesis")
            let hypothesisTokens = tokens(hypothesis)
            let hypothesisGrams = NGramCounts(hypothesisTokens, maxOrder: Self.maxOrder)
            var referenceGrams: NGramCounts<[Unicode.Scalar]>?
            var referenceLengths: [Int] = []
            for reference in sentenceReferences {
                let referenceTokens = tokens(reference)
                referenceLengths.append(referenceTokens.count)
                let grams = NGramCounts(referenceTokens, maxOrder: Self.maxOrder)
                if referenceGrams == nil { referenceGrams = grams } else { referenceGrams!.formMaximum(with: grams) }
            }
            for n in 1...Self.maxOrder {
                counts[n - 1] += hypothesisGrams.clippedMatches(against: referenceGrams!, order: n)
                totals[n - 1] += hypothesisGrams.totals[n - 1]
            }
            hypothesisLength += hypothesisTokens.count
            referenceLength += Self.closestLength(to: hypothesisTokens.count, among: referenceLengths)
        }
        return Self.score(counts: counts, totals: totals,
                          hypothesisLength: hypothesisLength, referenceLength: referenceLength)
    }

    /// A sentence as BLEU counts it: lowercased when asked, trailing whitespace stripped, 13a tokens.
    func tokens(_ sentence: String) -> [[Unicode.Scalar]] {
        let scalars = Array(sentence.unicodeScalars)
        let text = lowercase ? PythonLowercase.lowercased(scalars) : scalars
        return Tokenizer13a().tokens(PythonWhitespace.trimmingTrailing(text))
    }

    /// The reference length closest to `length`, the shorter of two equally close ones.
    static func closestLength(to length: Int, among lengths: [Int]) -> Int {
        lengths.min { a, b in
            let da = abs(length - a), db = abs(length - b)
            return da != db ? da < db : a < b
        }!
    }

    /// BLEU from its corpus statistics (sacreBLEU's `compute_bleu` with `exp` smoothing).
    static func score(counts: [Int], totals: [Int], hypothesisLength c: Int, referenceLength r: Int) -> BLEUScore {
        var brevityPenalty = 1.0
        if c < r { brevityPenalty = c > 0 ? exp(1 - Double(r) / Double(c)) : 0 }
        var precisions = [Double](repeating: 0, count: maxOrder)
        var result = BLEUScore(score: 0, counts: counts, totals: totals, precisions: precisions,
                               brevityPenalty: brevityPenalty, hypothesisLength: c, referenceLength: r)
        guard counts.contains(where: { $0 != 0 }) else { return result }
        var smoothing = 1.0
        for n in 0..<maxOrder {
            guard totals[n] != 0 else { break }
            if counts[n] == 0 {
                smoothing *= 2
                precisions[n] = 100 / (smoothing * Double(totals[n]))
            } else {
                precisions[n] = 100 * Double(counts[n]) / Double(totals[n])
            }
        }
        var logSum = 0.0
        for p in precisions { logSum += p == 0 ? -9_999_999_999 : log(p) }
        result.precisions = precisions
        result.score = brevityPenalty * exp(logSum / Double(maxOrder))
        return result
    }
}
