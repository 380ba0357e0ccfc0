/// A text as word ids, with its class index.
public struct EncodedExample: Sendable, Equatable {
    public var tokens: [Int]
    public var label: Int

    public init(tokens: [Int], label: Int) {
        self.tokens = tokens
        self.label = label
    }
}
