import Foundation

/// A bag-of-n-grams text classifier: the tf-idf vector of a text's words and word pairs, then a
/// softmax layer — L2-regularized logistic regression, scikit-learn's classic baseline, built in
/// so that an RNN can be compared with it on the same data (`rnn train --model bow`, `--compare`).
///
///     let baseline = try BagOfNgramsClassifier.train(on: rows)
///     let p = try baseline.predict("a gorgeous, witty film")   // p.label, p.probabilities
///     try baseline.save(to: "bow.safetensors")
///
/// Features and fitting are `NgramFeatures`' and `LogisticRegression`'s (see the recipe). Unlike
/// `TextClassifier`, it keeps no work buffers: one model may serve several threads at once.
///
/// File layout: `fc.weight` (K, d) and `fc.bias` (K) — PyTorch's `nn.Linear(d, K)` over the
/// tf-idf vector — and `idf` (d). `__metadata__`: `rnnkit.config` (the
/// ``BagOfNgramsConfiguration`` keys with `task` = `bag_of_ngrams`, then `tokenizer` and
/// `training`, the recipe), `rnnkit.vocabulary` (the n-grams in feature order, a pair of words
/// as `"w1 w2"`), `rnnkit.labels`, `rnnkit.version`, and `format` = `pt`.
public final class BagOfNgramsClassifier: Sendable {
    public let labels: [String]
    public let tokenizer: Tokenizer
    /// How it was made, when known.
    public let recipe: BagOfNgramsRecipe?
    public let configuration: BagOfNgramsConfiguration
    /// L-BFGS iterations of the fit, and whether it converged; nil for a loaded model.
    public let fitIterations: Int?
    public let converged: Bool?
    let features: NgramFeatures
    let weight: [Float]  // (K, d)
    let bias: [Float]    // (K)

    init(features: NgramFeatures, weight: [Float], bias: [Float], labels: [String], tokenizer: Tokenizer,
         recipe: BagOfNgramsRecipe?, fitIterations: Int? = nil, converged: Bool? = nil) {
        self.fitIterations = fitIterations
        self.converged = converged
        precondition(weight.count == labels.count * features.ngrams.count && bias.count == labels.count)
        self.features = features
        self.weight = weight
        self.bias = bias
        self.labels = labels
        self.tokenizer = tokenizer
        self.recipe = recipe
        configuration = BagOfNgramsConfiguration(vocabularySize: features.ngrams.count, numClasses: labels.count,
                                                 maxN: features.maxN)
    }

    /// The n-grams it knows, in feature order.
    public var ngrams: [String] { features.ngrams }

    // MARK: Training

    /// Fits a classifier on labelled texts: the n-gram vocabulary and idf from `rows`, then the
    /// logistic regression to convergence (or `recipe.maxIterations`). Labels are sorted, as
    /// `TextClassifier`'s.
    /// - Throws: `TrainingError.invalidRecipe`; `DataFileError` for fewer than two labels or no
    ///   text with a token.
    public static func train(on rows: [LabeledText], recipe: BagOfNgramsRecipe = .standard,
                             source: String = "training data") throws -> BagOfNgramsClassifier {
        if let problem = recipe.problem { throw TrainingError.invalidRecipe(problem) }
        let labels = Set(rows.map(\.label)).sorted()
        guard labels.count >= 2 else {
            throw DataFileError(.tooFewLabels, path: source, detail: "every example has the label `\(labels.first ?? "")`; a classifier needs at least two labels.")
        }
        let tokens = rows.map { recipe.tokenizer.tokens($0.text) }
        let labelIndex = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, $0) })
        // idf as the file stores it (Float), so that the model trained and the model loaded compute the same vectors.
        let (features, counts) = NgramFeatures.fitted(tokens, maxN: recipe.maxN, minCount: recipe.minCount,
                                                      weighting: recipe.weighting, labels: rows.map { labelIndex[$0.label]! },
                                                      classes: labels.count, roundIDF: { Double(Float($0)) })
        guard !features.ngrams.isEmpty else {
            throw DataFileError(.noUsableRows, path: source, detail: "no n-gram is found in \(recipe.minCount) or more texts, so there is nothing to learn from.")
        }
        let fit = LogisticRegression(rows: counts.map(features.vector(counts:)), labels: rows.map { labelIndex[$0.label]! },
                                     classes: labels.count, features: features.ngrams.count,
                                     C: recipe.inverseRegularization, maxIterations: recipe.maxIterations)
        let layer = fit.softmaxLayer
        guard layer.weight.allSatisfy(\.isFinite) && layer.bias.allSatisfy(\.isFinite) else {
            throw TrainingError.invalidRecipe("the fit's weights are not finite numbers; a smaller C (inverse regularization) keeps them bounded")
        }
        return BagOfNgramsClassifier(features: features, weight: layer.weight, bias: layer.bias, labels: labels,
                                     tokenizer: recipe.tokenizer, recipe: recipe, fitIterations: fit.iterations,
                                     converged: fit.converged)
    }

    // MARK: Predicting

    /// Probabilities of each label for a text's vector.
    func probabilities(_ x: SparseRow) -> [Float] {
        let d = features.ngrams.count
        var z = bias.map(Double.init)
        for k in z.indices {
            for (j, v) in zip(x.features, x.values) { z[k] += Double(weight[k * d + j]) * v }
        }
        let m = z.max()!
        let e = z.map { exp($0 - m) }, sum = e.reduce(0, +)
        return e.map { Float($0 / sum) }
    }

    /// Classifies `text`. A text none of whose n-grams the model knows throws, as
    /// `TextClassifier.predict` does for one with no known word.
    public func predict(_ text: String) throws -> TextClassifier.Prediction {
        let tokens = tokenizer.tokens(text)
        let x = features.vector(tokens)
        guard !x.isEmpty else { throw TextClassifier.PredictionError.noKnownWords(text: text) }
        let p = probabilities(x)
        guard p.allSatisfy(\.isFinite) else { throw TextClassifier.PredictionError.notANumber(text: text) }
        let unknown = tokens.filter { features.index(of: $0) == nil }
        return TextClassifier.Prediction(label: labels[argmax(p)], probabilities: p, unknownWords: unknown)
    }

    /// Scores the classifier on labelled texts: the same report as `TextClassifier.evaluate(on:)`.
    /// - Throws: `DataFileError` for a label the model does not know (naming its line), or when
    ///   no text has an n-gram the model knows.
    public func evaluate(on rows: [LabeledText], source: String = "data") throws -> TextClassifier.Evaluation {
        let K = labels.count
        let labelIndex = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, $0) })
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: K), count: K)
        var loss = 0.0, unknownWords = 0, dropped = 0, scored = 0
        for row in rows {
            guard let y = labelIndex[row.label] else {
                throw DataFileError(.unknownLabel, path: source, line: row.line > 0 ? row.line : nil,
                                    detail: "the label `\(row.label)` is not one the model knows (\(labels.joined(separator: ", "))).")
            }
            let tokens = tokenizer.tokens(row.text)
            unknownWords += tokens.filter { features.index(of: $0) == nil }.count
            let x = features.vector(tokens)
            if x.isEmpty { dropped += 1; continue }
            let p = probabilities(x)
            confusion[y][argmax(p)] += 1
            loss -= log(max(Double(p[y]), Double.leastNormalMagnitude))
            scored += 1
        }
        guard scored > 0 else {
            throw DataFileError(.noUsableRows, path: source, detail: "no text has an n-gram the model knows, so there is nothing to evaluate.")
        }
        return TextClassifier.Evaluation(report: ClassificationReport(labels: labels, confusion: confusion, loss: loss / Double(scored)),
                                         unknownWords: unknownWords, droppedTexts: dropped)
    }

    /// Scores the classifier on the texts of `source`.
    public func evaluate(on source: LabeledTextSource) throws -> TextClassifier.Evaluation {
        try evaluate(on: source.load(), source: source.name)
    }

    // MARK: Files

    /// The keys `rnnkit.config` holds after the configuration's.
    struct StoredExtra: Codable {
        var tokenizer: Tokenizer
        var training: BagOfNgramsRecipe?
    }

    /// The model as safetensors contents. The same model always gives the same bytes.
    public func safetensors() -> Safetensors {
        let (K, d) = (labels.count, features.ngrams.count)
        return ModelFile.safetensors(
            tensors: ["fc.weight": .init(shape: [K, d], values: weight), "fc.bias": .init(shape: [K], values: bias),
                      "idf": .init(shape: [d], values: features.idf.map { Float($0) })],
            network: configuration, extra: StoredExtra(tokenizer: tokenizer, training: recipe),
            vocabulary: Vocabulary(tokens: features.ngrams)!, labels: labels)
    }

    /// Saves atomically (temporary file beside `path`, then renamed over it).
    public func save(to path: String) throws {
        try safetensors().writeModel(to: path)
    }

    /// Loads a model file; its header is checked (task, configuration, limits, the number of
    /// values) before its weights are read, and weights that are not finite numbers are refused.
    public static func load(from path: String) throws -> BagOfNgramsClassifier {
        let file = try Safetensors.read(path: path) { metadata, values in
            let _: ModelFile.Contents<BagOfNgramsConfiguration, StoredExtra> = try ModelFile.contents(
                of: Safetensors(metadata: metadata), values: values, task: .bagOfNgrams, path: path,
                vocabularySize: \.vocabularySize, classes: \.numClasses)
        }
        return try BagOfNgramsClassifier(safetensors: file, path: path)
    }

    /// A classifier from the contents of a model file.
    /// - Throws: `ModelFileError` naming the file and what is wrong; `SafetensorsError` for a
    ///   missing or misshapen tensor.
    public convenience init(safetensors file: Safetensors, path: String = "<memory>") throws {
        let contents: ModelFile.Contents<BagOfNgramsConfiguration, StoredExtra> = try ModelFile.contents(
            of: file, task: .bagOfNgrams, path: path, vocabularySize: \.vocabularySize, classes: \.numClasses)
        let c = contents.configuration.network
        try StateDict.checkFinite(file.tensors, path: path, saving: false)
        func tensor(_ name: String, _ shape: [Int]) throws -> [Float] { try ModelFile.values(of: name, shape: shape, in: file, path: path) }
        let idf = try tensor("idf", [c.vocabularySize])
        let features = NgramFeatures(ngrams: contents.vocabulary.tokens, idf: idf.map(Double.init), maxN: c.maxN)
        self.init(features: features, weight: try tensor("fc.weight", [c.numClasses, c.vocabularySize]),
                  bias: try tensor("fc.bias", [c.numClasses]), labels: contents.labels!,
                  tokenizer: contents.configuration.extra.tokenizer, recipe: contents.configuration.extra.training)
    }
}
