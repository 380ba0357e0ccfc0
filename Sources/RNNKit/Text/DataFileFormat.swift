/// The layout of a data file of labelled texts.
public enum DataFileFormat: String, Codable, Sendable, CaseIterable {
    /// Comma-separated values as in RFC 4180: a field may be in double quotes, and then may hold
    /// commas, line breaks and `""` for a quote.
    case csv
    /// Tab-separated values with no quoting (as Python's `csv` with `QUOTE_NONE`): every tab
    /// separates fields, so texts cannot contain tabs.
    case tsv
    /// JSON Lines: one JSON object per line; columns are the objects' keys.
    case jsonl

    /// The extensions `init(path:)` recognises, as a message lists them.
    static let recognisedExtensions = ".csv, .tsv, .tab, .jsonl and .ndjson"

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
