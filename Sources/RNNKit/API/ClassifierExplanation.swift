/// How a classifier read one text, token by token: what it predicted after each token, how much
/// each token mattered, and the hidden units that moved most. From ``TextClassifier/explain(_:units:maxTokens:)``.
///
/// All numbers are finite (an explanation with non-finite numbers is never made).
public struct ClassifierExplanation: Codable, Sendable, Equatable {
    /// One token as the model saw it.
    public struct Token: Codable, Sendable, Equatable {
        /// The token after the model's tokenizer (lowercased, say), not the raw text.
        public var text: String
        /// False for a word outside the vocabulary, which the model read as `<unk>`.
        public var known: Bool
        /// The running prediction: class probabilities (in `labels` order) from the state after
        /// this token, pooled over the tokens so far as the model pools (its last state, or the max
        /// or mean over the steps so far). At the last token these are the text's probabilities.
        public var probabilities: [Float]
        /// Importance by occlusion: the predicted class's probability for the whole text minus
        /// its probability for the text without this token. Positive: the token pushed towards the
        /// prediction. Nil when no known word would be left.
        public var occlusion: Float?
        /// Importance by gradient × input: Σ (∂ logit of the predicted class / ∂ input) · input
        /// over this token's input vector (its embedding, or its one-hot vector). Positive: the
        /// token pushed towards the prediction, to first order.
        public var gradientTimesInput: Float
    }

    /// One hidden unit of the top layer, followed over the text.
    public struct Unit: Codable, Sendable, Equatable {
        /// Index into the top layer's features (forward direction first, then reverse).
        public var index: Int
        /// How much it moved: Σ_t |h_t − h_{t−1}| with h_0 = 0 (in reading order, per direction).
        public var change: Float
        /// Its activation after each token.
        public var activations: [Float]
    }

    /// The text as given.
    public var text: String
    /// The model's labels, in probability order.
    public var labels: [String]
    /// The predicted label: what ``TextClassifier/predict(_:)`` gives.
    public var label: String
    /// The text's class probabilities, exactly ``TextClassifier/predict(_:)``'s.
    public var probabilities: [Float]
    /// The tokens the model read, in order.
    public var tokens: [Token]
    /// Words outside a vocabulary without `<unk>`: the model skipped them, so they have no token.
    public var skippedWords: [String]
    /// The units asked for, or the few that changed most over the text, largest change first.
    public var units: [Unit]
}
