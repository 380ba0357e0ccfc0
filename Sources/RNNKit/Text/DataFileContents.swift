/// The examples of a data file, and what was left out.
public struct DataFileContents: Sendable, Equatable {
    /// The most row errors kept in `firstSkipped`.
    public static let reportedSkipLimit = 5

    /// In file order; each with the line its row starts on. Never empty.
    public var examples: [LabeledText]
    /// Invalid rows skipped (only with `DataFileOptions.skipInvalid`).
    public var skippedRows: Int
    /// The first `reportedSkipLimit` skipped rows' errors, in file order, with line numbers.
    public var firstSkipped: [DataFileError]
    /// Rows whose numeric label equalled `DataFileOptions.threshold`.
    public var droppedAtThreshold: Int
    /// The format the file was read as; nil for texts that came from memory.
    public var format: DataFileFormat?
    /// Read without a threshold, when every label is a number: how many classes they make (see
    /// `NumericLabels.looksLikeScores`); nil otherwise.
    public var numericLabels: NumericLabels? = nil
}
