/// What a wide-and-deep classifier is made of; saved as `rnnkit.config`: the deep network's
/// ``ClassifierConfiguration`` keys (with `task` = `wide_and_deep`), then `ngram_vocab_size` and
/// `ngram_max`.
///
/// Shapes: d = `ngramCount` n-grams, K = `deep.numClasses`. Tensors: the deep network's (see
/// ``TextClassifier``), `wide.weight` (K, d) — PyTorch's `nn.Linear(d, K, bias=False)` over the
/// tf-idf vector, its logits added to `fc`'s — and `idf` (d).
public struct WideAndDeepConfiguration: Codable, Sendable, Equatable {
    /// The recurrent network and its output layer `fc`.
    public var deep: ClassifierConfiguration
    /// d: the n-grams the wide part knows.
    public var ngramCount: Int
    /// The longest n-gram.
    public var maxN: Int

    public init(deep: ClassifierConfiguration, ngramCount: Int, maxN: Int) {
        self.deep = deep
        self.deep.task = ModelTask.wideAndDeep.rawValue
        self.ngramCount = ngramCount
        self.maxN = maxN
    }

    enum CodingKeys: String, CodingKey { case ngramCount = "ngram_vocab_size", maxN = "ngram_max" }

    public init(from decoder: Decoder) throws {
        deep = try ClassifierConfiguration(from: decoder)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        ngramCount = try c.decode(Int.self, forKey: .ngramCount)
        maxN = try c.decode(Int.self, forKey: .maxN)
    }

    public func encode(to encoder: Encoder) throws {
        try deep.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(ngramCount, forKey: .ngramCount)
        try c.encode(maxN, forKey: .maxN)
    }

    /// Why this configuration cannot make a model, or nil.
    public var problem: String? {
        if deep.task != ModelTask.wideAndDeep.rawValue { return "the task is `\(deep.task)`, not wide_and_deep" }
        if let p = deep.problem { return p }
        if let p = ModelLimits.sizeProblem("ngram_vocab_size", ngramCount, limit: ModelLimits.maxParameters) { return p }
        if let p = ModelLimits.sizeProblem("ngram_max", maxN, limit: BagOfNgramsConfiguration.maxNgramLength) { return p }
        return ModelLimits.parameterProblem(storedValues.upperBound)
    }
}

extension WideAndDeepConfiguration: StoredNetwork {
    /// The deep network's, then K·d + d.
    var storedValues: ClosedRange<Double> {
        let wide = Double(deep.numClasses) * Double(ngramCount) + Double(ngramCount)
        let d = deep.storedValues
        return (d.lowerBound + wide)...(d.upperBound + wide)
    }
}
