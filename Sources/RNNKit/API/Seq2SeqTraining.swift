/// One training run of a translation model, from sentence pairs and a recipe to a `Seq2SeqModel`.
///
///     let run = try Seq2SeqTraining(train: pairs, validation: held, recipe: .notebook3)
///     try run.fit { event in if case .evaluated(let e) = event { print(e.epoch, e.validation?.perplexity ?? 0) } }
///     try run.model.save(to: "de-en.safetensors")
public final class Seq2SeqTraining {
    public let recipe: Seq2SeqRecipe
    /// The model being trained; after `fit`, the one with the best validation loss.
    public let model: Seq2SeqModel
    /// The training and validation pairs as ids.
    package let train: [Seq2SeqPair], validation: [Seq2SeqPair]
    private let trainer: Seq2SeqTrainer
    /// The MPI ranks that train together, data-parallel (`ProcessGroup.joinIfLaunched()`), or
    /// nil for this process alone. With ranks, events reach rank 0 only.
    package var processGroup: ProcessGroup? {
        get { trainer.processGroup }
        set { trainer.processGroup = newValue }
    }

    /// Prepares a run: splits both sides into words, builds each side's vocabulary from the
    /// training pairs (words seen `minCount` times; `<pad>`, `<unk>`, `<bos>`, `<eos>` first) and
    /// makes the network with its initial weights (seeded by `recipe.training.seed`).
    /// - Parameters:
    ///   - train, validation: (source, target) sentences.
    /// - Throws: `TrainingError.invalidRecipe` for a recipe that cannot train,
    ///   `TrainingError.noTrainingExamples` for no pairs.
    public init(train: [(source: String, target: String)], validation: [(source: String, target: String)] = [],
                recipe: Seq2SeqRecipe = .notebook3) throws {
        if let problem = recipe.problem { throw TrainingError.invalidRecipe(problem) }
        guard !train.isEmpty else { throw TrainingError.noTrainingExamples }
        self.recipe = recipe
        let tokenizer = recipe.tokenizer
        let sources = train.map { tokenizer.tokens($0.source) }, targets = train.map { tokenizer.tokens($0.target) }
        let sourceVocabulary = Vocabulary.build(from: sources, minCount: recipe.minCount, specials: Seq2SeqModel.specialTokens)
        let targetVocabulary = Vocabulary.build(from: targets, minCount: recipe.minCount, specials: Seq2SeqModel.specialTokens)
        for (side, vocabulary) in [("source", sourceVocabulary), ("target", targetVocabulary)]
        where vocabulary.count <= Seq2SeqModel.specialTokens.count {
            throw TrainingError.invalidRecipe(
                "no \(side) word is seen at least minCount (\(recipe.minCount)) time\(recipe.minCount == 1 ? "" : "s") in the "
                    + "\(train.count) training pair\(train.count == 1 ? "" : "s"), so the \(side) vocabulary would hold only "
                    + "<pad>, <unk>, <bos> and <eos>; lower minCount or give more pairs")
        }
        let configuration = recipe.configuration(sourceVocabularySize: sourceVocabulary.count,
                                                 targetVocabularySize: targetVocabulary.count)
        if let problem = configuration.problem { throw TrainingError.invalidRecipe(problem) }
        let network = Seq2SeqNetwork(configuration)
        var rng = SeededGenerator(seed: recipe.training.seed)
        network.initializePyTorch(using: &rng)
        model = Seq2SeqModel(network: network, sourceVocabulary: sourceVocabulary, targetVocabulary: targetVocabulary,
                             tokenizer: tokenizer, training: recipe.training)
        let m = model
        func pair(_ s: String, _ t: String) -> Seq2SeqPair { Seq2SeqPair(source: m.encodeSource(s).ids, target: m.encodeTarget(t).ids) }
        self.train = train.map { pair($0.source, $0.target) }
        self.validation = validation.map { pair($0.source, $0.target) }
        trainer = try Seq2SeqTrainer(network: network, options: recipe.training)
    }

    /// Trains for the recipe's epochs or time budget, evaluating the validation loss after every
    /// epoch; the model ends with the weights of the best one.
    /// - Parameters:
    ///   - checkpoint: when given, the complete training state is written there after every epoch
    ///     and where the time budget stops the run; with `resume`, training continues from it.
    ///   - event: called at the start, after every batch, at every evaluation and for every
    ///     skipped step; whatever it throws stops training where it is.
    @discardableResult
    public func fit(checkpoint: String? = nil, resume: Bool = false,
                    event: (TrainingEvent) throws -> Void = { _ in }) throws -> TrainingSummary {
        // Reduced copies made before (a translation between two fits) would not follow the weights.
        defer { model.weightsChanged() }
        return try trainer.fit(train: train, validation: validation, checkpoint: checkpoint, resume: resume,
                               fingerprint: model.sourceVocabulary.tokens + ["\u{0}"] + model.targetVocabulary.tokens, event: event)
    }
}

extension Seq2SeqModel {
    /// Trains a translation model on (source, target) sentence pairs with a recipe.
    public static func train(on pairs: [(source: String, target: String)], validation: [(source: String, target: String)] = [],
                             recipe: Seq2SeqRecipe = .notebook3) throws -> Seq2SeqModel {
        let run = try Seq2SeqTraining(train: pairs, validation: validation, recipe: recipe)
        try run.fit()
        return run.model
    }
}
