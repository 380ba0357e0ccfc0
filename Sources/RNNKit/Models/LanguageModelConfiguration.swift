/// What a language model is made of; saved as `rnnkit.config` (keys as the PyTorch fixtures').
public struct LanguageModelConfiguration: Codable, Sendable, Equatable {
    public var task = "language_model"
    public var cell: CellKind
    public var input = "embedding"
    public var vocabularySize: Int
    public var embeddingSize: Int
    public var hiddenSize: Int
    public var numLayers: Int
    /// Dropout on the embeddings, between layers and before the output layer.
    public var dropout: Float = 0

    public init(cell: CellKind, vocabularySize: Int, embeddingSize: Int, hiddenSize: Int, numLayers: Int) {
        self.cell = cell
        self.vocabularySize = vocabularySize
        self.embeddingSize = embeddingSize
        self.hiddenSize = hiddenSize
        self.numLayers = numLayers
    }

    enum CodingKeys: String, CodingKey {
        case task, cell, input, dropout
        case vocabularySize = "vocab_size", embeddingSize = "embedding_size", hiddenSize = "hidden_size"
        case numLayers = "num_layers"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        task = try c.decodeIfPresent(String.self, forKey: .task) ?? "language_model"
        cell = try c.decode(CellKind.self, forKey: .cell)
        input = try c.decodeIfPresent(String.self, forKey: .input) ?? "embedding"
        vocabularySize = try c.decode(Int.self, forKey: .vocabularySize)
        embeddingSize = try c.decode(Int.self, forKey: .embeddingSize)
        hiddenSize = try c.decode(Int.self, forKey: .hiddenSize)
        numLayers = try c.decodeIfPresent(Int.self, forKey: .numLayers) ?? 1
        dropout = try c.decodeIfPresent(Float.self, forKey: .dropout) ?? 0
    }

    /// Why this configuration cannot make a model, or nil when it can: sizes out of
    /// `ModelLimits` included, so a hostile file is refused before anything is allocated.
    public var problem: String? {
        if vocabularySize < 1 { return "the vocabulary is empty" }
        for (name, value, limit) in [("embedding_size", embeddingSize, ModelLimits.maxWidth),
                                     ("hidden_size", hiddenSize, ModelLimits.maxWidth),
                                     ("num_layers", numLayers, ModelLimits.maxLayers)] {
            if let p = ModelLimits.sizeProblem(name, value, limit: limit) { return p }
        }
        if let p = ModelLimits.parameterProblem(parameterCount) { return p }
        if input != "embedding" { return "language models take embedding input" }
        if !(0..<1).contains(dropout) { return "dropout must be in [0, 1)" }
        return nil
    }

    /// The number of weights, in floating point so that hostile sizes cannot overflow it.
    var parameterCount: Double {
        let v = Double(vocabularySize), h = Double(hiddenSize)
        return v * Double(embeddingSize)
            + ModelLimits.recurrentParameters(cell: cell, inputSize: embeddingSize, hiddenSize: hiddenSize,
                                              layers: numLayers, directions: 1, twoBiases: true)
            + v * (h + 1)
    }
}

extension LanguageModelConfiguration: StoredNetwork {
    var storedValues: ClosedRange<Double> { parameterCount...parameterCount }
}
