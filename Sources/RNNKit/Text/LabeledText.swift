import Foundation

/// One text and its label, as read from a data file.
public struct LabeledText: Sendable, Equatable {
    public var text: String
    public var label: String
    /// 1-based line in the source file (0 for built-in data).
    public var line: Int

    public init(text: String, label: String, line: Int = 0) {
        self.text = text
        self.label = label
        self.line = line
    }
}

/// A data file that cannot be used, with where and why, and what to do about it.
public struct DataFileError: Error, CustomStringConvertible, Sendable, Equatable {
    public var path: String
    /// 1-based line number, when the problem is on one line.
    public var line: Int?
    public var problem: String

    public init(path: String, line: Int? = nil, problem: String) {
        self.path = path
        self.line = line
        self.problem = problem
    }

    public var description: String {
        line.map { "\(path):\($0): \(problem)" } ?? "\(path): \(problem)"
    }
}

/// Reads a tab-separated file whose header names a `text` and a `label` column (the tutorial's
/// format: `text<TAB>label`). Other columns are allowed and ignored. A thin wrapper over
/// `DataFileReader` with format TSV and the default options, kept for existing callers.
public enum TSVReader {
    public static func read(path: String) throws -> [LabeledText] {
        try DataFileReader.read(path: path, options: DataFileOptions(format: .tsv)).examples
    }

    public static func parse(_ data: Data, path: String) throws -> [LabeledText] {
        try DataFileReader.parse([UInt8](data), path: path, options: DataFileOptions(format: .tsv)).examples
    }
}
