/// Reads the records of a CSV or TSV file into a `RowCollector`: the header (or the first row,
/// without one) fixes the columns and their count; every later record must have that count.
enum TableReader {
    static func read<S: RecordScanner>(_ scanner: inout S, format: DataFileFormat, into collector: inout RowCollector) throws(DataFileError) {
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
                    throw DataFileError(.malformedHeader, path: path, line: badLine, detail: "the header line " + problem)
                }
                try collector.reject(.malformedRow, line: badLine, problem)
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
                        guard let name = UTF8Validation.string(field) else {
                            throw DataFileError(.malformedHeader, path: path, line: line, detail: "the header line is not valid UTF-8. Re-save the file as UTF-8.")
                        }
                        decoded.append(name.trimmedOfWhitespace)
                    }
                    header = decoded
                }
                let resolver = ColumnResolver(path: path, line: line, header: header, fieldCount: fields.count, format: format)
                let text = try resolver.resolve(options.textColumn, role: .text)
                let label = options.readsLabels ? try resolver.resolve(options.labelColumn, role: .label) : -1
                guard text != label else {
                    throw DataFileError(.invalidOption, path: path, line: header == nil ? nil : line, field: resolver.describe(text),
                                        detail: "the text and label columns both select \(resolver.describe(text)); they must be different columns.",
                                        remedies: [.selectDifferentColumns])
                }
                columns = (text, label, fields.count, header == nil ? "line \(line)" : "the header")
                names = (resolver.describe(text), options.readsLabels ? resolver.describe(label) : "")
                if header != nil { continue }
            }
            guard let columns else { continue }  // unreachable: set just above

            collector.rows += 1
            guard fields.count == columns.count else {
                let hint = format == .csv
                    ? "A text containing commas must be in double quotes: \"like, this\"."
                    : "TSV has no quoting, so a tab inside a text splits it: remove tabs from texts, or use CSV."
                try collector.reject(.malformedRow, line: line, "has \(fields.count) \(separated) field\(fields.count == 1 ? "" : "s") but \(columns.countSource) has \(columns.count). \(hint)")
                continue
            }
            guard let text = UTF8Validation.string(fields[columns.text]) else {
                try collector.reject(.invalidUTF8, line: line, field: names.text, "the text (\(names.text)) is not valid UTF-8. The file may be in another encoding such as Latin-1 or Windows-1252; re-save it as UTF-8.")
                continue
            }
            guard let label = columns.label < 0 ? "" : UTF8Validation.string(fields[columns.label]) else {
                try collector.reject(.invalidUTF8, line: line, field: names.label, "the label (\(names.label)) is not valid UTF-8. Re-save the file as UTF-8.")
                continue
            }
            try collector.add(text: text, label: label, line: line, textName: names.text, labelName: names.label)
        }
    }
}
