import ArgumentParser
import RNNKit

/// How sentence pairs are given: two line-aligned files, or one tab-separated file with a source
/// and a target column. Shared by `train-seq2seq` and `evaluate`.
struct ParallelTextOptions: ParsableArguments {
    @Option(help: "Column of the source sentences in a --data/--validation-data TSV file: a 1-based number or, with --header, a name.")
    var sourceColumn = "1"

    @Option(help: "Column of the target sentences in a TSV file.")
    var targetColumn = "2"

    @Flag(help: "The TSV file's first line is a header (column names), not a pair.")
    var header = false

    @Option(help: "The longest sentence, in bytes; a longer one is an error.")
    var maxSentenceBytes = 100_000

    func validate() throws {
        guard maxSentenceBytes >= 1 else { throw ValidationError("--max-sentence-bytes must be at least 1 (got \(maxSentenceBytes)).") }
    }

    /// Reads pairs from `source`+`target` or `tsv`; `flags` name the options in messages.
    func read(source: String?, target: String?, tsv: String?, flags: (source: String, target: String, tsv: String))
        throws -> [(source: String, target: String)] {
        let corpus: ParallelCorpus
        do {
            if let tsv {
                corpus = try ParallelCorpus.read(tsv: tsv, source: ColumnSelector(parsing: sourceColumn),
                                                 target: ColumnSelector(parsing: targetColumn), hasHeader: header,
                                                 maxSentenceBytes: maxSentenceBytes)
            } else if let source, let target {
                corpus = try ParallelCorpus.read(source: source, target: target, maxSentenceBytes: maxSentenceBytes)
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
