/// Tells a binary or mis-encoded file from text before it is parsed, so that it gets one clear
/// message instead of an error about its "first row".
enum BinaryDetection {
    /// Why `bytes` (read from `start`, past any byte-order mark) are not UTF-8 text, with the
    /// line of the evidence when it is on one; nil when they look like text. `expected` ends the
    /// messages that say what the file must be instead. `lines`: whether the file's lines matter
    /// (rows, sentences), so that old Mac line ends, which make it one line, are refused.
    static func problem(_ bytes: [UInt8], from start: Int,
                        expected: String = "Data files must be UTF-8 text (CSV, TSV or JSONL)",
                        lines: Bool = true) -> (detail: String, line: Int?)? {
        if bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF]) {
            return ("is UTF-16 text (it starts with a UTF-16 byte-order mark). Re-save it as UTF-8.", nil)
        }
        if bytes.starts(with: [0x1F, 0x8B]) {
            return ("is gzip-compressed, not text. Decompress it first (gunzip).", nil)
        }
        if bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) {
            return ("is a zip archive (an Excel .xlsx workbook?), not text. Export it as CSV (UTF-8).", nil)
        }
        if bytes.starts(with: Array("%PDF".utf8)) {
            return ("is a PDF document, not a data file.", nil)
        }
        let body = bytes[start...]
        if let nul = body.firstIndex(of: 0) {
            let line = 1 + body[..<nul].reduce(0) { $0 + ($1 == ASCII.lineFeed ? 1 : 0) }
            return ("contains a NUL byte: this looks like a binary file, not text. \(expected).", line)
        }
        if lines, !body.contains(ASCII.lineFeed), let cr = body.firstIndex(of: ASCII.carriageReturn),
           body[(cr + 1)...].contains(where: { !ASCII.isBlank($0) }) {
            return ("ends its lines with a lone carriage return (old Mac style), so it reads as one line. Convert the line ends to LF or CRLF.", nil)
        }
        // Text has few control characters and (as UTF-8) few invalid bytes; binary has many. A
        // sample keeps this cheap; the count floor keeps a short file with a couple of stray
        // Latin-1 bytes from being called binary (its rows get a precise UTF-8 error instead).
        var scalars = 0, odd = 0
        for s in String(decoding: body.prefix(65536), as: UTF8.self).unicodeScalars {
            scalars += 1
            let v = s.value
            if v == 0xFFFD || v == 0x7F || (v < 0x20 && v != 0x09 && v != 0x0A && v != 0x0D && v != 0x0C) { odd += 1 }
        }
        if odd >= 8, odd * 10 > scalars {
            return ("does not look like UTF-8 text (\(odd * 100 / max(scalars, 1))% of its first characters are control characters or invalid UTF-8): it may be a binary file, or text in another encoding such as Latin-1 or Windows-1252. \(expected); re-save it as UTF-8.", nil)
        }
        return nil
    }
}
