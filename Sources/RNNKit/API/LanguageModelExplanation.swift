/// How a language model read one text: each token's probability given what precedes it, and
/// hidden units followed over the text (the view of Karpathy's "Visualizing and Understanding
/// Recurrent Networks"). From ``TextLanguageModel/explain(_:units:)``.
///
/// All numbers are finite (an explanation with non-finite numbers is never made).
public struct LanguageModelExplanation: Codable, Sendable, Equatable {
    /// One token (a character at the character level) of the text.
    public struct Token: Codable, Sendable, Equatable {
        public var text: String
        /// False for a token outside the vocabulary, which the model read as `<unk>`.
        public var known: Bool
        /// The model's probability of this token given the tokens before it. Nil for the first
        /// token, which nothing precedes (the model starts from a zero state with no start token).
        public var probability: Float?
        /// −log₂ `probability`, in bits. A probability that underflowed to 0 counts as the
        /// smallest positive Float (149 bits), so that it stays a number.
        public var surprisal: Float?
    }

    /// One hidden unit of the top layer, followed over the text.
    public struct Unit: Codable, Sendable, Equatable {
        public var index: Int
        /// The variance of its activation over the text.
        public var variance: Float
        /// The feature of the text its activation follows best: `inside quotes`, `inside
        /// parentheses` or `position in line` (character level); nil when none varies over the text.
        public var feature: String?
        /// Pearson's correlation of its activation with `feature`, −1…1.
        public var correlation: Float?
        /// Its activation after each token.
        public var activations: [Float]
    }

    /// The text as given.
    public var text: String
    /// `char` or `word`.
    public var level: TokenLevel
    public var tokens: [Token]
    /// The mean surprisal over the tokens that have one, in bits per token; nil for one token.
    public var meanSurprisal: Float?
    /// The units asked for, or else the few whose activation follows a feature of the text most
    /// closely (largest |correlation|), most first; without a feature that varies over the text,
    /// those whose activation varies most.
    public var units: [Unit]
}
