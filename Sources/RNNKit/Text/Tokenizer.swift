/// How text becomes tokens; saved in the model so prediction splits text as training did.
///
/// In a model file a tokenizer is stored as its kind's name (`"spaces"`, `"words"`,
/// `"characters"`) when it uses that kind's default case handling, and as
/// `{"kind": …, "lowercase": …}` otherwise, so files written before tokenizers had options
/// (`"tokenizer": "spaces"`) still load and are written the same way.
public struct Tokenizer: Codable, Sendable, Equatable, Hashable, CustomStringConvertible {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// Split on single spaces, as the tutorial does (`text.split(' ')`); empty pieces are dropped.
        case spaces
        /// Words, numbers and punctuation marks as separate tokens (see `Tokenizer.words`).
        case words
        /// One token per character, i.e. per Unicode scalar (see `Tokenizer.characters`).
        case characters

        /// Whether this kind lowercases unless told otherwise.
        public var lowercasesByDefault: Bool { self == .words }
    }

    public var kind: Kind
    /// Lowercase the text before splitting it, so `Good` and `good` are one token.
    public var lowercase: Bool

    public init(kind: Kind, lowercase: Bool) {
        self.kind = kind
        self.lowercase = lowercase
    }

    /// The tutorial's tokenizer: split on spaces, case kept.
    public static let spaces = Tokenizer(kind: .spaces, lowercase: false)

    /// Words for real-world text. Splits on whitespace and separates punctuation, so `good.`,
    /// `good,` and `good` all give the word `good`; a run of one punctuation mark (`...`, `!!`)
    /// is one token, and every other symbol or emoji is a token of its own.
    ///
    /// - Contractions follow the Penn Treebank convention, so negation and possessives become
    ///   their own tokens shared across words: `don't` → `do` `n't`, `can't` → `ca` `n't`,
    ///   `it's` → `it` `'s`, `movie's` → `movie` `'s`, `I'm` → `i` `'m`, `they're` → `they` `'re`
    ///   (also `'ve`, `'ll`, `'d`). Text that is already split this way (`does n't`, `it 's`) gives
    ///   the same tokens. Other apostrophes inside a word (`o'clock`) keep the word whole, and the
    ///   typographic apostrophe `’` counts as `'`.
    /// - Hyphenated words stay whole (`well-made`); numbers keep their decimal point and
    ///   thousands separators (`3.5`, `1,000`); dotted abbreviations of single letters stay whole
    ///   (`u.s.`, `e.g.`).
    /// - Chinese and Japanese characters (which are written without spaces) are one token each.
    /// - Tokens never end inside a grapheme cluster: `👍🏽` or `e` plus a combining accent stays
    ///   whole. That is a rule about where words end; a character, where RNNKit counts them
    ///   (`Tokenizer.characters`, `TokenLevel.char`), is a Unicode scalar.
    public static func words(lowercase: Bool = true) -> Tokenizer {
        Tokenizer(kind: .words, lowercase: lowercase)
    }

    /// One token per character, that is per Unicode scalar (see `CharacterSplitter`: `é` as one
    /// code point is one token, `e` plus a combining accent two, `👍🏽` two). Every run of
    /// whitespace becomes a single `" "` token, because word boundaries matter to a character
    /// model but the kind of whitespace does not; leading and trailing whitespace is dropped.
    ///
    /// Models saved while this split grapheme clusters store the same `"characters"` and load
    /// unchanged; they differ only on texts where a cluster has several scalars.
    public static func characters(lowercase: Bool = false) -> Tokenizer {
        Tokenizer(kind: .characters, lowercase: lowercase)
    }

    public var description: String {
        lowercase == kind.lowercasesByDefault ? kind.rawValue : "\(kind.rawValue) (lowercase: \(lowercase))"
    }

    /// `text` as tokens, lowercased first if `lowercase` is set. Never returns an empty token.
    public func tokens(_ text: String) -> [String] {
        let text = lowercase ? text.lowercased() : text
        switch kind {
        case .spaces: return text.split(separator: " ").map(String.init)
        case .words: return WordSplitter.split(text)
        case .characters: return CharacterSplitter.split(text, collapsingWhitespace: true)
        }
    }

    // MARK: Codable

    private enum CodingKeys: String, CodingKey { case kind, lowercase }

    public init(from decoder: Decoder) throws {
        if let single = try? decoder.singleValueContainer(), let name = try? single.decode(String.self) {
            guard let kind = Kind(rawValue: name) else {
                throw DecodingError.dataCorruptedError(
                    in: single, debugDescription: "unknown tokenizer `\(name)` (known: \(Kind.allCases.map(\.rawValue).joined(separator: ", "))).")
            }
            self.init(kind: kind, lowercase: kind.lowercasesByDefault)
            return
        }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try c.decode(Kind.self, forKey: .kind)
        self.init(kind: kind, lowercase: try c.decodeIfPresent(Bool.self, forKey: .lowercase) ?? kind.lowercasesByDefault)
    }

    public func encode(to encoder: Encoder) throws {
        if lowercase == kind.lowercasesByDefault {
            var single = encoder.singleValueContainer()
            try single.encode(kind.rawValue)
        } else {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(kind, forKey: .kind)
            try c.encode(lowercase, forKey: .lowercase)
        }
    }
}
