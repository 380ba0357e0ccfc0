import Foundation
import Testing
@testable import RNNKit

// MARK: - Helpers

private func utf8(_ s: String) -> [UInt8] { Array(s.utf8) }

/// A fresh temporary directory for one test's files.
private func makeTemporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("DataFileTests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Writes `bytes` to a temporary file called `name` and reads it back through `DataFileReader.read`.
private func readViaFile(_ bytes: [UInt8], name: String, options: DataFileOptions = DataFileOptions()) throws -> DataFileContents {
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let url = dir.appendingPathComponent(name)
    try Data(bytes).write(to: url)
    return try DataFileReader.read(path: url.path, options: options)
}

// MARK: - Bad input table

/// One bad input: what it is, how it is read, and the error it must give.
struct BadCase: Sendable, CustomTestStringConvertible {
    enum Input: Sendable {
        case bytes([UInt8], name: String)
        case directory
        case missingFile
    }

    var name: String
    var input: Input
    var options = DataFileOptions()
    /// The line the error names (nil: the file as a whole).
    var line: Int?
    var message: String
    /// A remedy the error must offer (besides skipping invalid rows).
    var remedy: DataFileError.Remedy? = nil
    /// Row-level problems are skipped with `skipInvalid`; the rest still throw. Row-level inputs
    /// also contain one valid row so that skipping leaves an example.
    var rowLevel: Bool

    var testDescription: String { name }

    func run(skipInvalid: Bool) throws -> DataFileContents {
        var options = self.options
        options.skipInvalid = skipInvalid
        switch input {
        case .bytes(let bytes, let name):
            return try readViaFile(bytes, name: name, options: options)
        case .directory:
            let dir = try makeTemporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            return try DataFileReader.read(path: dir.path, options: options)
        case .missingFile:
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("no-such-\(UUID().uuidString).tsv").path
            return try DataFileReader.read(path: path, options: options)
        }
    }
}

private let good = "good film\tpositive\n"

let badCases: [BadCase] = [
    // Encoding and binary content
    BadCase(name: "invalid UTF-8 in a row", input: .bytes(utf8("text\tlabel\n" + good) + [0x63, 0x61, 0x66, 0xE9] + utf8("\tnegative\n"), name: "d.tsv"),
            line: 3, message: "not valid UTF-8", rowLevel: true),
    BadCase(name: "invalid UTF-8 in the header", input: .bytes([0x74, 0x65, 0x78, 0x74, 0xFF] + utf8("\tlabel\n" + good), name: "d.tsv"),
            line: 1, message: "header line is not valid UTF-8", rowLevel: false),
    BadCase(name: "NUL byte", input: .bytes(utf8("text\tlabel\n" + good + "a\u{0}b\tpositive\n"), name: "d.tsv"),
            line: 3, message: "looks like a binary file", rowLevel: false),
    BadCase(name: "mostly control bytes", input: .bytes((0..<400).map { UInt8(1 + $0 % 8) } + [0xFF, 0xFE, 0x80, 0x81], name: "d.csv"),
            line: nil, message: "does not look like UTF-8 text", rowLevel: false),
    BadCase(name: "UTF-16", input: .bytes([0xFF, 0xFE, 0x74, 0x00, 0x65, 0x00], name: "d.tsv"),
            line: nil, message: "UTF-16", rowLevel: false),
    BadCase(name: "gzip", input: .bytes([0x1F, 0x8B, 0x08, 0x00, 0x01, 0x02], name: "d.csv"),
            line: nil, message: "gzip-compressed", rowLevel: false),
    BadCase(name: "xlsx", input: .bytes([0x50, 0x4B, 0x03, 0x04, 0x14, 0x00], name: "d.csv"),
            line: nil, message: "Export it as CSV", rowLevel: false),
    BadCase(name: "old Mac line ends", input: .bytes(utf8("text\tlabel\rgood\tpositive\rbad\tnegative\r"), name: "d.tsv"),
            line: nil, message: "lone carriage return", rowLevel: false),

    // Files that are not there or not files
    BadCase(name: "directory", input: .directory, line: nil, message: "is a directory", rowLevel: false),
    BadCase(name: "missing file", input: .missingFile, line: nil, message: "no such file", rowLevel: false),
    BadCase(name: "unknown extension", input: .bytes(utf8("text\tlabel\n" + good), name: "data.txt"),
            line: nil, message: "cannot tell the format from the extension `.txt`", remedy: .setFormat(suggested: nil), rowLevel: false),
    BadCase(name: "empty file", input: .bytes([], name: "d.csv"), line: nil, message: "the file is empty", rowLevel: false),
    BadCase(name: "blank lines only", input: .bytes(utf8("\n  \r\n\t\n"), name: "d.tsv"), line: nil, message: "the file is empty", rowLevel: false),
    BadCase(name: "BOM only", input: .bytes([0xEF, 0xBB, 0xBF], name: "d.jsonl"), line: nil, message: "one JSON object per line", rowLevel: false),
    BadCase(name: "header but no rows", input: .bytes(utf8("text\tlabel\n\n"), name: "d.tsv"),
            line: nil, message: "has a header but no examples", rowLevel: false),

    // Columns
    BadCase(name: "unknown column name", input: .bytes(utf8("id\treview\tlabel\n1\t" + good), name: "d.tsv"),
            line: 1, message: "no column is named `text`; the header has `id`, `review`, `label`.", remedy: .selectColumn(.text), rowLevel: false),
    BadCase(name: "header that is data", input: .bytes(utf8("0.5\tgreat film\n" + good), name: "d.tsv"),
            line: 1, message: "no column is named `text`", remedy: .readWithoutHeader(line: 1), rowLevel: false),
    BadCase(name: "CSV read as TSV", input: .bytes(utf8("text,label\ngood,positive\n"), name: "d.tsv"),
            line: 1, message: "The line has commas but no tabs.", remedy: .setFormat(suggested: .csv), rowLevel: false),
    BadCase(name: "column number out of range", input: .bytes(utf8("text\tlabel\n" + good), name: "d.tsv"),
            options: DataFileOptions(textColumn: .index(5)), line: 1, message: "text column 5 is out of range: the header has 2 columns", remedy: .selectColumn(.text), rowLevel: false),
    BadCase(name: "column number out of range without header", input: .bytes(utf8(good), name: "d.tsv"),
            options: DataFileOptions(hasHeader: false, textColumn: .index(1), labelColumn: .index(3)),
            line: 1, message: "label column 3 is out of range: line 1 has 2 fields", remedy: .selectColumnByNumber(.label, example: 2), rowLevel: false),
    BadCase(name: "column number zero", input: .bytes(utf8("text\tlabel\n" + good), name: "d.tsv"),
            options: DataFileOptions(labelColumn: .index(0)), line: nil, message: "column numbers start at 1", remedy: .selectColumn(.label), rowLevel: false),
    BadCase(name: "column name without header", input: .bytes(utf8(good), name: "d.tsv"),
            options: DataFileOptions(hasHeader: false), line: nil, message: "without a header line columns have no names", remedy: .selectColumnByNumber(.text, example: 2), rowLevel: false),
    BadCase(name: "duplicate column name", input: .bytes(utf8("text\ttext\tlabel\na\tb\tc\n"), name: "d.tsv"),
            line: 1, message: "more than once (columns 1, 2)", remedy: .selectColumnByNumber(.text, example: 1), rowLevel: false),
    BadCase(name: "text and label the same column", input: .bytes(utf8("text\tlabel\n" + good), name: "d.tsv"),
            options: DataFileOptions(labelColumn: .name("text")), line: 1, message: "must be different columns", remedy: .selectDifferentColumns, rowLevel: false),

    // Rows
    BadCase(name: "too many TSV fields", input: .bytes(utf8("text\tlabel\na\tb\tc\n" + good), name: "d.tsv"),
            line: 2, message: "has 3 tab-separated fields but the header has 2", rowLevel: true),
    BadCase(name: "too few CSV fields", input: .bytes(utf8("text,label\njust text\ngood,positive\n"), name: "d.csv"),
            line: 2, message: "has 1 comma-separated field but the header has 2", rowLevel: true),
    BadCase(name: "unquoted comma in CSV", input: .bytes(utf8("text,label\nslow, dull,negative\ngood,positive\n"), name: "d.csv"),
            line: 2, message: "must be in double quotes", rowLevel: true),
    BadCase(name: "wrong field count after a multi-line record", input: .bytes(utf8("text,label\n\"two\nlines\",positive\nx,y,z\ngood,positive\n"), name: "d.csv"),
            line: 4, message: "has 3 comma-separated fields", rowLevel: true),
    BadCase(name: "wrong field count without header", input: .bytes(utf8(good + "a\tb\tc\n"), name: "d.tsv"),
            options: DataFileOptions(hasHeader: false, textColumn: .index(1), labelColumn: .index(2)),
            line: 2, message: "but line 1 has 2", rowLevel: true),
    BadCase(name: "empty label", input: .bytes(utf8("text\tlabel\nfine\t \n" + good), name: "d.tsv"),
            line: 2, message: "the label (column `label`) is empty", rowLevel: true),
    BadCase(name: "empty text", input: .bytes(utf8("text\tlabel\n  \tpositive\n" + good), name: "d.tsv"),
            line: 2, message: "the text (column `text`) is empty", rowLevel: true),
    BadCase(name: "non-numeric label with threshold", input: .bytes(utf8("text\tlabel\nok\tgood\nfine\t1\n"), name: "d.tsv"),
            options: DataFileOptions(threshold: 0), line: 2, message: "label `good` is not a number; a threshold needs numeric labels", remedy: .numericLabelsOrNoThreshold, rowLevel: true),
    BadCase(name: "byte-order mark inside a CSV file", input: .bytes(utf8("text,label\ngood,positive\n\u{FEFF}text,label\nbad,negative\n"), name: "d.csv"),
            line: 3, message: "the text (column `text`) contains a byte-order mark (U+FEFF)", rowLevel: true),
    BadCase(name: "byte-order mark before a TSV label", input: .bytes(utf8("\u{FEFF}text\tlabel\ngood\tpositive\nbad\t\u{FEFF}negative\n"), name: "d.tsv"),
            line: 3, message: "the label (column `label`) contains a byte-order mark (U+FEFF)", rowLevel: true),
    BadCase(name: "hexadecimal label with threshold", input: .bytes(utf8("text\tlabel\nfine\t1\nok\t0x10\n"), name: "d.tsv"),
            options: DataFileOptions(threshold: 0), line: 3, message: "label `0x10` is not a number; a threshold needs numeric labels, each a finite decimal number", remedy: .numericLabelsOrNoThreshold, rowLevel: true),
    BadCase(name: "label beyond Double with threshold", input: .bytes(utf8("text\tlabel\nfine\t1\nok\t1e400\n"), name: "d.tsv"),
            options: DataFileOptions(threshold: 0), line: 3, message: "label `1e400` is not a number", remedy: .numericLabelsOrNoThreshold, rowLevel: true),
    BadCase(name: "infinite label with threshold", input: .bytes(utf8("text\tlabel\nfine\t1\nok\t-inf\n"), name: "d.tsv"),
            options: DataFileOptions(threshold: 0), line: 3, message: "label `-inf` is not a number", remedy: .numericLabelsOrNoThreshold, rowLevel: true),
    BadCase(name: "text after closing quote", input: .bytes(utf8("text,label\n\"he said \"hi\" loudly\",positive\ngood,positive\n"), name: "d.csv"),
            line: 2, message: "after the closing quote", rowLevel: true),
    BadCase(name: "unterminated quote", input: .bytes(utf8("text,label\ngood,positive\n\"never closed,positive\nbad,negative\n"), name: "d.csv"),
            line: 3, message: "closing `\"` is missing", rowLevel: false),

    // JSONL
    BadCase(name: "invalid JSON", input: .bytes(utf8("{\"text\": \"a\", \"label\": }\n{\"text\": \"b\", \"label\": \"x\"}\n"), name: "d.jsonl"),
            line: 1, message: "is not valid JSON: unexpected `}` where a value should be at column 24", rowLevel: true),
    BadCase(name: "unclosed JSON string", input: .bytes(utf8("{\"text\": \"b\", \"label\": \"x\"}\n{\"text\": \"a\n"), name: "d.ndjson"),
            line: 2, message: "is not closed", rowLevel: true),
    BadCase(name: "JSON line not an object", input: .bytes(utf8("\n[\"a\", \"x\"]\n{\"text\": \"b\", \"label\": \"x\"}\n"), name: "d.jsonl"),
            line: 2, message: "is a JSON array, not an object", rowLevel: true),
    BadCase(name: "JSON missing key", input: .bytes(utf8("{\"text\": \"b\", \"label\": \"x\"}\n{\"sentence\": \"a\", \"label\": 1}\n"), name: "d.jsonl"),
            line: 2, message: "has no key `text` (its keys: `sentence`, `label`).", remedy: .selectKey(.text), rowLevel: true),
    BadCase(name: "JSON null label", input: .bytes(utf8("{\"text\": \"a\", \"label\": null}\n{\"text\": \"b\", \"label\": \"x\"}\n"), name: "d.jsonl"),
            line: 1, message: "the label (key `label`) is null", rowLevel: true),
    BadCase(name: "JSON text not a string", input: .bytes(utf8("{\"text\": \"b\", \"label\": \"x\"}\r\n{\"text\": 5, \"label\": \"x\"}\r\n"), name: "d.jsonl"),
            line: 2, message: "is a number, not a string", rowLevel: true),
    BadCase(name: "JSON boolean label", input: .bytes(utf8("{\"text\": \"b\", \"label\": \"x\"}\n{\"text\": \"good\", \"label\": true}\n"), name: "d.jsonl"),
            line: 2, message: "the label (key `label`) is the boolean true, not a string or number", rowLevel: true),
    BadCase(name: "JSON boolean text", input: .bytes(utf8("{\"text\": false, \"label\": \"x\"}\n{\"text\": \"b\", \"label\": \"x\"}\n"), name: "d.jsonl"),
            line: 1, message: "the text (key `text`) is a boolean, not a string", rowLevel: true),
    BadCase(name: "JSON label an object", input: .bytes(utf8("{\"text\": \"b\", \"label\": {\"a\": 1}}\n{\"text\": \"b\", \"label\": \"x\"}\n"), name: "d.jsonl"),
            line: 1, message: "labels must be strings or numbers", rowLevel: true),
    BadCase(name: "JSON nested too deep", input: .bytes(utf8(String(repeating: "[", count: 100_000) + "\n{\"text\": \"b\", \"label\": \"x\"}\n"), name: "d.jsonl"),
            line: 1, message: "nesting deeper than 512 levels", rowLevel: true),
    BadCase(name: "JSON invalid UTF-8", input: .bytes(utf8("{\"text\": \"caf") + [0xE9] + utf8("\", \"label\": \"x\"}\n{\"text\": \"b\", \"label\": \"x\"}\n"), name: "d.jsonl"),
            line: 1, message: "is not valid UTF-8", rowLevel: true),
    BadCase(name: "JSONL column number", input: .bytes(utf8("{\"text\": \"b\", \"label\": \"x\"}\n"), name: "d.jsonl"),
            options: DataFileOptions(textColumn: .index(1)), line: nil, message: "columns are chosen by key, not by number", remedy: .selectKey(.text), rowLevel: false),
]

/// Everything here is under one suite so `swift test --filter DataFile` runs it all.
@Suite enum DataFileTests {}

extension DataFileTests {
    @Suite struct Errors {
        @Test func tableIsLargeEnough() {
            #expect(badCases.count >= 25)
            #expect(badCases.filter(\.rowLevel).count >= 10)
        }

        @Test(arguments: badCases)
        func badInputGivesClearError(_ c: BadCase) throws {
            let error = try #require(throws: DataFileError.self) { try c.run(skipInvalid: false) }
            #expect(error.line == c.line, "\(error)")
            #expect(error.detail.contains(c.message), "\(error)")
            #expect(error.description.hasPrefix(error.location + ": \(error.detail)"))
            #expect(error.kind.isRowLevel == c.rowLevel, "\(error.kind)")
            if let remedy = c.remedy { #expect(error.remedies.contains(remedy), "\(error.remedies)") }
            // A thrown row error offers skipping; a file error cannot be skipped, so it does not.
            #expect(error.remedies.contains(.skipInvalidRows) == c.rowLevel, "\(error.remedies)")
            for remedy in error.remedies { #expect(error.description.contains(remedy.description)) }
        }

        /// The library names options as `DataFileOptions` properties, never as command-line flags.
        @Test(arguments: badCases)
        func messagesNameNoCommandLineFlag(_ c: BadCase) throws {
            let error = try #require(throws: DataFileError.self) { try c.run(skipInvalid: false) }
            #expect(error.description.range(of: #"--[a-z]"#, options: .regularExpression) == nil, "\(error)")
        }

        @Test(arguments: badCases)
        func skipInvalidSkipsOnlyRowProblems(_ c: BadCase) throws {
            if c.rowLevel {
                let contents = try c.run(skipInvalid: true)
                #expect(contents.skippedRows == 1)
                #expect(!contents.examples.isEmpty)
                let skipped = try #require(contents.firstSkipped.first)
                #expect(skipped.line == c.line, "\(skipped)")
                #expect(skipped.detail.contains(c.message), "\(skipped)")
                #expect(!skipped.remedies.contains(.skipInvalidRows), "already skipped: \(skipped)")
            } else {
                let error = try #require(throws: DataFileError.self) { try c.run(skipInvalid: true) }
                #expect(error.line == c.line, "\(error)")
                #expect(error.detail.contains(c.message), "\(error)")
            }
        }

        @Test func skippedRowsAreCountedAndTheFirstFiveKept() throws {
            var text = "text\tlabel\n"
            for i in 0..<7 { text += "bad row \(i)\n" + "good \(i)\tpositive\n" }
            let contents = try DataFileReader.parse(utf8(text), path: "d.tsv", options: DataFileOptions(skipInvalid: true))
            #expect(contents.examples.count == 7)
            #expect(contents.skippedRows == 7)
            #expect(contents.firstSkipped.map(\.line) == [2, 4, 6, 8, 10])
        }

        @Test func everyRowInvalidStillThrows() throws {
            let error = try #require(throws: DataFileError.self) {
                try DataFileReader.parse(utf8("text\tlabel\nx\t\ny\t\n"), path: "d.tsv", options: DataFileOptions(skipInvalid: true))
            }
            #expect(error.line == 2)
            #expect(error.detail.contains("none of its 2 rows is usable"))
            #expect(error.detail.contains("label (column `label`) is empty"))
        }

        @Test func everyLabelAtTheThresholdThrows() throws {
            let error = try #require(throws: DataFileError.self) {
                try DataFileReader.parse(utf8("text\tlabel\nx\t0\ny\t0.0\n"), path: "d.tsv", options: DataFileOptions(threshold: 0))
            }
            #expect(error.detail.contains("2 rows have labels equal to the threshold 0"))
            #expect(error.kind == .noUsableRows && error.remedies == [.thresholdBetweenLabels])
        }

        @Test func nanThresholdIsRejected() throws {
            #expect(throws: DataFileError.self) {
                try DataFileReader.parse(utf8("text\tlabel\nx\t1\n"), path: "d.tsv", options: DataFileOptions(threshold: .nan))
            }
        }

        @Test func unseenTestLabelNamesItsLine() throws {
            let train = try DataFileReader.parse(utf8("text\tlabel\ngood\tpositive\nbad\tnegative\n"), path: "train.tsv", options: DataFileOptions())
            let test = try DataFileReader.parse(utf8("text\tlabel\ngood\tpositive\n\nmeh\tneutral\n"), path: "test.tsv", options: DataFileOptions())
            let error = try #require(throws: DataFileError.self) {
                try ClassifierData(train: train.examples, test: test.examples, trainSource: "train.tsv", testSource: "test.tsv")
            }
            #expect(error.description.hasPrefix("test.tsv:4: "))
            #expect(error.detail.contains("`neutral` never occurs in the training data"))
        }

        @Test func randomBytesNeverCrash() {
            var generator = SystemRandomNumberGenerator()
            let alphabet: [UInt8] = utf8("text,label\t\"\n\r{}[]:\\ab0 ") + [0x00, 0xC3, 0xA9, 0xFF, 0xE2]
            for format in DataFileFormat.allCases {
                for _ in 0..<200 {
                    let bytes = (0..<Int.random(in: 0..<200, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }
                    for skip in [false, true] {
                        do {
                            let contents = try DataFileReader.parse(bytes, path: "fuzz", options: DataFileOptions(format: format, skipInvalid: skip))
                            #expect(!contents.examples.isEmpty)
                        } catch is DataFileError {
                        } catch {
                            Issue.record("unexpected error type: \(error)")
                        }
                    }
                }
            }
        }
    }
}

// MARK: - Good input

extension DataFileTests {
    @Suite struct Reading {
        @Test func csvQuotingFollowsRFC4180() throws {
            let csv = #"""
                text,label
                "hello, world",positive
                "she said ""wow""",positive
                "line one
                line two

                line four",negative
                plain,negative
                1, "spaced, quoted" ,positive
                trailing,
                """#
            let contents = try DataFileReader.parse(utf8(csv), path: "d.csv", options: DataFileOptions(skipInvalid: true))
            #expect(contents.examples.map(\.text) == ["hello, world", "she said \"wow\"", "line one\nline two\n\nline four", "plain"])
            #expect(contents.examples.map(\.line) == [2, 3, 4, 8])
            // `1, "spaced, quoted" ,positive` has three fields; `trailing,` has an empty label.
            #expect(contents.firstSkipped.map(\.line) == [9, 10])
            #expect(contents.skippedRows == 2)
        }

        @Test func csvQuotedFieldAfterLeadingSpaces() throws {
            let contents = try DataFileReader.parse(utf8("label, text\npositive, \"good, really\"\r\nnegative,\"\"\"bad\"\"\"\r\n"),
                                                    path: "d.csv", options: DataFileOptions())
            #expect(contents.examples == [LabeledText(text: "good, really", label: "positive", line: 2),
                                          LabeledText(text: "\"bad\"", label: "negative", line: 3)])
        }

        @Test func bomCRLFAndNoFinalNewline() throws {
            let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + utf8("text\tlabel\r\ngood\tpositive\r\n\r\nbad\tnegative")
            let contents = try DataFileReader.parse(bytes, path: "d.tsv", options: DataFileOptions())
            #expect(contents.examples == [LabeledText(text: "good", label: "positive", line: 2),
                                          LabeledText(text: "bad", label: "negative", line: 4)])
            #expect(contents.format == .tsv)
            #expect(contents.skippedRows == 0 && contents.droppedAtThreshold == 0)
        }

        @Test func headerlessColumnsByNumberWithThreshold() throws {
            // id<TAB>score<TAB>text, CRLF, no header.
            let bytes = utf8("1\t0.5\tA fine film.\r\n2\t-1.25\tDull.\r\n3\t0\tMeh.\r\n4\t2\tGreat!\r\n")
            let options = DataFileOptions(hasHeader: false, textColumn: ColumnSelector(parsing: "3"), labelColumn: ColumnSelector(parsing: "2"), threshold: 0)
            let contents = try readViaFile(bytes, name: "scores.tab", options: options)
            #expect(contents.examples == [LabeledText(text: "A fine film.", label: "positive", line: 1),
                                          LabeledText(text: "Dull.", label: "negative", line: 2),
                                          LabeledText(text: "Great!", label: "positive", line: 4)])
            #expect(contents.droppedAtThreshold == 1)
        }

        @Test func thresholdSemantics() throws {
            let tsv = "text\tscore\na\t2.5\nb\t2\nc\t-3\nd\t2.0\ne\t1e3\nf\t 1.99 \n"
            let contents = try DataFileReader.parse(utf8(tsv), path: "d.tsv",
                                                    options: DataFileOptions(labelColumn: .name("score"), threshold: 2))
            #expect(contents.examples.map(\.text) == ["a", "c", "e", "f"])
            #expect(contents.examples.map(\.label) == ["positive", "negative", "positive", "negative"])
            #expect(contents.droppedAtThreshold == 2)
        }

        @Test("Numbers are finite decimals: no hexadecimal, inf, nan or 1e400")
        func numberRule() {
            for (text, value) in [("3", 3.0), ("-1.5", -1.5), ("+2", 2), (".5", 0.5), ("5.", 5), ("2e3", 2000), ("-3E-2", -0.03)] {
                #expect(DataFileOptions.number(from: text) == value, "\(text)")
            }
            for text in ["", "-", ".", "e3", "1e", "0x10", "inf", "-infinity", "nan", "1e400", "1,5", " 1", "1_000", "١"] {
                #expect(DataFileOptions.number(from: text) == nil, "\(text)")
            }
        }

        @Test("All-numeric labels without a threshold are reported with their count; scores are told from class ids")
        func numericLabels() throws {
            func numeric(_ labels: [String], threshold: Double? = nil) throws -> NumericLabels? {
                let rows = labels.enumerated().map { "t\($0.offset)\t\($0.element)\n" }.joined()
                return try DataFileReader.parse(utf8("text\tlabel\n" + rows), path: "d.tsv",
                                                options: DataFileOptions(threshold: threshold)).numericLabels
            }
            let stars = try #require(try numeric(["1", "2", "3", "4", "5", "6", "7", "3"]))
            #expect(stars.distinctCount == 7 && stars.looksLikeScores && !stars.hasFractions)
            let ids = try #require(try numeric(["0", "1", "2", "1"]))
            #expect(ids.distinctCount == 3 && !ids.looksLikeScores)
            #expect(try numeric(["0.25", "0.5", "0.75"])?.looksLikeScores == true)
            #expect(try numeric(["1", "2", "x"]) == nil)
            #expect(try numeric(["1", "2", "0x10"]) == nil)
            #expect(try numeric(["1", "5", "7"], threshold: 3) == nil)
        }

        @Test func headerNamesMatchIgnoringCaseAndOrder() throws {
            let contents = try DataFileReader.parse(utf8("id\tLabel\t Text \n7\tpos\tnice\n"), path: "d.tsv", options: DataFileOptions())
            #expect(contents.examples == [LabeledText(text: "nice", label: "pos", line: 2)])
        }

        @Test func jsonlWithStringAndNumericLabels() throws {
            let jsonl = """
                {"text": "good", "label": "positive"}

                {"label": 1, "text": "fine"}
                {"text": "caf\\u00e9 \\ud83d\\ude00 \\"q\\"\\n", "label": 2.50, "extra": [1, {"x": null}, true]}
                {"text": "so-so", "label": -3e2}
                """
            let contents = try readViaFile(utf8(jsonl), name: "d.jsonl")
            #expect(contents.format == .jsonl)
            #expect(contents.examples.map(\.label) == ["positive", "1", "2.50", "-3e2"])
            #expect(contents.examples.map(\.line) == [1, 3, 4, 5])
            #expect(contents.examples[2].text == "café 😀 \"q\"")
        }

        @Test func jsonlWithThresholdAndOtherKeys() throws {
            let jsonl = "{\"review\": \"great\", \"stars\": 5}\n{\"review\": \"awful\", \"stars\": 1}\n{\"review\": \"ok\", \"stars\": 3}\n"
            let options = DataFileOptions(textColumn: .name("review"), labelColumn: .name("stars"), threshold: 3)
            let contents = try DataFileReader.parse(utf8(jsonl), path: "reviews.ndjson", options: options)
            #expect(contents.examples.map(\.label) == ["positive", "negative"])
            #expect(contents.droppedAtThreshold == 1)
        }

        @Test func formatFromExtensionOrOption() throws {
            #expect(DataFileFormat(path: "a/b.CSV") == .csv)
            #expect(DataFileFormat(path: "x.tsv") == .tsv)
            #expect(DataFileFormat(path: "x.tab") == .tsv)
            #expect(DataFileFormat(path: "x.jsonl") == .jsonl)
            #expect(DataFileFormat(path: "x.ndjson") == .jsonl)
            #expect(DataFileFormat(path: "x.txt") == nil)
            #expect(DataFileFormat(path: ".csv") == nil)
            #expect(DataFileFormat(path: "dir.csv/file") == nil)
            let contents = try DataFileReader.parse(utf8("text,label\na,b\n"), path: "data.txt", options: DataFileOptions(format: .csv))
            #expect(contents.examples == [LabeledText(text: "a", label: "b", line: 2)])
        }

        @Test func columnSelectorParsing() throws {
            #expect(ColumnSelector(parsing: "3") == .index(3))
            #expect(ColumnSelector(parsing: " 2 ") == .index(2))
            #expect(ColumnSelector(parsing: "-1") == .index(-1))
            #expect(ColumnSelector(parsing: "99999999999999999999999") == .index(Int.max))
            #expect(ColumnSelector(parsing: "text") == .name("text"))
            #expect(ColumnSelector(parsing: "3rd") == .name("3rd"))
            // Literals: a string is a name as written, an integer a number.
            #expect(("3" as ColumnSelector) == .name("3"))
            #expect((3 as ColumnSelector) == .index(3))
            #expect(try JSONDecoder().decode([ColumnSelector].self, from: Data(#"["text", 2]"#.utf8)) == [.name("text"), .index(2)])
        }

        @Test func tsvReaderStillWorks() throws {
            let rows = try TSVReader.parse(Data("label\ttext\npositive\tgood\n".utf8), path: "t.tsv")
            #expect(rows == [LabeledText(text: "good", label: "positive", line: 2)])
        }

        @Test func readsTheMovieTrainingFile() throws {
            let path = try Fixtures.dataFile("movie/train.tsv").path
            let options = DataFileOptions(labelColumn: .name("score"), threshold: 0)
            let contents = try DataFileReader.read(path: path, options: options)

            // An independent count: data lines whose score is not zero.
            let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").dropFirst()
            let nonzero = lines.filter { line in
                let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
                return Double(fields[1]) != 0
            }.count
            let zero = lines.count - nonzero
            #expect(contents.examples.count == nonzero)
            #expect(contents.droppedAtThreshold == zero)
            #expect(contents.skippedRows == 0)
            #expect(Set(contents.examples.map(\.label)) == ["positive", "negative"])
            #expect(contents.examples.first?.line == 2)
        }
    }
}

// MARK: - Tokenizer

extension DataFileTests {
    @Suite struct Tokenizers {
        let words = Tokenizer.words()

        @Test func wordsSeparatePunctuationAndLowercase() {
            #expect(words.tokens("This movie is GOOD.") == ["this", "movie", "is", "good", "."])
            #expect(words.tokens("good") == Array(words.tokens("good.").dropLast()))
            #expect(words.tokens("Good, good; GOOD!") == ["good", ",", "good", ";", "good", "!"])
            #expect(words.tokens("flags...but (sadly) \"dull\"") == ["flags", "...", "but", "(", "sadly", ")", "\"", "dull", "\""])
            #expect(words.tokens("  \t\n ") == [])
            #expect(words.tokens("") == [])
        }

        @Test func contractionsFollowPennTreebank() {
            #expect(words.tokens("don't") == ["do", "n't"])
            #expect(words.tokens("Can't") == ["ca", "n't"])
            #expect(words.tokens("It's the movie's best") == ["it", "'s", "the", "movie", "'s", "best"])
            #expect(words.tokens("I'm sure they're fine, we've seen it, you'll see, he'd agree")
                    == ["i", "'m", "sure", "they", "'re", "fine", ",", "we", "'ve", "seen", "it", ",", "you", "'ll", "see", ",", "he", "'d", "agree"])
            #expect(words.tokens("shouldn't've") == ["should", "n't", "'ve"])
            #expect(words.tokens("don\u{2019}t") == ["do", "n't"])
            // Text already split the Treebank way gives the same tokens.
            #expect(words.tokens("does n't , it 's") == ["does", "n't", ",", "it", "'s"])
            #expect(words.tokens("o'clock") == ["o'clock"])
            #expect(words.tokens("'Garth' hasn't") == ["'", "garth", "'", "has", "n't"])
            #expect(Tokenizer.words(lowercase: false).tokens("DON'T") == ["DO", "N'T"])
        }

        @Test func numbersHyphensAndAbbreviations() {
            #expect(words.tokens("3.5 stars, 1,000 times, 50%.") == ["3.5", "stars", ",", "1,000", "times", ",", "50", "%", "."])
            #expect(words.tokens("a well-made film--really") == ["a", "well-made", "film", "--", "really"])
            #expect(words.tokens("D.J. Caruso, e.g. the U.S.") == ["d.j.", "caruso", ",", "e.g.", "the", "u.s."])
            #expect(words.tokens("Ms. Bullock") == ["ms", ".", "bullock"])
            #expect(words.tokens("$9.99") == ["$", "9.99"])
        }

        @Test func caseHandling() {
            #expect(Tokenizer.words(lowercase: false).tokens("Good Film") == ["Good", "Film"])
            #expect(Tokenizer.spaces.tokens("Good Film") == ["Good", "Film"])
            #expect(Tokenizer(kind: .spaces, lowercase: true).tokens("Good Film") == ["good", "film"])
        }

        @Test func unicode() {
            #expect(words.tokens("Café NAÏVE") == ["café", "naïve"])
            #expect(words.tokens("cafe\u{301}!") == ["cafe\u{301}", "!"])
            #expect(words.tokens("great 👍🏽!! 🇫🇷👨‍👩‍👧") == ["great", "👍🏽", "!!", "🇫🇷", "👨‍👩‍👧"])
            #expect(words.tokens("我爱电影。") == ["我", "爱", "电", "影", "。"])
            #expect(words.tokens("映画はgoodです") == ["映", "画", "は", "good", "で", "す"])
            #expect(words.tokens("좋은 영화") == ["좋은", "영화"])
            #expect(words.tokens("Привет, мир") == ["привет", ",", "мир"])
            #expect(words.tokens("٣.٥ نجوم") == ["٣.٥", "نجوم"])
        }

        @Test func randomUnicodeNeverCrashes() {
            var generator = SystemRandomNumberGenerator()
            let pieces: [String] = ["a", "Z", "'", "\u{2019}", "-", ".", ",", " ", "\n", "9", "é", "e\u{301}", "\u{301}", "👍🏽", "🇫🇷",
                                    "我", "は", "n't", "'s", "\u{200D}", "\r\n", "İ", "ß", "\u{0}", "\u{FFFD}", "..."]
            for _ in 0..<2000 {
                let text = (0..<Int.random(in: 0..<20, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined()
                for tokenizer in [Tokenizer.words(), .words(lowercase: false), .characters(), .spaces] {
                    let tokens = tokenizer.tokens(text)
                    #expect(!tokens.contains(""), "\(tokenizer) on \(text.debugDescription)")
                }
            }
        }

        @Test func asciiFastPathMatchesCharacterPath() {
            var generator = SystemRandomNumberGenerator()
            let ascii = (0..<128).map { Character(Unicode.Scalar(UInt8($0))) }
            let common = Array("ab Z9'-.,\"!?$%()n't's ")
            for _ in 0..<5000 {
                let pool = Bool.random(using: &generator) ? ascii : common
                let text = String((0..<Int.random(in: 0..<24, using: &generator)).map { _ in pool.randomElement(using: &generator)! })
                #expect(WordSplitter.split(text) == WordSplitter.split(characters: text), "\(text.debugDescription)")
            }
        }

        @Test func characters() {
            let c = Tokenizer.characters()
            #expect(c.tokens("ab  c") == ["a", "b", " ", "c"])
            #expect(c.tokens("  x\t\ny ") == ["x", " ", "y"])
            // Characters are Unicode scalars: a precomposed é is one, e + combining accent two,
            // a thumb with a skin-tone modifier two.
            #expect(c.tokens("é👍🏽e\u{301}") == ["é", "👍", "\u{1F3FD}", "e", "\u{301}"])
            #expect(Tokenizer.characters(lowercase: true).tokens("Ab") == ["a", "b"])
            #expect(c.tokens("Ab") == ["A", "b"])
        }

        @Test func spacesIsTheTutorialSplit() {
            #expect(Tokenizer.spaces.tokens("i am  not good") == ["i", "am", "not", "good"])
            #expect(Tokenizer.spaces.tokens("good.") == ["good."])
        }

        @Test func codableKeepsOldFilesReadable() throws {
            func json(_ t: Tokenizer) throws -> String {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                return String(decoding: try encoder.encode([t]), as: UTF8.self)
            }
            func decode(_ s: String) throws -> Tokenizer { try JSONDecoder().decode([Tokenizer].self, from: Data(s.utf8))[0] }
            #expect(try json(.spaces) == "[\"spaces\"]")
            #expect(try json(.words()) == "[\"words\"]")
            #expect(try json(.characters()) == "[\"characters\"]")
            #expect(try json(.words(lowercase: false)) == "[{\"kind\":\"words\",\"lowercase\":false}]")
            for t in [Tokenizer.spaces, .words(), .words(lowercase: false), .characters(), .characters(lowercase: true)] {
                #expect(try decode(json(t)) == t)
            }
            #expect(try decode("[\"spaces\"]") == .spaces)
            #expect(try decode("[{\"kind\":\"characters\"}]") == .characters())
            #expect(throws: DecodingError.self) { try decode("[\"bytes\"]") }
        }

        @Test func fastEnoughForTenThousandSentences() {
            let sentence = "It's a well-made, funny film -- and I don't say that lightly: 4.5 stars out of 5!"
            let start = Date()
            var total = 0
            for _ in 0..<10_000 { total += words.tokens(sentence).count }
            #expect(total == 10_000 * 22)
            // Debug builds are far slower than release; this bound only catches pathological behaviour.
            #expect(Date().timeIntervalSince(start) < 20)
        }
    }
}

// MARK: - Vocabulary

extension DataFileTests {
    @Suite struct VocabularyBuild {
        let texts: [[String]] = [["b", "a", "c"], ["a", "d", "b"], ["a", "e"], ["d"]]

        @Test func specialsFirstThenByCountThenFirstAppearance() {
            let v = Vocabulary.build(from: texts)
            // a×3; b×2, d×2 (b first); c×1, e×1 (c first).
            #expect(v.tokens == ["<pad>", "<unk>", "a", "b", "d", "c", "e"])
            #expect(v.unknownID == 1)
            #expect(v.id(of: "<pad>") == 0)
            #expect(Vocabulary.build(from: texts) == v)
        }

        @Test func minCountAndMaxSize() {
            #expect(Vocabulary.build(from: texts, minCount: 2).tokens == ["<pad>", "<unk>", "a", "b", "d"])
            #expect(Vocabulary.build(from: texts, maxSize: 4).tokens == ["<pad>", "<unk>", "a", "b"])
            #expect(Vocabulary.build(from: texts, minCount: 3, maxSize: 10).tokens == ["<pad>", "<unk>", "a"])
            #expect(Vocabulary.build(from: texts, maxSize: 1).tokens == ["<pad>", "<unk>"])
            #expect(Vocabulary.build(from: texts, minCount: 0).count == 7)
        }

        @Test func customSpecials() {
            let v = Vocabulary.build(from: [["x", "<unk>", "y", "x"]], specials: ["<unk>", "<bos>", "<unk>"])
            #expect(v.tokens == ["<unk>", "<bos>", "x", "y"])
            #expect(v.unknownID == 0)
            let none = Vocabulary.build(from: texts, specials: [])
            #expect(none.tokens == ["a", "b", "d", "c", "e"])
            #expect(none.unknownID == nil)
        }

        @Test func unknownTokensMapToUnk() {
            let v = Vocabulary.build(from: texts)
            let e = v.encode(tokens: ["a", "zzz", "e", "yyy"])
            #expect(e.ids == [2, 1, 6, 1])
            #expect(e.unknown == ["zzz", "yyy"])
            let words = v.encode("A zzz!", tokenizer: .words())
            #expect(words.ids == [2, 1, 1])
            #expect(words.unknown == ["zzz", "!"])
        }

        @Test func tutorialVocabularySkipsUnknownWords() {
            let data = ClassifierData.tutorial()
            #expect(data.vocabulary.count == 18)
            #expect(data.vocabulary.unknownID == nil)
            let e = data.vocabulary.encode("i am zzz good", tokenizer: .spaces)
            #expect(e.ids == ["i", "am", "good"].map { data.vocabulary.id(of: $0)! })
            #expect(e.unknown == ["zzz"])
        }
    }
}

// MARK: - Sources, options and the shared file reader

extension DataFileTests {
    @Suite struct Sources {
        @Test func fileSourceReadsWithItsOptions() throws {
            let dir = try makeTemporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let path = dir.appendingPathComponent("train.tsv").path
            try Data(utf8("text\tscore\ngreat\t2\nawful\t-1\nmeh\t0\n\tbroken\n")).write(to: URL(fileURLWithPath: path))

            let source = LabeledTextSource.file(path, text: "text", label: "score", threshold: 0, skipInvalid: true)
            #expect(source.name == path)
            #expect(try source.load() == [LabeledText(text: "great", label: "positive", line: 2),
                                          LabeledText(text: "awful", label: "negative", line: 3)])
            let contents = try source.read()
            #expect(contents.droppedAtThreshold == 1 && contents.skippedRows == 1 && contents.format == .tsv)
            // By number, as integer literals: column 1 is the text, column 2 the score.
            #expect(try LabeledTextSource.file(path, text: 1, label: 2, threshold: 0, skipInvalid: true).load().count == 2)
            // Without skipInvalid the empty text stops the read, naming its line.
            let error = try #require(throws: DataFileError.self) { try LabeledTextSource.file(path, label: "score", threshold: 0).load() }
            #expect(error.line == 5 && error.kind == .missingValue && error.field == "column `text`")
        }

        @Test func rowsAndTutorialSources() throws {
            #expect(try LabeledTextSource.tutorialTrain.load() == TutorialDataset.train)
            #expect(try LabeledTextSource.tutorialTest.load().count == 20)
            let rows = [LabeledText(text: "a", label: "x"), LabeledText(text: "b", label: "y")]
            #expect(try LabeledTextSource.rows(rows).load() == rows)
            #expect(try LabeledTextSource.rows(rows).read().format == nil)
            let error = try #require(throws: DataFileError.self) { try LabeledTextSource.rows([], name: "my rows").load() }
            #expect(error.kind == .empty && error.description.hasPrefix("my rows: "))
        }

        @Test func optionsDefaultsAndCodable() throws {
            let defaults = DataFileOptions()
            #expect(defaults.format == nil && defaults.hasHeader && defaults.readsLabels && !defaults.skipInvalid)
            #expect(defaults.textColumn == .name("text") && defaults.labelColumn == .name("label") && defaults.threshold == nil)
            // A partial recipe takes the defaults for what it leaves out.
            let partial = try JSONDecoder().decode(DataFileOptions.self, from: Data(#"{"labelColumn": "score", "threshold": 0, "textColumn": 3}"#.utf8))
            #expect(partial == DataFileOptions(textColumn: .index(3), labelColumn: .name("score"), threshold: 0))
            #expect(try JSONDecoder().decode(DataFileOptions.self, from: Data("{}".utf8)) == defaults)
            let full = DataFileOptions(format: .jsonl, hasHeader: false, textColumn: .index(2), labelColumn: .name("y"),
                                       readsLabels: false, threshold: 2.5, skipInvalid: true)
            #expect(try JSONDecoder().decode(DataFileOptions.self, from: JSONEncoder().encode(full)) == full)
        }

        @Test func fileReaderRefusesDevicesAndFilesOverTheLimit() throws {
            let device = try #require(throws: FileBytes.Failure.self) { try FileBytes.read("/dev/zero", kindOfFile: "a data file") }
            #expect(device.kind == .device && device.detail.contains("not a data file"))
            let dir = try makeTemporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let path = dir.appendingPathComponent("big.txt").path
            try Data(repeating: 0x61, count: 100).write(to: URL(fileURLWithPath: path))
            #expect(try FileBytes.read(path, kindOfFile: "a text file", maxBytes: 100).count == 100)
            let big = try #require(throws: FileBytes.Failure.self) { try FileBytes.read(path, kindOfFile: "a text file", maxBytes: 99) }
            #expect(big.kind == .tooLarge && big.detail == "is 100 bytes, more than the limit of 99 bytes.")
            // Every reader words file problems the same way.
            let missing = dir.appendingPathComponent("missing.txt").path
            let text = try #require(throws: TextFileError.self) { try LanguageModelText.read(path: missing) }
            let data = try #require(throws: DataFileError.self) { try LabeledTextSource.file(missing, format: .tsv).load() }
            #expect(text.kind == .unreadable && data.kind == .unreadable && text.detail == data.detail)
        }

        @Test func oneMeaningOfCharacter() {
            // Without whitespace, the classifier's character tokenizer and the language model's
            // character level split identically: into Unicode scalars.
            for text in ["abc", "é👍🏽e\u{301}", "🇫🇷👨‍👩‍👧", "我爱", "\u{0}\u{FFFD}"] {
                #expect(Tokenizer.characters().tokens(text) == TokenLevel.char.tokens(text), "\(text.debugDescription)")
                #expect(TokenLevel.char.tokens(text).count == text.unicodeScalars.count)
            }
            #expect(UTF8Validation.string(utf8("café")) == "café")
            #expect(UTF8Validation.string([0x63, 0xE9]) == nil)
        }
    }
}
