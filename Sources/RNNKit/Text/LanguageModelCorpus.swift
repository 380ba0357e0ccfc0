/// A text split into a training part (the start) and a validation part (the end), both as
/// token ids over a vocabulary built from the training part alone.
///
/// The vocabulary is `<unk>` (id 0) followed by the training tokens occurring at least
/// `minCount` times, most frequent first (ties in order of first appearance). Validation tokens
/// the training part never had, and rare training tokens, become `<unk>`.
public struct LanguageModelCorpus: Sendable {
    public var level: TokenLevel
    public var vocabulary: Vocabulary
    public var train: [Int]
    public var validation: [Int]
    /// How many tokens of each part became `<unk>`.
    public var unknownTrainTokens: Int
    public var unknownValidationTokens: Int

    /// - Parameters:
    ///   - text: the whole text; its end is held out for validation.
    ///   - level: characters (Unicode scalars) or words.
    ///   - validationFraction: the share of tokens (from the end) held out, in [0, 1).
    ///   - minCount: rarer tokens are left out of the vocabulary (word level, mostly).
    public init(text: String, level: TokenLevel, validationFraction: Double, minCount: Int = 1) {
        precondition((0..<1).contains(validationFraction), "validationFraction must be in [0, 1)")
        self.level = level
        let tokens = level.tokens(text)
        let validationCount = Int((Double(tokens.count) * validationFraction).rounded())
        let trainTokens = tokens[..<(tokens.count - validationCount)]
        vocabulary = Vocabulary.build(from: [Array(trainTokens)], minCount: minCount,
                                      specials: [Vocabulary.unknownToken])
        let unk = vocabulary.unknownID!
        var unknownTrain = 0, unknownValidation = 0
        var ids = [Int](repeating: unk, count: tokens.count)
        for (k, t) in tokens.enumerated() {
            if let id = vocabulary.id(of: t) {
                ids[k] = id
            } else if k < trainTokens.count {
                unknownTrain += 1
            } else {
                unknownValidation += 1
            }
        }
        train = Array(ids[..<trainTokens.count])
        validation = Array(ids[trainTokens.count...])
        unknownTrainTokens = unknownTrain
        unknownValidationTokens = unknownValidation
    }
}
