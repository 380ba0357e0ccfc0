import Foundation
import Testing
@testable import RNNKit

/// A fresh temporary folder holding `files` (name → bytes); the caller removes it.
private func folder(_ files: [String: [UInt8]]) throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ParallelCorpusTests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    for (name, bytes) in files { try Data(bytes).write(to: dir.appendingPathComponent(name)) }
    return dir
}

private func utf8(_ s: String) -> [UInt8] { Array(s.utf8) }

/// Reads `de` and `en` as the two files `train.de` and `train.en`.
private func readPair(_ de: [UInt8], _ en: [UInt8], maxSentenceBytes: Int = ParallelCorpus.defaultMaxSentenceBytes) throws -> ParallelCorpus {
    let dir = try folder(["train.de": de, "train.en": en])
    defer { try? FileManager.default.removeItem(at: dir) }
    return try ParallelCorpus.read(source: dir.appendingPathComponent("train.de").path, target: dir.appendingPathComponent("train.en").path,
                                   maxSentenceBytes: maxSentenceBytes)
}

private func readTSV(_ text: [UInt8], source: ColumnSelector = 1, target: ColumnSelector = 2, hasHeader: Bool = false) throws -> ParallelCorpus {
    let dir = try folder(["pairs.tsv": text])
    defer { try? FileManager.default.removeItem(at: dir) }
    return try ParallelCorpus.read(tsv: dir.appendingPathComponent("pairs.tsv").path, source: source, target: target, hasHeader: hasHeader)
}

/// The error `body` throws, which must be a `TextFileError`.
private func failure(_ body: () throws -> ParallelCorpus) throws -> TextFileError {
    try #require(throws: TextFileError.self) { _ = try body() }
}

@Suite("ParallelCorpus: sentence pairs from two aligned files or one TSV file")
struct ParallelCorpusTests {
    @Test func readsTwoAlignedFiles() throws {
        let corpus = try readPair(utf8("ein mann läuft .\n  zwei hunde spielen .  \n"), utf8("a man runs .\ntwo dogs play ."))
        #expect(corpus.pairs == [SentencePair(source: "ein mann läuft .", target: "a man runs .", line: 1),
                                 SentencePair(source: "zwei hunde spielen .", target: "two dogs play .", line: 2)])
    }

    @Test func acceptsCRLFAndAByteOrderMark() throws {
        let corpus = try readPair(UTF8Validation.byteOrderMark + utf8("eins\r\nzwei\r\n"), utf8("one\r\ntwo"))
        #expect(corpus.pairs.map(\.source) == ["eins", "zwei"])
        #expect(corpus.pairs.map(\.target) == ["one", "two"])
    }

    @Test func differentLineCountsAreAnError() throws {
        let error = try failure { try readPair(utf8("a\nb\nc\n"), utf8("a\nb\n")) }
        #expect(error.kind == .misaligned)
        #expect(error.path.hasSuffix("train.de"))
        #expect(error.description.contains("has 3 lines but "))
        #expect(error.description.contains("train.en has 2: the files must be line-aligned, one sentence per line"))
    }

    @Test func lineCountsAreWrittenWithThousandsSeparators() throws {
        let de = String(repeating: "x\n", count: 1_001), en = String(repeating: "y\n", count: 1_000)
        let error = try failure { try readPair(utf8(de), utf8(en)) }
        #expect(error.detail.contains("has 1,001 lines but"))
        #expect(error.detail.contains("train.en has 1,000:"))
    }

    @Test(arguments: ["", "   \t "])
    func anEmptyLineIsAnErrorNamingFileAndLine(_ blank: String) throws {
        let error = try failure { try readPair(utf8("eins\nzwei\n"), utf8("one\n\(blank)\n")) }
        #expect(error.kind == .emptyLine)
        #expect(error.path.hasSuffix("train.en"))
        #expect(error.line == 2)
        #expect(error.description.contains("train.en:2: the line is"))
        #expect(error.detail.contains("every line must hold one sentence"))
        let sourceSide = try failure { try readPair(utf8("\neins\n"), utf8("zero\none\n")) }
        #expect(sourceSide.path.hasSuffix("train.de") && sourceSide.line == 1)
    }

    @Test func anExtraBlankLastLineIsNamedRatherThanTheCounts() throws {
        let error = try failure { try readPair(utf8("eins\n\n"), utf8("one\n")) }
        #expect(error.kind == .emptyLine)
        #expect(error.line == 2)
    }

    @Test func invalidUTF8NamesTheLine() throws {
        let error = try failure { try readPair(utf8("eins\nzwei\n") + [0x66, 0xFC, 0x72, 0x0A], utf8("one\ntwo\nfor\n")) }
        #expect(error.kind == .invalidUTF8)
        #expect(error.line == 3)
        #expect(error.byteOffset == 11)
        #expect(error.description.contains("train.de:3: the line is not valid UTF-8 (byte 0xFC at byte 2 of the line)"))
        #expect(error.detail.contains("Latin-1"))
    }

    @Test func aLineLongerThanTheLimitIsAnError() throws {
        let error = try failure { try readPair(utf8("eins\nzwei\n"), utf8("one\n" + String(repeating: "w", count: 21) + "\n"), maxSentenceBytes: 20) }
        #expect(error.kind == .lineTooLong)
        #expect(error.line == 2)
        #expect(error.description.contains("train.en:2: the line is 21 bytes, more than the limit of 20 bytes"))
        #expect(ParallelCorpus.defaultMaxSentenceBytes == 100_000)
        #expect((try? readPair(utf8("eins\n"), utf8(String(repeating: "w", count: 20)), maxSentenceBytes: 20)) != nil)
    }

    @Test func binaryAndCompressedFilesAreRefused() throws {
        let binary = try failure { try readPair(utf8("eins\nzw") + [0, 1, 2] + utf8("\n"), utf8("one\ntwo\n")) }
        #expect(binary.kind == .notText)
        #expect(binary.line == 2)
        #expect(binary.detail.contains("NUL byte"))
        #expect(binary.detail.contains("one sentence per line"))
        #expect(!binary.detail.contains("CSV"))
        let gzip = try failure { try readPair(utf8("eins\n"), [0x1F, 0x8B, 8, 0, 0, 0]) }
        #expect(gzip.kind == .notText)
        #expect(gzip.path.hasSuffix("train.en"))
        #expect(gzip.detail.contains("gunzip"))
    }

    @Test func anEmptyFileIsAnError() throws {
        let error = try failure { try readPair(UTF8Validation.byteOrderMark, utf8("one\n")) }
        #expect(error.kind == .empty)
        #expect(error.path.hasSuffix("train.de"))
    }

    @Test func aByteOrderMarkInsideALineIsAnError() throws {
        let error = try failure { try readPair(utf8("eins\n") + UTF8Validation.byteOrderMark + utf8("zwei\n"), utf8("one\ntwo\n")) }
        #expect(error.line == 2)
        #expect(error.detail.contains("byte-order mark"))
    }

    @Test func missingFilesAndDirectoriesAreErrors() throws {
        let dir = try folder(["train.en": utf8("one\n")])
        defer { try? FileManager.default.removeItem(at: dir) }
        let missing = dir.appendingPathComponent("train.de").path
        let notFound = try failure { try ParallelCorpus.read(source: missing, target: dir.appendingPathComponent("train.en").path) }
        #expect(notFound.kind == .unreadable)
        #expect(notFound.description == "\(missing): no such file. Check the path.")
        let directory = try failure { try ParallelCorpus.read(source: dir.appendingPathComponent("train.en").path, target: dir.path) }
        #expect(directory.kind == .unreadable)
        #expect(directory.description.hasPrefix("\(dir.path): is a directory"))
        let device = try failure { try ParallelCorpus.read(source: "/dev/zero", target: dir.appendingPathComponent("train.en").path) }
        #expect(device.detail.contains("device"))
    }

    // MARK: TSV

    @Test func readsATSVFileByColumnNumber() throws {
        let corpus = try readTSV(utf8("ein hund .\ta dog .\r\n\r\nzwei katzen .\ttwo cats .\n"))
        #expect(corpus.pairs == [SentencePair(source: "ein hund .", target: "a dog .", line: 1),
                                 SentencePair(source: "zwei katzen .", target: "two cats .", line: 3)])
        let swapped = try readTSV(utf8("ein hund .\ta dog .\n"), source: 2, target: 1)
        #expect(swapped.pairs[0].source == "a dog .")
    }

    @Test func readsATSVFileByHeaderName() throws {
        let text = UTF8Validation.byteOrderMark + utf8("id\tEN\tde\n1\ta dog .\tein hund .\n2\ttwo cats .\tzwei katzen .\n")
        let corpus = try readTSV(text, source: "de", target: "en", hasHeader: true)
        #expect(corpus.pairs.map(\.source) == ["ein hund .", "zwei katzen ."])
        #expect(corpus.pairs.map(\.target) == ["a dog .", "two cats ."])
        #expect(corpus.pairs.map(\.line) == [2, 3])
    }

    @Test func tsvColumnErrorsNameTheColumn() throws {
        let unknown = try failure { try readTSV(utf8("de\ten\nein\ta\n"), source: "fr", target: "en", hasHeader: true) }
        #expect(unknown.kind == .unknownColumn)
        #expect(unknown.line == 1)
        #expect(unknown.detail.contains("no column is named `fr`; the header has `de`, `en`."))
        #expect(unknown.detail.contains("Choose the source column"))
        #expect(!unknown.detail.contains("DataFileOptions"))
        let range = try failure { try readTSV(utf8("ein\ta\n"), source: 1, target: 3) }
        #expect(range.detail.hasPrefix("target column 3 is out of range: line 1 has 2 fields."))
        let noHeader = try failure { try readTSV(utf8("ein\ta\n"), source: "de", target: 2) }
        #expect(noHeader.detail.contains("without a header line"))
        let same = try failure { try readTSV(utf8("ein\ta\n"), source: 2, target: 2) }
        #expect(same.detail.contains("the source and target columns are both column 2"))
    }

    @Test func tsvRowErrorsNameTheLine() throws {
        let fields = try failure { try readTSV(utf8("ein\ta\nzwei\ttwo\textra\n")) }
        #expect(fields.kind == .malformedLine)
        #expect(fields.description.contains("pairs.tsv:2: the line has 3 tab-separated fields but line 1 has 2."))
        let empty = try failure { try readTSV(utf8("de\ten\nein\ta\nzwei\t \n"), source: "de", target: "en", hasHeader: true) }
        #expect(empty.kind == .emptyLine)
        #expect(empty.description.contains("pairs.tsv:3: the target (column `en`) is only whitespace"))
        let utf = try failure { try readTSV(utf8("ein\ta\n") + [0xE4] + utf8("\tb\n")) }
        #expect(utf.kind == .invalidUTF8)
        #expect(utf.line == 2)
        #expect(utf.detail.contains("the source (column 1) is not valid UTF-8 (byte 0xE4 at byte 1 of the field)"))
        let headerOnly = try failure { try readTSV(utf8("de\ten\n"), hasHeader: true) }
        #expect(headerOnly.kind == .empty)
        #expect(headerOnly.detail.contains("has a header but no sentence pairs"))
    }

    // MARK: The sample

    @Test func readsTheTranslationSample() throws {
        let dir = Fixtures.dataRoot.appendingPathComponent("translation-sample")
        func read(_ split: String) throws -> ParallelCorpus {
            try ParallelCorpus.read(source: dir.appendingPathComponent("\(split).de").path, target: dir.appendingPathComponent("\(split).en").path)
        }
        let train = try read("train"), validation = try read("val")
        #expect(train.pairs.count == 3_000)
        #expect(validation.pairs.count == 200)
        #expect(Set(train.pairs.map(\.source)).isDisjoint(with: validation.pairs.map(\.source)))
        let tokenizer = Tokenizer.words()
        for side in [\SentencePair.source, \SentencePair.target] {
            let tokens = train.pairs.map { tokenizer.tokens($0[keyPath: side]) }
            let vocabulary = Vocabulary.build(from: tokens, minCount: 1)
            #expect((60...260).contains(vocabulary.count), "a small vocabulary (\(vocabulary.count) words)")
            #expect(tokens.allSatisfy { $0.last == "." })
            // Every validation word was seen in training, so the sample tests translation, not unknown words.
            let seen = Set(tokens.joined())
            #expect(validation.pairs.allSatisfy { tokenizer.tokens($0[keyPath: side]).allSatisfy(seen.contains) })
        }
    }
}
