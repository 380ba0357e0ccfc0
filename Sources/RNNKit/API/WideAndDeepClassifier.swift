import Foundation

/// A wide-and-deep text classifier (Cheng et al., 2016): one softmax over the sum of a recurrent
/// network's logits and a linear map of the text's n-gram tf-idf vector,
///
///     f = pool(RNN/LSTM/GRU(embedding(w_1 … w_T)))     (the deep part, as `TextClassifier`'s)
///     x = tf-idf(words and word pairs of the text)     (as `BagOfNgramsClassifier`'s; with
///                                                       `NgramWeighting.naiveBayes`, each idf times |r|)
///     y = W_deep·dropout(f) + W_wide·x + b,   p = softmax(y)
///
/// trained together on the mean cross-entropy: the deep part by the recipe's optimizer (Adam),
/// the wide part — whose gradient has a few nonzero rows per batch, the batch's n-grams — by
/// sparse SGD with the baseline's L2 penalty, from zero or from the fitted baseline (see
/// ``WideAndDeepRecipe``). For labelled data without unlabelled text to pretrain on.
///
///     let model = try WideAndDeepClassifier.train(on: rows)
///     let p = try model.predict("a gorgeous, witty film")
///     try model.save(to: "hybrid.safetensors")
///
/// Shapes: K labels, d n-grams, F = directions·hidden pooled features. Parameters: the deep
/// network's (see ``TextClassifier``), `fc.weight` W_deep (K, F), `fc.bias` b (K),
/// `wide.weight` W_wide (K, d). Initialization: the deep part as PyTorch's; W_wide and b += the
/// baseline's weights and intercepts, or W_wide = 0.
///
/// File layout: the deep network's tensors with PyTorch's names, `wide.weight` (K, d) and
/// `idf` (d: each n-gram's whole weight, Naive Bayes ratio included). `__metadata__`: `rnnkit.config` (``WideAndDeepConfiguration``'s keys, then
/// `tokenizer` and `recipe`), `rnnkit.vocabulary` (the deep part's words), `rnnkit.ngrams` (the
/// wide part's n-grams in feature order, a pair as `"w1 w2"`), `rnnkit.labels`,
/// `rnnkit.version`, `format` = `pt`. Like `TextClassifier` it reuses work buffers: one thread
/// at a time.
public final class WideAndDeepClassifier: @unchecked Sendable {
    package let model: SequenceClassifier
    public let vocabulary: Vocabulary
    public let labels: [String]
    public let tokenizer: Tokenizer
    /// How it was made, when known.
    public let recipe: WideAndDeepRecipe?
    public let configuration: WideAndDeepConfiguration

    package init(model: SequenceClassifier, vocabulary: Vocabulary, labels: [String], tokenizer: Tokenizer,
                 recipe: WideAndDeepRecipe?) {
        precondition(model.wide != nil)
        self.model = model
        self.vocabulary = vocabulary
        self.labels = labels
        self.tokenizer = tokenizer
        self.recipe = recipe
        configuration = WideAndDeepConfiguration(deep: model.configuration, ngramCount: model.wide!.ngramCount,
                                                 maxN: model.wide!.features.maxN)
    }

    var wide: WideHead { model.wide! }

    /// The n-grams the wide part knows, in feature order.
    public var ngrams: [String] { wide.features.ngrams }

    /// Trains a classifier on labelled texts: `WideAndDeepTraining` in one call.
    public static func train(on train: [LabeledText], validation: [LabeledText]? = nil, test: [LabeledText]? = nil,
                             recipe: WideAndDeepRecipe = .standard) throws -> WideAndDeepClassifier {
        let run = try WideAndDeepTraining(train: train, validation: validation, test: test, recipe: recipe)
        try run.fit()
        return run.classifier
    }

    /// Labelled texts as the model reads them: word ids and n-gram vectors; texts with no token
    /// the vocabulary can read are left out (and counted), as `ClassifierData` leaves them out.
    func encode(_ rows: [LabeledText], source: String) throws -> (examples: [EncodedExample], unknownWords: Int, droppedTexts: Int) {
        let labels = labels
        var encoded = try ClassifierData.encode(rows, labels: labels, vocabulary: vocabulary, tokenizer: tokenizer,
                                                source: source) {
            "the label `\($0)` is not one the model knows (\(labels.joined(separator: ", ")))."
        }
        encoded.examples = Self.attachNgrams(rows, to: encoded.examples, features: wide.features, vocabulary: vocabulary,
                                             tokenizer: tokenizer)
        return encoded
    }

    /// `examples` (encoded from `rows`, with the texts no token of which the vocabulary reads left
    /// out) with each text's n-gram vector.
    static func attachNgrams(_ rows: [LabeledText], to examples: [EncodedExample], features: NgramFeatures,
                             vocabulary: Vocabulary, tokenizer: Tokenizer) -> [EncodedExample] {
        var out = examples, i = 0
        for row in rows {
            let tokens = tokenizer.tokens(row.text)
            guard !vocabulary.encode(tokens: tokens).ids.isEmpty else { continue }
            out[i].ngrams = features.vector(tokens)
            i += 1
        }
        precondition(i == out.count, "the texts and their encodings disagree")
        return out
    }

    // MARK: Predicting

    /// Classifies `text`. A text with neither a word nor an n-gram the model knows throws, as
    /// `TextClassifier.predict` does.
    public func predict(_ text: String) throws -> TextClassifier.Prediction {
        let tokens = tokenizer.tokens(text)
        let encoding = vocabulary.encode(tokens: tokens)
        let x = wide.features.vector(tokens)
        let known = encoding.ids.count - (vocabulary.unknownID == nil ? 0 : encoding.unknown.count)
        guard !encoding.ids.isEmpty, known > 0 || !x.isEmpty else { throw TextClassifier.PredictionError.noKnownWords(text: text) }
        let p = model.probabilities(encoding.ids, ngrams: x)
        guard p.allSatisfy(\.isFinite) else { throw TextClassifier.PredictionError.notANumber(text: text) }
        return TextClassifier.Prediction(label: labels[argmax(p)], probabilities: p, unknownWords: encoding.unknown)
    }

    /// Scores the classifier on labelled texts: the same report as `TextClassifier.evaluate(on:)`.
    /// - Throws: `DataFileError` for a label the model does not know (naming its line), or when
    ///   no text has a token the model can read.
    public func evaluate(on rows: [LabeledText], source: String = "data") throws -> TextClassifier.Evaluation {
        let (examples, unknownWords, dropped) = try encode(rows, source: source)
        guard !examples.isEmpty else {
            throw DataFileError(.noUsableRows, path: source, detail: "no text has a word the model knows, so there is nothing to evaluate.")
        }
        return TextClassifier.Evaluation(report: model.report(on: examples, labels: labels), unknownWords: unknownWords,
                                         droppedTexts: dropped)
    }

    // MARK: Files

    /// The keys `rnnkit.config` holds after the configuration's.
    struct StoredExtra: Codable {
        var tokenizer: Tokenizer
        var recipe: WideAndDeepRecipe?
    }

    /// The model as safetensors contents. The same model always gives the same bytes.
    public func safetensors() -> Safetensors {
        let (K, d) = (labels.count, wide.ngramCount)
        wide.settleAll()
        var tensors = StateDict.entries(parameters: model.parameters, stack: model.rnn)
        let w = wide.weight.value.data
        var wideWeight = [Float](repeating: 0, count: K * d)
        for j in 0..<d { for k in 0..<K { wideWeight[k * d + j] = w[j * K + k] } }
        tensors["wide.weight"] = .init(shape: [K, d], values: wideWeight)
        tensors["idf"] = .init(shape: [d], values: wide.features.idf.map { Float($0) })
        var file = ModelFile.safetensors(tensors: tensors, network: configuration,
                                         extra: StoredExtra(tokenizer: tokenizer, recipe: recipe), vocabulary: vocabulary,
                                         labels: labels)
        file.metadata["rnnkit.ngrams"] = ModelFile.json(wide.features.ngrams)
        return file
    }

    /// Saves atomically (temporary file beside `path`, then renamed over it); weights that are
    /// not all finite numbers are refused.
    public func save(to path: String) throws {
        try safetensors().writeModel(to: path)
    }

    /// Loads a model file; its header is checked (task, configuration, limits, the number of
    /// values) before its weights are read, and weights that are not finite numbers are refused.
    public static func load(from path: String) throws -> WideAndDeepClassifier {
        let file = try Safetensors.read(path: path) { metadata, values in
            let _: ModelFile.Contents<WideAndDeepConfiguration, StoredExtra> = try ModelFile.contents(
                of: Safetensors(metadata: metadata), values: values, task: .wideAndDeep, path: path,
                vocabularySize: \.deep.vocabularySize, classes: \.deep.numClasses)
        }
        return try WideAndDeepClassifier(safetensors: file, path: path)
    }

    /// A classifier from the contents of a model file.
    /// - Throws: `ModelFileError` naming the file and what is wrong; `SafetensorsError` for a
    ///   missing or misshapen tensor.
    public convenience init(safetensors file: Safetensors, path: String = "<memory>") throws {
        let contents: ModelFile.Contents<WideAndDeepConfiguration, StoredExtra> = try ModelFile.contents(
            of: file, task: .wideAndDeep, path: path, vocabularySize: \.deep.vocabularySize, classes: \.deep.numClasses)
        let c = contents.configuration.network
        let (K, d) = (c.deep.numClasses, c.ngramCount)
        guard let text = file.metadata["rnnkit.ngrams"],
              let ngrams = try? JSONDecoder().decode([String].self, from: Data(text.utf8)) else {
            throw ModelFileError(kind: .badMetadata(key: "rnnkit.ngrams"), path: path,
                                 detail: "no JSON array of strings `rnnkit.ngrams` in the metadata: the file is incomplete.")
        }
        guard ngrams.count == d, Set(ngrams).count == d else {
            throw ModelFileError(kind: .inconsistent, path: path, detail: "`rnnkit.ngrams` lists \(ngrams.count) n-grams"
                                 + (Set(ngrams).count == ngrams.count ? "" : ", some twice,")
                                 + " but the configuration says ngram_vocab_size \(d).")
        }
        func tensor(_ name: String, _ shape: [Int]) throws -> [Float] { try ModelFile.values(of: name, shape: shape, in: file, path: path) }
        let idf = try tensor("idf", [d]), wideWeight = try tensor("wide.weight", [K, d])
        let model = SequenceClassifier(c.deep)
        try StateDict.load(file.tensors, into: model.parameters, stack: model.rnn, path: path)
        let head = WideHead(features: NgramFeatures(ngrams: ngrams, idf: idf.map(Double.init), maxN: c.maxN), classes: K)
        for j in 0..<d { for k in 0..<K { head.weight.value[j * K + k] = wideWeight[k * d + j] } }
        model.wide = head
        self.init(model: model, vocabulary: contents.vocabulary, labels: contents.labels!,
                  tokenizer: contents.configuration.extra.tokenizer, recipe: contents.configuration.extra.recipe)
    }
}
