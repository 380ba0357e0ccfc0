/// Words (or other tokens) and their ids, in id order.
public struct Vocabulary: Sendable, Equatable {
    public let tokens: [String]
    private let ids: [String: Int]

    /// The padding token `Vocabulary.build` puts first by default.
    public static let paddingToken = "<pad>"
    /// The token that stands for every word outside the vocabulary, when the vocabulary has it.
    public static let unknownToken = "<unk>"

    /// A vocabulary with the given tokens in id order; nil if a token repeats.
    public init?(tokens: [String]) {
        var ids = [String: Int](minimumCapacity: tokens.count)
        for (i, t) in tokens.enumerated() {
            guard ids.updateValue(i, forKey: t) == nil else { return nil }
        }
        self.tokens = tokens
        self.ids = ids
    }

    /// Every distinct token of `texts`, numbered in order of first appearance (the tutorial's order).
    public init<S: Sequence>(firstAppearanceIn texts: S) where S.Element == [String] {
        var tokens: [String] = []
        var ids: [String: Int] = [:]
        for text in texts {
            for t in text where ids[t] == nil {
                ids[t] = tokens.count
                tokens.append(t)
            }
        }
        self.tokens = tokens
        self.ids = ids
    }

    /// A vocabulary for real data: `specials` first (ids 0, 1, … in the order given; by default
    /// `<pad>` = 0 and `<unk>` = 1), then every token occurring at least `minCount` times, most
    /// frequent first. Ties keep the order of first appearance, so the same texts always give the
    /// same ids.
    ///
    /// - Parameters:
    ///   - tokenized: the training texts, already split into tokens.
    ///   - minCount: rarer tokens are left out (they encode as `<unk>` if it is among the specials);
    ///     values below 1 mean 1.
    ///   - maxSize: the most tokens to keep, specials included; the least frequent go first. The
    ///     specials are always kept, even when they alone exceed `maxSize`. `nil`: no limit.
    ///   - specials: reserved tokens; repeats are ignored. A text token equal to a special shares
    ///     its id rather than getting a second one.
    public static func build(from tokenized: [[String]], minCount: Int = 1, maxSize: Int? = nil,
                             specials: [String] = [Vocabulary.paddingToken, Vocabulary.unknownToken]) -> Vocabulary {
        var tokens: [String] = []
        var reserved = Set<String>()
        for s in specials where reserved.insert(s).inserted { tokens.append(s) }

        // One hash lookup per token: slots are numbered by first appearance, which is then the
        // tie-break; specials are filtered out after counting rather than looked up per token.
        var slot: [String: Int] = [:]
        var distinct: [String] = []
        var counts: [Int] = []
        for text in tokenized {
            for t in text {
                if let k = slot[t] {
                    counts[k] += 1
                } else {
                    slot[t] = counts.count
                    distinct.append(t)
                    counts.append(1)
                }
            }
        }
        let threshold = max(minCount, 1)
        let ranked = distinct.indices
            .filter { counts[$0] >= threshold && !reserved.contains(distinct[$0]) }
            .sorted { counts[$0] != counts[$1] ? counts[$0] > counts[$1] : $0 < $1 }
        let room = maxSize.map { max($0 - tokens.count, 0) } ?? ranked.count
        tokens.append(contentsOf: ranked.prefix(room).map { distinct[$0] })
        // Distinct by construction (specials deduplicated, text tokens exclude specials).
        var ids = [String: Int](minimumCapacity: tokens.count)
        for (i, t) in tokens.enumerated() { ids[t] = i }
        return Vocabulary(uncheckedTokens: tokens, ids: ids)
    }

    private init(uncheckedTokens tokens: [String], ids: [String: Int]) {
        self.tokens = tokens
        self.ids = ids
    }

    public var count: Int { tokens.count }

    /// The id of `token`, or nil if it is not in the vocabulary.
    public func id(of token: String) -> Int? { ids[token] }

    /// The id of `<unk>`, if the vocabulary has it; `encode` maps unknown tokens to it.
    public var unknownID: Int? { ids[Vocabulary.unknownToken] }
}

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
        /// One token per character (see `Tokenizer.characters`).
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
    public static func words(lowercase: Bool = true) -> Tokenizer {
        Tokenizer(kind: .words, lowercase: lowercase)
    }

    /// One token per character (grapheme cluster, so an accented letter or an emoji is one token).
    /// Every run of whitespace becomes a single `" "` token, because word boundaries matter to a
    /// character model but the kind of whitespace does not; leading and trailing whitespace is dropped.
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
        case .characters: return Self.characterTokens(text)
        }
    }

    private static func characterTokens(_ text: String) -> [String] {
        var tokens: [String] = []
        tokens.reserveCapacity(text.utf8.count)
        var pendingSpace = false
        for c in text {
            if c.isWhitespace {
                pendingSpace = !tokens.isEmpty
                continue
            }
            if pendingSpace { tokens.append(" "); pendingSpace = false }
            tokens.append(String(c))
        }
        return tokens
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

/// The `.words` tokenizer. One left-to-right pass with at most a few units of lookahead, so it is
/// linear in the text's length. The rules are written once over `SplitUnit`: ASCII text (most
/// data) is split byte by byte, which avoids grapheme breaking and is several times faster; other
/// text is split by `Character`, so an emoji or an accented letter is never cut apart.
enum WordSplitter {
    /// Endings split off a word after an apostrophe (Penn Treebank), besides `n't`.
    private static let clitics: Set<String> = ["s", "m", "d", "ll", "re", "ve"]

    static func split(_ text: String) -> [String] {
        if text.utf8.allSatisfy({ $0 < 0x80 }) {
            let bytes = Array(text.utf8)
            return split(bytes) { String(decoding: bytes[$0], as: UTF8.self) }
        }
        return split(characters: text)
    }

    /// The `Character` path for any text (also used by tests to check the ASCII path against it).
    static func split(characters text: String) -> [String] {
        let chars = Array(text)
        return split(chars) { String(chars[$0]) }
    }

    private static func split<U: SplitUnit>(_ units: [U], _ string: (Range<Int>) -> String) -> [String] {
        let n = units.count
        var tokens: [String] = []
        tokens.reserveCapacity(n / 4 + 1)
        var i = 0
        while i < n {
            let c = units[i]
            if c.isSpaceUnit {
                i += 1
            } else if c.isUnspacedUnit {
                tokens.append(string(i..<(i + 1)))
                i += 1
            } else if c.isWordUnit {
                if let end = abbreviationEnd(units, from: i) {
                    tokens.append(string(i..<end))
                    i = end
                    continue
                }
                var j = i + 1
                while j < n {
                    let d = units[j]
                    if d.isWordUnit { j += 1; continue }
                    // A joiner stays in the word only between two word characters.
                    if j + 1 < n, units[j + 1].isWordUnit {
                        if d.isApostropheUnit || d.isHyphenUnit { j += 1; continue }
                        if d.isPeriodUnit || d.isCommaUnit, units[j - 1].isNumberUnit, units[j + 1].isNumberUnit { j += 1; continue }
                    }
                    break
                }
                appendWord(string(i..<j), to: &tokens)
                i = j
            } else if c.isApostropheUnit, let end = standaloneCliticEnd(units, from: i, string) {
                // Pre-split text such as `it 's`: keep `'s` as the clitic it already is.
                tokens.append("'" + string((i + 1)..<end))
                i = end
            } else if c.isPunctuationUnit {
                var j = i + 1
                while j < n, units[j] == c { j += 1 }
                tokens.append(string(i..<j))
                i = j
            } else {
                tokens.append(string(i..<(i + 1)))
                i += 1
            }
        }
        return tokens
    }

    /// Adds a word, peeling contraction endings off the back (`shouldn't've` → `should` `n't` `'ve`).
    private static func appendWord(_ word: String, to tokens: inout [String]) {
        var word = word
        if word.utf8.contains(0xE2), word.contains("\u{2019}") {
            word = String(word.map { $0 == "\u{2019}" ? "'" : $0 })
        }
        guard word.utf8.contains(0x27) else { tokens.append(word); return }
        var endings: [String] = []
        while true {
            if word.count > 3, word.suffix(3).lowercased() == "n't" {
                endings.append(String(word.suffix(3)))
                word.removeLast(3)
            } else if let apostrophe = word.lastIndex(of: "'"), apostrophe > word.startIndex,
                      clitics.contains(word[word.index(after: apostrophe)...].lowercased()) {
                endings.append(String(word[apostrophe...]))
                word = String(word[..<apostrophe])
            } else {
                break
            }
        }
        tokens.append(word)
        tokens.append(contentsOf: endings.reversed())
    }

    /// The end of a `'s`-style clitic standing alone at `start` (an apostrophe followed by a
    /// clitic and then a non-word character), or nil.
    private static func standaloneCliticEnd<U: SplitUnit>(_ units: [U], from start: Int, _ string: (Range<Int>) -> String) -> Int? {
        var j = start + 1
        while j < units.count, j - start <= 3, units[j].isLetterUnit { j += 1 }
        guard j > start + 1, j == units.count || !(units[j].isWordUnit || units[j].isUnspacedUnit) else { return nil }
        return clitics.contains(string((start + 1)..<j).lowercased()) ? j : nil
    }

    /// The end of an abbreviation like `u.s.` or `e.g.` starting at `start` (single letters, each
    /// followed by a period, at least two of them, not followed by a word character), or nil.
    private static func abbreviationEnd<U: SplitUnit>(_ units: [U], from start: Int) -> Int? {
        var j = start
        var letters = 0
        while j + 1 < units.count, units[j].isLetterUnit, units[j + 1].isPeriodUnit {
            j += 2
            letters += 1
            if j < units.count, !units[j].isLetterUnit { break }
            if j + 1 < units.count, !units[j + 1].isPeriodUnit { break }
        }
        guard letters >= 2, j == units.count || !(units[j].isWordUnit || units[j].isUnspacedUnit) else { return nil }
        return j
    }
}

/// What `WordSplitter` needs to know about one unit of text.
protocol SplitUnit: Equatable {
    var isSpaceUnit: Bool { get }
    /// Written without spaces between words (Chinese, Japanese): a token on its own.
    var isUnspacedUnit: Bool { get }
    /// A letter (not an unspaced one).
    var isLetterUnit: Bool { get }
    /// A digit or other number (not an unspaced one).
    var isNumberUnit: Bool { get }
    var isApostropheUnit: Bool { get }
    var isPunctuationUnit: Bool { get }
    var isPeriodUnit: Bool { get }
    var isCommaUnit: Bool { get }
    var isHyphenUnit: Bool { get }
}

extension SplitUnit {
    var isWordUnit: Bool { isLetterUnit || isNumberUnit }
}

/// An ASCII byte, classified exactly as the same character is by the `Character` conformance.
extension UInt8: SplitUnit {
    var isSpaceUnit: Bool { self == 0x20 || (self >= 0x09 && self <= 0x0D) }
    var isUnspacedUnit: Bool { false }
    var isLetterUnit: Bool { (self | 0x20) >= 0x61 && (self | 0x20) <= 0x7A }
    var isNumberUnit: Bool { self >= 0x30 && self <= 0x39 }
    var isApostropheUnit: Bool { self == 0x27 }
    /// Unicode category P*: `!"#%&'()*,-./:;?@[\]_{}` (while `$+<=>^`|~` are symbols).
    var isPunctuationUnit: Bool {
        switch self {
        case 0x21...0x23, 0x25...0x2A, 0x2C...0x2F, 0x3A, 0x3B, 0x3F, 0x40, 0x5B...0x5D, 0x5F, 0x7B, 0x7D: return true
        default: return false
        }
    }
    var isPeriodUnit: Bool { self == 0x2E }
    var isCommaUnit: Bool { self == 0x2C }
    var isHyphenUnit: Bool { self == 0x2D }
}

extension Character: SplitUnit {
    var isSpaceUnit: Bool { isWhitespace }
    var isUnspacedUnit: Bool {
        guard asciiValue == nil, let s = unicodeScalars.first else { return false }
        switch s.value {
        case 0x3040...0x30FF, 0x31F0...0x31FF, 0xFF66...0xFF9F: return true  // kana
        default: return s.properties.isIdeographic
        }
    }
    var isLetterUnit: Bool {
        if let a = asciiValue { return a.isLetterUnit }
        return isLetter && !isUnspacedUnit
    }
    var isNumberUnit: Bool {
        if let a = asciiValue { return a.isNumberUnit }
        return isNumber && !isUnspacedUnit
    }
    var isApostropheUnit: Bool { self == "'" || self == "\u{2019}" }
    var isPunctuationUnit: Bool { isPunctuation }
    var isPeriodUnit: Bool { self == "." }
    var isCommaUnit: Bool { self == "," }
    var isHyphenUnit: Bool { self == "-" }
}

/// A text as word ids, with its class index.
public struct EncodedExample: Sendable, Equatable {
    public var tokens: [Int]
    public var label: Int

    public init(tokens: [Int], label: Int) {
        self.tokens = tokens
        self.label = label
    }
}

/// A text turned into ids. Tokens outside the vocabulary are listed in `unknown`; they are
/// encoded as `<unk>` when the vocabulary has it and skipped otherwise.
public struct Encoding: Sendable, Equatable {
    public var ids: [Int]
    public var unknown: [String]
}

extension Vocabulary {
    /// Splits `text` with `tokenizer` and encodes the tokens (see `encode(tokens:)`).
    public func encode(_ text: String, tokenizer: Tokenizer) -> Encoding {
        encode(tokens: tokenizer.tokens(text))
    }

    /// Encodes tokens as ids. A token outside the vocabulary becomes `<unk>` if the vocabulary
    /// has it (as `Vocabulary.build` gives by default) and is skipped if not (as in the
    /// tutorial's vocabulary, built with `init(firstAppearanceIn:)`); either way it is listed in
    /// `unknown`.
    public func encode(tokens: [String]) -> Encoding {
        let unk = unknownID
        var ids: [Int] = [], unknown: [String] = []
        ids.reserveCapacity(tokens.count)
        for t in tokens {
            if let id = id(of: t) {
                ids.append(id)
            } else {
                unknown.append(t)
                if let unk { ids.append(unk) }
            }
        }
        return Encoding(ids: ids, unknown: unknown)
    }
}
