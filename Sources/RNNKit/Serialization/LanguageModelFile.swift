import Foundation

/// A trained language model as a user holds it: the network, its vocabulary and how text is
/// split into tokens. Saved as one safetensors file that PyTorch can load.
///
/// File layout: tensors named and shaped as PyTorch's `state_dict()` names the same model
/// (`nn.Embedding` + `nn.RNN`/`nn.LSTM`/`nn.GRU` with `batch_first` irrelevant + `nn.Linear`):
/// `embedding.weight` (V, E), `rnn.weight_ih_l{k}`, `rnn.weight_hh_l{k}`, `rnn.bias_ih_l{k}`,
/// `rnn.bias_hh_l{k}`, `fc.weight` (V, H), `fc.bias` (V). `__metadata__`:
/// - `rnnkit.config`: one JSON object — the `LanguageModelConfiguration` keys (`task` =
///   `language_model`, `cell`, `vocab_size`, …), `level` (`char` or `word`), `tokenizer` (word
///   level only) and `training` (the `LanguageModelTrainingOptions`, when known);
/// - `rnnkit.vocabulary`: JSON array of the tokens in id order (`<unk>` first);
/// - `rnnkit.version`, and `format` = `pt`.
public final class TextLanguageModel: @unchecked Sendable {
    public let model: LanguageModel
    public let vocabulary: Vocabulary
    public let level: TokenLevel
    /// The word splitter (word level); nil at the character level.
    public let tokenizer: Tokenizer?
    public var training: LanguageModelTrainingOptions?

    public init(model: LanguageModel, vocabulary: Vocabulary, level: TokenLevel, tokenizer: Tokenizer? = nil,
                training: LanguageModelTrainingOptions? = nil) {
        precondition(vocabulary.count == model.configuration.vocabularySize,
                     "the vocabulary has \(vocabulary.count) tokens, the model \(model.configuration.vocabularySize)")
        self.model = model
        self.vocabulary = vocabulary
        self.level = level
        self.tokenizer = level == .word ? (tokenizer ?? level.tokenizer) : nil
        self.training = training
    }

    /// `text` as tokens and ids; tokens outside the vocabulary become `<unk>` (or are skipped,
    /// for a vocabulary without it) and are listed in `unknown`.
    public func encode(_ text: String) -> Encoding {
        vocabulary.encode(tokens: level.tokens(text, tokenizer: tokenizer))
    }

    // MARK: Files

    private struct StoredConfiguration: Codable {
        var model: LanguageModelConfiguration
        var level: TokenLevel
        var tokenizer: Tokenizer?
        var training: LanguageModelTrainingOptions?

        enum Keys: String, CodingKey { case level, tokenizer, training }

        init(model: LanguageModelConfiguration, level: TokenLevel, tokenizer: Tokenizer?,
             training: LanguageModelTrainingOptions?) {
            self.model = model
            self.level = level
            self.tokenizer = tokenizer
            self.training = training
        }

        // One flat JSON object: the model keys, then `level`, `tokenizer` and `training`.
        init(from decoder: Decoder) throws {
            model = try LanguageModelConfiguration(from: decoder)
            let c = try decoder.container(keyedBy: Keys.self)
            level = try c.decode(TokenLevel.self, forKey: .level)
            tokenizer = try c.decodeIfPresent(Tokenizer.self, forKey: .tokenizer)
            training = try c.decodeIfPresent(LanguageModelTrainingOptions.self, forKey: .training)
        }

        func encode(to encoder: Encoder) throws {
            try model.encode(to: encoder)
            var c = encoder.container(keyedBy: Keys.self)
            try c.encode(level, forKey: .level)
            try c.encodeIfPresent(tokenizer, forKey: .tokenizer)
            try c.encodeIfPresent(training, forKey: .training)
        }
    }

    /// The model as safetensors contents. The same weights and settings always give the same bytes.
    public func safetensors() -> Safetensors {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let config = StoredConfiguration(model: model.configuration, level: level, tokenizer: tokenizer,
                                         training: training)
        return Safetensors(
            tensors: StateDict.entries(parameters: model.parameters, stack: model.rnn),
            metadata: [
                "format": "pt",
                "rnnkit.version": rnnKitVersion,
                "rnnkit.config": String(decoding: try! encoder.encode(config), as: UTF8.self),
                "rnnkit.vocabulary": String(decoding: try! encoder.encode(vocabulary.tokens), as: UTF8.self),
            ])
    }

    /// Saves atomically (temporary file beside `path`, flushed, then renamed over it).
    public func save(to path: String) throws {
        try safetensors().write(to: path)
    }

    /// Loads a file written by `save(to:)` (or by PyTorch with the same names and metadata).
    /// - Throws: `SafetensorsError` naming the file and what is wrong with it.
    public static func load(from path: String) throws -> TextLanguageModel {
        try TextLanguageModel(safetensors: Safetensors.read(path: path), path: path)
    }

    public convenience init(safetensors file: Safetensors, path: String = "<memory>") throws {
        func fail(_ detail: String) -> SafetensorsError {
            SafetensorsError(kind: .missingTensor, path: path, detail: detail)
        }
        guard let configText = file.metadata["rnnkit.config"] else {
            throw fail("no `rnnkit.config` in the metadata: this is not an RNNKit model "
                       + "(train a language model with `rnn train-lm --output`).")
        }
        // The task first, so a classifier file gets a useful message rather than a missing key.
        if let object = try? JSONSerialization.jsonObject(with: Data(configText.utf8)) as? [String: Any],
           let task = object["task"] as? String, task != "language_model" {
            throw fail(task == "classify"
                       ? "this is a text classifier, not a language model; use it with `rnn predict`."
                       : "this model's task is `\(task)`, not `language_model`.")
        }
        func json<T: Decodable>(_ key: String, as type: T.Type) throws -> T {
            guard let text = file.metadata[key] else {
                throw fail("no `\(key)` in the metadata: the file is incomplete (train it again with `rnn train-lm`).")
            }
            do { return try JSONDecoder().decode(T.self, from: Data(text.utf8)) } catch {
                throw fail("metadata `\(key)` is not valid: \(Self.describe(error))")
            }
        }
        let stored = try json("rnnkit.config", as: StoredConfiguration.self)
        let tokens = try json("rnnkit.vocabulary", as: [String].self)
        let config = stored.model
        if let problem = config.problem { throw fail("the configuration is not usable: \(problem).") }
        guard let vocabulary = Vocabulary(tokens: tokens) else { throw fail("the vocabulary lists a token twice.") }
        guard vocabulary.count == config.vocabularySize else {
            throw fail("the vocabulary has \(vocabulary.count) tokens but the configuration says \(config.vocabularySize).")
        }
        let model = LanguageModel(config)
        try StateDict.load(file.tensors, into: model.parameters, stack: model.rnn, path: path)
        self.init(model: model, vocabulary: vocabulary, level: stored.level, tokenizer: stored.tokenizer,
                  training: stored.training)
    }

    /// A decoding error as a short phrase naming the key, not Foundation's paragraph.
    private static func describe(_ error: Error) -> String {
        guard let e = error as? DecodingError else { return "\(error)" }
        func path(_ keys: [CodingKey]) -> String { keys.map(\.stringValue).joined(separator: ".") }
        switch e {
        case .keyNotFound(let key, let context): return "missing key `\(path(context.codingPath + [key]))`."
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "key `\(path(context.codingPath))` has the wrong type."
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not JSON." : "key `\(path(context.codingPath))`: \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
