import Foundation

/// Texts as tf-idf vectors of word n-grams, as scikit-learn's `TfidfVectorizer(ngram_range=(1, n),
/// sublinear_tf=True)` makes them from the same tokens:
///
///     n-grams of a text: its tokens, then each run of 2 … n consecutive tokens joined by a space
///     tf(g)  = 1 + ln(count of g in the text)                       (sublinear)
///     idf(g) = ln((1 + N) / (1 + df(g))) + 1                         (smoothed; N texts, df: texts holding g)
///     x      = (tf ⊙ idf) / ‖tf ⊙ idf‖₂                              (each row of unit length)
///
/// The vocabulary is every n-gram of the training texts seen in at least `minCount` of them, in
/// the order first met; n-grams outside it are ignored.
struct NgramFeatures: Sendable {
    /// The n-grams, in feature order.
    let ngrams: [String]
    /// idf per feature.
    let idf: [Double]
    /// The longest n-gram.
    let maxN: Int
    private let lookup: [String: Int]

    init(ngrams: [String], idf: [Double], maxN: Int) {
        precondition(ngrams.count == idf.count && maxN >= 1)
        self.ngrams = ngrams
        self.idf = idf
        self.maxN = maxN
        lookup = Dictionary(ngrams.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The vocabulary and idf of `texts` (each a list of tokens).
    init(fitting texts: [[String]], maxN: Int, minCount: Int) {
        var df: [String: Int] = [:]
        for tokens in texts {
            for g in Set(Self.ngrams(of: tokens, maxN: maxN)) { df[g, default: 0] += 1 }
        }
        // In order of first appearance (a Set's order is not stable from run to run).
        var order: [String] = [], placed = Set<String>()
        for tokens in texts {
            for g in Self.ngrams(of: tokens, maxN: maxN) where df[g]! >= minCount && placed.insert(g).inserted { order.append(g) }
        }
        let n = Double(texts.count)
        self.init(ngrams: order, idf: order.map { log((1 + n) / (1 + Double(df[$0]!))) + 1 }, maxN: maxN)
    }

    /// The feature of an n-gram, or nil.
    func index(of ngram: String) -> Int? { lookup[ngram] }

    /// Every n-gram of `tokens`, n = 1 … maxN, with repeats.
    static func ngrams(of tokens: [String], maxN: Int) -> [String] {
        var out = tokens
        if maxN >= 2 {
            for n in 2...maxN where tokens.count >= n {
                for i in 0...(tokens.count - n) { out.append(tokens[i..<(i + n)].joined(separator: " ")) }
            }
        }
        return out
    }

    /// The text's vector as (feature, value) pairs in feature order; empty when it has no known
    /// n-gram.
    func vector(_ tokens: [String]) -> SparseRow {
        var counts: [Int: Int] = [:]
        for g in Self.ngrams(of: tokens, maxN: maxN) { if let j = lookup[g] { counts[j, default: 0] += 1 } }
        let features = counts.keys.sorted()
        var values = features.map { (1 + log(Double(counts[$0]!))) * idf[$0] }
        let norm = values.reduce(0) { $0 + $1 * $1 }.squareRoot()
        if norm > 0 { values = values.map { $0 / norm } }
        return SparseRow(features: features, values: values)
    }
}

/// One row of a sparse matrix: its nonzero columns (ascending) and their values.
struct SparseRow: Sendable, Equatable {
    var features: [Int]
    var values: [Double]
    var isEmpty: Bool { features.isEmpty }
}
