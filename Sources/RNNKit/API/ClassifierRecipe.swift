/// Everything that decides how a text classifier is made from labelled texts: how text becomes
/// tokens, the network, and how it is trained. Two named presets, `tutorial` and `standard`;
/// start from one and change what you need:
///
///     var recipe = ClassifierRecipe.standard
///     recipe.cell = .lstm
///     recipe.bidirectional = true
///     let model = try TextClassifier.train(on: .file("train.tsv", label: "score", threshold: 0), recipe: recipe)
///
/// A recipe is `Codable`, so it can be kept beside the data it was tuned on.
public struct ClassifierRecipe: Codable, Sendable, Equatable {
    // Text
    /// How texts are split into tokens.
    public var tokenizer: Tokenizer
    /// How the vocabulary is made from the training texts.
    public var vocabulary: ClassifierData.VocabularyPolicy

    // Network
    public var cell: CellKind
    /// One-hot words (the tutorial's) or learned embeddings of `embeddingSize`.
    public var input: ClassifierConfiguration.Input
    public var embeddingSize: Int
    public var hiddenSize: Int
    public var numLayers: Int
    public var bidirectional: Bool
    /// Dropout on the embeddings, between recurrent layers and before the output layer.
    public var dropout: Float
    public var pooling: ClassifierConfiguration.Pooling
    /// How the gradient reaches h_{t−1}; `.tutorial` reproduces the tutorial's published code.
    public var backward: BackwardRule
    /// The tutorial's own model where it applies (a one-layer, one-direction vanilla RNN on
    /// one-hot words): one recurrent bias, weights drawn as randn/1000, biases zero. Otherwise,
    /// and when false, PyTorch's parameters and initialization.
    public var tutorialModel: Bool

    // Training
    public var training: TrainingOptions
    /// The share of the training texts held out (seeded, stratified) for validation when no
    /// validation set is given; nil holds nothing out.
    public var validationFraction: Double?

    // Transfer
    /// How a classifier that starts from a language model is fine-tuned; nil for
    /// `FineTuning.standard`. Ignored without a language model.
    public var fineTuning: FineTuning?
    /// When set, `TextClassifier.train` first pretrains a word-level language model with this
    /// recipe on the training texts (never the validation or test texts) and any unlabelled
    /// texts, then starts the classifier from it (`adopting`: the network is the language
    /// model's, the word splitter this recipe's).
    public var pretraining: LanguageModelRecipe?

    /// The tutorial's experiment: words split at spaces, every word in order of first
    /// appearance, one-hot input, a tanh RNN of 64 with one bias, the last state, plain SGD at
    /// 0.02 one example at a time, gradients clipped to [−1, 1], 1000 epochs, a report every 100.
    public static let tutorial = ClassifierRecipe(
        tokenizer: .spaces, vocabulary: .firstAppearance, cell: .rnnTanh, input: .oneHot, embeddingSize: 128,
        hiddenSize: 64, numLayers: 1, bidirectional: false, dropout: 0, pooling: .last, backward: .exact,
        tutorialModel: true, training: TrainingOptions(), validationFraction: nil)

    /// A recipe for real data: words lowercased with punctuation split off, words seen fewer
    /// than twice become `<unk>`, embeddings of 128, a tanh RNN of 128 whose outputs are
    /// max-pooled, dropout 0.5, mini-batches of 32, Adam at 0.002, gradient norm clipped to 5,
    /// up to 20 epochs stopping after 4 without a better validation loss (keeping the best
    /// epoch's weights), validation on 10% of the training texts unless a set is given.
    public static let standard = ClassifierRecipe(
        tokenizer: .words(lowercase: true), vocabulary: .frequency(minCount: 2, maxSize: nil), cell: .rnnTanh,
        input: .embedding, embeddingSize: 128, hiddenSize: 128, numLayers: 1, bidirectional: false, dropout: 0.5,
        pooling: .max, backward: .exact, tutorialModel: false, training: .modern(), validationFraction: 0.1)

    /// `standard` started from a word-level language model that the run first trains on the
    /// training texts (and any unlabelled ones): a vanilla RNN of 128 over embeddings of 128,
    /// as `standard`'s, trained on the texts joined with `<eos>` (words seen twice or more,
    /// 32 streams of 35 steps, Adam at 0.002, dropout 0.1, 5 epochs); then fine-tuned with
    /// `FineTuning.standard`.
    public static let pretrained: ClassifierRecipe = {
        var r = standard
        var t = LanguageModelTrainingOptions()
        t.sequenceLength = 35
        t.batchSize = 32
        t.epochs = 5
        r.pretraining = LanguageModelRecipe(level: .word, minCount: 2, validationFraction: 0.1, cell: r.cell,
                                            embeddingSize: r.embeddingSize, hiddenSize: r.hiddenSize,
                                            numLayers: r.numLayers, dropout: 0.1, training: t)
        r.pretraining?.tokenizer = r.tokenizer
        r.fineTuning = .standard
        return r
    }()

    public init(tokenizer: Tokenizer, vocabulary: ClassifierData.VocabularyPolicy, cell: CellKind,
                input: ClassifierConfiguration.Input, embeddingSize: Int, hiddenSize: Int, numLayers: Int,
                bidirectional: Bool, dropout: Float, pooling: ClassifierConfiguration.Pooling,
                backward: BackwardRule, tutorialModel: Bool, training: TrainingOptions,
                validationFraction: Double?) {
        self.tokenizer = tokenizer
        self.vocabulary = vocabulary
        self.cell = cell
        self.input = input
        self.embeddingSize = embeddingSize
        self.hiddenSize = hiddenSize
        self.numLayers = numLayers
        self.bidirectional = bidirectional
        self.dropout = dropout
        self.pooling = pooling
        self.backward = backward
        self.tutorialModel = tutorialModel
        self.training = training
        self.validationFraction = validationFraction
    }

    /// The words and network of a language model (cell, sizes, layers, its word splitter), one
    /// direction, learned embeddings: this recipe as it must be to start from `lm`.
    public func adopting(_ lm: TextLanguageModel) -> ClassifierRecipe {
        var r = self
        let c = lm.configuration
        (r.cell, r.input, r.embeddingSize, r.hiddenSize, r.numLayers) = (c.cell, .embedding, c.embeddingSize, c.hiddenSize, c.numLayers)
        r.bidirectional = false
        if let t = lm.tokenizer { r.tokenizer = t }
        return r
    }

    /// Why this recipe's classifier cannot start from `lm`, or nil when it can: a character-level
    /// model, another cell, size, layer count or word splitter, two directions or one-hot input.
    /// Names the recipe's fields.
    public func languageModelConflict(_ lm: TextLanguageModel) -> String? {
        guard lm.level == .word, let lmTokenizer = lm.tokenizer else {
            return "it is a character-level language model, and a classifier starts from a word-level one's words"
        }
        let c = lm.configuration
        if input != .embedding { return "the classifier must take learned embeddings to take the language model's" }
        if bidirectional { return "the language model reads in one direction; the classifier must too" }
        for (name, mine, theirs) in [("cell", cell.rawValue, c.cell.rawValue),
                                     ("embeddingSize", "\(embeddingSize)", "\(c.embeddingSize)"),
                                     ("hiddenSize", "\(hiddenSize)", "\(c.hiddenSize)"),
                                     ("numLayers", "\(numLayers)", "\(c.numLayers)")] where mine != theirs {
            return "the recipe's \(name) is \(mine), the language model's \(theirs)"
        }
        if tokenizer != lmTokenizer {
            return "the recipe splits words as \(tokenizer), the language model as \(lmTokenizer)"
        }
        return nil
    }

    /// Whether the tutorial's one-bias model and initialization are used.
    public var usesTutorialModel: Bool {
        tutorialModel && input == .oneHot && cell.gateCount == 1 && numLayers == 1 && !bidirectional
    }

    /// The network for a vocabulary of `vocabularySize` tokens and `numClasses` labels.
    public func configuration(vocabularySize: Int, numClasses: Int) -> ClassifierConfiguration {
        var c = ClassifierConfiguration(cell: cell, input: input, vocabularySize: vocabularySize,
                                        embeddingSize: input == .oneHot ? 0 : embeddingSize, hiddenSize: hiddenSize,
                                        numClasses: numClasses, numLayers: numLayers, bidirectional: bidirectional)
        c.dropout = dropout
        c.pooling = pooling
        c.backward = backward
        c.recurrentBias = !usesTutorialModel
        return c
    }

    /// Why this recipe cannot train a model, or nil when it can. Names the recipe's fields; sizes
    /// must be within `ModelLimits` (the whole network's size is checked once the vocabulary is
    /// known).
    public var problem: String? {
        if let p = ModelLimits.sizeProblem("hiddenSize", hiddenSize, limit: ModelLimits.maxWidth) { return p }
        if let p = ModelLimits.sizeProblem("numLayers", numLayers, limit: ModelLimits.maxLayers) { return p }
        if input == .embedding,
           let p = ModelLimits.sizeProblem("embeddingSize", embeddingSize, limit: ModelLimits.maxWidth) { return p }
        if !(dropout.isFinite && (0..<1).contains(dropout)) { return "dropout must be in [0, 1) (got \(dropout))" }
        if backward == .tutorial && cell.gateCount != 1 { return "the tutorial's backward rule exists for the vanilla RNN only" }
        if let f = validationFraction, !(f > 0 && f < 1) { return "validationFraction must be between 0 and 1 (got \(f))" }
        if let p = fineTuning?.problem { return p }
        if let p = pretraining {
            if p.level != .word { return "pretraining must train a word-level language model" }
            if bidirectional { return "a pretrained language model reads in one direction, so the classifier must too (bidirectional false)" }
            if input != .embedding { return "the classifier must take learned embeddings to take the pretrained language model's" }
            if let problem = p.problem { return "pretraining: \(problem)" }
        }
        if case .frequency(let minCount, let maxSize) = vocabulary {
            if minCount < 1 { return "the vocabulary's minCount must be at least 1 (got \(minCount))" }
            if let maxSize, maxSize < 3 { return "the vocabulary's maxSize must be at least 3 (got \(maxSize))" }
        }
        return training.problem
    }
}
