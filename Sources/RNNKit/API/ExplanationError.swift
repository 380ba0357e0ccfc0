/// Why a text cannot be explained.
public enum ExplanationError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The text has no token at all.
    case emptyText
    /// A unit asked for is not one of the model's.
    case noSuchUnit(Int, count: Int)
    /// The model's numbers for the text are not finite (huge weights overflowed).
    case notANumber(text: String)
    /// A classifier's text has more tokens than the limit asked for: its explanation runs the
    /// model once per token over the text, so the work grows with the square of its length.
    case tooManyTokens(Int, limit: Int)

    public var description: String {
        switch self {
        case .emptyText: return "the text has no token to explain."
        case .noSuchUnit(let unit, let count):
            return "unit \(unit) does not exist: the model's top layer has units 0 to \(count - 1)."
        case .notANumber(let text):
            return "the model's numbers for \"\(text)\" are not numbers (its weights are so large that they overflow); train it again."
        case .tooManyTokens(let count, let limit):
            return "the text has \(count) tokens, more than the \(limit) an explanation reads: it runs the model once per token over the whole text, so the work grows with the square of its length."
        }
    }
}
