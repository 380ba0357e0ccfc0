/// What a classifier is made of; saved in every model file as `rnnkit.config`. The keys are the
/// ones the PyTorch fixtures use (`vocab_size`, `hidden_size`, …), so a configuration reads the
/// same on both sides.
public struct ClassifierConfiguration: Codable, Sendable, Equatable {
    public enum Input: String, Codable, Sendable { case oneHot = "one_hot", embedding }
    public enum Pooling: String, Codable, Sendable, CaseIterable { case last, max, mean }

    public var task = "classify"
    public var cell: CellKind = .rnnTanh
    public var input: Input = .embedding
    public var vocabularySize: Int
    public var embeddingSize = 0
    public var hiddenSize: Int
    public var numClasses: Int
    public var numLayers = 1
    public var bidirectional = false
    /// Dropout on the embeddings, between recurrent layers and before the output layer.
    public var dropout: Float = 0
    /// How the top layer's outputs become one vector: the final states (PyTorch-compatible), or
    /// the maximum or mean over each sequence's steps.
    public var pooling: Pooling = .last
    /// PyTorch keeps two biases, b_ih and b_hh; the tutorial has one (bh). Without the second,
    /// plain SGD moves the bias exactly as the tutorial's code does.
    public var recurrentBias = true
    /// How the gradient reaches h_{t−1}: `exact` (Whhᵀ·g, the true gradient, as PyTorch), or
    /// `tutorial` (Whh·g, as the tutorial's published code does — vanilla RNN only). The seed
    /// oracle fixtures encode the published code, so reproducing them needs `tutorial`.
    public var backward: BackwardRule = .exact

    public init(cell: CellKind = .rnnTanh, input: Input = .embedding, vocabularySize: Int, embeddingSize: Int = 0,
                hiddenSize: Int, numClasses: Int, numLayers: Int = 1, bidirectional: Bool = false) {
        self.cell = cell
        self.input = input
        self.vocabularySize = vocabularySize
        self.embeddingSize = embeddingSize
        self.hiddenSize = hiddenSize
        self.numClasses = numClasses
        self.numLayers = numLayers
        self.bidirectional = bidirectional
    }

    /// The tutorial's model: one-hot words, one tanh RNN layer with one bias, a linear output.
    public static func tutorial(vocabularySize: Int, hiddenSize: Int = 64, numClasses: Int = 2) -> Self {
        var c = ClassifierConfiguration(cell: .rnnTanh, input: .oneHot, vocabularySize: vocabularySize,
                                        hiddenSize: hiddenSize, numClasses: numClasses)
        c.recurrentBias = false
        return c
    }

    enum CodingKeys: String, CodingKey {
        case task, cell, input, bidirectional, dropout, pooling
        case vocabularySize = "vocab_size", embeddingSize = "embedding_size", hiddenSize = "hidden_size"
        case numClasses = "num_classes", numLayers = "num_layers", recurrentBias = "recurrent_bias", backward
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        task = try c.decodeIfPresent(String.self, forKey: .task) ?? "classify"
        cell = try c.decode(CellKind.self, forKey: .cell)
        input = try c.decode(Input.self, forKey: .input)
        vocabularySize = try c.decode(Int.self, forKey: .vocabularySize)
        embeddingSize = try c.decodeIfPresent(Int.self, forKey: .embeddingSize) ?? 0
        hiddenSize = try c.decode(Int.self, forKey: .hiddenSize)
        numClasses = try c.decode(Int.self, forKey: .numClasses)
        numLayers = try c.decodeIfPresent(Int.self, forKey: .numLayers) ?? 1
        bidirectional = try c.decodeIfPresent(Bool.self, forKey: .bidirectional) ?? false
        dropout = try c.decodeIfPresent(Float.self, forKey: .dropout) ?? 0
        pooling = try c.decodeIfPresent(Pooling.self, forKey: .pooling) ?? .last
        recurrentBias = try c.decodeIfPresent(Bool.self, forKey: .recurrentBias) ?? true
        backward = try c.decodeIfPresent(BackwardRule.self, forKey: .backward) ?? .exact
    }

    /// A configuration from its JSON text (the keys above; `rnn import`'s `--config`).
    /// - Throws: `ModelFileError` for `path` naming the key that is missing or wrong and what it
    ///   must be.
    public init(json text: String, path: String = "<memory>") throws {
        self = try ConfigurationDecoding.decode(Self.self, from: text, path: path, kind: .badMetadata(key: "config"))
    }

    /// Why this configuration cannot make a model, or nil when it can: sizes out of
    /// `ModelLimits` included, so a hostile file is refused before anything is allocated.
    public var problem: String? {
        if vocabularySize < 1 { return "the vocabulary is empty" }
        if let p = ModelLimits.sizeProblem("hidden_size", hiddenSize, limit: ModelLimits.maxWidth) { return p }
        if numClasses < 2 { return "a classifier needs at least 2 classes" }
        if let p = ModelLimits.sizeProblem("num_layers", numLayers, limit: ModelLimits.maxLayers) { return p }
        if input == .embedding,
           let p = ModelLimits.sizeProblem("embedding_size", embeddingSize, limit: ModelLimits.maxWidth) { return p }
        if let p = ModelLimits.parameterProblem(parameterCount) { return p }
        if !(0..<1).contains(dropout) { return "dropout must be in [0, 1)" }
        if backward == .tutorial && cell.gateCount != 1 { return "the tutorial's backward rule exists for the vanilla RNN only" }
        return nil
    }

    /// The number of weights as PyTorch counts them (a one-bias model without its b_hh), in
    /// floating point so that hostile sizes cannot overflow it.
    var parameterCount: Double { parameterCount(bothBiases: recurrentBias) }

    private func parameterCount(bothBiases: Bool) -> Double {
        let oneHot = input == .oneHot
        let directions = bidirectional ? 2 : 1
        let embedding = oneHot ? 0 : Double(vocabularySize) * Double(embeddingSize)
        let recurrent = ModelLimits.recurrentParameters(
            cell: cell, inputSize: oneHot ? vocabularySize : embeddingSize, hiddenSize: hiddenSize, layers: numLayers,
            directions: directions, twoBiases: bothBiases)
        let output = Double(numClasses) * (Double(directions) * Double(hiddenSize) + 1)
        return embedding + recurrent + output
    }
}

extension ClassifierConfiguration: StoredNetwork {
    var storedValues: ClosedRange<Double> { parameterCount...parameterCount(bothBiases: true) }
}
