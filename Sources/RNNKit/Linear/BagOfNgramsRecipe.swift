/// How a bag-of-n-grams classifier is made from labelled texts: scikit-learn's classic baseline,
/// `TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)` then `LogisticRegression(C=4)`, on
/// RNNKit's tokens.
///
///     var recipe = BagOfNgramsRecipe.standard
///     recipe.maxN = 3
///     let baseline = try BagOfNgramsClassifier.train(on: rows, recipe: recipe)
public struct BagOfNgramsRecipe: Codable, Sendable, Equatable {
    /// How texts become tokens (the standard classifier recipe's: lowercased words).
    public var tokenizer: Tokenizer
    /// The longest n-gram: 2 gives words and pairs of adjacent words.
    public var maxN: Int
    /// Keep n-grams found in at least this many training texts.
    public var minCount: Int
    /// tf-idf (scikit-learn's), or tf-idf times the Naive Bayes log-count ratio.
    public var weighting: NgramWeighting
    /// C, the inverse of the L2 penalty's strength: larger fits the training texts more closely.
    public var inverseRegularization: Double
    /// The most L-BFGS iterations.
    public var maxIterations: Int

    public init(tokenizer: Tokenizer = .words(lowercase: true), maxN: Int = 2, minCount: Int = 1,
                weighting: NgramWeighting = .tfidf, inverseRegularization: Double = 4, maxIterations: Int = 2000) {
        self.tokenizer = tokenizer
        self.maxN = maxN
        self.minCount = minCount
        self.weighting = weighting
        self.inverseRegularization = inverseRegularization
        self.maxIterations = maxIterations
    }

    /// Words and word pairs, tf-idf, C = 4.
    public static let standard = BagOfNgramsRecipe()

    enum CodingKeys: String, CodingKey { case tokenizer, maxN, minCount, weighting, inverseRegularization, maxIterations }

    /// Files written before `weighting` existed were tf-idf.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(tokenizer: try c.decode(Tokenizer.self, forKey: .tokenizer), maxN: try c.decode(Int.self, forKey: .maxN),
                  minCount: try c.decode(Int.self, forKey: .minCount),
                  weighting: try c.decodeIfPresent(NgramWeighting.self, forKey: .weighting) ?? .tfidf,
                  inverseRegularization: try c.decode(Double.self, forKey: .inverseRegularization),
                  maxIterations: try c.decode(Int.self, forKey: .maxIterations))
    }

    /// Why this recipe cannot train, or nil.
    public var problem: String? {
        if !(1...BagOfNgramsConfiguration.maxNgramLength).contains(maxN) {
            return "the longest n-gram must be between 1 and \(BagOfNgramsConfiguration.maxNgramLength) (got \(maxN))"
        }
        if minCount < 1 { return "the minimum count must be at least 1 (got \(minCount))" }
        if !(inverseRegularization.isFinite && inverseRegularization > 0) {
            return "C (the inverse regularization) must be a positive number (got \(inverseRegularization))"
        }
        // Beyond this the penalty is below the sums' rounding: the fit is unregularized, and its
        // gradient tolerance (proportional to C) no longer stops anything.
        if inverseRegularization > 1e9 {
            return "C (the inverse regularization) must be at most 1e9 (got \(inverseRegularization)); larger is no penalty at all"
        }
        if maxIterations < 1 { return "the iterations must be at least 1 (got \(maxIterations))" }
        return nil
    }
}
