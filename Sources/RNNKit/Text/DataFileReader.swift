/// Reads CSV, TSV and JSONL files of labelled texts, and explains every problem with a file as a
/// `DataFileError` (path, line, what is wrong and what to do) rather than failing obscurely.
///
/// All formats: UTF-8 with or without a byte-order mark; LF or CRLF line ends; the last line may
/// lack its line end; blank lines are skipped; texts and labels are trimmed of surrounding
/// whitespace and must not be empty. Line numbers are 1-based and count every line of the file
/// (a CSV record spanning several lines reports the line it starts on).
///
/// Used through `LabeledTextSource`; internal so its parts can change.
enum DataFileReader {
    /// What messages call the files this reads.
    static let kindOfFile = "a data file (.csv, .tsv or .jsonl)"

    /// Reads the file at `path`; see `parse(_:path:options:)`.
    static func read(path: String, options: DataFileOptions = DataFileOptions()) throws -> DataFileContents {
        let bytes: [UInt8]
        do {
            bytes = try FileBytes.read(path, kindOfFile: kindOfFile)
        } catch {
            throw DataFileError(.unreadable, path: path.isEmpty ? "\"\"" : path, detail: error.detail)
        }
        return try parse(bytes, path: path, options: options)
    }

    /// Parses the contents of a data file; `path` names it in errors and, if `options.format` is
    /// nil, gives the format by its extension.
    ///
    /// - Throws: `DataFileError` for a problem with the file as a whole (unknown format, empty,
    ///   binary or not UTF-8 text, unknown or out-of-range column, unterminated CSV quote, no
    ///   usable rows) and, unless `options.skipInvalid`, for the first invalid row.
    static func parse(_ bytes: [UInt8], path: String, options: DataFileOptions = DataFileOptions()) throws -> DataFileContents {
        guard let format = options.format ?? DataFileFormat(path: path) else {
            let name = path.split(separator: "/").last.map(String.init) ?? path
            let ext = name.lastIndex(of: ".").map { "the extension `\(name[$0...])`" } ?? "a name without an extension"
            throw DataFileError(.unknownFormat, path: path,
                                detail: "cannot tell the format from \(ext) (\(DataFileFormat.recognisedExtensions) are recognised).",
                                remedies: [.setFormat(suggested: nil)])
        }
        if let threshold = options.threshold, !threshold.isFinite {
            throw DataFileError(.invalidOption, path: path, detail: "the threshold is not a finite number.", remedies: [.thresholdNumber])
        }
        let start = bytes.starts(with: UTF8Validation.byteOrderMark) ? UTF8Validation.byteOrderMark.count : 0
        if bytes[start...].allSatisfy(ASCII.isBlank) {
            let needs = format == .jsonl
                ? "one JSON object per line, such as \(JSONLinesReader.exampleLine)"
                : "a header line naming the columns (e.g. `text` and `label`) and one example per line"
            throw DataFileError(.empty, path: path, detail: "the file is empty. It needs \(needs).")
        }
        if let (detail, line) = BinaryDetection.problem(bytes, from: start) {
            throw DataFileError(.notText, path: path, line: line, detail: detail)
        }
        var collector = RowCollector(path: path, options: options)
        switch format {
        case .csv:
            var scanner = CSVScanner(bytes: bytes, start: start, path: path)
            try TableReader.read(&scanner, format: format, into: &collector)
        case .tsv:
            var scanner = TSVScanner(bytes: bytes, start: start)
            try TableReader.read(&scanner, format: format, into: &collector)
        case .jsonl:
            try JSONLinesReader.read(bytes, from: start, into: &collector)
        }
        return try collector.finish(format: format)
    }
}
