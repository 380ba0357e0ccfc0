import ArgumentParser
import RNNKit

/// How sentence pairs are given: two line-aligned files, or one tab-separated file with a source
/// and a target column. Shared by `train-seq2seq` and `evaluate`.
struct ParallelTextOptions: ParsableArguments {
    @Option(help: "Column of the source sentences in a --data/--validation-data TSV file: a 1-based number or, with --header, a name. (default: 1)")
    var sourceColumn: String?

    @Option(help: "Column of the target sentences in a TSV file. (default: 2)")
    var targetColumn: String?

    @Flag(help: "The TSV file's first line is a header (column names), not a pair.")
    var header = false

    @Option(help: "The longest sentence, in bytes; a longer one is an error. (default: 100000)")
    var maxSentenceBytes: Int?

    func validate() throws {
        if let maxSentenceBytes, maxSentenceBytes < 1 {
            throw ValidationError("--max-sentence-bytes must be at least 1 (got \(maxSentenceBytes)).")
        }
    }

    /// The flags given on the command line (for refusing them where they do not apply).
    var givenFlags: [String] {
        [("--source-column", sourceColumn != nil), ("--target-column", targetColumn != nil), ("--header", header),
         ("--max-sentence-bytes", maxSentenceBytes != nil)].filter(\.1).map(\.0)
    }

    /// Reads pairs from `source`+`target` or `tsv`; `flags` name the options in messages.
    func read(source: String?, target: String?, tsv: String?, flags: (source: String, target: String, tsv: String))
        throws -> [(source: String, target: String)] {
        let corpus: ParallelCorpus
        do {
            if let tsv {
                corpus = try ParallelCorpus.read(tsv: tsv, source: ColumnSelector(parsing: sourceColumn ?? "1"),
                                                 target: ColumnSelector(parsing: targetColumn ?? "2"), hasHeader: header,
                                                 maxSentenceBytes: maxSentenceBytes ?? 100_000)
            } else if let source, let target {
                corpus = try ParallelCorpus.read(source: source, target: target, maxSentenceBytes: maxSentenceBytes ?? 100_000)
            } else {
                throw CommandError("give \(flags.source) and \(flags.target) (two line-aligned files), or \(flags.tsv) (one TSV file).")
            }
        } catch let error as TextFileError {
            var text = error.description
            if error.kind == .lineTooLong { text += " (--max-sentence-bytes raises the limit)" }
            throw CommandError(text)
        }
        return corpus.pairs.map { ($0.source, $0.target) }
    }

    /// Why these file options do not name one set of pairs, or nil.
    static func problem(source: String?, target: String?, tsv: String?, flags: (source: String, target: String, tsv: String)) -> String? {
        if tsv != nil && (source != nil || target != nil) {
            return "give either \(flags.source) and \(flags.target), or \(flags.tsv), not both"
        }
        if tsv == nil && (source == nil) != (target == nil) {
            return "\(source == nil ? flags.source : flags.target) is missing: \(flags.source) and \(flags.target) go together"
        }
        return nil
    }
}
