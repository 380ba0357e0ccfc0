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
        // Rewriting the model in place is the default; another model is not the remedy.
        try checkOutputs([(output == nil ? "--model" : "--output", destination)],
                         inputs: [("--source", source), ("--target", target), ("--data", data)],
                         remedy: output == nil ? "Give --output to write the model with its shortlist to another file." : nil)
        try checkDifferentSides([("--source", source, "--target", target)])
        let translator = try reportingErrors { try Seq2SeqModel.load(from: model) }
        let pairs = try reportingErrors { try files.read(source: source, target: target, tsv: data, flags: Self.flags) }
        let report: VocabularyShortlist.Report
        do {
            report = try translator.buildShortlist(pairs: pairs, options: options)
        } catch let error as VocabularyShortlist.BuildError {
            let file = data ?? (error.side == .source ? source : target) ?? ""
            throw CommandError("\(file): \(error)" + (data == nil ? " (Are --source and --target swapped?)" : ""))
        }
        try reportingErrors { try translator.save(to: destination) }
        let list = translator.shortlist!
        print(String(format: "shortlist of %d pairs: %d target words per source word, %d frequent words; %.0f of %d target words per sentence on average; saved to %@",
                     report.pairs, list.perWord, list.frequent.count, report.targetsPerSentence, translator.targetVocabulary.count, destination))
    }
}
