/// What a language model's tokens are.
///
/// - `char`: one token per character, i.e. per Unicode scalar (code point; see
///   `CharacterSplitter`), every character kept as written — newlines, tabs and runs of spaces
///   included, because a character model has to learn to produce them. Scalars rather than
///   grapheme clusters so the vocabulary matches Python's `sorted(set(text))` and stays small on
///   text with stacked combining marks.
/// - `word`: the `.words` tokenizer with case kept (`Tokenizer.words(lowercase: false)`):
///   words, numbers and punctuation marks; whitespace is dropped and generation joins tokens
///   with single spaces.
public enum TokenLevel: String, Codable, Sendable, CaseIterable {
    case char
    case word

    /// The tokenizer of `.word`; nil for `.char`, which splits into scalars itself.
    public var tokenizer: Tokenizer? { self == .word ? .words(lowercase: false) : nil }

    /// "chars" or "words", for rates and counts shown to people.
    public var unitName: String { self == .char ? "chars" : "words" }

    /// Splits text into tokens at this level.
    public func tokens(_ text: String, tokenizer: Tokenizer? = nil) -> [String] {
        switch self {
        case .char: return CharacterSplitter.split(text, collapsingWhitespace: false)
        case .word: return (tokenizer ?? self.tokenizer!).tokens(text)
        }
    }

    /// Joins generated tokens back into text: concatenated characters, or words with spaces.
    public var separator: String { self == .char ? "" : " " }
}
