import ArgumentParser

/// The longest text a command reads: shared by `predict`, `evaluate`, `explain`, `translate` and `serve`.
struct TextLimitOptions: ParsableArguments {
    @Option(help: "The longest text to read, in bytes; a longer one is an error.")
    var maxTextBytes = TextLimitOptions.defaultMaxTextBytes

    /// Classifying keeps the network's activations for every token: a text of this many bytes
    /// takes some 50 MB with the tutorial's model, and a 50 MB one 10 GB. A longer text is more
    /// likely a wrong file than a text.
    static let defaultMaxTextBytes = 100_000

    func validate() throws {
        if maxTextBytes < 1 { throw ValidationError("--max-text-bytes must be at least 1 (got \(maxTextBytes)).") }
    }

    /// "--max-text-bytes" when it was given a value other than the default (for refusing it where it does not apply).
    var givenFlag: String? { maxTextBytes == Self.defaultMaxTextBytes ? nil : "--max-text-bytes" }

    /// Why `text` (described by `what`) is refused, or nil.
    func problem(_ text: String, _ what: @autoclosure () -> String) -> String? {
        guard text.utf8.count > maxTextBytes else { return nil }
        return tooLong(what())
    }

    func tooLong(_ what: String) -> String {
        "\(what) is longer than \(maxTextBytes) bytes, the limit; give --max-text-bytes to raise it."
    }
}
