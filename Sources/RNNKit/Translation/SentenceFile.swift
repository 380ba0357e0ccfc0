/// The checks every file of sentences gets, whether it holds one language (one sentence per
/// line) or sentence pairs (a TSV file): opened through `FileBytes`, refused when binary or
/// empty, and each sentence decoded as UTF-8, bounded in length and required to hold text.
enum SentenceFile {
    /// Where in a line a sentence sits, for messages.
    enum Place {
        /// The whole line (a file of one language).
        case line
        /// One column of a TSV row: `role` is `source` or `target`, `column` how messages name it.
        case column(role: String, column: String)

        var subject: String {
            switch self {
            case .line: return "the line"
            case .column(let role, let column): return "the \(role) (\(column))"
            }
        }

        /// What a byte position counts within.
        var unit: String {
            switch self {
            case .line: return "the line"
            case .column: return "the field"
            }
        }

        var emptyAdvice: String {
            switch self {
            case .line:
                return "every line must hold one sentence, aligned with the same line of the other file. Write the sentence in, or delete this line from both files."
            case .column:
                return "every row needs a sentence and its translation. Fill it in, or delete the row."
            }
        }
    }

    /// The bytes of the file at `path` and where its text starts (past a byte-order mark).
    ///
    /// - Parameter expected: what the file must be, as a sentence ending messages about binary files.
    /// - Throws: `TextFileError` when the file is missing, a directory or device, unreadable,
    ///   empty (or only whitespace), or not UTF-8 text (binary, compressed, UTF-16, old Mac line ends).
    static func read(_ path: String, expected: String, emptyAdvice: String) throws(TextFileError) -> (bytes: [UInt8], start: Int) {
        let bytes: [UInt8]
        do {
            bytes = try FileBytes.read(path, kindOfFile: "a text file")
        } catch {
            throw TextFileError(.unreadable, path: path.isEmpty ? "\"\"" : path, detail: error.detail)
        }
        let start = bytes.starts(with: UTF8Validation.byteOrderMark) ? UTF8Validation.byteOrderMark.count : 0
        if bytes[start...].allSatisfy(ASCII.isBlank) {
            throw TextFileError(.empty, path: path, detail: "is empty: \(emptyAdvice)")
        }
        if let (detail, line) = BinaryDetection.problem(bytes, from: start, expected: expected) {
            throw TextFileError(.notText, path: path, line: line, detail: detail)
        }
        return (bytes, start)
    }

    /// The sentence in `bytes` (a slice of the file, so that its indices are file offsets),
    /// trimmed of surrounding whitespace.
    ///
    /// - Throws: `TextFileError` naming `path` and `line` when the bytes are not UTF-8, longer
    ///   than `maxBytes`, hold a byte-order mark, or are empty or only whitespace.
    static func sentence(_ bytes: ArraySlice<UInt8>, path: String, line: Int, place: Place, maxBytes: Int) throws(TextFileError) -> String {
        let subject = place.subject
        guard bytes.count <= maxBytes else {
            throw TextFileError(.lineTooLong, path: path, line: line,
                                detail: "\(subject) is \(MessageText.grouped(bytes.count)) bytes, more than the limit of \(MessageText.grouped(maxBytes)) bytes for one sentence. The file may not have one sentence per line (are its line ends lone carriage returns?); split it, or raise the limit.")
        }
        if let offset = UTF8Validation.firstInvalidOffset(bytes) {
            let byte = bytes[bytes.startIndex + offset]
            let hex = String(byte, radix: 16, uppercase: true)
            throw TextFileError(.invalidUTF8, path: path, line: line,
                                detail: "\(subject) is not valid UTF-8 (byte 0x\(hex.count == 1 ? "0" : "")\(hex) at byte \(offset + 1) of \(place.unit)). The file may be in another encoding such as Latin-1 or Windows-1252; convert it to UTF-8, e.g. `iconv -f latin1 -t utf-8 in.txt > out.txt`.",
                                byteOffset: bytes.startIndex + offset)
        }
        let text = String(decoding: bytes, as: UTF8.self)
        if RowCollector.hasByteOrderMark(text) {
            throw TextFileError(.invalidUTF8, path: path, line: line,
                                detail: "\(subject) contains a byte-order mark (U+FEFF), which belongs only at the very start of a file; inside one it usually means that two files were joined. Delete it.")
        }
        let trimmed = text.trimmedOfWhitespace
        guard !trimmed.isEmpty else {
            let what = text.isEmpty ? "is empty" : "is only whitespace"
            throw TextFileError(.emptyLine, path: path, line: line, detail: "\(subject) \(what): \(place.emptyAdvice)")
        }
        return trimmed
    }
}
