/// Accumulates examples and skipped rows, applying the rules every format shares: texts and
/// labels are trimmed and must not be empty; with a threshold, labels must be numbers and become
/// `positive` or `negative` (or are dropped when equal to it).
struct RowCollector {
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

    /// A row-level problem: thrown (with the remedy of skipping), or counted and skipped with `skipInvalid`.
    mutating func reject(_ kind: DataFileError.Kind, line: Int, field: String? = nil, column: Int? = nil,
                         _ detail: String, remedies: [DataFileError.Remedy] = []) throws(DataFileError) {
        var error = DataFileError(kind, path: path, line: line, column: column, field: field, detail: detail, remedies: remedies)
        guard options.skipInvalid else {
            error.remedies.append(.skipInvalidRows)
            throw error
        }
        skipped += 1
        if firstSkipped.count < DataFileContents.reportedSkipLimit { firstSkipped.append(error) }
    }

    mutating func add(text rawText: String, label rawLabel: String, line: Int, textName: String, labelName: String) throws(DataFileError) {
        for (value, role, name) in [(rawText, "text", textName), (rawLabel, "label", labelName)] where Self.hasByteOrderMark(value) {
            try reject(.invalidValue, line: line, field: name,
                       "the \(role) (\(name)) contains a byte-order mark (U+FEFF), which belongs only at the very start of a file; inside one it usually means that two files were joined. Delete it.")
            return
        }
        let text = rawText.trimmedOfWhitespace
        guard !text.isEmpty else {
            try reject(.missingValue, line: line, field: textName, "the text (\(textName)) is empty. Fill it in or remove the row.")
            return
        }
        var label = rawLabel.trimmedOfWhitespace
        guard options.readsLabels else {
            examples.append(LabeledText(text: text, label: "", line: line))
            return
        }
        guard !label.isEmpty else {
            try reject(.missingValue, line: line, field: labelName, "the label (\(labelName)) is empty. Every row needs a label; fill it in or remove the row.")
            return
        }
        if let threshold = options.threshold {
            guard let value = DecimalNumber.parse(label) else {
                try reject(.invalidValue, line: line, field: labelName,
                           "label `\(MessageText.clip(label))` is not a number; a threshold needs numeric labels, each \(DecimalNumber.rule).",
                           remedies: [.numericLabelsOrNoThreshold])
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

    /// U+FEFF, looked for byte-wise: its UTF-8 form starts with 0xEF, rare in text.
    static func hasByteOrderMark(_ s: String) -> Bool {
        s.utf8.contains(0xEF) && s.unicodeScalars.contains("\u{FEFF}")
    }

    func finish(format: DataFileFormat) throws(DataFileError) -> DataFileContents {
        guard examples.isEmpty else {
            var contents = DataFileContents(examples: examples, skippedRows: skipped, firstSkipped: firstSkipped,
                                            droppedAtThreshold: dropped, format: format)
            if options.readsLabels && options.threshold == nil { contents.numericLabels = NumericLabels(examples) }
            return contents
        }
        if rows == 0 {
            throw DataFileError(.empty, path: path, detail: "has a header but no examples. Add one example per line below the header.")
        }
        if let first = firstSkipped.first, dropped == 0 {
            throw DataFileError(.noUsableRows, path: path, line: first.line,
                                detail: "none of its \(MessageText.count(rows, "row")) is usable. The first problem: \(first.detail)",
                                remedies: first.remedies)
        }
        let threshold = options.threshold.map(MessageText.number) ?? "?"
        var detail = "no examples are left: \(dropped) row\(dropped == 1 ? " has a label" : "s have labels") equal to the threshold \(threshold)"
        if skipped > 0 { detail += " and \(skipped) \(skipped == 1 ? "is" : "are") invalid" }
        throw DataFileError(.noUsableRows, path: path, detail: detail + ".", remedies: [.thresholdBetweenLabels])
    }
}
