/// A text file that cannot be used (a language model's training text, one side of a parallel
/// corpus): which file, which line when the problem is on one, what is wrong and what to do, as
/// one line (`path: detail` or `path:line: detail`).
public struct TextFileError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// Missing, a directory or device, not readable, or too large.
        case unreadable
        /// Not valid UTF-8 (`byteOffset` says where).
        case invalidUTF8
        /// No text at all.
        case empty
        /// Binary, compressed, UTF-16, or with old Mac line ends: not UTF-8 text at all.
        case notText
        /// A line that must hold a sentence is empty or only whitespace.
        case emptyLine
        /// A line (a sentence) longer than the limit.
        case lineTooLong
        /// Two files that must be line-aligned have different numbers of lines.
        case misaligned
        /// A line of a table that does not split into the header's number of fields.
        case malformedLine
        /// A selected column that is not in the file, or two selections of the same column.
        case unknownColumn
    }

    public var kind: Kind
    public var path: String
    /// 1-based line number, when the problem is on one line.
    public var line: Int?
    /// What is wrong and what to do about it.
    public var detail: String
    /// Byte offset of the first invalid UTF-8 sequence, when that is the problem.
    public var byteOffset: Int?

    public init(_ kind: Kind, path: String, line: Int? = nil, detail: String, byteOffset: Int? = nil) {
        self.kind = kind
        self.path = path
        self.line = line
        self.detail = detail
        self.byteOffset = byteOffset
    }

    /// `path:line`, or `path` when the problem is not on one line.
    public var location: String {
        line.map { "\(path):\($0)" } ?? path
    }

    public var description: String { "\(location): \(detail)" }
}
