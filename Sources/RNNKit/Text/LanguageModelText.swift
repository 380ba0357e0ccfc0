import Foundation

/// A training text for a language model, read and checked.
public enum LanguageModelText {
    /// The contents of a UTF-8 text file. A leading byte-order mark is dropped.
    /// - Throws: `TextFileError` when the file is missing, unreadable, empty, binary (a NUL byte,
    ///   a compressed file, UTF-16) or not UTF-8 (the message names the byte offset of the first
    ///   invalid sequence).
    public static func read(path: String) throws -> String {
        let bytes: [UInt8]
        do {
            bytes = try FileBytes.read(path, kindOfFile: "a text file")
        } catch {
            throw TextFileError(.unreadable, path: path.isEmpty ? "\"\"" : path, detail: error.detail)
        }
        return try decode(bytes, path: path)
    }

    /// The non-empty lines of a UTF-8 text file, one text each (unlabelled texts to pretrain on).
    /// - Throws: as `read(path:)`.
    public static func lines(path: String) throws -> [String] {
        try read(path: path).split(whereSeparator: \.isNewline).map(String.init).filter { !$0.allSatisfy(\.isWhitespace) }
    }

    /// `bytes` as a String, strictly: invalid UTF-8 is an error naming its byte offset.
    public static func decode(_ bytes: [UInt8], path: String = "<memory>") throws -> String {
        let start = bytes.starts(with: UTF8Validation.byteOrderMark) ? UTF8Validation.byteOrderMark.count : 0
        if let (detail, line) = BinaryDetection.problem(bytes, from: start, expected: "A language model learns from UTF-8 text",
                                                         lines: false) {
            throw TextFileError(.notText, path: path, line: line, detail: detail)
        }
        if let offset = UTF8Validation.firstInvalidOffset(bytes) {
            throw TextFileError(
                .invalidUTF8, path: path,
                detail: "is not valid UTF-8: the first invalid byte sequence is at byte offset \(offset) "
                    + "(byte \(String(format: "0x%02X", bytes[offset]))). "
                    + "Convert the file to UTF-8, e.g. `iconv -f latin1 -t utf-8 in.txt > out.txt`.",
                byteOffset: offset)
        }
        let hasBOM = bytes.starts(with: UTF8Validation.byteOrderMark)
        let text = String(decoding: hasBOM ? bytes.dropFirst(UTF8Validation.byteOrderMark.count) : bytes[...], as: UTF8.self)
        guard !text.isEmpty else {
            throw TextFileError(.empty, path: path, detail: "is empty. A language model needs text to learn from.")
        }
        return text
    }
}
