/// Sentence pairs for translation (a source sentence and its target-language translation), read
/// from two line-aligned files or from one TSV file, with every problem explained as a
/// `TextFileError` that names the file, the line, what is wrong and what to do.
///
/// Files are UTF-8, with or without a byte-order mark; LF or CRLF line ends; the last line may
/// lack its line end. Sentences are trimmed of surrounding whitespace and must not be empty.
/// Tokenizing them (`Tokenizer.words(lowercase:)`) is left to the model.
package struct ParallelCorpus: Sendable, Equatable {
    /// The longest sentence accepted, in bytes: the limit the command line puts on one text.
    package static let defaultMaxSentenceBytes = 100_000

    /// In file order, each with its line; never empty.
    package var pairs: [SentencePair]

    package init(pairs: [SentencePair]) {
        self.pairs = pairs
    }

    private static let expected = "A sentence file must be UTF-8 text, one sentence per line"
    private static let emptyAdvice = "it needs one sentence per line, aligned with the other language's file."

    /// The pairs of two line-aligned files: line N of `source` is translated by line N of `target`.
    ///
    /// - Parameter maxSentenceBytes: a longer line is an error (it is more likely a file that is
    ///   not one sentence per line than a sentence).
    /// - Throws: `TextFileError` for a missing, unreadable, empty, binary or non-UTF-8 file, an
    ///   empty or whitespace-only line, a line longer than the limit (each naming its file and
    ///   line), and files with different numbers of lines.
    package static func read(source sourcePath: String, target targetPath: String,
                             maxSentenceBytes: Int = defaultMaxSentenceBytes) throws(TextFileError) -> ParallelCorpus {
        let source = try SentenceFile.read(sourcePath, expected: expected, emptyAdvice: emptyAdvice)
        let sourceSentences = try sentences(source, path: sourcePath, maxSentenceBytes: maxSentenceBytes)
        let target = try SentenceFile.read(targetPath, expected: expected, emptyAdvice: emptyAdvice)
        let targetSentences = try sentences(target, path: targetPath, maxSentenceBytes: maxSentenceBytes)
        guard sourceSentences.count == targetSentences.count else {
            let (s, t) = (MessageText.grouped(sourceSentences.count), MessageText.grouped(targetSentences.count))
            throw TextFileError(.misaligned, path: sourcePath,
                                detail: "has \(s) line\(sourceSentences.count == 1 ? "" : "s") but \(targetPath) has \(t): the files must be line-aligned, one sentence per line. Find where a sentence was lost, split or joined (its translations stop matching there) and fix that file.")
        }
        return ParallelCorpus(pairs: zip(sourceSentences, targetSentences).enumerated().map {
            SentencePair(source: $1.0, target: $1.1, line: $0 + 1)
        })
    }

    /// The pairs of a tab-separated file, one pair a line.
    ///
    /// Columns are chosen as `DataFileOptions` chooses them: by a header name (which needs
    /// `hasHeader`; a name matching no column exactly matches one that differs only in case) or by
    /// a 1-based number. Other columns are ignored, but every row must have as many fields as the
    /// first; blank lines are skipped.
    ///
    /// - Throws: `TextFileError` for a missing, unreadable, empty, binary file, a header and no
    ///   pairs, a column that is not there (or the same column for both), a row with the wrong
    ///   number of fields, an empty, non-UTF-8 or too-long sentence (naming the line).
    package static func read(tsv path: String, source: ColumnSelector = 1, target: ColumnSelector = 2,
                             hasHeader: Bool = false,
                             maxSentenceBytes: Int = defaultMaxSentenceBytes) throws(TextFileError) -> ParallelCorpus {
        let file = try SentenceFile.read(path, expected: "A file of sentence pairs must be UTF-8 text, one tab-separated pair per line",
                                         emptyAdvice: "it needs one sentence pair per line, the source and its translation separated by a tab.")
        var scanner = TSVScanner(bytes: file.bytes, start: file.start)
        var columns: (source: Int, target: Int, count: Int, countSource: String)?
        var places: (source: SentenceFile.Place, target: SentenceFile.Place) = (.line, .line)
        var pairs: [SentencePair] = []
        while let record = scanner.next() {
            guard case .fields(let line, let fields) = record else { continue }  // TSV never gives .invalid
            guard let columns else {
                var header: [String]?
                if hasHeader {
                    header = []
                    for field in fields {
                        guard let name = UTF8Validation.string(field) else {
                            throw TextFileError(.invalidUTF8, path: path, line: line, detail: "the header line is not valid UTF-8. Re-save the file as UTF-8.")
                        }
                        header?.append(name.trimmedOfWhitespace)
                    }
                }
                let resolver = ColumnResolver(path: path, line: line, header: header, fieldCount: fields.count, format: .tsv)
                let s = try resolve(source, role: .text, called: "source", resolver)
                let t = try resolve(target, role: .label, called: "target", resolver)
                guard s != t else {
                    throw TextFileError(.unknownColumn, path: path, line: header == nil ? nil : line,
                                        detail: "the source and target columns are both \(resolver.describe(s)); they must be different columns.")
                }
                columns = (s, t, fields.count, header == nil ? "line \(line)" : "the header")
                places = (.column(role: "source", column: resolver.describe(s)), .column(role: "target", column: resolver.describe(t)))
                if header == nil {
                    pairs.append(try pair(fields, s, t, places, path: path, line: line, maxSentenceBytes: maxSentenceBytes))
                }
                continue
            }
            guard fields.count == columns.count else {
                throw TextFileError(.malformedLine, path: path, line: line,
                                    detail: "the line has \(MessageText.count(fields.count, "tab-separated field")) but \(columns.countSource) has \(columns.count). TSV has no quoting, so a tab inside a sentence splits it: remove tabs from sentences.")
            }
            pairs.append(try pair(fields, columns.source, columns.target, places, path: path, line: line, maxSentenceBytes: maxSentenceBytes))
        }
        guard !pairs.isEmpty else {
            throw TextFileError(.empty, path: path, detail: "has a header but no sentence pairs. Add one pair per line below the header.")
        }
        return ParallelCorpus(pairs: pairs)
    }

    /// The checked sentences of a file of one language, one a line.
    private static func sentences(_ file: (bytes: [UInt8], start: Int), path: String, maxSentenceBytes: Int) throws(TextFileError) -> [String] {
        var sentences: [String] = []
        var i = file.start, line = 1
        while let (number, content) = Lines.next(file.bytes, &i, &line) {
            sentences.append(try SentenceFile.sentence(content, path: path, line: number, place: .line, maxBytes: maxSentenceBytes))
        }
        return sentences
    }

    private static func pair(_ fields: [ArraySlice<UInt8>], _ source: Int, _ target: Int,
                             _ places: (source: SentenceFile.Place, target: SentenceFile.Place),
                             path: String, line: Int, maxSentenceBytes: Int) throws(TextFileError) -> SentencePair {
        SentencePair(source: try SentenceFile.sentence(fields[source], path: path, line: line, place: places.source, maxBytes: maxSentenceBytes),
                     target: try SentenceFile.sentence(fields[target], path: path, line: line, place: places.target, maxBytes: maxSentenceBytes),
                     line: line)
    }

    /// `ColumnResolver.resolve`, its error told in this reader's terms.
    private static func resolve(_ selector: ColumnSelector, role: DataFileOptions.Role, called name: String,
                                _ resolver: ColumnResolver) throws(TextFileError) -> Int {
        do {
            return try resolver.resolve(selector, role: role, called: name)
        } catch {
            let advice = resolver.header == nil
                ? "Choose the \(name) column by its 1-based number, or read the file as having a header line."
                : "Choose the \(name) column by one of the header's names or by its 1-based number."
            throw TextFileError(.unknownColumn, path: error.path, line: error.line, detail: "\(error.detail) \(advice)")
        }
    }
}
