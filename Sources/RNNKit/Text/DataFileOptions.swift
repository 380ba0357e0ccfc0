/// How to read a data file of labelled texts. The defaults read a CSV, TSV or JSONL file (format
/// from the extension) whose header names a `text` and a `label` column, labels kept as written,
/// stopping at the first invalid row.
///
/// Codable for recipes: every key is optional and a missing key takes its default, so
/// `{"labelColumn": "score", "threshold": 0}` is a complete value; columns are a JSON string (a
/// name) or integer (a 1-based number).
public struct DataFileOptions: Codable, Sendable, Equatable {
    /// The two columns a reader selects, as errors and remedies name them.
    public enum Role: String, Codable, Sendable, CaseIterable {
        case text, label
    }

    /// nil: from the file name's extension (see `DataFileFormat.init(path:)`).
    public var format: DataFileFormat?
    /// Whether the first non-blank line of a CSV or TSV file names the columns. Ignored for JSONL.
    public var hasHeader: Bool
    public var textColumn: ColumnSelector
    public var labelColumn: ColumnSelector
    /// False to read texts alone (for prediction): the label column is neither looked for nor
    /// checked, and every example's label is empty.
    public var readsLabels: Bool
    /// Turns numeric labels (scores, ratings) into two classes: a label above the threshold
    /// becomes `positive`, below it `negative`; a label equal to it is dropped and counted in
    /// `DataFileContents.droppedAtThreshold`. A label that is not a number makes the row invalid.
    /// Labels are numbers by `DataFileOptions.number(from:)`'s rule; the threshold must be finite.
    public var threshold: Double?
    /// Skip invalid rows (counting them, and keeping the first few errors) instead of throwing.
    /// Problems with the whole file (missing, a directory, empty, binary, unknown column) still throw.
    public var skipInvalid: Bool

    public init(format: DataFileFormat? = nil, hasHeader: Bool = true, textColumn: ColumnSelector = .name("text"),
                labelColumn: ColumnSelector = .name("label"), readsLabels: Bool = true, threshold: Double? = nil,
                skipInvalid: Bool = false) {
        self.format = format
        self.hasHeader = hasHeader
        self.textColumn = textColumn
        self.labelColumn = labelColumn
        self.readsLabels = readsLabels
        self.threshold = threshold
        self.skipInvalid = skipInvalid
    }

    /// A label or threshold as a number, by the one rule both follow: a finite decimal number
    /// (`3`, `-1.5`, `.5`, `2e3`); nil for anything else, hexadecimal (`0x10`), `inf`, `nan` and
    /// `1e400` (beyond `Double`'s range) included.
    public static func number(from text: String) -> Double? {
        DecimalNumber.parse(text)
    }

    /// What `number(from:)` accepts, as a phrase for messages.
    public static var numberRule: String { DecimalNumber.rule }

    /// The selector for `role`'s column.
    public func column(_ role: Role) -> ColumnSelector {
        role == .text ? textColumn : labelColumn
    }

    private enum CodingKeys: String, CodingKey {
        case format, hasHeader, textColumn, labelColumn, readsLabels, threshold, skipInvalid
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = DataFileOptions()
        self.init(format: try c.decodeIfPresent(DataFileFormat.self, forKey: .format),
                  hasHeader: try c.decodeIfPresent(Bool.self, forKey: .hasHeader) ?? defaults.hasHeader,
                  textColumn: try c.decodeIfPresent(ColumnSelector.self, forKey: .textColumn) ?? defaults.textColumn,
                  labelColumn: try c.decodeIfPresent(ColumnSelector.self, forKey: .labelColumn) ?? defaults.labelColumn,
                  readsLabels: try c.decodeIfPresent(Bool.self, forKey: .readsLabels) ?? defaults.readsLabels,
                  threshold: try c.decodeIfPresent(Double.self, forKey: .threshold),
                  skipInvalid: try c.decodeIfPresent(Bool.self, forKey: .skipInvalid) ?? defaults.skipInvalid)
    }
}
