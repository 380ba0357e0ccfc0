/// Everything that decides how a language model is made from a text: its tokens, the network
/// and how it is trained. The preset `charRNN` is karpathy's char-rnn setting; start from it and
/// change what you need. `Codable`, like every configuration in RNNKit.
public struct LanguageModelRecipe: Codable, Sendable, Equatable {
    // Text
    /// Characters (Unicode scalars, newlines and spaces included) or words.
    public var level: TokenLevel
    /// Tokens seen fewer times than this in training become `<unk>`.
    public var minCount: Int
    /// The share of the text, from its end, held out for validation (0 for none).
    public var validationFraction: Double
    /// How words are split (word level): nil for the level's own, which keeps case. A language
    /// model meant to start a classifier should split as the classifier does —
    /// `.words(lowercase: true)`, `ClassifierRecipe.standard`'s — so that its rows are the
    /// classifier's words.
    public var tokenizer: Tokenizer?

    // Network
    public var cell: CellKind
    public var embeddingSize: Int
    public var hiddenSize: Int
    public var numLayers: Int
    /// Dropout on the embeddings, between layers and before the output layer.
    public var dropout: Float

    // Training
    public var training: LanguageModelTrainingOptions

    /// A character model as char-rnn trains one: embeddings of 128, two LSTM layers of 128,
    /// 50 streams of 50 steps, Adam at 0.002, gradient norm clipped to 5, one epoch, the last
    /// 10% of the text held out.
    public static let charRNN = LanguageModelRecipe(
        level: .char, minCount: 1, validationFraction: 0.1, cell: .lstm, embeddingSize: 128, hiddenSize: 128,
        numLayers: 2, dropout: 0, training: LanguageModelTrainingOptions())

    public init(level: TokenLevel, minCount: Int, validationFraction: Double, cell: CellKind, embeddingSize: Int,
                hiddenSize: Int, numLayers: Int, dropout: Float, training: LanguageModelTrainingOptions) {
        self.level = level
        self.minCount = minCount
        self.validationFraction = validationFraction
        self.cell = cell
        self.embeddingSize = embeddingSize
        self.hiddenSize = hiddenSize
        self.numLayers = numLayers
        self.dropout = dropout
        self.training = training
    }

    /// The word splitter this recipe trains with: `tokenizer`, or the level's own.
    public var wordTokenizer: Tokenizer? { level == .word ? (tokenizer ?? level.tokenizer) : nil }

    /// The network for a vocabulary of `vocabularySize` tokens.
    public func configuration(vocabularySize: Int) -> LanguageModelConfiguration {
        var c = LanguageModelConfiguration(cell: cell, vocabularySize: vocabularySize, embeddingSize: embeddingSize,
                                           hiddenSize: hiddenSize, numLayers: numLayers)
        c.dropout = dropout
        return c
    }

    /// Why this recipe cannot train a model, or nil when it can. Names the recipe's fields; sizes
    /// must be within `ModelLimits` (the whole network's size is checked once the vocabulary is
    /// known).
    public var problem: String? {
        for (name, value, limit) in [("numLayers", numLayers, ModelLimits.maxLayers),
                                     ("hiddenSize", hiddenSize, ModelLimits.maxWidth),
                                     ("embeddingSize", embeddingSize, ModelLimits.maxWidth)] {
            if let p = ModelLimits.sizeProblem(name, value, limit: limit) { return p }
        }
        if level == .char, tokenizer != nil { return "a character-level model splits into characters; it takes no word tokenizer" }
        if minCount < 1 { return "minCount must be at least 1 (got \(minCount))" }
        if !(validationFraction.isFinite && (0..<1).contains(validationFraction)) {
            return "validationFraction must be in [0, 1) (got \(validationFraction))"
        }
        if !(dropout.isFinite && (0..<1).contains(dropout)) { return "dropout must be in [0, 1) (got \(dropout))" }
        return training.problem
    }
}
