import Foundation

/// A trained text classifier as a user holds it: the network, its vocabulary, its labels and the
/// tokenizer it was trained with. Saved as one safetensors file that PyTorch can load.
///
///     let model = try TextClassifier.train(on: .file("train.tsv", label: "score", threshold: 0))
///     let p = try model.predict("a gorgeous, witty film")      // p.label, p.probabilities
///     try model.save(to: "model.safetensors")
///     let same = try TextClassifier.load(from: "model.safetensors")
///
/// The network is many-to-one: embeddings (or one-hot words), a stack of RNN, LSTM or GRU layers,
/// the final states (or the max or mean over the steps), a linear layer and softmax; see
/// ``ClassifierConfiguration``. A classifier reuses its work buffers: use one from one thread at
/// a time (load a copy per thread to predict in parallel).
///
/// File layout: tensors named and shaped as PyTorch's `state_dict()` names the same model
/// (`nn.Embedding` + `nn.RNN`/`nn.LSTM`/`nn.GRU` + `nn.Linear`): `embedding.weight`,
/// `rnn.weight_ih_l{k}`, `rnn.weight_hh_l{k}`, `rnn.bias_ih_l{k}`, `rnn.bias_hh_l{k}` (each also
/// `_reverse`), `fc.weight`, `fc.bias`. The tutorial's one-bias model writes `bias_hh` as zeros;
/// loading adds it into `bias_ih`. `__metadata__`: `rnnkit.vocabulary` and `rnnkit.labels` (JSON
/// arrays in id order), `rnnkit.config` (JSON object: the `ClassifierConfiguration` keys, plus
/// `tokenizer` and `training`), `rnnkit.version`, and `format` = `pt`.
public final class TextClassifier: @unchecked Sendable {
    package let model: SequenceClassifier
    public let vocabulary: Vocabulary
    public let labels: [String]
    public let tokenizer: Tokenizer
    /// How it was trained, when known.
    public var training: TrainingOptions?
    /// The network's sizes, cell, input, pooling.
    public var configuration: ClassifierConfiguration { model.configuration }

    package init(model: SequenceClassifier, vocabulary: Vocabulary, labels: [String], tokenizer: Tokenizer,
                training: TrainingOptions? = nil) {
        precondition(vocabulary.count == model.configuration.vocabularySize)
        precondition(labels.count == model.configuration.numClasses)
        self.model = model
        self.vocabulary = vocabulary
        self.labels = labels
        self.tokenizer = tokenizer
        self.training = training
    }

    /// One text's prediction.
    public struct Prediction: Sendable, Equatable {
        public var label: String
        /// Probability of each label, in `labels` order.
        public var probabilities: [Float]
        /// Words not in the vocabulary, which were skipped or read as `<unk>`.
        public var unknownWords: [String]
    }

    public enum PredictionError: Error, CustomStringConvertible, Equatable {
        case noKnownWords(text: String)
        /// The model's probabilities for the text are not finite numbers: finite but huge weights
        /// overflowed. Never shown as `nan`.
        case notANumber(text: String)
        public var description: String {
            switch self {
            case .noKnownWords(let text):
                return "no word of \"\(text)\" is in the model's vocabulary, so there is nothing to classify."
            case .notANumber(let text):
                return "the model's probabilities for \"\(text)\" are not numbers (its weights are so large that they overflow); train it again."
            }
        }
    }

    /// Classifies `text`. Unknown words are skipped, or read as `<unk>` when the vocabulary has it
    /// (and listed either way); a text with no known word throws, `<unk>` or not: a prediction
    /// from unknown words alone says nothing about the text.
    public func predict(_ text: String) throws -> Prediction {
        let encoding = vocabulary.encode(text, tokenizer: tokenizer)
        let known = encoding.ids.count - (vocabulary.unknownID == nil ? 0 : encoding.unknown.count)
        guard known > 0 else { throw PredictionError.noKnownWords(text: text) }
        let p = model.probabilities(encoding.ids)
        guard p.allSatisfy(\.isFinite) else { throw PredictionError.notANumber(text: text) }
        return Prediction(label: labels[argmax(p)], probabilities: p, unknownWords: encoding.unknown)
    }

    // MARK: Training and evaluation

    /// Trains a classifier on labelled texts with a recipe (`.standard` for real data,
    /// `.tutorial` for the tutorial's experiment). Without `validation`, the recipe's
    /// `validationFraction` of the training texts is held out to choose the best epoch.
    ///
    ///     let model = try TextClassifier.train(on: .file("train.tsv", label: "score", threshold: 0))
    ///     print(try model.predict("a gorgeous, witty film").label)
    ///
    /// `ClassifierTraining` is the same run held step by step (events, checkpoints).
    ///
    /// With `recipe.pretraining` (`ClassifierRecipe.pretrained`), a word-level language model is
    /// first trained on the training texts — those left once the validation share is held out,
    /// never a validation or test text — and on `unlabeled`, and the classifier starts from it.
    public static func train(on train: LabeledTextSource, validation: LabeledTextSource? = nil,
                             test: LabeledTextSource? = nil, recipe: ClassifierRecipe = .standard,
                             unlabeled: [String] = []) throws -> TextClassifier {
        let trainRows = try train.load()
        var recipe = recipe, languageModel: TextLanguageModel?
        if let lm = try ClassifierTraining.pretraining(train: trainRows, validationGiven: validation != nil,
                                                       recipe: recipe, unlabeled: unlabeled) {
            try lm.fit()
            languageModel = lm.model
            recipe = recipe.adopting(lm.model)
        }
        let run = try ClassifierTraining(train: trainRows, validation: validation?.load(), test: test?.load(),
                                         recipe: recipe, sources: (train.name, validation?.name ?? train.name,
                                                                   test?.name ?? "test data"),
                                         languageModel: languageModel)
        _ = try run.fit()
        return run.classifier
    }

    /// What `evaluate(on:)` found.
    public struct Evaluation: Sendable, Equatable {
        /// Accuracy, per-class scores, the confusion matrix and the mean loss.
        public var report: ClassificationReport
        /// Words not in the vocabulary (mapped to `<unk>`, or skipped without one).
        public var unknownWords: Int
        /// Texts left out because no word of theirs is in the vocabulary.
        public var droppedTexts: Int
    }

    /// Scores the classifier on labelled texts.
    /// - Throws: `DataFileError` for a label the model does not know (naming its line), or when
    ///   no text has a word the model knows.
    public func evaluate(on rows: [LabeledText], source: String = "data") throws -> Evaluation {
        let labels = labels
        let (examples, unknownWords, dropped) = try ClassifierData.encode(
            rows, labels: labels, vocabulary: vocabulary, tokenizer: tokenizer, source: source) {
            "the label `\($0)` is not one the model knows (\(labels.joined(separator: ", ")))."
        }
        guard !examples.isEmpty else {
            throw DataFileError(.noUsableRows, path: source, detail: "no text has a word the model knows, so there is nothing to evaluate.")
        }
        return Evaluation(report: model.report(on: examples, labels: labels), unknownWords: unknownWords, droppedTexts: dropped)
    }

    /// Scores the classifier on the texts of `source`.
    public func evaluate(on source: LabeledTextSource) throws -> Evaluation {
        try evaluate(on: source.load(), source: source.name)
    }

    // MARK: Files

    /// The keys `rnnkit.config` holds after the network's.
    struct StoredExtra: Codable {
        var tokenizer: Tokenizer
        var training: TrainingOptions?
    }

    /// The model as safetensors contents (see `ModelFile` for the layout).
    public func safetensors() -> Safetensors {
        ModelFile.safetensors(tensors: StateDict.entries(parameters: model.parameters, stack: model.rnn),
                              network: model.configuration, extra: StoredExtra(tokenizer: tokenizer, training: training),
                              vocabulary: vocabulary, labels: labels)
    }

    /// Saves atomically (temporary file beside `path`, flushed, then renamed over it). Weights
    /// that are not all finite numbers are refused (`ModelFileError`), as loading would refuse them.
    public func save(to path: String) throws {
        try safetensors().writeModel(to: path)
    }

    /// A classifier from a PyTorch `state_dict` saved with `safetensors.torch.save_file`, and the
    /// configuration, vocabulary and labels that go with it. Tensor names and shapes must be what
    /// the configuration's PyTorch module has (see the type's documentation); F16, BF16 and F64
    /// tensors are converted.
    ///
    /// `path` names the weights in errors; `sources`, when given, names where the configuration,
    /// vocabulary and labels came from, so that a problem with one of them blames it.
    public static func importPyTorch(weights: Safetensors, configuration: ClassifierConfiguration, vocabulary: Vocabulary,
                                     labels: [String], tokenizer: Tokenizer, path: String = "<memory>",
                                     sources: ImportSources? = nil) throws -> TextClassifier {
        try ModelFile.checkUsable(configuration.problem, path: sources?.configuration ?? path)
        try ModelFile.checkAgreement(vocabulary: vocabulary, vocabularySize: configuration.vocabularySize, labels: labels,
                                     classes: configuration.numClasses, path: path, sources: sources)
        let model = SequenceClassifier(configuration)
        try StateDict.load(weights.tensors, into: model.parameters, stack: model.rnn, path: path)
        let expected = Set(StateDict.entries(parameters: model.parameters, stack: model.rnn).keys)
        let extra = Set(weights.tensors.keys).subtracting(expected).sorted()
        guard extra.isEmpty else {
            throw ModelFileError(kind: .inconsistent, path: path, detail: "holds tensors the configuration has no place for: \(extra.joined(separator: ", ")). Check num_layers, bidirectional and the module's attribute names (embedding, rnn, fc).")
        }
        return TextClassifier(model: model, vocabulary: vocabulary, labels: labels, tokenizer: tokenizer)
    }

    /// `importPyTorch(weights:…)` from the safetensors file at `path`, whose header is checked
    /// against the configuration before its weights are read.
    public static func importPyTorch(weightsAt path: String, configuration: ClassifierConfiguration, vocabulary: Vocabulary,
                                     labels: [String], tokenizer: Tokenizer,
                                     sources: ImportSources? = nil) throws -> TextClassifier {
        try ModelFile.checkUsable(configuration.problem, path: sources?.configuration ?? path)
        let weights = try Safetensors.read(path: path) { _, values in
            try ModelFile.checkFits(configuration, values: values, path: path)
        }
        return try importPyTorch(weights: weights, configuration: configuration, vocabulary: vocabulary, labels: labels,
                                 tokenizer: tokenizer, path: path, sources: sources)
    }

    /// Where an import's configuration, vocabulary and labels came from (file names, or a
    /// phrase such as `--labels` for a list given inline), for errors.
    public struct ImportSources: Sendable, Equatable {
        public var configuration: String
        public var vocabulary: String
        public var labels: String

        public init(configuration: String, vocabulary: String, labels: String) {
            self.configuration = configuration
            self.vocabulary = vocabulary
            self.labels = labels
        }
    }

    /// Loads a model file. Its header is checked (task, configuration, limits, the number of
    /// weights) before its weights are read, and weights that are not finite numbers are refused.
    public static func load(from path: String) throws -> TextClassifier {
        let file = try Safetensors.read(path: path) { metadata, values in
            let _: ModelFile.Contents<ClassifierConfiguration, StoredExtra> = try ModelFile.contents(
                of: Safetensors(metadata: metadata), values: values, task: .classify, path: path,
                vocabularySize: \.vocabularySize, classes: \.numClasses)
        }
        return try TextClassifier(safetensors: file, path: path)
    }

    /// A classifier from the contents of a model file.
    /// - Throws: `ModelFileError` naming the file and what is wrong with it (another task's
    ///   model, missing or invalid metadata, a vocabulary or labels that disagree with the
    ///   configuration); `SafetensorsError` for a missing or misshapen tensor.
    public convenience init(safetensors file: Safetensors, path: String = "<memory>") throws {
        let contents: ModelFile.Contents<ClassifierConfiguration, StoredExtra> = try ModelFile.contents(
            of: file, task: .classify, path: path, vocabularySize: \.vocabularySize, classes: \.numClasses)
        let config = contents.configuration.network
        let model = SequenceClassifier(config)
        try StateDict.load(file.tensors, into: model.parameters, stack: model.rnn, path: path)
        self.init(model: model, vocabulary: contents.vocabulary, labels: contents.labels!,
                  tokenizer: contents.configuration.extra.tokenizer, training: contents.configuration.extra.training)
    }
}
