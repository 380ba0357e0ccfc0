/// A text as word ids, with its class index.
public struct EncodedExample: Sendable, Equatable {
    public var tokens: [Int]
    public var label: Int
    /// The text's n-gram vector, for a classifier with a wide part (`WideHead`); nil otherwise.
    package var ngrams: SparseRow?

    public init(tokens: [Int], label: Int) {
        self.tokens = tokens
        self.label = label
    }
}
