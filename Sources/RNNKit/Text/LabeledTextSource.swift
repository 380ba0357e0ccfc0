/// Where a classifier's labelled texts come from: a data file read with `DataFileOptions`, rows
/// already in memory, or the tutorial's built-in sentences.
///
/// A source is a description; nothing is read until `load()` (or `read()`), so a source can be
/// made, passed around and reused freely.
///
///     let train = LabeledTextSource.file("train.tsv", text: "text", label: "score", threshold: 0)
///     let examples = try train.load()
public struct LabeledTextSource: Sendable, Equatable, CustomStringConvertible {
    enum Origin: Sendable, Equatable {
        case file(path: String, options: DataFileOptions)
        case rows([LabeledText], name: String)
    }

    let origin: Origin

    /// A CSV, TSV or JSONL file (see `DataFileOptions` for every setting).
    public static func file(_ path: String, options: DataFileOptions) -> LabeledTextSource {
        LabeledTextSource(origin: .file(path: path, options: options))
    }

    /// A CSV, TSV or JSONL file whose columns are chosen by header name (a string) or 1-based
    /// number (an integer), e.g. `.file("train.tsv", text: "text", label: "score", threshold: 0)`.
    ///
    /// - Parameters:
    ///   - path: the file.
    ///   - text: the text column (or JSON key).
    ///   - label: the label column (or JSON key).
    ///   - threshold: numeric labels above it become `positive`, below it `negative`; equal ones are dropped.
    ///   - format: nil to tell it from the extension.
    ///   - hasHeader: false when the first line is an example; then select columns by number.
    ///   - skipInvalid: skip invalid rows (counted by `read()`) instead of throwing at the first.
    public static func file(_ path: String, text: ColumnSelector = "text", label: ColumnSelector = "label",
                            threshold: Double? = nil, format: DataFileFormat? = nil, hasHeader: Bool = true,
                            skipInvalid: Bool = false) -> LabeledTextSource {
        .file(path, options: DataFileOptions(format: format, hasHeader: hasHeader, textColumn: text, labelColumn: label,
                                             threshold: threshold, skipInvalid: skipInvalid))
    }

    /// Texts already in memory, used as given; `name` stands for them in errors.
    public static func rows(_ rows: [LabeledText], name: String = "rows") -> LabeledTextSource {
        LabeledTextSource(origin: .rows(rows, name: name))
    }

    /// The tutorial's 58 training sentences (see `TutorialDataset`).
    public static var tutorialTrain: LabeledTextSource { .rows(TutorialDataset.train, name: "tutorial training data") }

    /// The tutorial's 20 test sentences (see `TutorialDataset`).
    public static var tutorialTest: LabeledTextSource { .rows(TutorialDataset.test, name: "tutorial test data") }

    /// The file's path, or the rows' name: what errors about these texts call them.
    public var name: String {
        switch origin {
        case .file(let path, _): return path
        case .rows(_, let name): return name
        }
    }

    public var description: String { name }

    /// The texts, in order. Never empty.
    /// - Throws: `DataFileError` for an unusable file or row (see `DataFileOptions.skipInvalid`),
    ///   or rows that are empty.
    public func load() throws -> [LabeledText] {
        try read().examples
    }

    /// The texts with what was left out: rows skipped as invalid (with the first few errors) and
    /// rows dropped at the threshold. `format` is nil for rows from memory.
    public func read() throws -> DataFileContents {
        switch origin {
        case .file(let path, let options):
            return try DataFileReader.read(path: path, options: options)
        case .rows(let rows, let name):
            guard !rows.isEmpty else { throw DataFileError(.empty, path: name, detail: "has no examples.") }
            return DataFileContents(examples: rows, skippedRows: 0, firstSkipped: [], droppedAtThreshold: 0, format: nil)
        }
    }
}
