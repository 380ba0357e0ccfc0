import Foundation

/// A trained translation model as a user holds it: the encoder–decoder network, a vocabulary for
/// each language and how text is split into words. Saved as one safetensors file that PyTorch can
/// load (bentrevett's notebook 3 names).
///
///     let model = try Seq2SeqModel.load(from: "de-en.safetensors")
///     print(model.translate("ein mann fährt ein rotes fahrrad .").text)
///
/// The network: an embedding and a recurrent stack (RNN, LSTM or GRU; layers; bidirectional)
/// read the source; a one-layer recurrent decoder with attention (additive, dot, general or none)
/// writes the target word by word; see ``Seq2SeqConfiguration``. A model reuses its work buffers:
/// use one from one thread at a time.
///
/// File layout: tensors `encoder.embedding.weight`, `encoder.rnn.*`, `encoder.fc.*`,
/// `decoder.attention.*`, `decoder.embedding.weight`, `decoder.rnn.*_l0`, `decoder.fc_out.*`.
/// `__metadata__`: `rnnkit.config` (the configuration keys with `task` = `translation`, then
/// `tokenizer` and `training`), `rnnkit.vocabulary` (the target vocabulary), `rnnkit.source_vocabulary`,
/// `rnnkit.version`, and `format` = `pt`. Both vocabularies begin `<pad>`, `<unk>`, `<bos>`, `<eos>`.
/// A model with a ``VocabularyShortlist`` also holds its tensors `shortlist.candidates` and
/// `shortlist.frequent`, and `rnnkit.shortlist` in the metadata (`{"per_word": k, "frequent": n}`,
/// their sizes); PyTorch's `load_state_dict` needs the `shortlist.` tensors dropped.
public final class Seq2SeqModel: @unchecked Sendable {
    package let network: Seq2SeqNetwork
    public let sourceVocabulary: Vocabulary
    public let targetVocabulary: Vocabulary
    /// How both sides are split into words (and lowercased).
    public let tokenizer: Tokenizer
    /// How it was trained, when known.
    public var training: Seq2SeqTrainingOptions?
    public var configuration: Seq2SeqConfiguration { network.configuration }
    /// The target words each source word suggests, used by `translate` and `evaluate` unless
    /// `TranslationOptions.shortlist` is false; nil: every word is scored. It must be this
    /// model's (built for its vocabularies).
    public var shortlist: VocabularyShortlist? {
        didSet {
            precondition(shortlist.map { $0.candidates.count == sourceVocabulary.count && $0.targetVocabularySize == targetVocabulary.count } ?? true,
                         "a shortlist built for other vocabularies")
        }
    }
    private lazy var search = BeamSearch(network)
    /// The bfloat16 or int8 copies a `WeightPrecision` other than float reads, made the first
    /// time they are asked for after the weights last changed.
    private var reducedCopies: [WeightPrecision: ReducedSeq2SeqWeights] = [:]
    private func reduced(_ precision: WeightPrecision) -> ReducedSeq2SeqWeights? {
        guard precision != .float else { return nil }
        if let r = reducedCopies[precision] { return r }
        let r = ReducedSeq2SeqWeights(network, precision: precision)
        reducedCopies[precision] = r
        return r
    }

    /// Drops the reduced copies: the weights were changed (training), so they are made again
    /// from the new weights when next asked for.
    package func weightsChanged() { reducedCopies = [:] }

    /// The four tokens both vocabularies start with, in id order.
    public static let specialTokens = [Vocabulary.paddingToken, Vocabulary.unknownToken, "<bos>", "<eos>"]

    package init(network: Seq2SeqNetwork, sourceVocabulary: Vocabulary, targetVocabulary: Vocabulary, tokenizer: Tokenizer,
                 training: Seq2SeqTrainingOptions? = nil, shortlist: VocabularyShortlist? = nil) {
        precondition(sourceVocabulary.count == network.configuration.sourceVocabularySize
                     && targetVocabulary.count == network.configuration.targetVocabularySize, "vocabulary sizes differ from the network's")
        self.network = network
        self.sourceVocabulary = sourceVocabulary
        self.targetVocabulary = targetVocabulary
        self.tokenizer = tokenizer
        self.training = training
        self.shortlist = shortlist
    }

    /// Builds the model's `shortlist` from training pairs (the model's weights are not changed)
    /// and says what it holds.
    /// - Throws: ``VocabularyShortlist/BuildError`` when the model knows fewer than half of one
    ///   side's words (another corpus, or the languages swapped): the shortlist would leave almost
    ///   nothing to choose from. The model is then unchanged.
    @discardableResult
    public func buildShortlist(pairs: [(source: String, target: String)],
                               options: VocabularyShortlist.Options = VocabularyShortlist.Options()) throws -> VocabularyShortlist.Report {
        var words = (source: 0, target: 0), unknown = (source: 0, target: 0)
        let ids = pairs.map { pair -> (source: [Int], target: [Int]) in
            let s = encodeSource(pair.source), t = encodeTarget(pair.target)
            words.source += s.ids.count - 2; unknown.source += s.unknown.count
            words.target += t.ids.count - 2; unknown.target += t.unknown.count
            return (s.ids, t.ids)
        }
        for (side, n, u) in [(VocabularyShortlist.Side.source, words.source, unknown.source), (.target, words.target, unknown.target)]
        where n > 0 && 2 * u > n {
            throw VocabularyShortlist.BuildError.unfamiliarWords(side: side, unknown: u, words: n)
        }
        let list = VocabularyShortlist.build(pairs: ids, sourceVocabularySize: sourceVocabulary.count,
                                             targetVocabularySize: targetVocabulary.count, options: options)
        shortlist = list
        let sample = ids.prefix(1000)
        let scored = sample.reduce(0) { $0 + list.targets(for: $1.source).count }
        return VocabularyShortlist.Report(pairs: pairs.count, targetsPerSentence: Double(scored) / Double(max(sample.count, 1)))
    }

    /// A sentence as source ids [<bos>, …, <eos>]; words outside the vocabulary become `<unk>`
    /// and are listed in `unknown`.
    public func encodeSource(_ text: String) -> Encoding {
        var e = sourceVocabulary.encode(text, tokenizer: tokenizer)
        e.ids = [Seq2SeqNetwork.begin] + e.ids + [Seq2SeqNetwork.end]
        return e
    }

    /// A sentence as target ids [<bos>, …, <eos>], as training reads it.
    public func encodeTarget(_ text: String) -> Encoding {
        var e = targetVocabulary.encode(text, tokenizer: tokenizer)
        e.ids = [Seq2SeqNetwork.begin] + e.ids + [Seq2SeqNetwork.end]
        return e
    }

    // MARK: Translating

    /// Translates one sentence (greedy with `beam` 1, beam search otherwise).
    public func translate(_ text: String, options: TranslationOptions = TranslationOptions()) -> Translation {
        precondition(options.problem == nil, options.problem ?? "")
        let source = encodeSource(text)
        let targets = options.shortlist ? shortlist?.targets(for: source.ids) : nil
        let decoded = search.decode(source.ids, beam: options.beam, maxLength: options.maxLength,
                                    lengthPenalty: options.lengthPenalty, keepAttention: options.includeAttention,
                                    targets: targets, reduced: reduced(options.precision))
        let words = decoded.tokens.map { targetVocabulary.tokens[$0] }
        return Translation(text: Detokenizer.text(words), tokens: words,
                           sourceTokens: ["<bos>"] + tokenizer.tokens(text) + ["<eos>"], unknownWords: source.unknown,
                           attention: decoded.attention, finished: decoded.finished,
                           logProbability: decoded.logProbability)
    }

    /// Translates `sources` and scores the translations against `references` (one per source):
    /// corpus BLEU and chrF as sacreBLEU computes them by default (13a tokenization; lowercased
    /// when the model lowercases, sacreBLEU's `-lc`), and the mean loss and perplexity of the
    /// references under the model (teacher forcing).
    public func evaluate(sources: [String], references: [String], options: TranslationOptions = TranslationOptions(),
                         progress: (Int) -> Void = { _ in }) -> TranslationScores {
        precondition(sources.count == references.count, "\(sources.count) sources for \(references.count) references")
        var hypotheses: [String] = []
        hypotheses.reserveCapacity(sources.count)
        var decoding = options
        decoding.includeAttention = false
        for (k, s) in sources.enumerated() {
            hypotheses.append(translate(s, options: decoding).text)
            progress(k + 1)
        }
        let lowercase = tokenizer.lowercase
        let bleu = BLEU(lowercase: lowercase).score(hypotheses: hypotheses, references: references)
        let chrf = ChrF(lowercase: lowercase).score(hypotheses: hypotheses, references: references)
        let pairs = zip(sources, references).map { Seq2SeqPair(source: encodeSource($0).ids, target: encodeTarget($1).ids) }
        let metrics = Seq2SeqTask.evaluate(network, pairs, batchSize: 64)
        return TranslationScores(bleu: bleu.score, chrF: chrf, bleuDetails: bleu, loss: metrics?.loss ?? .nan,
                                 sentences: sources.count, hypotheses: hypotheses)
    }

    // MARK: Files

    /// The keys `rnnkit.config` holds after the network's.
    struct StoredExtra: Codable {
        var tokenizer: Tokenizer
        var training: Seq2SeqTrainingOptions?
    }

    /// The model as safetensors contents. The same weights and settings always give the same bytes.
    public func safetensors() -> Safetensors {
        var tensors: [String: Safetensors.Entry] = [:]
        for p in network.parameters { tensors[p.name] = .init(shape: p.value.shape, values: p.value.array) }
        var file = ModelFile.safetensors(tensors: tensors, network: configuration,
                                         extra: StoredExtra(tokenizer: tokenizer, training: training),
                                         vocabulary: targetVocabulary)
        file.metadata["rnnkit.source_vocabulary"] = ModelFile.json(sourceVocabulary.tokens)
        if let shortlist {
            file.tensors.merge(shortlist.tensors) { a, _ in a }
            file.metadata[Self.shortlistKey] = "{\"per_word\":\(shortlist.perWord),\"frequent\":\(shortlist.frequent.count)}"
        }
        return file
    }

    /// Saves atomically (temporary file beside `path`, then renamed). Weights that are not all
    /// finite numbers are refused (`ModelFileError`).
    public func save(to path: String) throws {
        try safetensors().writeModel(to: path)
    }

    /// Loads a file written by `save(to:)` (or by PyTorch with the same names and metadata); the
    /// header is checked (task, configuration, limits, the number of weights) before the weights
    /// are read, and weights that are not finite numbers are refused.
    public static func load(from path: String) throws -> Seq2SeqModel {
        let file = try Safetensors.read(path: path) { metadata, values in
            let header = Safetensors(metadata: metadata)
            let shortlistValues = try shortlistSizes(header, path: path)?.values ?? 0
            let _: ModelFile.Contents<Seq2SeqConfiguration, StoredExtra> = try ModelFile.contents(
                of: header, values: values - shortlistValues, task: .translation, path: path,
                vocabularySize: \.targetVocabularySize)
        }
        return try Seq2SeqModel(safetensors: file, path: path)
    }

    /// A translation model from the contents of a model file.
    /// - Throws: `ModelFileError` naming the file and what is wrong; `SafetensorsError` for a
    ///   missing or misshapen tensor.
    public convenience init(safetensors file: Safetensors, path: String = "<memory>") throws {
        let contents: ModelFile.Contents<Seq2SeqConfiguration, StoredExtra> = try ModelFile.contents(
            of: file, task: .translation, path: path, vocabularySize: \.targetVocabularySize)
        func fail(_ detail: String) -> ModelFileError { ModelFileError(kind: .badMetadata(key: "rnnkit.source_vocabulary"), path: path, detail: detail) }
        guard let text = file.metadata["rnnkit.source_vocabulary"] else {
            throw fail("no `rnnkit.source_vocabulary` in the metadata: the file is incomplete.")
        }
        guard let tokens = try? JSONDecoder().decode([String].self, from: Data(text.utf8)) else {
            throw fail("metadata `rnnkit.source_vocabulary` is not a JSON array of strings.")
        }
        guard let source = Vocabulary(tokens: tokens) else {
            throw ModelFileError(kind: .inconsistent, path: path, detail: "the source vocabulary lists a token twice.")
        }
        let config = contents.configuration.network
        try ModelFile.checkAgreement(vocabulary: source, vocabularySize: config.sourceVocabularySize, path: path)
        for (side, v) in [("source", source), ("target", contents.vocabulary)] where Array(v.tokens.prefix(4)) != Self.specialTokens {
            throw ModelFileError(kind: .inconsistent, path: path,
                                 detail: "the \(side) vocabulary must begin with \(Self.specialTokens.joined(separator: ", ")).")
        }
        let network = Seq2SeqNetwork(config)
        try StateDict.load(file.tensors, into: network.parameters, stack: network.encoder.rnn, path: path)
        let extra = contents.configuration.extra
        if extra.tokenizer.kind == .characters {
            throw ModelFileError(kind: .inconsistent, path: path,
                                 detail: "the tokenizer is `characters`, but a translation model reads words (`words` or `spaces`).")
        }
        let shortlist = try VocabularyShortlist.read(file.tensors, sourceVocabularySize: source.count,
                                                     targetVocabularySize: contents.vocabulary.count, path: path)
        if let shortlist, let sizes = try Self.shortlistSizes(file, path: path),
           (sizes.perWord, sizes.frequent) != (shortlist.perWord, shortlist.frequent.count) {
            throw ModelFileError(kind: .inconsistent, path: path, detail:
                "metadata `\(Self.shortlistKey)` does not give the sizes of the shortlist's tensors (\(shortlist.perWord) words per source word, \(shortlist.frequent.count) frequent words).")
        }
        self.init(network: network, sourceVocabulary: source, targetVocabulary: contents.vocabulary,
                  tokenizer: extra.tokenizer, training: extra.training, shortlist: shortlist)
    }

    static let shortlistKey = "rnnkit.shortlist"

    /// The shortlist's sizes by the metadata, and how many values its tensors hold (so that the
    /// header check counts the network's weights alone); nil without a shortlist.
    private static func shortlistSizes(_ file: Safetensors, path: String) throws -> (perWord: Int, frequent: Int, values: Int)? {
        guard let text = file.metadata[shortlistKey] else { return nil }
        struct Sizes: Decodable { var per_word: Int; var frequent: Int }
        guard let sizes = try? JSONDecoder().decode(Sizes.self, from: Data(text.utf8)), sizes.per_word >= 1, sizes.frequent >= 0,
              let config = file.metadata["rnnkit.config"],
              let vocab = try? JSONDecoder().decode(SourceSize.self, from: Data(config.utf8)) else {
            throw ModelFileError(kind: .badMetadata(key: shortlistKey), path: path,
                                 detail: "metadata `\(shortlistKey)` is not {\"per_word\": k, \"frequent\": n} with k ≥ 1 and n ≥ 0.")
        }
        let (product, overflow) = vocab.source_vocab_size.multipliedReportingOverflow(by: sizes.per_word)
        guard !overflow, product <= Int(Int32.max), sizes.frequent <= Int(Int32.max) else {
            throw ModelFileError(kind: .badMetadata(key: shortlistKey), path: path, detail: "metadata `\(shortlistKey)` gives sizes too large for a shortlist.")
        }
        return (sizes.per_word, sizes.frequent, product + sizes.frequent)
    }
    private struct SourceSize: Decodable { var source_vocab_size: Int }
}

extension Seq2SeqConfiguration: StoredNetwork {
    var storedValues: ClosedRange<Double> { parameterCount...parameterCount }
}

/// How `Seq2SeqModel.translate` decodes.
public struct TranslationOptions: Sendable, Equatable {
    /// K hypotheses kept per step; 1 is greedy decoding.
    public var beam = 1
    /// The most words (with <eos>) a translation may have.
    public var maxLength = 50
    /// α of the length normalisation log p / n^α that ranks finished hypotheses (0: none).
    public var lengthPenalty = 1.0
    /// Whether `Translation.attention` is filled (a row per output word, as long as the source).
    public var includeAttention = true
    /// Whether the model's `Seq2SeqModel.shortlist` (when it has one) restricts the words
    /// scored; false scores the whole vocabulary (exact decoding).
    public var shortlist = true
    /// The format of the weights the products read: `float` (exact, the default), `bfloat16` or
    /// `int8` (faster; see ``WeightPrecision``).
    public var precision = WeightPrecision.float

    public init(beam: Int = 1, maxLength: Int = 50, lengthPenalty: Double = 1, includeAttention: Bool = true,
                shortlist: Bool = true, precision: WeightPrecision = .float) {
        self.beam = beam
        self.maxLength = maxLength
        self.lengthPenalty = lengthPenalty
        self.includeAttention = includeAttention
        self.shortlist = shortlist
        self.precision = precision
    }

    /// Why these options cannot decode, or nil.
    public var problem: String? {
        if !(1...256).contains(beam) { return "the beam size must be between 1 and 256 (got \(beam))" }
        if !(1...10_000).contains(maxLength) { return "the maximum length must be between 1 and 10000 (got \(maxLength))" }
        if !(lengthPenalty.isFinite && lengthPenalty >= 0 && lengthPenalty <= 10) { return "the length penalty must be between 0 and 10" }
        return nil
    }
}

/// One translated sentence.
public struct Translation: Sendable, Equatable, Codable {
    /// The words joined into text.
    public var text: String
    /// The target words, without <bos> and <eos>.
    public var tokens: [String]
    /// The source as the model read it: <bos>, its words, <eos>.
    public var sourceTokens: [String]
    /// Source words outside the model's vocabulary (read as `<unk>`).
    public var unknownWords: [String]
    /// attention[i][s]: how much output step i (the words, then <eos> when it came) looked at
    /// source position s; empty for a model without attention.
    public var attention: [[Float]]
    /// Whether the decoder ended the sentence itself (false: cut at the length limit).
    public var finished: Bool
    /// log p of the translation under the model.
    public var logProbability: Double

    /// Whether every number of the translation is finite. It is not when the model's weights are
    /// so large that its computation overflows (NaN or infinity): the words are then meaningless.
    public var isFinite: Bool {
        logProbability.isFinite && attention.allSatisfy { $0.allSatisfy(\.isFinite) }
    }
}

/// What `Seq2SeqModel.evaluate` measures.
public struct TranslationScores: Sendable {
    /// Corpus BLEU on sacreBLEU's 0–100 scale.
    public var bleu: Double
    /// chrF on sacreBLEU's 0–100 scale.
    public var chrF: Double
    package var bleuDetails: BLEUScore
    /// Mean cross-entropy of the references per word (nats), with teacher forcing.
    public var loss: Double
    public var perplexity: Double { exp(loss) }
    public var sentences: Int
    /// The translations, in source order.
    public var hypotheses: [String]
}
