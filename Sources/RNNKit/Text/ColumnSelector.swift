import Foundation

/// Which column holds the text or the label: a header name (a key, for JSONL) or a 1-based column number.
///
/// Written as a literal, a string is a name and an integer a number (`text: "review", label: 2`).
/// Codable as a JSON string (a name) or a JSON integer (a number).
public enum ColumnSelector: Codable, Sendable, Equatable, CustomStringConvertible,
                            ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    case name(String)
    /// 1-based, as people count columns (and as `cut -f` does).
    case index(Int)

    /// Parses user input (a command-line argument, a form field): an integer (`3`, `-1`) is a
    /// column number, anything else a name. Surrounding whitespace is ignored, as it is in header
    /// names. (Labelled because `ColumnSelector("3")` is a string literal, hence a name.)
    public init(parsing argument: String) {
        let trimmed = argument.trimmingCharacters(in: .whitespaces)
        if let number = Int(trimmed) {
            self = .index(number)
        } else if !trimmed.isEmpty, trimmed.allSatisfy({ $0.isASCII && $0.isNumber }) {
            self = .index(Int.max)  // too many digits for Int: still a number, and out of range
        } else {
            self = .name(trimmed)
        }
    }

    /// A string literal is a name, taken as written: `"text"`.
    public init(stringLiteral name: String) {
        self = .name(name)
    }

    /// An integer literal is a 1-based column number: `3`.
    public init(integerLiteral number: Int) {
        self = .index(number)
    }

    public var description: String {
        switch self {
        case .name(let name): return name
        case .index(let index): return String(index)
        }
    }

    public init(from decoder: Decoder) throws {
        let single = try decoder.singleValueContainer()
        if let number = try? single.decode(Int.self) {
            self = .index(number)
        } else {
            self = .name(try single.decode(String.self))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var single = encoder.singleValueContainer()
        switch self {
        case .name(let name): try single.encode(name)
        case .index(let index): try single.encode(index)
        }
    }
}
