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
/// the order first met; n-grams outside it are ignored. With `NgramWeighting.naiveBayes` each
/// idf is multiplied by the n-gram's Naive Bayes log-count ratio (see there), so `idf` holds
/// the whole per-feature weight either way.
package struct NgramFeatures: Sendable {
    /// The n-grams, in feature order.
    package let ngrams: [String]
    /// idf per feature (times |r|, for Naive Bayes weighting).
    package let idf: [Double]
    /// The longest n-gram.
    package let maxN: Int
    private let lookup: [String: Int]

    package init(ngrams: [String], idf: [Double], maxN: Int) {
        precondition(ngrams.count == idf.count && maxN >= 1)
        self.ngrams = ngrams
        self.idf = idf
        self.maxN = maxN
        lookup = Dictionary(ngrams.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The vocabulary and idf of `texts` (each a list of tokens).
    package init(fitting texts: [[String]], maxN: Int, minCount: Int) {
        self = Self.fitted(texts, maxN: maxN, minCount: minCount).features
    }

    /// The vocabulary and idf of `texts` (each a list of tokens, none holding a space), with each
    /// text's features counted — what `vector` then weighs, without looking every n-gram up again.
    /// `roundIDF` rounds each idf before it is kept (a file stores it as Float). Naive Bayes
    /// weighting needs `labels`: each text's label index, of `classes` ≥ 2.
    ///
    /// N-grams are numbered as they are first met, in `ngrams(of:)`'s order text after text, which
    /// is the feature order: n-gram ids are integers — a word's from one dictionary of words, an
    /// n-gram's from the id of its first n − 1 words and its last word — so no n-gram string is made
    /// or hashed, except the kept ones' names at the end.
    static func fitted(_ texts: [[String]], maxN: Int, minCount: Int, weighting: NgramWeighting = .tfidf,
                       labels: [Int] = [], classes: Int = 0,
                       roundIDF: (Double) -> Double = { $0 }) -> (features: NgramFeatures, counts: [[(feature: Int, count: Int)]]) {
        precondition(maxN >= 1)
        precondition(weighting == .tfidf || (labels.count == texts.count && classes >= 2))
        var wordID: [String: Int] = [:]
        var extend: [Int: Int] = [:]             // (prefix id << 32 | last word's id) → n-gram id
        var origin: [(prefix: Int, word: Int)] = []  // per n-gram id: prefix 0 for a word, else the (n − 1)-gram's id + 1
        var words: [String] = []                   // per word id
        var df: [Int] = [], seenIn: [Int] = []
        var textIDs: [[Int]] = []
        textIDs.reserveCapacity(texts.count)
        func id(prefix: Int, word: Int) -> Int {
            let key = prefix << 32 | word
            if let known = extend[key] { return known }
            let new = origin.count
            extend[key] = new
            origin.append((prefix, word)); df.append(0); seenIn.append(-1)
            return new
        }
        for (t, tokens) in texts.enumerated() {
            var ids: [Int] = []
            ids.reserveCapacity(tokens.count * maxN)
            // Words first: a word's n-gram id is kept beside its word id.
            var wordIDs: [Int] = []
            wordIDs.reserveCapacity(tokens.count)
            for token in tokens {
                let w: Int
                if let known = wordID[token] { w = known } else { w = words.count; wordID[token] = w; words.append(token) }
                wordIDs.append(w)
                ids.append(id(prefix: 0, word: w))
            }
            // Then each length n: the n-gram at i extends the (n − 1)-gram at i by word i + n − 1.
            var previous = Array(ids)  // the (n − 1)-grams' ids, by start
            if maxN >= 2 {
                for n in 2...maxN where tokens.count >= n {
                    var current: [Int] = []
                    current.reserveCapacity(tokens.count - n + 1)
                    for i in 0...(tokens.count - n) {
                        let g = id(prefix: previous[i] + 1, word: wordIDs[i + n - 1])
                        current.append(g)
                        ids.append(g)
                    }
                    previous = current
                }
            }
            for g in ids where seenIn[g] != t { seenIn[g] = t; df[g] += 1 }
            textIDs.append(ids)
        }
        // Kept n-grams in id order (the order first met), and their names.
        var feature = [Int](repeating: -1, count: origin.count)
        var names: [String] = [], idf: [Double] = []
        let n = Double(texts.count)
        func name(_ g: Int) -> String {
            let o = origin[g]
            return o.prefix == 0 ? words[o.word] : name(o.prefix - 1) + " " + words[o.word]
        }
        for g in 0..<origin.count where df[g] >= minCount {
            feature[g] = names.count
            names.append(name(g))
            idf.append(log((1 + n) / (1 + Double(df[g]))) + 1)
        }
        let counts = textIDs.map { ids -> [(feature: Int, count: Int)] in
            var kept = ids.compactMap { feature[$0] >= 0 ? feature[$0] : nil }
            kept.sort()
            var out: [(feature: Int, count: Int)] = []
            for j in kept {
                if let last = out.last, last.feature == j { out[out.count - 1].count += 1 } else { out.append((j, 1)) }
            }
            return out
        }
        if weighting == .naiveBayes {
            let r = naiveBayesRatios(counts, labels: labels, classes: classes, features: names.count)
            for j in idf.indices { idf[j] *= r[j] }
        }
        return (NgramFeatures(ngrams: names, idf: idf.map(roundIDF), maxN: maxN), counts)
    }

    /// max_k |r_jk| per feature j: `NgramWeighting.naiveBayes`'s ratio, from which texts hold
    /// each feature (`counts`, as `fitted` makes them) and their labels.
    static func naiveBayesRatios(_ counts: [[(feature: Int, count: Int)]], labels: [Int], classes K: Int,
                                 features d: Int) -> [Double] {
        var df = [Double](repeating: 0, count: d * K)  // (d, K): texts of label k holding feature j
        for (text, y) in zip(counts, labels) { for (j, _) in text { df[j * K + y] += 1 } }
        var total = [Double](repeating: 0, count: d)
        for j in 0..<d { for k in 0..<K { total[j] += df[j * K + k] } }
        // ‖p_k‖₁ and ‖q_k‖₁ with α = 1 on every feature.
        var pNorm = [Double](repeating: Double(d), count: K), qNorm = pNorm
        for j in 0..<d {
            for k in 0..<K { pNorm[k] += df[j * K + k]; qNorm[k] += total[j] - df[j * K + k] }
        }
        return (0..<d).map { j in
            (0..<K).map { k in
                abs(log((1 + df[j * K + k]) / pNorm[k]) - log((1 + total[j] - df[j * K + k]) / qNorm[k]))
            }.max()!
        }
    }

    /// The feature of an n-gram, or nil.
    package func index(of ngram: String) -> Int? { lookup[ngram] }

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
    package func vector(_ tokens: [String]) -> SparseRow {
        var counts: [Int: Int] = [:]
        for g in Self.ngrams(of: tokens, maxN: maxN) { if let j = lookup[g] { counts[j, default: 0] += 1 } }
        return vector(counts: counts.keys.sorted().map { ($0, counts[$0]!) })
    }

    /// The vector of a text whose features occur `counts` times (features ascending).
    func vector(counts: [(feature: Int, count: Int)]) -> SparseRow {
        var values = counts.map { (1 + log(Double($0.count))) * idf[$0.feature] }
        let norm = values.reduce(0) { $0 + $1 * $1 }.squareRoot()
        if norm > 0 { values = values.map { $0 / norm } }
        return SparseRow(features: counts.map(\.feature), values: values)
    }
}

/// One row of a sparse matrix: its nonzero columns (ascending) and their values.
package struct SparseRow: Sendable, Equatable {
    package var features: [Int]
    package var values: [Double]
    package var isEmpty: Bool { features.isEmpty }

    package init(features: [Int], values: [Double]) {
        self.features = features
        self.values = values
    }
}
