/// A text turned into ids. Tokens outside the vocabulary are listed in `unknown`; they are
/// encoded as `<unk>` when the vocabulary has it and skipped otherwise.
public struct Encoding: Sendable, Equatable {
    public var ids: [Int]
    public var unknown: [String]
}

