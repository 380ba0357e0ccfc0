import Foundation

/// Reads a tab-separated file whose header names a `text` and a `label` column (the tutorial's
/// format: `text<TAB>label`). Other columns are allowed and ignored. `DataFileReader` with format
/// TSV and the default options, as the tests of the tutorial's files use it.
enum TSVReader {
    static func read(path: String) throws -> [LabeledText] {
        try DataFileReader.read(path: path, options: DataFileOptions(format: .tsv)).examples
    }

    static func parse(_ data: Data, path: String) throws -> [LabeledText] {
        try DataFileReader.parse([UInt8](data), path: path, options: DataFileOptions(format: .tsv)).examples
    }
}
