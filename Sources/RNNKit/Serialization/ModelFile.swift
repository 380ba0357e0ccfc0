import Foundation

/// The library version written into model files.
public let rnnKitVersion = "0.1.0"

/// A trained text classifier as a user holds it: the network, its vocabulary, its labels and the
/// tokenizer it was trained with. Saved as one safetensors file that PyTorch can load.
///
/// File layout: tensors named and shaped as PyTorch's `state_dict()` names the same model
/// (`nn.Embedding` + `nn.RNN`/`nn.LSTM`/`nn.GRU` + `nn.Linear`): `embedding.weight`,
/// `rnn.weight_ih_l{k}`, `rnn.weight_hh_l{k}`, `rnn.bias_ih_l{k}`, `rnn.bias_hh_l{k}` (each also
/// `_reverse`), `fc.weight`, `fc.bias`. The tutorial's one-bias model writes `bias_hh` as zeros;
/// loading adds it into `bias_ih`. `__metadata__`: `rnnkit.vocabulary` and `rnnkit.labels` (JSON
/// arrays in id order), `rnnkit.config` (JSON object: the `ClassifierConfiguration` keys, plus
/// `tokenizer` and `training`), `rnnkit.version`, and `format` = `pt`.
public final class TextClassifier: @unchecked Sendable {
    public let model: SequenceClassifier
    public let vocabulary: Vocabulary
    public let labels: [String]
    public let tokenizer: Tokenizer
    public var training: TrainingOptions?

    public init(model: SequenceClassifier, vocabulary: Vocabulary, labels: [String], tokenizer: Tokenizer,
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
        /// Words not in the vocabulary, which were skipped.
        public var unknownWords: [String]
    }

    public enum PredictionError: Error, CustomStringConvertible, Equatable {
        case noKnownWords(text: String)
        public var description: String {
            switch self {
            case .noKnownWords(let text):
                return "no word of \"\(text)\" is in the model's vocabulary, so there is nothing to classify."
            }
        }
    }

    /// Classifies `text`. Unknown words are skipped (and listed); a text with no known word throws.
    public func predict(_ text: String) throws -> Prediction {
        let encoding = vocabulary.encode(text, tokenizer: tokenizer)
        guard !encoding.ids.isEmpty else { throw PredictionError.noKnownWords(text: text) }
        let p = model.probabilities(encoding.ids)
        var best = 0
        for k in p.indices where p[k] > p[best] { best = k }
        return Prediction(label: labels[best], probabilities: p, unknownWords: encoding.unknown)
    }

    // MARK: Files

    private struct StoredConfiguration: Codable {
        var model: ClassifierConfiguration
        var tokenizer: Tokenizer
        var training: TrainingOptions?

        // One flat JSON object: the model keys, then `tokenizer` and `training`.
        init(model: ClassifierConfiguration, tokenizer: Tokenizer, training: TrainingOptions?) {
            self.model = model
            self.tokenizer = tokenizer
            self.training = training
        }
        enum Keys: String, CodingKey { case tokenizer, training }
        init(from decoder: Decoder) throws {
            model = try ClassifierConfiguration(from: decoder)
            let c = try decoder.container(keyedBy: Keys.self)
            tokenizer = try c.decode(Tokenizer.self, forKey: .tokenizer)
            training = try c.decodeIfPresent(TrainingOptions.self, forKey: .training)
        }
        func encode(to encoder: Encoder) throws {
            try model.encode(to: encoder)
            var c = encoder.container(keyedBy: Keys.self)
            try c.encode(tokenizer, forKey: .tokenizer)
            try c.encodeIfPresent(training, forKey: .training)
        }
    }

    /// The model as safetensors contents.
    public func safetensors() -> Safetensors {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let config = StoredConfiguration(model: model.configuration, tokenizer: tokenizer, training: training)
        let configJSON = String(decoding: try! encoder.encode(config), as: UTF8.self)
        return Safetensors(
            tensors: StateDict.entries(parameters: model.parameters, stack: model.rnn),
            metadata: [
                "format": "pt",
                "rnnkit.version": rnnKitVersion,
                "rnnkit.config": configJSON,
                "rnnkit.vocabulary": String(decoding: try! encoder.encode(vocabulary.tokens), as: UTF8.self),
                "rnnkit.labels": String(decoding: try! encoder.encode(labels), as: UTF8.self),
            ])
    }

    /// Saves atomically (temporary file, then rename).
    public func save(to path: String) throws {
        try safetensors().write(to: path)
    }

    /// A classifier from a PyTorch `state_dict` saved with `safetensors.torch.save_file`, and the
    /// configuration, vocabulary and labels that go with it. Tensor names and shapes must be what
    /// the configuration's PyTorch module has (see the type's documentation); F16, BF16 and F64
    /// tensors are converted.
    public static func importPyTorch(weights: Safetensors, configuration: ClassifierConfiguration, vocabulary: Vocabulary,
                                     labels: [String], tokenizer: Tokenizer, path: String = "<memory>") throws -> TextClassifier {
        func fail(_ detail: String) -> SafetensorsError { SafetensorsError(kind: .missingTensor, path: path, detail: detail) }
        if let problem = configuration.problem { throw fail("the configuration is not usable: \(problem).") }
        guard vocabulary.count == configuration.vocabularySize else {
            throw fail("the vocabulary has \(vocabulary.count) entries but the configuration says vocab_size \(configuration.vocabularySize).")
        }
        guard labels.count == configuration.numClasses else {
            throw fail("\(labels.count) labels for num_classes \(configuration.numClasses).")
        }
        let model = SequenceClassifier(configuration)
        try StateDict.load(weights.tensors, into: model.parameters, stack: model.rnn, path: path)
        let expected = Set(StateDict.entries(parameters: model.parameters, stack: model.rnn).keys)
        let extra = Set(weights.tensors.keys).subtracting(expected).sorted()
        guard extra.isEmpty else {
            throw fail("holds tensors the configuration has no place for: \(extra.joined(separator: ", ")). Check num_layers, bidirectional and the module's attribute names (embedding, rnn, fc).")
        }
        return TextClassifier(model: model, vocabulary: vocabulary, labels: labels, tokenizer: tokenizer)
    }

    public static func load(from path: String) throws -> TextClassifier {
        try TextClassifier(safetensors: Safetensors.read(path: path), path: path)
    }

    public convenience init(safetensors file: Safetensors, path: String = "<memory>") throws {
        func fail(_ detail: String) -> SafetensorsError {
            SafetensorsError(kind: .missingTensor, path: path, detail: detail)
        }
        func json<T: Decodable>(_ key: String, as type: T.Type) throws -> T {
            guard let text = file.metadata[key] else {
                throw fail("no `\(key)` in the metadata: this is not an RNNKit model (train one with `rnn train --output`).")
            }
            do { return try JSONDecoder().decode(T.self, from: Data(text.utf8)) } catch {
                throw fail("metadata `\(key)` is not valid: \(error)")
            }
        }
        if let text = file.metadata["rnnkit.config"],
           let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
           let task = object["task"] as? String, task != "classify" {
            throw fail("this is a \(task == "language_model" ? "language model" : "`\(task)` model"), not a text classifier; use it with `rnn generate`.")
        }
        let stored = try json("rnnkit.config", as: StoredConfiguration.self)
        let tokens = try json("rnnkit.vocabulary", as: [String].self)
        let labels = try json("rnnkit.labels", as: [String].self)
        let config = stored.model
        guard let vocabulary = Vocabulary(tokens: tokens) else { throw fail("the vocabulary lists a word twice.") }
        guard vocabulary.count == config.vocabularySize else {
            throw fail("the vocabulary has \(vocabulary.count) words but the configuration says \(config.vocabularySize).")
        }
        guard labels.count == config.numClasses, Set(labels).count == labels.count else {
            throw fail("the labels \(labels) do not match the configuration's \(config.numClasses) distinct classes.")
        }
        if let problem = config.problem { throw fail("the configuration is not usable: \(problem).") }
        let model = SequenceClassifier(config)
        try StateDict.load(file.tensors, into: model.parameters, stack: model.rnn, path: path)
        self.init(model: model, vocabulary: vocabulary, labels: labels, tokenizer: stored.tokenizer, training: stored.training)
    }
}
