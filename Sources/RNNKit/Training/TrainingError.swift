/// Why a trainer cannot train: invalid options, or data it cannot train on. Thrown before any
/// training step. The messages name settings in words; a command line adds its flag names.
public enum TrainingError: Error, CustomStringConvertible, Equatable, Sendable {
    /// `TrainingOptions.problem` or `LanguageModelTrainingOptions.problem`.
    case invalidOptions(String)
    /// `ClassifierRecipe.problem` or `LanguageModelRecipe.problem`: names the recipe's field.
    case invalidRecipe(String)
    /// No training examples (classifier).
    case noTrainingExamples
    /// Fewer than B·T + 1 training tokens: not one full batch (language model).
    case trainingTextTooShort(tokens: Int, needed: Int, batchSize: Int, sequenceLength: Int)
    /// A validation part of a single token has no target to score (language model).
    case validationTextTooShort(tokens: Int)
    /// A token id outside the model's vocabulary.
    case tokenOutOfRange(id: Int, vocabularySize: Int)
    /// A language model that cannot start this classifier (`ClassifierRecipe.languageModelConflict`).
    case unusableLanguageModel(String)

    public var description: String {
        switch self {
        case let .invalidOptions(problem):
            return "invalid training options: \(problem)."
        case let .invalidRecipe(problem):
            return "the recipe cannot train a model: \(problem)."
        case .noTrainingExamples:
            return "there are no training examples."
        case .trainingTextTooShort(0, _, _, _):
            return "the training text is empty: it holds no words or characters once split into tokens "
                + "(only blank lines?). Give a text to learn from."
        case let .trainingTextTooShort(tokens, needed, b, t):
            return "the training text has \(tokens) token\(tokens == 1 ? "" : "s"), but one batch of \(b) streams × "
                + "\(t) steps needs at least \(needed) (B·T + 1). Use a smaller batch size or sequence length, "
                + "or more text."
        case let .validationTextTooShort(tokens):
            return "the validation part has only \(tokens) token\(tokens == 1 ? "" : "s"); it needs at least 2. "
                + "Use more text, a larger validation fraction, or none."
        case let .tokenOutOfRange(id, v):
            return "token id \(id) is outside the model's vocabulary of \(v)."
        case let .unusableLanguageModel(problem):
            return "the language model cannot start this classifier: \(problem)."
        }
    }
}
