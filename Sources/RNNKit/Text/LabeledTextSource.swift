/// Where labelled texts come from: a data file, rows in memory, or the tutorial's built-in set.
///
///     .file("train.tsv", text: "text", label: "score", threshold: 0)
///     .rows([LabeledText(text: "i am happy", label: "positive"), …])
///     .tutorialTrain
public struct LabeledTextSource: Sendable {
    /// How the rows are obtained.
    enum Origin: Sendable {
        case file(path: String, options: DataFileOptions)
        case rows([LabeledText])
    }
    let origin: Origin
    /// How errors and reports name the source: the file's path, or a description.
    public let name: String

    /// A CSV, TSV or JSON Lines file with a header naming the text and label columns.
    /// - Parameters:
    ///   - threshold: for numeric labels (scores): above → `positive`, below → `negative`,
    ///     equal → dropped.
    ///   - options: the rest of `DataFileOptions` (format, header, skipping invalid rows); its
    ///     columns and threshold are replaced by `text`, `label` and `threshold`.
    public static func file(_ path: String, text: String = "text", label: String = "label", threshold: Double? = nil,
                            options: DataFileOptions = DataFileOptions()) -> LabeledTextSource {
        var o = options
        o.textColumn = ColumnSelector(text)
        o.labelColumn = ColumnSelector(label)
        o.threshold = threshold
        return LabeledTextSource(origin: .file(path: path, options: o), name: path)
    }

    /// A data file read with `options` exactly as given.
    public static func file(_ path: String, options: DataFileOptions) -> LabeledTextSource {
        LabeledTextSource(origin: .file(path: path, options: options), name: path)
    }

    /// Rows already in memory.
    public static func rows(_ rows: [LabeledText], name: String = "the given rows") -> LabeledTextSource {
        LabeledTextSource(origin: .rows(rows), name: name)
    }

    /// The tutorial's 58 training sentences.
    public static var tutorialTrain: LabeledTextSource { .rows(TutorialDataset.train, name: "built-in data") }
    /// The tutorial's 20 test sentences.
    public static var tutorialTest: LabeledTextSource { .rows(TutorialDataset.test, name: "built-in data") }

    /// The rows. A file's invalid rows are skipped only with `DataFileOptions.skipInvalid`;
    /// `DataFileReader.read(path:options:)` also says how many were skipped or dropped.
    public func load() throws -> [LabeledText] {
        switch origin {
        case .file(let path, let options): return try DataFileReader.read(path: path, options: options).examples
        case .rows(let rows): return rows
        }
    }
}
