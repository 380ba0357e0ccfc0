/// Why a text cannot be explained.
public enum ExplanationError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The text has no token at all.
    case emptyText
    /// A unit asked for is not one of the model's.
    case noSuchUnit(Int, count: Int)
    /// The model's numbers for the text are not finite (huge weights overflowed).
    case notANumber(text: String)

    public var description: String {
        switch self {
        case .emptyText: return "the text has no token to explain."
        case .noSuchUnit(let unit, let count):
            return "unit \(unit) does not exist: the model's top layer has units 0 to \(count - 1)."
        case .notANumber(let text):
            return "the model's numbers for \"\(text)\" are not numbers (its weights are so large that they overflow); train it again."
        }
    }
}
