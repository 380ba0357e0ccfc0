/// What a bag-of-n-grams classifier is made of; saved as `rnnkit.config`.
///
/// Shapes: d = `vocabularySize` n-grams, K = `numClasses`. Tensors: `fc.weight` (K, d),
/// `fc.bias` (K) — a softmax layer over the tf-idf vector, PyTorch's `nn.Linear(d, K)` — and
/// `idf` (d: each n-gram's weight, idf times the Naive Bayes ratio with `NgramWeighting.naiveBayes`).
public struct BagOfNgramsConfiguration: Codable, Sendable, Equatable {
    public var task = "bag_of_ngrams"
    /// d: the n-grams of the vocabulary.
    public var vocabularySize: Int
    /// K: the labels.
    public var numClasses: Int
    /// The longest n-gram (2: words and pairs of words).
    public var maxN: Int

    public init(vocabularySize: Int, numClasses: Int, maxN: Int) {
        self.vocabularySize = vocabularySize
        self.numClasses = numClasses
        self.maxN = maxN
    }

    enum CodingKeys: String, CodingKey {
        case task, vocabularySize = "vocab_size", numClasses = "num_classes", maxN = "ngram_max"
    }

    /// The most words in one n-gram.
    public static let maxNgramLength = 5

    /// Why this configuration cannot make a model, or nil.
    public var problem: String? {
        if task != "bag_of_ngrams" { return "the task is `\(task)`, not bag_of_ngrams" }
        if let p = ModelLimits.sizeProblem("vocab_size", vocabularySize, limit: ModelLimits.maxParameters) { return p }
        if !(2...ModelLimits.maxWidth).contains(numClasses) {
            return "num_classes must be between 2 and \(ModelLimits.maxWidth) (got \(numClasses))"
        }
        if let p = ModelLimits.sizeProblem("ngram_max", maxN, limit: Self.maxNgramLength) { return p }
        return ModelLimits.parameterProblem(Double(storedValues.upperBound))
    }
}

extension BagOfNgramsConfiguration: StoredNetwork {
    /// K·d + K + d.
    var storedValues: ClosedRange<Double> {
        let v = Double(numClasses) * Double(vocabularySize) + Double(numClasses) + Double(vocabularySize)
        return v...v
    }
}
