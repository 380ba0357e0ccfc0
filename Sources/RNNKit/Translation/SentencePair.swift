/// One sentence and its translation, as read from a parallel corpus.
package struct SentencePair: Sendable, Equatable, Hashable {
    /// The sentence in the source language, trimmed of surrounding whitespace; never empty.
    package var source: String
    /// Its translation in the target language, trimmed likewise; never empty.
    package var target: String
    /// The 1-based line the pair came from: the same line of both files, or the row of a TSV file.
    package var line: Int

    package init(source: String, target: String, line: Int) {
        self.source = source
        self.target = target
        self.line = line
    }
}
