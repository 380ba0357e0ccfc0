import Foundation

extension TextLanguageModel {
    /// How many units ``explain(_:units:)`` follows when none are asked for.
    public static let explainedUnitCount = 3

    /// Explains how the model reads `text`: each token's probability and surprisal given the
    /// tokens before it, and the activation of hidden units of the top layer over the text —
    /// `units`, or the ones whose activation follows a simple feature of the text most closely
    /// (inside quotes, inside parentheses, position in line), or varies most when none applies.
    ///
    ///     let e = try lm.explain("\"Hello,\" she said.", units: [12])
    ///     print(e.meanSurprisal ?? 0, "bits per character")
    ///
    /// - Throws: `ExplanationError` for a text without tokens, a unit the model lacks, or numbers
    ///   that are not finite.
    public func explain(_ text: String, units requested: [Int]? = nil) throws -> LanguageModelExplanation {
        let H = model.configuration.hiddenSize
        if let bad = requested?.first(where: { !(0..<H).contains($0) }) { throw ExplanationError.noSuchUnit(bad, count: H) }
        let pieces = level.tokens(text, tokenizer: tokenizer)
        guard !pieces.isEmpty else { throw ExplanationError.emptyText }
        let encoding = vocabulary.encode(tokens: pieces)  // every token has an id: the vocabulary has <unk>
        let ids = encoding.ids, V = model.vocabularySize
        model.forward(PackedBatch([ids]), targets: nil, h0: nil, c0: nil, training: false)
        let p = model.lastProbabilities
        var tokens: [LanguageModelExplanation.Token] = []
        var bits: Double = 0
        for (t, piece) in pieces.enumerated() {
            let known = vocabulary.id(of: piece) != nil
            guard t > 0 else {
                tokens.append(.init(text: piece, known: known, probability: nil, surprisal: nil))
                continue
            }
            // B = 1: row t − 1 holds the prediction made after token t − 1, of token t.
            let probability = p[(t - 1) * V + ids[t]]
            let surprisal = Float(-log2(Double(max(probability, .leastNonzeroMagnitude))))
            bits += Double(surprisal)
            tokens.append(.init(text: piece, known: known, probability: probability, surprisal: surprisal))
        }
        let activations = HiddenUnits.activations(of: model.rnn, steps: ids.count)
        let variances = activations.map(HiddenUnits.variance)
        let features = TextFeatures.values(pieces, characterLevel: level == .char)
        // Each unit's best feature: the largest |correlation|, the first feature on a tie.
        let best: [(name: String, r: Float)?] = activations.map { a in
            features.map { (name: $0.name, r: TextFeatures.correlation(a, $0.values)) }
                .reduce(nil) { best, next in best.map { abs(next.r) > abs($0.r) ? next : $0 } ?? next }
        }
        let chosen = requested ?? HiddenUnits.top(features.isEmpty ? variances : best.map { abs($0?.r ?? 0) },
                                                  count: Self.explainedUnitCount)
        let units = chosen.map {
            LanguageModelExplanation.Unit(index: $0, variance: variances[$0], feature: best[$0]?.name,
                                          correlation: best[$0]?.r, activations: activations[$0])
        }
        let numbers = tokens.compactMap(\.probability) + units.flatMap { $0.activations + [$0.variance, $0.correlation ?? 0] }
        guard numbers.allSatisfy(\.isFinite), bits.isFinite else { throw ExplanationError.notANumber(text: text) }
        return LanguageModelExplanation(text: text, level: level, tokens: tokens,
                                        meanSurprisal: ids.count > 1 ? Float(bits / Double(ids.count - 1)) : nil,
                                        units: units)
    }
}
