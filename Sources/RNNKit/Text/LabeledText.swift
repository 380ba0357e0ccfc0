/// One text and its label, as read from a data file.
public struct LabeledText: Sendable, Equatable {
    public var text: String
    public var label: String
    /// 1-based line in the source file (0 for built-in data).
    public var line: Int

    public init(text: String, label: String, line: Int = 0) {
        self.text = text
        self.label = label
        self.line = line
    }
}
