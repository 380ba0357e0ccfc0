import Foundation
import Testing
@testable import RNNKit

/// The tutorial's vocabulary: every training word in order of first appearance.
let tutorialWords = ["good", "bad", "happy", "sad", "not", "very", "i", "am", "this", "is", "and", "at", "all",
                     "right", "now", "was", "earlier", "or"]

/// Parses `bytes` as a TSV file and returns its error, recording an issue if it parses or throws
/// something else; checks the error's path and line.
@discardableResult
private func tsvError(_ bytes: [UInt8], line: Int?, mentioning words: [String],
                      sourceLocation: SourceLocation = #_sourceLocation) -> DataFileError? {
    let path = "data.tsv"
    do {
        let rows = try TSVReader.parse(Data(bytes), path: path)
        Issue.record("parsed into \(rows.count) rows instead of failing", sourceLocation: sourceLocation)
        return nil
    } catch let e as DataFileError {
        #expect(e.path == path, sourceLocation: sourceLocation)
        #expect(e.line == line, "wrong line in: \(e)", sourceLocation: sourceLocation)
        let text = e.description.lowercased()
        for w in words {
            #expect(text.contains(w.lowercased()), "the message does not mention \"\(w)\": \(e)", sourceLocation: sourceLocation)
        }
        return e
    } catch {
        Issue.record("threw \(type(of: error)), not DataFileError: \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

private func parse(_ text: String) throws -> [LabeledText] {
    try TSVReader.parse(Data(text.utf8), path: "data.tsv")
}

@Suite("Data files, vocabulary and encoding")
struct DataTests {
    // MARK: The tutorial data files

    @Test("data/tutorial reads as the built-in tutorial dataset")
    func seedFiles() throws {
        let train = try TSVReader.read(path: Fixtures.dataFile("tutorial/train.tsv").path)
        let test = try TSVReader.read(path: Fixtures.dataFile("tutorial/test.tsv").path)
        #expect(train.count == 58)
        #expect(test.count == 20)
        #expect(train.map(\.text) == TutorialDataset.train.map(\.text))
        #expect(train.map(\.label) == TutorialDataset.train.map(\.label))
        #expect(test.map(\.text) == TutorialDataset.test.map(\.text))
        #expect(test.map(\.label) == TutorialDataset.test.map(\.label))
        // Line numbers are 1-based and count the header.
        #expect(train.first?.line == 2)
        #expect(train.last?.line == 59)
        let data = try ClassifierData(train: train, test: test)
        #expect(data.vocabulary.tokens == tutorialWords)
        #expect(data.labels == ["negative", "positive"])
        #expect(data.train.count == 58)
        #expect(data.test?.count == 20)
    }

    // MARK: What TSVReader accepts

    @Test("A byte-order mark, CRLF line ends and a missing final newline are accepted")
    func lenientInput() throws {
        let expected = [LabeledText(text: "i am good", label: "positive", line: 2),
                        LabeledText(text: "bad", label: "negative", line: 3)]
        #expect(try parse("text\tlabel\ni am good\tpositive\nbad\tnegative\n") == expected)
        #expect(try parse("\u{FEFF}text\tlabel\ni am good\tpositive\nbad\tnegative\n") == expected)
        #expect(try parse("text\tlabel\r\ni am good\tpositive\r\nbad\tnegative\r\n") == expected)
        #expect(try parse("text\tlabel\ni am good\tpositive\nbad\tnegative") == expected)
        #expect(try parse("\u{FEFF}text\tlabel\r\ni am good\tpositive\r\nbad\tnegative") == expected)
    }

    @Test("Blank lines are skipped but counted; other columns are ignored; fields are trimmed")
    func columnsAndBlankLines() throws {
        let rows = try parse("id\tlabel\ttext\n\n1\tpositive\t i am good \n\n\n2\tnegative\tbad\n")
        #expect(rows == [LabeledText(text: "i am good", label: "positive", line: 3),
                         LabeledText(text: "bad", label: "negative", line: 6)])
        // Non-ASCII text survives.
        #expect(try parse("text\tlabel\ncafé très bon 👍\tpositive\n").first?.text == "café très bon 👍")
    }

    // MARK: What TSVReader rejects, and where

    @Test("Row errors name their line")
    func rowErrors() {
        // Wrong number of fields.
        tsvError(Array("text\tlabel\ngood\tpositive\ntoo\tmany\tfields\n".utf8), line: 3, mentioning: ["field"])
        tsvError(Array("text\tlabel\ngood\tpositive\n\nno label here\n".utf8), line: 4, mentioning: ["field"])
        // Empty text or label (whitespace only counts as empty).
        tsvError(Array("text\tlabel\n\tpositive\n".utf8), line: 2, mentioning: ["text", "empty"])
        tsvError(Array("text\tlabel\ngood\tpositive\n   \tpositive\n".utf8), line: 3, mentioning: ["text", "empty"])
        tsvError(Array("text\tlabel\ngood\t\n".utf8), line: 2, mentioning: ["label", "empty"])
        // Invalid UTF-8 in a row.
        tsvError(Array("text\tlabel\ngood\tpositive\n".utf8) + [0x62, 0x61, 0xFF, 0x64] + Array("\tnegative\n".utf8),
                 line: 3, mentioning: ["utf-8"])
        // A NUL byte: binary data.
        tsvError(Array("text\tlabel\ngo".utf8) + [0] + Array("od\tpositive\n".utf8), line: 2, mentioning: ["nul"])
        // CRLF files report the same lines.
        tsvError(Array("text\tlabel\r\ngood\tpositive\r\nx\ty\tz\r\n".utf8), line: 3, mentioning: ["field"])
    }

    @Test("File errors: no text/label header, empty file, header only")
    func fileErrors() {
        tsvError(Array("words\tlabel\ngood\tpositive\n".utf8), line: 1, mentioning: ["text"])
        tsvError(Array("text\tcategory\ngood\tpositive\n".utf8), line: 1, mentioning: ["label"])
        tsvError([], line: nil, mentioning: ["empty"])
        tsvError(Array("\n\n  \n".utf8), line: nil, mentioning: ["empty"])
        tsvError([0xEF, 0xBB, 0xBF], line: nil, mentioning: ["empty"])
        tsvError(Array("text\tlabel\n".utf8), line: nil, mentioning: ["no examples"])
    }

    @Test("A missing file or a directory is a DataFileError naming the path")
    func unreadablePaths() throws {
        let dir = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let missing = dir.appendingPathComponent("missing.tsv").path
        for (path, words) in [(missing, ["no such file"]), (dir.path, ["directory"])] {
            do {
                _ = try TSVReader.read(path: path)
                Issue.record("reading \(path) succeeded")
            } catch let e as DataFileError {
                #expect(e.path == path)
                #expect(e.line == nil)
                for w in words { #expect(e.description.lowercased().contains(w), "\(e)") }
            }
        }
        // And a file that exists reads.
        let file = dir.appendingPathComponent("ok.tsv")
        try Data("text\tlabel\ngood\tpositive\n".utf8).write(to: file)
        #expect(try TSVReader.read(path: file.path) == [LabeledText(text: "good", label: "positive", line: 2)])
    }

    // MARK: Vocabulary and encoding

    @Test("The tutorial vocabulary is its 18 words in order of first appearance")
    func tutorialVocabulary() {
        let data = ClassifierData.tutorial()
        #expect(data.vocabulary.tokens == tutorialWords)
        #expect(data.vocabulary.count == 18)
        #expect(data.labels == ["negative", "positive"])
        #expect(data.train.count == 58)
        #expect(data.test?.count == 20)
        // "good" → positive (1), "bad" → negative (0); "not good" is [4, 0].
        #expect(data.train[0] == EncodedExample(tokens: [0], label: 1))
        #expect(data.train[1] == EncodedExample(tokens: [1], label: 0))
        #expect(data.train[4] == EncodedExample(tokens: [4, 0], label: 0))
        for (k, word) in tutorialWords.enumerated() { #expect(data.vocabulary.id(of: word) == k) }
        #expect(data.vocabulary.id(of: "excellent") == nil)
    }

    @Test("Vocabulary: first appearance order, duplicates rejected, unknown words listed")
    func vocabulary() throws {
        let v = Vocabulary(firstAppearanceIn: [["b", "a", "b"], ["c", "a"], []])
        #expect(v.tokens == ["b", "a", "c"])
        #expect(Vocabulary(tokens: ["x", "y", "x"]) == nil)
        let fixed = try #require(Vocabulary(tokens: ["x", "y"]))
        #expect(fixed.id(of: "y") == 1)
        let e = v.encode("c b  zz a q", tokenizer: .spaces)
        #expect(e.ids == [2, 0, 1])
        #expect(e.unknown == ["zz", "q"])
        // Splitting on spaces drops empty pieces (Python's `text.split(' ')` would keep "" tokens).
        #expect(Tokenizer.spaces.tokens("  i am   good ") == ["i", "am", "good"])
    }

    // MARK: ClassifierData

    @Test("A test label that training never saw is a DataFileError with its line")
    func unseenTestLabel() {
        let train = [LabeledText(text: "good", label: "positive", line: 2), LabeledText(text: "bad", label: "negative", line: 3)]
        let test = [LabeledText(text: "good", label: "positive", line: 2), LabeledText(text: "meh", label: "neutral", line: 3)]
        do {
            _ = try ClassifierData(train: train, test: test, testSource: "test.tsv")
            Issue.record("an unseen test label was accepted")
        } catch let e as DataFileError {
            #expect(e.path == "test.tsv")
            #expect(e.line == 3)
            #expect(e.description.contains("neutral"))
        } catch {
            Issue.record("threw \(type(of: error)), not DataFileError")
        }
    }

    @Test("Training data with a single label is a DataFileError")
    func singleLabel() {
        let train = [LabeledText(text: "good", label: "positive"), LabeledText(text: "bad", label: "positive")]
        #expect(throws: DataFileError.self) { try ClassifierData(train: train, test: nil, trainSource: "train.tsv") }
    }
}
