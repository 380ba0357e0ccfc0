/// A data file (or a set of labelled texts) that cannot be used: which file, which line, what is
/// wrong and what to do about it.
///
/// `description` is one line, `path:line: detail remedies`, with remedies in library terms
/// ("set `DataFileOptions.threshold`"). A front end with its own option names (the `rnn` command
/// line) renders `location`, `detail` and its own wording of each `Remedy` instead.
public struct DataFileError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of problem this is; `isRowLevel` kinds are the ones `DataFileOptions.skipInvalid` skips.
    public enum Kind: String, Codable, Sendable, CaseIterable {
        // The file as a whole.
        /// Missing, a directory or device, not readable, or too large.
        case unreadable
        /// The format is neither given nor told by the extension.
        case unknownFormat
        /// Binary, compressed, UTF-16, not UTF-8, or with old Mac line ends.
        case notText
        /// No rows at all, or a header and no rows.
        case empty
        /// An option value that cannot work (a NaN threshold, column number 0, text and label the
        /// same column).
        case invalidOption
        /// The selected column (or key) is not in the file, or the header names it twice.
        case unknownColumn
        /// A header line that cannot be read (bad quoting, not UTF-8): no row can be.
        case malformedHeader
        /// A CSV quote that is never closed, which would swallow the rest of the file.
        case unterminatedQuote
        /// Every row was invalid, or dropped at the threshold.
        case noUsableRows
        // One row.
        /// A row that cannot be split into fields (wrong field count, bad quoting, bad JSON).
        case malformedRow
        /// A row whose bytes are not UTF-8.
        case invalidUTF8
        /// An empty or missing text or label.
        case missingValue
        /// A text or label of the wrong type (a JSON number for a text, an array for a label), or
        /// a label that is not a number although a threshold is set.
        case invalidValue
        // Labels across files (raised by `ClassifierData`).
        /// A validation or test label that training never saw.
        case unknownLabel
        /// Training data with fewer than two labels.
        case tooFewLabels

        /// Whether the problem is confined to one row, so that skipping the row is a way out.
        public var isRowLevel: Bool {
            switch self {
            case .malformedRow, .invalidUTF8, .missingValue, .invalidValue: return true
            default: return false
            }
        }
    }

    /// A change to the `DataFileOptions` that resolves the error (or a way round it).
    public enum Remedy: Sendable, Equatable, CustomStringConvertible {
        /// Name the format (`DataFileOptions.format`); `suggested` when the content hints at one.
        case setFormat(suggested: DataFileFormat?)
        /// Select the role's column by a header name or a 1-based number.
        case selectColumn(DataFileOptions.Role)
        /// Select the role's column by number (names are missing or ambiguous), e.g. `example`.
        case selectColumnByNumber(DataFileOptions.Role, example: Int)
        /// JSONL: select the role's column by the key that holds it.
        case selectKey(DataFileOptions.Role)
        /// Select different columns for the text and the label.
        case selectDifferentColumns
        /// The header line may be an example: read without a header, selecting columns by number.
        case readWithoutHeader(line: Int)
        /// A threshold must be a number (or nil for labels kept as text).
        case thresholdNumber
        /// A threshold needs numeric labels: fix the label, or keep labels as text.
        case numericLabelsOrNoThreshold
        /// Every label equals the threshold: choose one between the labels' values.
        case thresholdBetweenLabels
        /// Skip invalid rows instead of stopping at the first.
        case skipInvalidRows

        /// The remedy in library terms, as a sentence.
        public var description: String {
            func option(_ role: DataFileOptions.Role) -> String { "`DataFileOptions.\(role)Column`" }
            switch self {
            case .setFormat(nil):
                return "Set `DataFileOptions.format` to `.csv`, `.tsv` or `.jsonl`."
            case .setFormat(let format?):
                return "If this is a \(format.rawValue.uppercased()) file, set `DataFileOptions.format` to `.\(format.rawValue)`."
            case .selectColumn(let role):
                return "Set \(option(role)) to one of the header's names or a column number."
            case .selectColumnByNumber(let role, let example):
                return "Give the \(role) column's number instead: set \(option(role)) to `.index(\(example))`."
            case .selectKey(let role):
                return "Set \(option(role)) to the key that holds the \(role), e.g. `.name(\"\(role)\")`."
            case .selectDifferentColumns:
                return "Set `DataFileOptions.textColumn` and `DataFileOptions.labelColumn` to different columns."
            case .readWithoutHeader(let line):
                return "If line \(line) is an example rather than a header, set `DataFileOptions.hasHeader` to false and select the columns by number."
            case .thresholdNumber:
                return "Set `DataFileOptions.threshold` to a number such as 0 or 2.5, or to nil to keep labels as text."
            case .numericLabelsOrNoThreshold:
                return "Fix the label, or set `DataFileOptions.threshold` to nil to keep labels as text."
            case .thresholdBetweenLabels:
                return "Set `DataFileOptions.threshold` to a value between the labels' values."
            case .skipInvalidRows:
                return "To skip invalid rows instead, set `DataFileOptions.skipInvalid`."
            }
        }
    }

    public var kind: Kind
    /// The file, as given (or a name for data from elsewhere, such as `test data`).
    public var path: String
    /// 1-based line number, when the problem is on one line.
    public var line: Int?
    /// 1-based byte column within the line, when known (JSON syntax errors).
    public var column: Int?
    /// The column or key concerned, as a message names it (`column \`text\``, `key \`label\``, `column 3`).
    public var field: String?
    /// What is wrong, as a sentence or two; when the fix lies in the file (re-save it as UTF-8,
    /// close the quote), that too. Names no option: those are in `remedies`.
    public var detail: String
    /// Changes to the options that resolve the problem, most relevant first.
    public var remedies: [Remedy]

    public init(_ kind: Kind, path: String, line: Int? = nil, column: Int? = nil, field: String? = nil,
                detail: String, remedies: [Remedy] = []) {
        self.kind = kind
        self.path = path
        self.line = line
        self.column = column
        self.field = field
        self.detail = detail
        self.remedies = remedies
    }

    /// `path:line`, or `path` when the problem is not on one line.
    public var location: String {
        line.map { "\(path):\($0)" } ?? path
    }

    public var description: String {
        ([location + ": " + detail] + remedies.map(\.description)).joined(separator: " ")
    }
}
