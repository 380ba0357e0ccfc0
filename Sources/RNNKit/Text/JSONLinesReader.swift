/// Reads JSON Lines into a `RowCollector`: each non-blank line one JSON object, the text and the
/// label chosen by key. A string label is kept as written; a number keeps its literal text
/// (`2.50` stays `2.50`); a boolean, null, array or object is refused (for the text too).
enum JSONLinesReader {
    /// An example line for messages.
    static let exampleLine = "{\"text\": \"good film\", \"label\": \"positive\"}"

    static func read(_ bytes: [UInt8], from start: Int, into collector: inout RowCollector) throws(DataFileError) {
        let path = collector.path, options = collector.options
        var keys: (text: String, label: String) = ("", "")
        let roles: [DataFileOptions.Role] = options.readsLabels ? [.text, .label] : [.text]
        for role in roles {
            switch options.column(role) {
            case .index(let number):
                throw DataFileError(.invalidOption, path: path, field: "column \(number)",
                                    detail: "JSONL rows are objects, so columns are chosen by key, not by number (the \(role) column is \(number)).",
                                    remedies: [.selectKey(role)])
            case .name(let name):
                if role == .text { keys.text = name } else { keys.label = name }
            }
        }
        let textName = "key `\(MessageText.clip(keys.text))`", labelName = "key `\(MessageText.clip(keys.label))`"
        guard !options.readsLabels || keys.text != keys.label else {
            throw DataFileError(.invalidOption, path: path, field: textName,
                                detail: "the text and label columns both select the \(textName); they must be different keys.",
                                remedies: [.selectDifferentColumns])
        }

        var i = start, lineNumber = 1
        while let (line, content) = Lines.next(bytes, &i, &lineNumber) {
            if content.allSatisfy(ASCII.isBlank) { continue }
            collector.rows += 1
            // Validated up front so a Latin-1 file gets an encoding message, not a JSON syntax one.
            guard UTF8Validation.firstInvalidOffset(content) == nil else {
                try collector.reject(.invalidUTF8, line: line, "is not valid UTF-8. Re-save the file as UTF-8.")
                continue
            }
            var parser = JSONParser(bytes: content)
            let value: JSONValue
            do {
                value = try parser.parseDocument()
            } catch {
                try collector.reject(.malformedRow, line: line, column: error.column,
                                     "is not valid JSON: \(error.message) at column \(error.column). Each line must be one JSON object, such as \(exampleLine).")
                continue
            }
            guard case .object(let members, let order) = value else {
                try collector.reject(.malformedRow, line: line, "is a JSON \(value.kind), not an object. Each line must be one JSON object, such as \(exampleLine).")
                continue
            }
            let present = order.isEmpty ? "it has no keys" : "its keys: \(order.prefix(20).map { "`\(MessageText.clip($0))`" }.joined(separator: ", "))"
            guard let textValue = members[keys.text] else {
                try collector.reject(.missingValue, line: line, field: textName, "has no \(textName) (\(present)).", remedies: [.selectKey(.text)])
                continue
            }
            guard let labelValue = options.readsLabels ? members[keys.label] : .string("") else {
                try collector.reject(.missingValue, line: line, field: labelName, "has no \(labelName) (\(present)).", remedies: [.selectKey(.label)])
                continue
            }
            guard case .string(let text) = textValue else {
                try collector.reject(.invalidValue, line: line, field: textName,
                                     "the text (\(textName)) is \(textValue.kind == "null" ? "null" : "a \(textValue.kind)"), not a string.")
                continue
            }
            let label: String
            switch labelValue {
            case .string(let s): label = s
            case .number(let literal): label = literal  // as written: 1 stays "1", 2.50 stays "2.50"
            case .bool(let b):
                try collector.reject(.invalidValue, line: line, field: labelName,
                                     "the label (\(labelName)) is the boolean \(b), not a string or number. Write it as a string (\"\(b)\") if it is meant as a class name.")
                continue
            case .null:
                try collector.reject(.missingValue, line: line, field: labelName, "the label (\(labelName)) is null. Every row needs a label.")
                continue
            case .array, .object:
                try collector.reject(.invalidValue, line: line, field: labelName, "the label (\(labelName)) is a \(labelValue.kind); labels must be strings or numbers.")
                continue
            }
            try collector.add(text: text, label: label, line: line, textName: textName, labelName: labelName)
        }
    }
}
