import Foundation

/// The layout of a data file of labelled texts.
public enum DataFormat: String, Codable, Sendable, CaseIterable {
    /// Comma-separated values as in RFC 4180: a field may be in double quotes, and then may hold
    /// commas, line breaks and `""` for a quote.
    case csv
    /// Tab-separated values with no quoting (as Python's `csv` with `QUOTE_NONE`): every tab
    /// separates fields, so texts cannot contain tabs.
    case tsv
    /// JSON Lines: one JSON object per line; columns are the objects' keys.
    case jsonl

    /// The format a file name's extension names (in any case): `.csv`; `.tsv` or `.tab`;
    /// `.jsonl` or `.ndjson`. nil for any other extension, including `.txt`, which could be anything.
    public init?(path: String) {
        let name = path.split(separator: "/").last ?? ""
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return nil }
        switch name[name.index(after: dot)...].lowercased() {
        case "csv": self = .csv
        case "tsv", "tab": self = .tsv
        case "jsonl", "ndjson": self = .jsonl
        default: return nil
        }
    }
}

/// Which column holds the text or the label: a header name (a key, for JSONL) or a 1-based column number.
public enum ColumnSelector: Sendable, Equatable, CustomStringConvertible {
    case name(String)
    /// 1-based, as people count columns (and as `cut -f` does).
    case index(Int)

    /// Parses a command-line argument: an integer (`3`, `-1`) is a column number, anything else a
    /// name. Surrounding whitespace is ignored, as it is in header names.
    public init(_ argument: String) {
        let trimmed = argument.trimmingCharacters(in: .whitespaces)
        if let number = Int(trimmed) {
            self = .index(number)
        } else if !trimmed.isEmpty, trimmed.allSatisfy({ $0.isASCII && $0.isNumber }) {
            self = .index(Int.max)  // too many digits for Int: still a number, and out of range
        } else {
            self = .name(trimmed)
        }
    }

    public var description: String {
        switch self {
        case .name(let name): return name
        case .index(let index): return String(index)
        }
    }
}

/// How to read a data file.
public struct DataFileOptions: Sendable {
    /// nil: from the file name's extension (see `DataFormat.init(path:)`).
    public var format: DataFormat?
    /// Whether the first non-blank line of a CSV or TSV file names the columns. Ignored for JSONL.
    public var hasHeader: Bool
    public var textColumn: ColumnSelector
    public var labelColumn: ColumnSelector
    /// False to read texts alone (for prediction): the label column is neither looked for nor
    /// checked, and every example's label is empty.
    public var readsLabels = true
    /// Turns numeric labels (scores, ratings) into two classes: a label above the threshold
    /// becomes `positive`, below it `negative`; a label equal to it is dropped and counted in
    /// `DataFileContents.droppedAtThreshold`. A label that is not a number makes the row invalid.
    public var threshold: Double?
    /// Skip invalid rows (counting them, and keeping the first few errors) instead of throwing.
    /// Problems with the whole file (missing, a directory, empty, binary, unknown column) still throw.
    public var skipInvalid: Bool

    public init(format: DataFormat? = nil, hasHeader: Bool = true, textColumn: ColumnSelector = .name("text"),
                labelColumn: ColumnSelector = .name("label"), threshold: Double? = nil, skipInvalid: Bool = false) {
        self.format = format
        self.hasHeader = hasHeader
        self.textColumn = textColumn
        self.labelColumn = labelColumn
        self.threshold = threshold
        self.skipInvalid = skipInvalid
    }
}

/// The examples of a data file, and what was left out.
public struct DataFileContents: Sendable, Equatable {
    /// The most row errors kept in `firstSkipped`.
    public static let reportedSkipLimit = 5

    /// In file order; each with the line its row starts on. Never empty.
    public var examples: [LabeledText]
    /// Invalid rows skipped (only with `DataFileOptions.skipInvalid`).
    public var skippedRows: Int
    /// The first `reportedSkipLimit` skipped rows' errors, in file order, with line numbers.
    public var firstSkipped: [DataFileError]
    /// Rows whose numeric label equalled `DataFileOptions.threshold`.
    public var droppedAtThreshold: Int
    /// The format the file was read as.
    public var format: DataFormat
}

/// Reads CSV, TSV and JSONL files of labelled texts, and explains every problem with a file as a
/// `DataFileError` (path, line, what is wrong and what to do) rather than failing obscurely.
///
/// All formats: UTF-8 with or without a byte-order mark; LF or CRLF line ends; the last line may
/// lack its line end; blank lines are skipped; texts and labels are trimmed of surrounding
/// whitespace and must not be empty. Line numbers are 1-based and count every line of the file
/// (a CSV record spanning several lines reports the line it starts on).
public enum DataFileReader {
    /// Reads the file at `path`; see `parse(_:path:options:)`.
    public static func read(path: String, options: DataFileOptions = DataFileOptions()) throws -> DataFileContents {
        try parse(readBytes(path), path: path, options: options)
    }

    /// Parses the contents of a data file; `path` names it in errors and, if `options.format` is
    /// nil, gives the format by its extension.
    ///
    /// - Throws: `DataFileError` for a problem with the file as a whole (unknown format, empty,
    ///   binary or not UTF-8 text, unknown or out-of-range column, unterminated CSV quote, no
    ///   usable rows) and, unless `options.skipInvalid`, for the first invalid row.
    public static func parse(_ bytes: [UInt8], path: String, options: DataFileOptions = DataFileOptions()) throws -> DataFileContents {
        guard let format = options.format ?? DataFormat(path: path) else {
            let name = path.split(separator: "/").last.map(String.init) ?? path
            let ext = name.lastIndex(of: ".").map { "the extension `\(name[$0...])`" } ?? "a name without an extension"
            throw DataFileError(path: path, problem: "cannot tell the format from \(ext). Pass --format csv|tsv|jsonl (.csv, .tsv, .tab, .jsonl and .ndjson are recognised).")
        }
        if let threshold = options.threshold, threshold.isNaN {
            throw DataFileError(path: path, problem: "the threshold is not a number; --threshold needs a number such as 0 or 2.5.")
        }
        let start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        try checkIsText(bytes, from: start, path: path, format: format)
        var collector = Collector(path: path, options: options)
        switch format {
        case .csv:
            var scanner = CSVScanner(bytes: bytes, start: start, path: path)
            try readTable(&scanner, format: format, into: &collector)
        case .tsv:
            var scanner = TSVScanner(bytes: bytes, start: start)
            try readTable(&scanner, format: format, into: &collector)
        case .jsonl:
            try readJSONLines(bytes, from: start, into: &collector)
        }
        return try collector.finish(format: format)
    }

    // MARK: Files

    static func readBytes(_ path: String) throws -> [UInt8] {
        guard !path.isEmpty else { throw DataFileError(path: "\"\"", problem: "no file name given.") }
        let files = FileManager.default
        var isDirectory: ObjCBool = false
        guard files.fileExists(atPath: path, isDirectory: &isDirectory) else {
            let relative = path.hasPrefix("/") ? "" : " (relative to \(files.currentDirectoryPath))"
            throw DataFileError(path: path, problem: "no such file\(relative). Check the path.")
        }
        if isDirectory.boolValue {
            throw DataFileError(path: path, problem: "is a directory, not a data file. Name a .csv, .tsv or .jsonl file.")
        }
        // Devices such as /dev/zero never end; pipes do, so they are allowed.
        let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        if let type = (try? files.attributesOfItem(atPath: resolved))?[.type] as? FileAttributeType,
           type == .typeCharacterSpecial || type == .typeBlockSpecial || type == .typeSocket {
            throw DataFileError(path: path, problem: "is a device or socket, not a data file.")
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw DataFileError(path: path, problem: "cannot be opened for reading. Check its permissions.")
        }
        defer { try? handle.close() }
        do {
            return [UInt8](try handle.readToEnd() ?? Data())
        } catch {
            throw DataFileError(path: path, problem: "cannot be read: \(error.localizedDescription)")
        }
    }

    /// File-level checks before parsing, so that a binary or mis-encoded file gets one clear
    /// message instead of an error about its "first row".
    static func checkIsText(_ bytes: [UInt8], from start: Int, path: String, format: DataFormat) throws {
        func fail(_ problem: String, line: Int? = nil) -> DataFileError {
            DataFileError(path: path, line: line, problem: problem)
        }
        if bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF]) {
            throw fail("is UTF-16 text (it starts with a UTF-16 byte-order mark). Re-save it as UTF-8.")
        }
        if bytes.starts(with: [0x1F, 0x8B]) {
            throw fail("is gzip-compressed, not text. Decompress it first (gunzip).")
        }
        if bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) {
            throw fail("is a zip archive (an Excel .xlsx workbook?), not text. Export it as CSV (UTF-8).")
        }
        if bytes.starts(with: Array("%PDF".utf8)) {
            throw fail("is a PDF document, not a data file.")
        }
        let body = bytes[start...]
        if body.allSatisfy(isBlankByte) {
            let needs = format == .jsonl
                ? "one JSON object per line, such as {\"text\": \"good film\", \"label\": \"positive\"}"
                : "a header line naming the columns (e.g. `text` and `label`) and one example per line"
            throw fail("the file is empty. It needs \(needs).")
        }
        if let nul = body.firstIndex(of: 0) {
            let line = 1 + body[..<nul].reduce(0) { $0 + ($1 == lineFeed ? 1 : 0) }
            throw fail("contains a NUL byte: this looks like a binary file, not text. Data files must be UTF-8 text (CSV, TSV or JSONL).", line: line)
        }
        if !body.contains(lineFeed), let cr = body.firstIndex(of: carriageReturn), body[(cr + 1)...].contains(where: { !isBlankByte($0) }) {
            throw fail("ends its lines with a lone carriage return (old Mac style), so it reads as one line. Convert the line ends to LF or CRLF.")
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
            throw fail("does not look like UTF-8 text (\(odd * 100 / max(scalars, 1))% of its first characters are control characters or invalid UTF-8): it may be a binary file, or text in another encoding such as Latin-1 or Windows-1252. Data files must be UTF-8 text (CSV, TSV or JSONL); re-save it as UTF-8.")
        }
    }

    // MARK: CSV and TSV

    /// One record of a CSV or TSV file: its fields, or why it cannot be split into fields.
    enum Record {
        case fields(line: Int, [ArraySlice<UInt8>])
        case invalid(line: Int, problem: String)
    }

    protocol RecordScanner {
        /// The next non-blank record, or nil at the end; throws for problems that spoil the rest of the file.
        mutating func next() throws -> Record?
    }

    static func readTable<S: RecordScanner>(_ scanner: inout S, format: DataFormat, into collector: inout Collector) throws {
        let path = collector.path, options = collector.options
        // Set from the header, or from the first row without one.
        var columns: (text: Int, label: Int, count: Int, countSource: String)?
        var names: (text: String, label: String) = ("", "")
        let separated = format == .csv ? "comma-separated" : "tab-separated"

        while let record = try scanner.next() {
            let line: Int, fields: [ArraySlice<UInt8>]
            switch record {
            case .invalid(let badLine, let problem):
                guard columns != nil || !options.hasHeader else {
                    throw DataFileError(path: path, line: badLine, problem: "the header line " + problem)
                }
                try collector.reject(line: badLine, problem)
                continue
            case .fields(let l, let f):
                line = l
                fields = f
            }

            if columns == nil {
                var header: [String]?
                if options.hasHeader {
                    var decoded: [String] = []
                    for field in fields {
                        guard let name = decodeUTF8(field) else {
                            throw DataFileError(path: path, line: line, problem: "the header line is not valid UTF-8. Re-save the file as UTF-8.")
                        }
                        decoded.append(trimWhitespace(name))
                    }
                    header = decoded
                }
                let context = ColumnContext(path: path, line: line, header: header, fieldCount: fields.count,
                                            format: format)
                let text = try context.resolve(options.textColumn, role: .text)
                let label = options.readsLabels ? try context.resolve(options.labelColumn, role: .label) : -1
                guard text != label else {
                    throw DataFileError(path: path, line: header == nil ? nil : line,
                                        problem: "--text-column and --label-column both select \(context.describe(text)); they must name different columns.")
                }
                columns = (text, label, fields.count, header == nil ? "line \(line)" : "the header")
                names = (context.describe(text), options.readsLabels ? context.describe(label) : "")
                if header != nil { continue }
            }
            guard let columns else { continue }  // unreachable: set just above

            collector.rows += 1
            guard fields.count == columns.count else {
                let hint = format == .csv
                    ? "A text containing commas must be in double quotes: \"like, this\"."
                    : "TSV has no quoting, so a tab inside a text splits it: remove tabs from texts, or use CSV."
                try collector.reject(line: line, "has \(fields.count) \(separated) field\(fields.count == 1 ? "" : "s") but \(columns.countSource) has \(columns.count). \(hint)")
                continue
            }
            guard let text = decodeUTF8(fields[columns.text]) else {
                try collector.reject(line: line, "the text (\(names.text)) is not valid UTF-8. The file may be in another encoding such as Latin-1 or Windows-1252; re-save it as UTF-8.")
                continue
            }
            guard let label = columns.label < 0 ? "" : decodeUTF8(fields[columns.label]) else {
                try collector.reject(line: line, "the label (\(names.label)) is not valid UTF-8. Re-save the file as UTF-8.")
                continue
            }
            try collector.add(text: text, label: label, line: line, textName: names.text, labelName: names.label)
        }
    }

    /// Finds the selected columns in a header (or, without one, in the first row's field count).
    struct ColumnContext {
        enum Role {
            case text, label
            var flag: String { self == .text ? "--text-column" : "--label-column" }
            var noun: String { self == .text ? "text" : "label" }
        }

        var path: String
        var line: Int
        var header: [String]?
        var fieldCount: Int
        var format: DataFormat

        func describe(_ column: Int) -> String {
            header.map { "column `\(clip($0[column]))`" } ?? "column \(column + 1)"
        }

        func resolve(_ selector: ColumnSelector, role: Role) throws -> Int {
            switch selector {
            case .index(let number):
                guard number >= 1 else {
                    throw DataFileError(path: path, problem: "\(role.flag) \(number): column numbers start at 1.")
                }
                guard number <= fieldCount else {
                    let has = header.map { "the header has \(fieldCount) column\(fieldCount == 1 ? "" : "s"): \(list($0))" }
                        ?? "line \(line) has \(fieldCount) field\(fieldCount == 1 ? "" : "s")"
                    throw DataFileError(path: path, line: line, problem: "\(role.flag) \(number) is out of range: \(has).\(separatorHint)")
                }
                return number - 1
            case .name(let name):
                guard let header else {
                    throw DataFileError(path: path, problem: "without a header line (--no-header) columns have no names, so `\(clip(name))` cannot be found. Give the \(role.noun) column's number instead, e.g. \(role.flag) 2.")
                }
                let exact = header.indices.filter { header[$0] == name }
                if exact.count == 1 { return exact[0] }
                if exact.count > 1 {
                    throw DataFileError(path: path, line: line, problem: "the header names `\(clip(name))` more than once (columns \(exact.map { String($0 + 1) }.joined(separator: ", "))). Pass \(role.flag) with the column number instead.")
                }
                // A header saying `Text` or `LABEL` is surely meant; accept it when unambiguous.
                let folded = name.lowercased()
                let loose = header.indices.filter { header[$0].lowercased() == folded }
                if loose.count == 1 { return loose[0] }
                var problem = "no column is named `\(clip(name))`; the header has \(list(header)). Pass \(role.flag) with one of these names or a column number."
                // Numbers or long sentences in the "header" mean it is probably the first example.
                if header.contains(where: { Double($0) != nil || $0.count > 40 }) {
                    problem += " If line \(line) is an example rather than a header, use --no-header and give column numbers (e.g. --text-column 2 --label-column 1)."
                }
                throw DataFileError(path: path, line: line, problem: problem + separatorHint)
            }
        }

        /// When the header has one column, the file may be in the other separated format.
        private var separatorHint: String {
            guard fieldCount == 1, let only = header?.first else { return "" }
            if format == .tsv, only.contains(",") { return " The line has commas but no tabs: if this is a CSV file, pass --format csv." }
            if format == .csv, only.contains("\t") { return " The line has tabs but no commas: if this is a TSV file, pass --format tsv." }
            return ""
        }

        private func list(_ header: [String]) -> String {
            let shown = header.prefix(20).map { "`\(clip($0))`" }.joined(separator: ", ")
            return header.count > 20 ? "\(shown), … (\(header.count) columns)" : shown
        }
    }

    struct CSVScanner: RecordScanner {
        let bytes: [UInt8]
        var i: Int
        var line = 1
        let path: String

        init(bytes: [UInt8], start: Int, path: String) {
            self.bytes = bytes
            self.i = start
            self.path = path
        }

        mutating func next() throws -> Record? {
            let n = bytes.count
            while i < n {
                let startLine = line
                var fields: [ArraySlice<UInt8>] = []
                var quoted = false
                var problem: String?
                fieldLoop: while true {
                    // Leading blanks before an opening quote (`1, "a, b"`) are common in
                    // hand-written files; allowing them costs nothing for files that have none.
                    var q = i
                    while q < n, bytes[q] == space || bytes[q] == tab { q += 1 }
                    if q < n, bytes[q] == quote {
                        quoted = true
                        let quoteLine = line
                        i = q + 1
                        var value: [UInt8] = []
                        var segment = i
                        while true {
                            guard i < n else {
                                throw DataFileError(path: path, line: quoteLine, problem: "a quoted field starts on this line but its closing `\"` is missing, so the rest of the file would be one field. Close the quote; inside a quoted field write a `\"` as `\"\"`.")
                            }
                            let b = bytes[i]
                            if b == quote {
                                if i + 1 < n, bytes[i + 1] == quote {
                                    value.append(contentsOf: bytes[segment...i])
                                    i += 2
                                    segment = i
                                    continue
                                }
                                value.append(contentsOf: bytes[segment..<i])
                                i += 1
                                break
                            }
                            if b == lineFeed { line += 1 }
                            i += 1
                        }
                        fields.append(value[...])
                        while i < n, bytes[i] == space || bytes[i] == tab { i += 1 }
                        if i < n, bytes[i] == carriageReturn, i + 1 == n || bytes[i + 1] == lineFeed { i += 1 }
                        if i >= n { break fieldLoop }
                        if bytes[i] == comma { i += 1; continue fieldLoop }
                        if bytes[i] == lineFeed { i += 1; line += 1; break fieldLoop }
                        problem = "has text after the closing quote of a quoted field. Inside a quoted field write a `\"` as `\"\"`, e.g. \"he said \"\"hi\"\"\"."
                        // Resynchronise at the next line: the rest of this one cannot be trusted.
                        while i < n, bytes[i] != lineFeed { i += 1 }
                        if i < n { i += 1; line += 1 }
                        break fieldLoop
                    } else {
                        let s = i
                        while i < n, bytes[i] != comma, bytes[i] != lineFeed { i += 1 }
                        var e = i
                        if e > s, bytes[e - 1] == carriageReturn, i == n || bytes[i] == lineFeed { e -= 1 }
                        fields.append(bytes[s..<e])
                        if i >= n { break fieldLoop }
                        if bytes[i] == comma { i += 1; continue fieldLoop }
                        i += 1
                        line += 1
                        break fieldLoop
                    }
                }
                if let problem { return .invalid(line: startLine, problem: problem) }
                if !quoted, fields.count == 1, fields[0].allSatisfy(isBlankByte) { continue }
                return .fields(line: startLine, fields)
            }
            return nil
        }
    }

    struct TSVScanner: RecordScanner {
        let bytes: [UInt8]
        var i: Int
        var line = 1

        init(bytes: [UInt8], start: Int) {
            self.bytes = bytes
            self.i = start
        }

        mutating func next() -> Record? {
            while let (number, content) = nextLine(bytes, &i, &line) {
                if content.allSatisfy(isBlankByte) { continue }
                return .fields(line: number, content.split(separator: tab, omittingEmptySubsequences: false))
            }
            return nil
        }
    }

    /// The next physical line from `i` without its LF or CRLF, with its 1-based number.
    static func nextLine(_ bytes: [UInt8], _ i: inout Int, _ line: inout Int) -> (Int, ArraySlice<UInt8>)? {
        let n = bytes.count
        guard i < n else { return nil }
        let start = i, number = line
        let end = bytes[start...].firstIndex(of: lineFeed) ?? n
        i = end < n ? end + 1 : n
        line += 1
        var contentEnd = end
        if contentEnd > start, bytes[contentEnd - 1] == carriageReturn { contentEnd -= 1 }
        return (number, bytes[start..<contentEnd])
    }

    // MARK: JSONL

    static func readJSONLines(_ bytes: [UInt8], from start: Int, into collector: inout Collector) throws {
        let path = collector.path, options = collector.options
        var keys: (text: String, label: String) = ("", "")
        let selectors = [(options.textColumn, ColumnContext.Role.text)] + (options.readsLabels ? [(options.labelColumn, .label)] : [])
        for (selector, role) in selectors {
            switch selector {
            case .index(let number):
                throw DataFileError(path: path, problem: "JSONL rows are objects, so columns are chosen by key, not by number: replace \(role.flag) \(number) with the key that holds the \(role.noun) (e.g. \(role.flag) \(role.noun)).")
            case .name(let name):
                if role == .text { keys.text = name } else { keys.label = name }
            }
        }
        guard !options.readsLabels || keys.text != keys.label else {
            throw DataFileError(path: path, problem: "--text-column and --label-column both select the key `\(clip(keys.text))`; they must name different keys.")
        }
        let textName = "key `\(clip(keys.text))`", labelName = "key `\(clip(keys.label))`"

        var i = start, lineNumber = 1
        while let (line, content) = nextLine(bytes, &i, &lineNumber) {
            if content.allSatisfy(isBlankByte) { continue }
            collector.rows += 1
            // Validated up front so a Latin-1 file gets an encoding message, not a JSON syntax one.
            guard decodeUTF8(content) != nil else {
                try collector.reject(line: line, "is not valid UTF-8. Re-save the file as UTF-8.")
                continue
            }
            var parser = JSONParser(bytes: content)
            let value: JSONValue
            do {
                value = try parser.parseDocument()
            } catch let error as JSONParser.Failure {
                try collector.reject(line: line, "is not valid JSON: \(error.message) at column \(error.column). Each line must be one JSON object, such as {\"text\": \"good film\", \"label\": \"positive\"}.")
                continue
            }
            guard case .object(let members, let order) = value else {
                try collector.reject(line: line, "is a JSON \(value.kind), not an object. Each line must be one JSON object, such as {\"text\": \"good film\", \"label\": \"positive\"}.")
                continue
            }
            let present = order.isEmpty ? "it has no keys" : "its keys: \(order.prefix(20).map { "`\(clip($0))`" }.joined(separator: ", "))"
            guard let textValue = members[keys.text] else {
                try collector.reject(line: line, "has no key `\(clip(keys.text))` (\(present)). Pass --text-column with the key that holds the text.")
                continue
            }
            guard let labelValue = options.readsLabels ? members[keys.label] : .string("") else {
                try collector.reject(line: line, "has no key `\(clip(keys.label))` (\(present)). Pass --label-column with the key that holds the label.")
                continue
            }
            guard case .string(let text) = textValue else {
                try collector.reject(line: line, "the text (\(textName)) is \(textValue.kind == "null" ? "null" : "a \(textValue.kind)"), not a string.")
                continue
            }
            let label: String
            switch labelValue {
            case .string(let s): label = s
            case .number(let literal): label = literal  // as written: 1 stays "1", 2.50 stays "2.50"
            case .bool(let b): label = b ? "true" : "false"
            case .null:
                try collector.reject(line: line, "the label (\(labelName)) is null. Every row needs a label.")
                continue
            case .array, .object:
                try collector.reject(line: line, "the label (\(labelName)) is a \(labelValue.kind); labels must be strings or numbers.")
                continue
            }
            try collector.add(text: text, label: label, line: line, textName: textName, labelName: labelName)
        }
    }

    // MARK: Rows

    /// Accumulates examples and skipped rows, applying the rules every format shares.
    struct Collector {
        let path: String
        let options: DataFileOptions
        var examples: [LabeledText] = []
        /// Data rows seen (header excluded, blank lines excluded), usable or not.
        var rows = 0
        var skipped = 0
        var firstSkipped: [DataFileError] = []
        var dropped = 0

        init(path: String, options: DataFileOptions) {
            self.path = path
            self.options = options
        }

        /// A row-level problem: thrown, or counted and skipped with `skipInvalid`.
        mutating func reject(line: Int, _ problem: String) throws {
            let error = DataFileError(path: path, line: line, problem: problem)
            guard options.skipInvalid else { throw error }
            skipped += 1
            if firstSkipped.count < DataFileContents.reportedSkipLimit { firstSkipped.append(error) }
        }

        mutating func add(text rawText: String, label rawLabel: String, line: Int, textName: String, labelName: String) throws {
            let text = trimWhitespace(rawText)
            guard !text.isEmpty else {
                try reject(line: line, "the text (\(textName)) is empty. Fill it in or remove the row.")
                return
            }
            var label = trimWhitespace(rawLabel)
            guard options.readsLabels else {
                examples.append(LabeledText(text: text, label: "", line: line))
                return
            }
            guard !label.isEmpty else {
                try reject(line: line, "the label (\(labelName)) is empty. Every row needs a label; fill it in or remove the row.")
                return
            }
            if let threshold = options.threshold {
                guard let value = Double(label), !value.isNaN else {
                    try reject(line: line, "label `\(clip(label))` is not a number; --threshold needs numeric labels.")
                    return
                }
                if value > threshold {
                    label = "positive"
                } else if value < threshold {
                    label = "negative"
                } else {
                    dropped += 1
                    return
                }
            }
            examples.append(LabeledText(text: text, label: label, line: line))
        }

        func finish(format: DataFormat) throws -> DataFileContents {
            guard examples.isEmpty else {
                return DataFileContents(examples: examples, skippedRows: skipped, firstSkipped: firstSkipped,
                                        droppedAtThreshold: dropped, format: format)
            }
            if rows == 0 {
                throw DataFileError(path: path, problem: "has a header but no examples. Add one example per line below the header.")
            }
            if let first = firstSkipped.first, dropped == 0 {
                throw DataFileError(path: path, line: first.line, problem: "none of its \(rows) row\(rows == 1 ? "" : "s") is usable. The first problem: \(first.problem)")
            }
            let threshold = options.threshold.map(formatNumber) ?? "?"
            var problem = "no examples are left: \(dropped) row\(dropped == 1 ? " has a label" : "s have labels") equal to the threshold \(threshold)"
            if skipped > 0 { problem += " and \(skipped) \(skipped == 1 ? "is" : "are") invalid" }
            throw DataFileError(path: path, problem: problem + ". Choose a threshold between the labels' values.")
        }
    }
}

// MARK: - Helpers

private let lineFeed: UInt8 = 0x0A
private let carriageReturn: UInt8 = 0x0D
private let tab: UInt8 = 0x09
private let space: UInt8 = 0x20
private let comma: UInt8 = 0x2C
private let quote: UInt8 = 0x22

private func isBlankByte(_ b: UInt8) -> Bool {
    b == space || b == tab || b == lineFeed || b == carriageReturn || b == 0x0B || b == 0x0C
}

/// The bytes as a string, or nil if they are not valid UTF-8. (`String(validating:as:)` would do,
/// but needs macOS 15 and the package supports macOS 13.)
private func decodeUTF8(_ bytes: ArraySlice<UInt8>) -> String? {
    if !bytes.allSatisfy({ $0 < 0x80 }) {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid: continue
            case .emptyInput: return String(decoding: bytes, as: UTF8.self)
            case .error: return nil
            }
        }
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// `s` without leading and trailing Unicode whitespace. Foundation's `trimmingCharacters(in:)`
/// goes through NSString on Linux and dominated the time to read a file.
private func trimWhitespace(_ s: String) -> String {
    let scalars = s.unicodeScalars
    guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
    guard let last = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
    if first == scalars.startIndex, scalars.index(after: last) == scalars.endIndex { return s }
    return String(scalars[first...last])
}

/// User text quoted in a message, shortened so a stray megabyte-long cell cannot flood the terminal.
private func clip(_ s: String) -> String {
    s.count > 60 ? String(s.prefix(57)) + "..." : s
}

private func formatNumber(_ x: Double) -> String {
    x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(x)
}

// MARK: - JSON

/// A JSON value as far as a data file needs it: strings decoded, numbers kept as written.
enum JSONValue {
    case object([String: JSONValue], order: [String])
    case array
    case string(String)
    case number(String)
    case bool(Bool)
    case null

    var kind: String {
        switch self {
        case .object: return "object"
        case .array: return "array"
        case .string: return "string"
        case .number: return "number"
        case .bool: return "boolean"
        case .null: return "null"
        }
    }
}

/// A strict RFC 8259 parser for one line of JSONL. Hand-written rather than `JSONSerialization`
/// so numbers keep their text (`2.50` stays `2.50`), errors carry a column, and nesting depth is
/// bounded (a line of 100 000 `[` must be an error, not a stack overflow).
struct JSONParser {
    struct Failure: Error {
        var message: String
        /// 1-based byte column in the line.
        var column: Int
    }

    static let maxDepth = 512

    let bytes: ArraySlice<UInt8>
    var i: Int

    init(bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.i = bytes.startIndex
    }

    mutating func parseDocument() throws -> JSONValue {
        skipWhitespace()
        let value = try parseValue(depth: 0)
        skipWhitespace()
        guard i == bytes.endIndex else { throw fail("unexpected \(describeCurrent()) after the value") }
        return value
    }

    private func fail(_ message: String) -> Failure {
        Failure(message: message, column: i - bytes.startIndex + 1)
    }

    private func describeCurrent() -> String {
        guard i < bytes.endIndex else { return "end of line" }
        let b = bytes[i]
        return b >= 0x21 && b < 0x7F ? "`\(Character(Unicode.Scalar(b)))`" : String(format: "byte 0x%02X", b)
    }

    private mutating func skipWhitespace() {
        while i < bytes.endIndex, bytes[i] == space || bytes[i] == tab || bytes[i] == lineFeed || bytes[i] == carriageReturn {
            i += 1
        }
    }

    private mutating func parseValue(depth: Int) throws -> JSONValue {
        guard i < bytes.endIndex else { throw fail("the line ends where a value should be") }
        switch bytes[i] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case quote: return .string(try parseString())
        case UInt8(ascii: "t"): try expectWord("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectWord("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectWord("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw fail("unexpected \(describeCurrent()) where a value should be")
        }
    }

    private mutating func expectWord(_ word: String) throws {
        for b in word.utf8 {
            guard i < bytes.endIndex, bytes[i] == b else { throw fail("unexpected \(describeCurrent()) (expected `\(word)`)") }
            i += 1
        }
    }

    private mutating func parseObject(depth: Int) throws -> JSONValue {
        guard depth <= Self.maxDepth else { throw fail("nesting deeper than \(Self.maxDepth) levels") }
        i += 1  // {
        var members: [String: JSONValue] = [:]
        var order: [String] = []
        skipWhitespace()
        if i < bytes.endIndex, bytes[i] == UInt8(ascii: "}") { i += 1; return .object(members, order: order) }
        while true {
            skipWhitespace()
            guard i < bytes.endIndex, bytes[i] == quote else { throw fail("expected a key in double quotes, found \(describeCurrent())") }
            let key = try parseString()
            skipWhitespace()
            guard i < bytes.endIndex, bytes[i] == UInt8(ascii: ":") else { throw fail("expected `:` after the key, found \(describeCurrent())") }
            i += 1
            skipWhitespace()
            let value = try parseValue(depth: depth)
            // A repeated key keeps its last value, as Python's json and JavaScript do.
            if members.updateValue(value, forKey: key) == nil { order.append(key) }
            skipWhitespace()
            guard i < bytes.endIndex else { throw fail("the line ends inside an object (missing `}`)") }
            if bytes[i] == comma { i += 1; continue }
            if bytes[i] == UInt8(ascii: "}") { i += 1; return .object(members, order: order) }
            throw fail("expected `,` or `}` in an object, found \(describeCurrent())")
        }
    }

    private mutating func parseArray(depth: Int) throws -> JSONValue {
        guard depth <= Self.maxDepth else { throw fail("nesting deeper than \(Self.maxDepth) levels") }
        i += 1  // [
        skipWhitespace()
        if i < bytes.endIndex, bytes[i] == UInt8(ascii: "]") { i += 1; return .array }
        while true {
            skipWhitespace()
            _ = try parseValue(depth: depth)
            skipWhitespace()
            guard i < bytes.endIndex else { throw fail("the line ends inside an array (missing `]`)") }
            if bytes[i] == comma { i += 1; continue }
            if bytes[i] == UInt8(ascii: "]") { i += 1; return .array }
            throw fail("expected `,` or `]` in an array, found \(describeCurrent())")
        }
    }

    private mutating func parseString() throws -> String {
        let open = i
        i += 1  // "
        var out: [UInt8] = []
        var segment = i
        while true {
            guard i < bytes.endIndex else {
                i = open
                throw fail("a string starting here is not closed (missing `\"`)")
            }
            let b = bytes[i]
            if b == quote {
                out.append(contentsOf: bytes[segment..<i])
                i += 1
                // The line was validated as UTF-8, and escapes produce valid UTF-8.
                return String(decoding: out, as: UTF8.self)
            }
            if b < 0x20 { throw fail("a control character (byte 0x\(String(b, radix: 16, uppercase: true))) inside a string must be escaped") }
            if b != UInt8(ascii: "\\") { i += 1; continue }
            out.append(contentsOf: bytes[segment..<i])
            i += 1
            guard i < bytes.endIndex else { throw fail("the line ends inside an escape") }
            let e = bytes[i]
            i += 1
            switch e {
            case quote, UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(lineFeed)
            case UInt8(ascii: "r"): out.append(carriageReturn)
            case UInt8(ascii: "t"): out.append(tab)
            case UInt8(ascii: "u"):
                var scalar = try parseHex4()
                if (0xD800..<0xDC00).contains(scalar), i + 1 < bytes.endIndex,
                   bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") {
                    let save = i
                    i += 2
                    let low = try parseHex4()
                    if (0xDC00..<0xE000).contains(low) {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else {
                        i = save  // not a pair: the high half alone becomes U+FFFD below
                    }
                }
                // Lone surrogates are not Unicode scalars; Python keeps them, we substitute U+FFFD.
                let decoded = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                out.append(contentsOf: String(Character(decoded)).utf8)
            default:
                i -= 1
                throw fail("unknown escape `\\\(Character(Unicode.Scalar(e)))` in a string")
            }
            segment = i
        }
    }

    private mutating func parseHex4() throws -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard i < bytes.endIndex else { throw fail("the line ends inside a \\u escape") }
            let b = bytes[i]
            let digit: UInt8
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = b - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = b - UInt8(ascii: "A") + 10
            default: throw fail("a \\u escape needs four hex digits")
            }
            value = value << 4 | UInt32(digit)
            i += 1
        }
        return value
    }

    private mutating func parseNumber() throws -> String {
        let start = i
        func digits() -> Int {
            let s = i
            while i < bytes.endIndex, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") { i += 1 }
            return i - s
        }
        if bytes[i] == UInt8(ascii: "-") { i += 1 }
        guard i < bytes.endIndex, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") else {
            throw fail("a number needs a digit after `-`")
        }
        if bytes[i] == UInt8(ascii: "0") {
            i += 1
            if i < bytes.endIndex, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") {
                throw fail("a number cannot have leading zeros")
            }
        } else {
            _ = digits()
        }
        if i < bytes.endIndex, bytes[i] == UInt8(ascii: ".") {
            i += 1
            guard digits() > 0 else { throw fail("a number needs digits after `.`") }
        }
        if i < bytes.endIndex, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i += 1
            if i < bytes.endIndex, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard digits() > 0 else { throw fail("a number needs digits in its exponent") }
        }
        return String(decoding: bytes[start..<i], as: UTF8.self)
    }
}
