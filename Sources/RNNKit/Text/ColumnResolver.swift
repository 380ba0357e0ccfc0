/// Finds the selected columns of a CSV or TSV file in its header (or, without one, in the first
/// row's field count), explaining a selector that matches nothing.
struct ColumnResolver {
    var path: String
    var line: Int
    var header: [String]?
    var fieldCount: Int
    var format: DataFileFormat

    /// Column `column` (0-based) as messages name it: by its header name, or by its number.
    func describe(_ column: Int) -> String {
        header.map { "column `\(MessageText.clip($0[column]))`" } ?? "column \(column + 1)"
    }

    /// The 0-based index of `role`'s column. `name` is what messages call the role when it is
    /// not the role's own name (`source`, `target`).
    func resolve(_ selector: ColumnSelector, role: DataFileOptions.Role, called name: String? = nil) throws(DataFileError) -> Int {
        let roleName = name ?? role.rawValue
        switch selector {
        case .index(let number):
            guard number >= 1 else {
                throw DataFileError(.invalidOption, path: path, field: "column \(number)",
                                    detail: "\(roleName) column \(number): column numbers start at 1.", remedies: [.selectColumn(role)])
            }
            guard number <= fieldCount else {
                let has = header.map { "the header has \(MessageText.count(fieldCount, "column")): \(list($0))" }
                    ?? "line \(line) has \(MessageText.count(fieldCount, "field"))"
                let remedy: DataFileError.Remedy = header == nil ? .selectColumnByNumber(role, example: fieldCount) : .selectColumn(role)
                throw DataFileError(.unknownColumn, path: path, line: line, field: "column \(number)",
                                    detail: "\(roleName) column \(number) is out of range: \(has).\(separatorDetail)",
                                    remedies: [remedy] + separatorRemedies)
            }
            return number - 1
        case .name(let name):
            let field = "column `\(MessageText.clip(name))`"
            guard let header else {
                throw DataFileError(.unknownColumn, path: path, field: field,
                                    detail: "without a header line columns have no names, so `\(MessageText.clip(name))` cannot be found.",
                                    remedies: [.selectColumnByNumber(role, example: 2)])
            }
            let exact = header.indices.filter { header[$0] == name }
            if exact.count == 1 { return exact[0] }
            if exact.count > 1 {
                throw DataFileError(.unknownColumn, path: path, line: line, field: field,
                                    detail: "the header names `\(MessageText.clip(name))` more than once (columns \(exact.map { String($0 + 1) }.joined(separator: ", "))).",
                                    remedies: [.selectColumnByNumber(role, example: exact[0] + 1)])
            }
            // A header saying `Text` or `LABEL` is surely meant; accept it when unambiguous.
            let folded = name.lowercased()
            let loose = header.indices.filter { header[$0].lowercased() == folded }
            if loose.count == 1 { return loose[0] }
            var remedies: [DataFileError.Remedy] = [.selectColumn(role)]
            // Numbers or long sentences in the "header" mean it is probably the first example.
            if header.contains(where: { Double($0) != nil || $0.count > 40 }) {
                remedies.append(.readWithoutHeader(line: line))
            }
            throw DataFileError(.unknownColumn, path: path, line: line, field: field,
                                detail: "no column is named `\(MessageText.clip(name))`; the header has \(list(header)).\(separatorDetail)",
                                remedies: remedies + separatorRemedies)
        }
    }

    /// The format the one-column header suggests instead, if any: the file may be in the other
    /// separated format.
    private var suggestedFormat: DataFileFormat? {
        guard fieldCount == 1, let only = header?.first else { return nil }
        if format == .tsv, only.contains(",") { return .csv }
        if format == .csv, only.contains("\t") { return .tsv }
        return nil
    }

    private var separatorDetail: String {
        switch suggestedFormat {
        case .csv?: return " The line has commas but no tabs."
        case .tsv?: return " The line has tabs but no commas."
        default: return ""
        }
    }

    private var separatorRemedies: [DataFileError.Remedy] {
        suggestedFormat.map { [.setFormat(suggested: $0)] } ?? []
    }

    private func list(_ header: [String]) -> String {
        let shown = header.prefix(20).map { "`\(MessageText.clip($0))`" }.joined(separator: ", ")
        return header.count > 20 ? "\(shown), … (\(header.count) columns)" : shown
    }
}
