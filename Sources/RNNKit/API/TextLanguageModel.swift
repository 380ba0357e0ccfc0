import Foundation

/// A trained language model as a user holds it: the network, its vocabulary and how text is
/// split into tokens. Saved as one safetensors file that PyTorch can load.
///
///     let lm = try TextLanguageModel.train(onFile: "input.txt", recipe: .charRNN)
///     try lm.generate(prompt: "ROMEO:", options: GenerationOptions(length: 300)) { print($0, terminator: "") }
///
/// The network is many-to-many: embeddings, a stack of RNN, LSTM or GRU layers and a linear
/// layer giving the next token's logits at every step; see ``LanguageModelConfiguration``. A
/// model reuses its work buffers: use one from one thread at a time.
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
    package let model: LanguageModel
    public let vocabulary: Vocabulary
    public let level: TokenLevel
    /// The word splitter (word level); nil at the character level.
    public let tokenizer: Tokenizer?
    /// How it was trained, when known.
    public var training: LanguageModelTrainingOptions?
    /// The network's sizes and cell.
    public var configuration: LanguageModelConfiguration { model.configuration }

    package init(model: LanguageModel, vocabulary: Vocabulary, level: TokenLevel, tokenizer: Tokenizer? = nil,
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

    /// The keys `rnnkit.config` holds after the network's.
    struct StoredExtra: Codable {
        var level: TokenLevel
        var tokenizer: Tokenizer?
        var training: LanguageModelTrainingOptions?
    }

    /// The model as safetensors contents (see `ModelFile` for the layout). The same weights and
    /// settings always give the same bytes.
    public func safetensors() -> Safetensors {
        ModelFile.safetensors(tensors: StateDict.entries(parameters: model.parameters, stack: model.rnn),
                              network: model.configuration,
                              extra: StoredExtra(level: level, tokenizer: tokenizer, training: training),
                              vocabulary: vocabulary)
    }

    /// Saves atomically (temporary file beside `path`, flushed, then renamed over it). Weights
    /// that are not all finite numbers are refused (`ModelFileError`), as loading would refuse them.
    public func save(to path: String) throws {
        try safetensors().writeModel(to: path)
    }

    /// Loads a file written by `save(to:)` (or by PyTorch with the same names and metadata).
    /// Its header is checked (task, configuration, limits, the number of weights) before its
    /// weights are read, and weights that are not finite numbers are refused.
    public static func load(from path: String) throws -> TextLanguageModel {
        let file = try Safetensors.read(path: path) { metadata, values in
            let _: ModelFile.Contents<LanguageModelConfiguration, StoredExtra> = try ModelFile.contents(
                of: Safetensors(metadata: metadata), values: values, task: .languageModel, path: path,
                vocabularySize: \.vocabularySize)
        }
        return try TextLanguageModel(safetensors: file, path: path)
    }

    /// A language model from the contents of a model file.
    /// - Throws: `ModelFileError` naming the file and what is wrong with it; `SafetensorsError`
    ///   for a missing or misshapen tensor.
    public convenience init(safetensors file: Safetensors, path: String = "<memory>") throws {
        let contents: ModelFile.Contents<LanguageModelConfiguration, StoredExtra> = try ModelFile.contents(
            of: file, task: .languageModel, path: path, vocabularySize: \.vocabularySize)
        let config = contents.configuration.network
        let model = LanguageModel(config)
        try StateDict.load(file.tensors, into: model.parameters, stack: model.rnn, path: path)
        let extra = contents.configuration.extra
        self.init(model: model, vocabulary: contents.vocabulary, level: extra.level, tokenizer: extra.tokenizer,
                  training: extra.training)
    }
}
