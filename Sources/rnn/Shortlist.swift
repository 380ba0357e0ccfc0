import ArgumentParser
import Foundation
import RNNKit

struct Shortlist: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Add a vocabulary shortlist to a translation model, from its training pairs.",
        discussion: """
            For each source word, the target words most often in the translations of the training \
            sentences that hold it (Dice coefficient of co-occurrence); with the most frequent \
            target words they are all a sentence's translation may use, so decoding scores a few \
            hundred words instead of the whole vocabulary. `rnn train-seq2seq` builds one; this adds \
            or rebuilds it in a model trained without. The weights are not changed: the model file \
            is rewritten (atomically) with the same weights and the shortlist, in place or into \
            --output. `rnn translate --no-shortlist` decodes without it.

            Examples:
              rnn shortlist --model de-en.safetensors --source train.de --target train.en
              rnn shortlist --model de-en.safetensors --data pairs.tsv --per-word 100 --output de-en.short.safetensors
            """)

    @Option(help: "A model file written by `rnn train-seq2seq --output`.")
    var model: String

    @Option(help: "Training source sentences, one per line, line-aligned with --target.")
    var source: String?

    @Option(help: "Training target sentences, one per line.")
    var target: String?

    @Option(help: "Training pairs in one TSV file (source and target columns).")
    var data: String?

    @OptionGroup(title: "Sentence files") var files: ParallelTextOptions

    @Option(help: "Target words kept per source word.")
    var perWord = VocabularyShortlist.Options().perWord

    @Option(help: "The most frequent target words, scored for every sentence.")
    var frequent = VocabularyShortlist.Options().frequent

    @Option(help: "Write the model with its shortlist here instead of over --model.")
    var output: String?

    static let flags = (source: "--source", target: "--target", tsv: "--data")

    func validate() throws {
        if let p = ParallelTextOptions.problem(source: source, target: target, tsv: data, flags: Self.flags) {
            throw ValidationError(p + ".")
        }
        if data == nil && source == nil { throw ValidationError("give --source and --target (two line-aligned files), or --data (one TSV file).") }
        if let problem = options.problem {
            throw ValidationError(problem.replacingOccurrences(of: "the words kept per source word", with: "--per-word")
                .replacingOccurrences(of: "the frequent words", with: "--frequent") + ".")
        }
    }

    var options: VocabularyShortlist.Options { VocabularyShortlist.Options(perWord: perWord, frequent: frequent) }

    func run() throws {
        let destination = output ?? model
        // The model may be its own destination; no other input may be.
        try checkOutputs([("--output", output)], inputs: [("--model", model), ("--source", source), ("--target", target), ("--data", data)])
        try checkOutputs([(output == nil ? "--model" : "--output", destination)],
                         inputs: [("--source", source), ("--target", target), ("--data", data)])
        try checkDifferentSides([("--source", source, "--target", target)])
        let translator = try reportingErrors { try Seq2SeqModel.load(from: model) }
        let pairs = try reportingErrors { try files.read(source: source, target: target, tsv: data, flags: Self.flags) }
        try refuseForeignPairs(pairs, translator)
        translator.buildShortlist(pairs: pairs, options: options)
        try reportingErrors { try translator.save(to: destination) }
        let list = translator.shortlist!
        let sources = pairs.prefix(1000).map { translator.encodeSource($0.source).ids }
        let mean = Double(sources.reduce(0) { $0 + list.targets(for: $1).count }) / Double(max(sources.count, 1))
        print(String(format: "shortlist of %d pairs: %d target words per source word, %d frequent words; %.0f of %d target words per sentence on average; saved to %@",
                     pairs.count, list.perWord, list.frequent.count, mean, translator.targetVocabulary.count, destination))
    }
}

extension Shortlist {
    /// Pairs whose words the model mostly does not know (another corpus, or the languages swapped)
    /// would give a shortlist with almost no words to choose from: refused before anything is written.
    func refuseForeignPairs(_ pairs: [(source: String, target: String)], _ model: Seq2SeqModel) throws {
        var words = (source: 0, target: 0), unknown = (source: 0, target: 0)
        for p in pairs {
            let s = model.encodeSource(p.source), t = model.encodeTarget(p.target)
            words.source += s.ids.count - 2; unknown.source += s.unknown.count
            words.target += t.ids.count - 2; unknown.target += t.unknown.count
        }
        let sides = [("source", data ?? source ?? "", words.source, unknown.source),
                     ("target", data ?? target ?? "", words.target, unknown.target)]
        for (side, file, n, u) in sides where n > 0 && 2 * u > n {
            throw CommandError("\(file): \(u * 100 / n)% of the \(side) words are not in the model's \(side) vocabulary, so its "
                               + "shortlist would leave almost no words to choose from. Give the pairs the model was trained on"
                               + (data == nil ? " (are --source and --target swapped?)." : "."))
        }
    }
}
