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
/// format: `text<TAB>label`). Other columns are allowed and ignored. UTF-8, with or without a BOM;
/// LF or CRLF line ends; blank lines are skipped.
public enum TSVReader {
    public static func read(path: String) throws -> [LabeledText] {
        let data = try readFile(path)
        return try parse(data, path: path)
    }

    static func readFile(_ path: String) throws -> Data {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DataFileError(path: path, problem: "no such file. Check the path.")
        }
        if isDirectory.boolValue {
            throw DataFileError(path: path, problem: "is a directory, not a data file. Name a .tsv file.")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DataFileError(path: path, problem: "cannot be read (permissions?).")
        }
        return data
    }

    public static func parse(_ data: Data, path: String) throws -> [LabeledText] {
        var bytes = [UInt8](data)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        if bytes.allSatisfy({ $0 == 0x0A || $0 == 0x0D || $0 == 0x20 || $0 == 0x09 }) {
            throw DataFileError(path: path, problem: "the file is empty. It needs a header line `text<TAB>label` and one example per line.")
        }
        var lines: [(number: Int, text: String)] = []
        var number = 0
        for rawLine in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
            number += 1
            var lineBytes = rawLine
            if lineBytes.last == 0x0D { lineBytes = lineBytes.dropLast() }
            if lineBytes.contains(0) {
                throw DataFileError(path: path, line: number, problem: "contains a NUL byte: this looks like a binary file, not UTF-8 text.")
            }
            guard let text = String(validating: lineBytes, as: UTF8.self) else {
                throw DataFileError(path: path, line: number, problem: "is not valid UTF-8. Re-save the file as UTF-8.")
            }
            if text.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            lines.append((number, text))
        }
        let header = lines.removeFirst()
        let columns = header.text.split(separator: "\t", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        guard let textColumn = columns.firstIndex(of: "text"), let labelColumn = columns.firstIndex(of: "label") else {
            throw DataFileError(path: path, line: header.number,
                                problem: "the header must name the columns `text` and `label` (tab-separated); found \(columns.map { "`\($0)`" }.joined(separator: ", ")).")
        }
        var rows: [LabeledText] = []
        for (n, line) in lines {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count == columns.count else {
                throw DataFileError(path: path, line: n,
                                    problem: "has \(fields.count) tab-separated field\(fields.count == 1 ? "" : "s"); the header has \(columns.count).")
            }
            let text = fields[textColumn].trimmingCharacters(in: .whitespaces)
            let label = fields[labelColumn].trimmingCharacters(in: .whitespaces)
            guard !text.isEmpty else { throw DataFileError(path: path, line: n, problem: "the text is empty.") }
            guard !label.isEmpty else { throw DataFileError(path: path, line: n, problem: "the label is empty.") }
            rows.append(LabeledText(text: text, label: label, line: n))
        }
        guard !rows.isEmpty else {
            throw DataFileError(path: path, problem: "has a header but no examples.")
        }
        return rows
    }
}
