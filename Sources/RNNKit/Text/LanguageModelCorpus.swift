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
    public init(text: String, level: TokenLevel, validationFraction: Double, minCount: Int = 1,
                tokenizer: Tokenizer? = nil) {
        self.init(tokens: level.tokens(text, tokenizer: tokenizer), level: level, validationFraction: validationFraction,
                  minCount: minCount, specials: [Vocabulary.unknownToken])
    }

    /// The token that ends every segment of a corpus made of separate texts.
    public static let endOfText = "<eos>"

    /// A corpus of separate texts (the sentences of a labelled file, say) as one stream: each
    /// text's tokens followed by `<eos>`, so the model learns where a text ends and a state
    /// carried across the boundary sees it (ULMFiT's arrangement). The vocabulary is `<unk>`,
    /// `<eos>`, then the training tokens as above; the end of the stream is held out.
    public init<S: Sequence>(segments: S, level: TokenLevel, validationFraction: Double, minCount: Int = 1,
                             tokenizer: Tokenizer? = nil) where S.Element == String {
        var tokens: [String] = []
        for text in segments {
            tokens.append(contentsOf: level.tokens(text, tokenizer: tokenizer))
            tokens.append(Self.endOfText)
        }
        self.init(tokens: tokens, level: level, validationFraction: validationFraction, minCount: minCount,
                  specials: [Vocabulary.unknownToken, Self.endOfText])
    }

    private init(tokens: [String], level: TokenLevel, validationFraction: Double, minCount: Int, specials: [String]) {
        precondition((0..<1).contains(validationFraction), "validationFraction must be in [0, 1)")
        self.level = level
        let validationCount = Int((Double(tokens.count) * validationFraction).rounded())
        let trainTokens = tokens[..<(tokens.count - validationCount)]
        vocabulary = Vocabulary.build(from: [Array(trainTokens)], minCount: minCount, specials: specials)
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
