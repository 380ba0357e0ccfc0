/// A text file that cannot be used for training a language model: which file, what is wrong
/// and what to do, as one line (`path: detail`).
public struct TextFileError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// Missing, a directory or device, not readable, or too large.
        case unreadable
        /// Not valid UTF-8 (`byteOffset` says where).
        case invalidUTF8
        /// No text at all.
        case empty
    }

    public var kind: Kind
    public var path: String
    /// What is wrong and what to do about it.
    public var detail: String
    /// Byte offset of the first invalid UTF-8 sequence, when that is the problem.
    public var byteOffset: Int?

    public init(_ kind: Kind, path: String, detail: String, byteOffset: Int? = nil) {
        self.kind = kind
        self.path = path
        self.detail = detail
        self.byteOffset = byteOffset
    }

    public var description: String { "\(path): \(detail)" }
}
