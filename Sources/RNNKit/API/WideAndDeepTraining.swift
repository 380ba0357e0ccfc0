/// One training run of a wide-and-deep classifier: the baseline fitted on the training texts
/// (when the recipe starts the wide part from it), then both parts trained together by the
/// deep recipe's loop — its batches, optimizer, dropout, early stopping on validation loss
/// (keeping the best epoch's weights, the wide part's included) and seed.
///
///     let run = try WideAndDeepTraining(train: rows, recipe: .standard)
///     try run.fit { event in … }
///     try run.classifier.save(to: "hybrid.safetensors")
public final class WideAndDeepTraining {
    public let recipe: WideAndDeepRecipe
    /// The deep part's run; its data carry each text's n-gram vector.
    public let deep: ClassifierTraining
    /// The baseline the wide part started from (`.baseline` start), fitted on the same
    /// training texts.
    public let baseline: BagOfNgramsClassifier?
    /// The classifier being trained; after `fit`, the trained one.
    public let classifier: WideAndDeepClassifier

    /// Prepares a run: the validation split (as `ClassifierTraining` makes it), the deep
    /// network, the n-gram features of the training texts and the wide part's start.
    /// - Throws: `TrainingError.invalidRecipe`; `DataFileError` as `ClassifierTraining` and
    ///   `BagOfNgramsClassifier.train` throw them.
    public init(train: [LabeledText], validation: [LabeledText]? = nil, test: [LabeledText]? = nil,
                recipe: WideAndDeepRecipe = .standard,
                sources: (train: String, validation: String, test: String) = ("training data", "validation data", "test data")) throws {
        if let problem = recipe.problem { throw TrainingError.invalidRecipe(problem) }
        self.recipe = recipe
        var trainRows = train, validationRows = validation, validationSource = sources.validation
        if validation == nil, let fraction = recipe.deep.validationFraction {
            (trainRows, validationRows) = ClassifierData.stratifiedSplit(train, fraction: fraction, seed: recipe.deep.training.seed)
            validationSource = sources.train
        }
        var deepRecipe = recipe.deep
        deepRecipe.validationFraction = nil
        deep = try ClassifierTraining(train: trainRows, validation: validationRows, test: test, recipe: deepRecipe,
                                      sources: (sources.train, validationSource, sources.test))
        let K = deep.data.labels.count
        let features: NgramFeatures
        var start: (weight: [Float], bias: [Float])?
        switch recipe.wideStart {
        case .baseline:
            let fitted = try BagOfNgramsClassifier.train(on: trainRows, recipe: recipe.baseline, source: sources.train)
            precondition(fitted.labels == deep.data.labels)
            baseline = fitted
            features = fitted.features
            start = (fitted.weight, fitted.bias)
        case .zero:
            baseline = nil
            // idf as a saved file holds it (Float), so that trained and loaded models agree.
            let labelIndex = Dictionary(uniqueKeysWithValues: deep.data.labels.enumerated().map { ($1, $0) })
            features = NgramFeatures.fitted(trainRows.map { recipe.deep.tokenizer.tokens($0.text) }, maxN: recipe.maxN,
                                            minCount: recipe.ngramMinCount, weighting: recipe.ngramWeighting,
                                            labels: trainRows.map { labelIndex[$0.label]! }, classes: K,
                                            roundIDF: { Double(Float($0)) }).features
        }
        guard !features.ngrams.isEmpty else {
            throw DataFileError(.noUsableRows, path: sources.train, detail: "no n-gram is found in \(recipe.ngramMinCount) or more texts, so the wide part has nothing to learn from.")
        }
        let configuration = WideAndDeepConfiguration(deep: deep.configuration, ngramCount: features.ngrams.count, maxN: recipe.maxN)
        if let problem = configuration.problem { throw TrainingError.invalidRecipe(problem) }
        // The baseline's objective C·Σℓ + ½‖W‖², divided by C·N: the mean loss + ½λ‖W‖².
        let l2 = 1 / (recipe.inverseRegularization * Double(max(deep.data.train.count, 1)))
        // Each step shrinks a weight by (1 − ηλ): at ηλ ≥ 1 the penalty flips its sign, and past 2
        // the weights grow without bound until they are not numbers.
        if recipe.wideLearningRate * l2 >= 1 {
            throw TrainingError.invalidRecipe(String(
                format: "the wide part's learning rate times its L2 strength 1/(C·N) is %g for N = %d training texts; it must be below 1, "
                    + "or the n-gram weights diverge: lower the wide learning rate or raise C", recipe.wideLearningRate * l2,
                deep.data.train.count))
        }
        let head = WideHead(features: features, classes: K, learningRate: Float(recipe.wideLearningRate), l2: Float(l2))
        let model = deep.classifier.model
        if let start {
            let d = features.ngrams.count
            for j in 0..<d { for k in 0..<K { head.weight.value[j * K + k] = start.weight[k * d + j] } }
            for k in 0..<K { model.fc.bias.value[k] += start.bias[k] }
        }
        model.wide = head
        let (vocabulary, tokenizer) = (deep.data.vocabulary, deep.data.tokenizer)
        func attach(_ rows: [LabeledText]?, _ examples: [EncodedExample]?) -> [EncodedExample]? {
            guard let rows, let examples else { return examples }
            return WideAndDeepClassifier.attachNgrams(rows, to: examples, features: features, vocabulary: vocabulary,
                                                      tokenizer: tokenizer)
        }
        deep.data.train = attach(trainRows, deep.data.train)!
        deep.data.validation = attach(validationRows, deep.data.validation)
        deep.data.test = attach(test, deep.data.test)
        classifier = WideAndDeepClassifier(model: model, vocabulary: vocabulary, labels: deep.data.labels,
                                           tokenizer: tokenizer, recipe: recipe)
    }

    /// Trains until the recipe's epochs or early stopping; events as `ClassifierTraining.fit`'s.
    @discardableResult
    public func fit(event: (TrainingEvent) throws -> Void = { _ in }) throws -> TrainingSummary {
        try deep.fit(event: event)
    }
}
