/// One training run of a text classifier, from labelled texts and a recipe to a `TextClassifier`.
///
/// `TextClassifier.train(on:validation:test:recipe:)` is this in one call. Hold the run yourself
/// to see what was prepared before training starts (vocabulary, label set, counts), to follow
/// its events, or to checkpoint and resume it:
///
///     let run = try ClassifierTraining(train: rows, validation: nil, test: testRows, recipe: .standard)
///     print(run.data.vocabulary.count, "words")
///     try run.fit { event in
///         if case .evaluated(let report) = event { print(report.epoch, report.train.loss) }
///     }
///     try run.classifier.save(to: "model.safetensors")
public final class ClassifierTraining {
    public let recipe: ClassifierRecipe
    /// The texts as token ids, the vocabulary and the labels (sorted).
    public internal(set) var data: ClassifierData
    public let configuration: ClassifierConfiguration
    /// The classifier being trained; after `fit`, the trained one.
    public let classifier: TextClassifier
    /// For each vocabulary id, the id of the language model's row it started from, or nil for
    /// a fresh row; nil without a language model.
    public let rowsFromLanguageModel: [Int?]?
    private let trainer: ClassifierTrainer
    /// The MPI ranks that train together, data-parallel (`ProcessGroup.joinIfLaunched()`), or
    /// nil for this process alone. With ranks, events reach rank 0 only.
    package var processGroup: ProcessGroup? {
        get { trainer.processGroup }
        set { trainer.processGroup = newValue }
    }

    /// Prepares a run: builds the vocabulary and label set from `train`, encodes every text, and
    /// makes the network with its initial weights (seeded by `recipe.training.seed`). Without
    /// `validation`, `recipe.validationFraction` of `train` is held out (seeded, stratified).
    /// - Parameters:
    ///   - train: the training texts; they decide the vocabulary and the label set.
    ///   - validation: texts that choose the best epoch and stop early; nil to hold some out.
    ///   - test: texts scored at every report, never used for choices.
    ///   - recipe: tokens, network and training settings.
    ///   - sources: names of the three sets for error messages (file paths, usually).
    ///   - languageModel: a word-level language model to start from: its recurrent layers, and
    ///     its embedding rows for the words it knows (`SequenceClassifier.copyPretrained`); the
    ///     run then fine-tunes as `recipe.fineTuning` says. The recipe's network and word
    ///     splitter must be the model's (`ClassifierRecipe.adopting`).
    /// - Throws: `TrainingError.invalidRecipe` for a recipe that cannot train,
    ///   `TrainingError.unusableLanguageModel` for a language model it cannot start from;
    ///   `DataFileError` for fewer than two labels, or a validation or test label that training
    ///   never saw.
    public init(train: [LabeledText], validation: [LabeledText]? = nil, test: [LabeledText]? = nil,
                recipe: ClassifierRecipe = .standard,
                sources: (train: String, validation: String, test: String) = ("training data", "validation data", "test data"),
                languageModel: TextLanguageModel? = nil) throws {
        if let problem = recipe.problem { throw TrainingError.invalidRecipe(problem) }
        if let languageModel, let problem = recipe.languageModelConflict(languageModel) {
            throw TrainingError.unusableLanguageModel(problem)
        }
        var trainRows = train, validationRows = validation
        var validationSource = sources.validation
        if validation == nil, let fraction = recipe.validationFraction {
            (trainRows, validationRows) = ClassifierData.stratifiedSplit(train, fraction: fraction, seed: recipe.training.seed)
            validationSource = sources.train
        }
        data = try ClassifierData(train: trainRows, validation: validationRows, test: test, tokenizer: recipe.tokenizer,
                                  vocabulary: recipe.vocabulary, trainSource: sources.train,
                                  validationSource: validationSource, testSource: sources.test)
        guard !data.train.isEmpty else {
            throw DataFileError(.noUsableRows, path: sources.train, detail: "no training text has a token the model can read.")
        }
        self.recipe = recipe
        configuration = recipe.configuration(vocabularySize: data.vocabulary.count, numClasses: data.labels.count)
        // The whole network's size is known only now, with the vocabulary and the labels.
        if let problem = configuration.problem { throw TrainingError.invalidRecipe(problem) }
        let model = SequenceClassifier(configuration, seed: recipe.training.seed,
                                       initialization: recipe.usesTutorialModel ? .tutorial : .pytorch)
        let fineTuning = recipe.fineTuning ?? .standard
        let vocabulary = data.vocabulary
        rowsFromLanguageModel = languageModel.map {
            model.copyPretrained(from: $0.model, lmVocabulary: $0.vocabulary, vocabulary: vocabulary,
                                 newWordRows: fineTuning.newWordRows)
        }
        classifier = TextClassifier(model: model, vocabulary: data.vocabulary, labels: data.labels,
                                    tokenizer: data.tokenizer, training: recipe.training)
        trainer = try ClassifierTrainer(model: model, options: recipe.training,
                                        fineTuning: languageModel == nil ? nil : fineTuning)
    }

    /// The evaluations without a better validation loss that stop the run: the recipe's
    /// patience, plus the epochs gradual unfreezing spends thawing the network when fine-tuning.
    public var patience: Int? { trainer.patience }

    /// Trains until `recipe.training.epochs` (or early stopping); with a validation set the
    /// classifier ends with the weights of the epoch of lowest validation loss.
    /// - Parameters:
    ///   - checkpoint: when given, the complete training state is written there (atomically)
    ///     after every epoch, and with `resume` training continues from it if it exists (the
    ///     recipe and data must be the ones that wrote it; `CheckpointError` says what differs).
    ///   - resume: continue from `checkpoint` when it exists, instead of starting afresh.
    ///   - event: called as training goes: at the start, after every batch, after every
    ///     evaluation (every `reportEvery` epochs and the last). Whatever it throws stops training.
    @discardableResult
    public func fit(checkpoint: String? = nil, resume: Bool = false,
                    event: (TrainingEvent) throws -> Void = { _ in }) throws -> TrainingSummary {
        try trainer.fit(train: data.train, validation: data.validation, test: data.test, checkpoint: checkpoint,
                        resume: resume, vocabulary: data.vocabulary, labels: data.labels, event: event)
    }
}

extension ClassifierTraining {
    /// The texts a language model pretrained for a run on `train` may read: the training texts
    /// that stay in training once `recipe.validationFraction` is held out (the same seeded split
    /// the run makes) — never a validation or test text — followed by `unlabeled`.
    public static func pretrainingTexts(train: [LabeledText], validationGiven: Bool, recipe: ClassifierRecipe,
                                        unlabeled: [String] = []) -> [String] {
        var rows = train
        if !validationGiven, let fraction = recipe.validationFraction {
            rows = ClassifierData.stratifiedSplit(train, fraction: fraction, seed: recipe.training.seed).train
        }
        return rows.map(\.text) + unlabeled
    }

    /// `recipe.pretraining` with the classifier's word splitter: the language model a run on
    /// these texts pretrains, ready to fit; nil when the recipe pretrains nothing.
    public static func pretraining(train: [LabeledText], validationGiven: Bool, recipe: ClassifierRecipe,
                                   unlabeled: [String] = []) throws -> LanguageModelTraining? {
        guard var lmRecipe = recipe.pretraining else { return nil }
        if let problem = recipe.problem { throw TrainingError.invalidRecipe(problem) }
        lmRecipe.tokenizer = recipe.tokenizer
        return try LanguageModelTraining(texts: pretrainingTexts(train: train, validationGiven: validationGiven,
                                                                 recipe: recipe, unlabeled: unlabeled),
                                         recipe: lmRecipe)
    }
}
