/// One record of a CSV or TSV file: its fields, or why it cannot be split into fields.
enum Record {
    case fields(line: Int, [ArraySlice<UInt8>])
    case invalid(line: Int, problem: String)
}

/// Splits a CSV or TSV file into records, skipping blank lines and counting every line.
protocol RecordScanner {
    /// The next non-blank record, or nil at the end; throws for problems that spoil the rest of the file.
    mutating func next() throws(DataFileError) -> Record?
}
