/// One training run of a language model, from a text and a recipe to a `TextLanguageModel`.
///
/// `TextLanguageModel.train(onText:recipe:)` is this in one call. Hold the run yourself to see
/// the corpus before training starts and to follow its events (to save each new best model as
/// it comes, say):
///
///     let run = try LanguageModelTraining(text: try LanguageModelText.read(path: "input.txt"), recipe: .charRNN)
///     try run.fit { event in
///         if case .evaluated(let e) = event, e.isBest { try run.model.save(to: "lm.safetensors") }
///     }
public final class LanguageModelTraining {
    public let recipe: LanguageModelRecipe
    /// The text as token ids (training and held-out parts) and its vocabulary.
    public let corpus: LanguageModelCorpus
    /// The model being trained; after `fit`, the one with the best validation loss.
    public let model: TextLanguageModel
    private let trainer: LanguageModelTrainer
    /// The MPI ranks that train together, data-parallel (`ProcessGroup.joinIfLaunched()`), or
    /// nil for this process alone. With ranks, events reach rank 0 only.
    package var processGroup: ProcessGroup? {
        get { trainer.processGroup }
        set { trainer.processGroup = newValue }
    }

    /// Prepares a run: splits `text` into tokens, holds out its end for validation, builds the
    /// vocabulary and makes the network with its initial weights (seeded by
    /// `recipe.training.seed`).
    /// - Throws: `TrainingError.invalidRecipe` for a recipe that cannot train.
    public convenience init(text: String, recipe: LanguageModelRecipe = .charRNN) throws {
        if let problem = recipe.problem { throw TrainingError.invalidRecipe(problem) }
        try self.init(corpus: LanguageModelCorpus(text: text, level: recipe.level,
                                                  validationFraction: recipe.validationFraction,
                                                  minCount: recipe.minCount, tokenizer: recipe.wordTokenizer),
                      recipe: recipe)
    }

    /// Prepares a run on separate texts — the texts of labelled files, say, with any unlabelled
    /// ones — joined into one stream with `<eos>` after each (`LanguageModelCorpus(segments:…)`);
    /// the end of the stream is held out for validation.
    /// - Throws: `TrainingError.invalidRecipe` for a recipe that cannot train.
    public convenience init(texts: [String], recipe: LanguageModelRecipe) throws {
        if let problem = recipe.problem { throw TrainingError.invalidRecipe(problem) }
        try self.init(corpus: LanguageModelCorpus(segments: texts, level: recipe.level,
                                                  validationFraction: recipe.validationFraction,
                                                  minCount: recipe.minCount, tokenizer: recipe.wordTokenizer),
                      recipe: recipe)
    }

    private init(corpus: LanguageModelCorpus, recipe: LanguageModelRecipe) throws {
        self.recipe = recipe
        self.corpus = corpus
        let configuration = recipe.configuration(vocabularySize: corpus.vocabulary.count)
        // The whole network's size is known only now, with the vocabulary.
        if let problem = configuration.problem { throw TrainingError.invalidRecipe(problem) }
        let network = LanguageModel(configuration, seed: recipe.training.seed)
        model = TextLanguageModel(model: network, vocabulary: corpus.vocabulary, level: recipe.level,
                                  tokenizer: recipe.wordTokenizer, training: recipe.training)
        trainer = try LanguageModelTrainer(model: network, options: recipe.training)
    }

    /// Trains for the recipe's epochs or time budget, evaluating after every epoch; the model
    /// ends with the weights of the best validation loss.
    /// - Parameters:
    ///   - checkpoint: when given, the complete training state is written there (atomically)
    ///     after every epoch and where the time budget stops the run; with `resume` training
    ///     continues from it exactly where it stopped. The epochs and time budget are totals
    ///     over all parts of the run; everything else must match (`CheckpointError` says what
    ///     differs).
    ///   - resume: continue from `checkpoint` when it exists, instead of starting afresh.
    ///   - event: called at the start, after every batch, at every evaluation and for every
    ///     skipped step; whatever it throws stops training where it is.
    /// - Throws: `TrainingError` for a text too short for one batch, or whatever `event` throws
    ///   (which stops training where it is).
    @discardableResult
    public func fit(checkpoint: String? = nil, resume: Bool = false,
                    event: (TrainingEvent) throws -> Void = { _ in }) throws -> TrainingSummary {
        try trainer.fit(train: corpus.train, validation: corpus.validation, checkpoint: checkpoint, resume: resume,
                        vocabulary: corpus.vocabulary, event: event)
    }
}

extension TextLanguageModel {
    /// Trains a language model on `text` with a recipe.
    ///
    ///     let lm = try TextLanguageModel.train(onText: shakespeare, recipe: .charRNN)
    ///     try lm.generate(prompt: "ROMEO:", options: GenerationOptions(length: 200)) { print($0, terminator: "") }
    public static func train(onText text: String, recipe: LanguageModelRecipe = .charRNN) throws -> TextLanguageModel {
        let run = try LanguageModelTraining(text: text, recipe: recipe)
        try run.fit()
        return run.model
    }

    /// Trains a language model on the UTF-8 text file at `path` with a recipe.
    /// - Throws: `TextFileError` for a missing, unreadable or non-UTF-8 file, then as
    ///   `train(onText:recipe:)`.
    public static func train(onFile path: String, recipe: LanguageModelRecipe = .charRNN) throws -> TextLanguageModel {
        try train(onText: LanguageModelText.read(path: path), recipe: recipe)
    }
}
