import Foundation

/// What a language model's tokens are.
///
/// - `char`: one token per Unicode scalar (code point), every character kept as written —
///   newlines, tabs and runs of spaces included, because a character model has to learn to
///   produce them. Code points rather than grapheme clusters so the vocabulary matches Python's
///   `sorted(set(text))` and stays small on text with stacked combining marks.
/// - `word`: the `.words` tokenizer with case kept (`Tokenizer.words(lowercase: false)`):
///   words, numbers and punctuation marks; whitespace is dropped and generation joins tokens
///   with single spaces.
public enum TokenLevel: String, Codable, Sendable, CaseIterable {
    case char
    case word

    /// The tokenizer of `.word`; nil for `.char`, which splits into code points itself.
    public var tokenizer: Tokenizer? { self == .word ? .words(lowercase: false) : nil }

    /// "chars" or "words", for rates and counts shown to people.
    public var unitName: String { self == .char ? "chars" : "words" }

    /// Splits text into tokens at this level.
    public func tokens(_ text: String, tokenizer: Tokenizer? = nil) -> [String] {
        switch self {
        case .char: return text.unicodeScalars.map { String($0) }
        case .word: return (tokenizer ?? self.tokenizer!).tokens(text)
        }
    }

    /// Joins generated tokens back into text: concatenated characters, or words with spaces.
    public var separator: String { self == .char ? "" : " " }
}

/// A text file that cannot be used for training: which file and what is wrong, as one sentence.
public struct TextFileError: Error, CustomStringConvertible, Sendable, Equatable {
    public var path: String
    public var problem: String
    /// Byte offset of the first invalid UTF-8 sequence, when that is the problem.
    public var byteOffset: Int?

    public init(path: String, problem: String, byteOffset: Int? = nil) {
        self.path = path
        self.problem = problem
        self.byteOffset = byteOffset
    }

    public var description: String { "\(path): \(problem)" }
}

public enum UTF8Validation {
    /// Byte offset of the first byte of the first ill-formed UTF-8 sequence in `bytes`, or nil
    /// when all of it is valid UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above
    /// U+10FFFF, no truncated sequence at the end).
    ///
    /// Scanned by hand rather than by `String(validating:)` because that only says *whether*
    /// the bytes are valid, and a user with a 1 MB file needs to know *where* they are not.
    public static func firstInvalidOffset<C: Collection>(_ bytes: C) -> Int? where C.Element == UInt8, C.Index == Int {
        var i = bytes.startIndex
        let end = bytes.endIndex
        while i < end {
            let b0 = bytes[i]
            if b0 < 0x80 { i += 1; continue }
            let length: Int
            var low: UInt8 = 0x80, high: UInt8 = 0xBF   // allowed range of the second byte
            switch b0 {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; low = 0xA0             // no overlong three-byte forms
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; high = 0x9F            // no UTF-16 surrogates
            case 0xF0: length = 4; low = 0x90             // no overlong four-byte forms
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; high = 0x8F            // nothing above U+10FFFF
            default: return i - bytes.startIndex          // stray continuation byte, C0, C1, F5…FF
            }
            guard i + length <= end else { return i - bytes.startIndex }
            guard (low...high).contains(bytes[i + 1]) else { return i - bytes.startIndex }
            for k in 2..<length where !(0x80...0xBF).contains(bytes[i + k]) { return i - bytes.startIndex }
            i += length
        }
        return nil
    }
}

/// A training text for a language model, read and checked.
public enum LanguageModelText {
    /// The contents of a UTF-8 text file. A leading byte-order mark is dropped.
    /// - Throws: `TextFileError` when the file is missing, unreadable, empty or not UTF-8 (the
    ///   message names the byte offset of the first invalid sequence).
    public static func read(path: String) throws -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw TextFileError(path: path, problem: "no such file. Check the path.")
        }
        guard !isDirectory.boolValue else {
            throw TextFileError(path: path, problem: "is a directory; --text needs a plain text file.")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TextFileError(path: path, problem: "cannot be read (permissions?).")
        }
        return try decode([UInt8](data), path: path)
    }

    /// `bytes` as a String, strictly: invalid UTF-8 is an error naming its byte offset.
    public static func decode(_ bytes: [UInt8], path: String = "<memory>") throws -> String {
        if let offset = UTF8Validation.firstInvalidOffset(bytes) {
            throw TextFileError(
                path: path,
                problem: "is not valid UTF-8: the first invalid byte sequence is at byte offset \(offset) "
                    + "(byte \(String(format: "0x%02X", bytes[offset]))). "
                    + "Convert the file to UTF-8, e.g. `iconv -f latin1 -t utf-8 in.txt > out.txt`.",
                byteOffset: offset)
        }
        let hasBOM = bytes.starts(with: [0xEF, 0xBB, 0xBF])
        let text = String(decoding: hasBOM ? bytes.dropFirst(3) : bytes[...], as: UTF8.self)
        guard !text.isEmpty else {
            throw TextFileError(path: path, problem: "is empty. A language model needs text to learn from.")
        }
        return text
    }
}

/// A text split into a training part (the start) and a validation part (the end), both as
/// token ids over a vocabulary built from the training part alone.
///
/// The vocabulary is `<unk>` (id 0) followed by the training tokens occurring at least
/// `minCount` times, most frequent first (ties in order of first appearance). Validation tokens
/// the training part never had, and rare training tokens, become `<unk>`.
public struct LanguageModelCorpus: Sendable {
    public var level: TokenLevel
    public var vocabulary: Vocabulary
    public var train: [Int]
    public var validation: [Int]
    /// How many tokens of each part became `<unk>`.
    public var unknownTrainTokens: Int
    public var unknownValidationTokens: Int

    /// - Parameters:
    ///   - validationFraction: the share of tokens (from the end) held out, in [0, 1).
    ///   - minCount: rarer tokens are left out of the vocabulary (word level, mostly).
    public init(text: String, level: TokenLevel, validationFraction: Double, minCount: Int = 1) {
        precondition((0..<1).contains(validationFraction), "validationFraction must be in [0, 1)")
        self.level = level
        let tokens = level.tokens(text)
        let validationCount = Int((Double(tokens.count) * validationFraction).rounded())
        let trainTokens = tokens[..<(tokens.count - validationCount)]
        vocabulary = Vocabulary.build(from: [Array(trainTokens)], minCount: minCount,
                                      specials: [Vocabulary.unknownToken])
        let unk = vocabulary.unknownID!
        var unknownTrain = 0, unknownValidation = 0
        var ids = [Int](repeating: unk, count: tokens.count)
        for (k, t) in tokens.enumerated() {
            if let id = vocabulary.id(of: t) {
                ids[k] = id
            } else if k < trainTokens.count {
                unknownTrain += 1
            } else {
                unknownValidation += 1
            }
        }
        train = Array(ids[..<trainTokens.count])
        validation = Array(ids[trainTokens.count...])
        unknownTrainTokens = unknownTrain
        unknownValidationTokens = unknownValidation
    }
}
