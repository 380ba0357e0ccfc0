extension TextClassifier {
    /// How many units ``explain(_:units:maxTokens:)`` follows when none are asked for.
    public static let explainedUnitCount = 3
    /// The longest text ``explain(_:units:maxTokens:)`` reads by default, in tokens.
    public static let defaultMaxExplainedTokens = 1000

    /// Explains how the classifier reads `text`: per token, the running prediction, importance by
    /// occlusion and by gradient × input, and the hidden units that change most (or `units`).
    ///
    ///     let e = try model.explain("this is not good at all")
    ///     for token in e.tokens { print(token.text, token.probabilities, token.occlusion ?? 0) }
    ///
    /// The running prediction and occlusion each run the model once per token over up to the
    /// whole text, so the work grows with the square of the text's length: a text of more than
    /// `maxTokens` tokens is refused (2,000 words take some 10 s with a 128-unit RNN).
    /// - Throws: `PredictionError` as ``predict(_:)`` does; `ExplanationError.noSuchUnit` for a
    ///   unit the top layer lacks, `.tooManyTokens` over `maxTokens`, `.notANumber` when a number
    ///   of the explanation is not finite.
    public func explain(_ text: String, units requested: [Int]? = nil,
                        maxTokens: Int = TextClassifier.defaultMaxExplainedTokens) throws -> ClassifierExplanation {
        let prediction = try predict(text)
        let width = model.rnn.outputSize
        if let bad = requested?.first(where: { !(0..<width).contains($0) }) {
            throw ExplanationError.noSuchUnit(bad, count: width)
        }
        // The tokens as `Vocabulary.encode(tokens:)` reads them: known, `<unk>`, or skipped.
        var tokens: [(text: String, known: Bool)] = [], ids: [Int] = [], skipped: [String] = []
        for word in tokenizer.tokens(text) {
            if let id = vocabulary.id(of: word) {
                tokens.append((word, true))
                ids.append(id)
            } else if let unk = vocabulary.unknownID {
                tokens.append((word, false))
                ids.append(unk)
            } else {
                skipped.append(word)
            }
        }
        guard ids.count <= maxTokens else { throw ExplanationError.tooManyTokens(ids.count, limit: maxTokens) }
        let predicted = labels.firstIndex(of: prediction.label)!
        let full = model.probabilities(ids)
        let activations = HiddenUnits.activations(of: model.rnn, steps: ids.count)
        let H = model.rnn.hiddenSize
        let changes = activations.enumerated().map { HiddenUnits.totalChange($0.element, reverse: $0.offset >= H) }
        let chosen = requested ?? HiddenUnits.top(changes, count: Self.explainedUnitCount)
        let units = chosen.map { ClassifierExplanation.Unit(index: $0, change: changes[$0], activations: activations[$0]) }

        let gradient = model.gradientTimesInput(ids, logit: predicted)
        let unknownID = vocabulary.unknownID
        var explained: [ClassifierExplanation.Token] = []
        for (t, token) in tokens.enumerated() {
            let running = model.probabilities(Array(ids[...t]))
            let rest = Array(ids[..<t] + ids[(t + 1)...])
            // As `predict` refuses a text of unknown words alone, so does occlusion.
            let occlusion = rest.contains { $0 != unknownID } ? full[predicted] - model.probabilities(rest)[predicted] : nil
            explained.append(.init(text: token.text, known: token.known, probabilities: running, occlusion: occlusion,
                                   gradientTimesInput: gradient[t]))
        }
        let tokenNumbers: [Float] = explained.flatMap { $0.probabilities + [$0.occlusion ?? 0, $0.gradientTimesInput] }
        let numbers: [Float] = tokenNumbers + units.flatMap { $0.activations + [$0.change] }
        guard numbers.allSatisfy(\.isFinite) else { throw ExplanationError.notANumber(text: text) }
        return ClassifierExplanation(text: text, labels: labels, label: prediction.label,
                                     probabilities: prediction.probabilities, tokens: explained, skippedWords: skipped,
                                     units: units)
    }
}
