import ArgumentParser
import Foundation
import RNNKit

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure a trained classifier on labelled data, or a translation model on sentence pairs.",
        discussion: """
            The kind of model is read from the file.

            A classifier (--data FILE): prints accuracy, per-class precision, recall and F1, \
            macro-F1 and the confusion matrix (rows: true labels, columns: predicted). The data is \
            tokenized as the model was trained.

            A translation model (--source and --target, two line-aligned files; or --data, one \
            TSV file of pairs): translates every source sentence (greedy, or --beam K) and prints \
            corpus BLEU and chrF against the targets, as sacreBLEU computes them by default (0–100; \
            lowercased when the model lowercases), and the loss and perplexity of the targets under \
            the model.

            Examples:
              rnn evaluate --model m.safetensors --data test.tsv
              rnn evaluate --model m.safetensors --data test.tsv --label-column score --threshold 0 --json
              rnn evaluate --model de-en.safetensors --source test.de --target test.en --beam 5
              rnn evaluate --model de-en.safetensors --data test.tsv --output-translations test.hyp.en
            """)

    @Option(help: "A model file written by `rnn train --output` or `rnn train-seq2seq --output`.")
    var model: String

    @Option(help: "Labelled examples (a CSV, TSV or JSONL file); for a translation model, a TSV file of sentence pairs.")
    var data: String?

    @Option(help: "Translation models: source sentences, one per line, line-aligned with --target.")
    var source: String?

    @Option(help: "Translation models: the reference translations, one per line.")
    var target: String?

    @OptionGroup(title: "Data files (classifiers)") var dataOptions: DataOptions

    @OptionGroup(title: "Limits") var limits: TextLimitOptions

    @OptionGroup(title: "Sentence files (translation models)") var files: ParallelTextOptions

    @Option(help: ArgumentHelp("Translation models: also write the translations here, one per line.", valueName: "file"))
    var outputTranslations: String?

    @Option(help: "Translation models: hypotheses kept at each step (beam search); 1 is greedy decoding. (default: 1)")
    var beam: Int?

    @Option(help: "Translation models: the most words a translation may have (with <eos>). (default: 50)")
    var maxLength: Int?

    @Option(help: "Translation models: α of the length normalisation that ranks finished hypotheses. (default: 1)")
    var lengthPenalty: Double?

    @Flag(help: "Translation models: score every target word, not only the model's vocabulary shortlist (exact decoding; slower).")
    var noShortlist = false

    @Option(help: "Translation models: the weights' number format in the products: float (exact), bfloat16 (half the bytes a word reads) or int8 (a quarter: the fastest); the reduced ones can change a few words of a translation. (default: float)")
    var precision: WeightPrecision?

    @Flag(help: "Print one JSON object: for a classifier accuracy, macro_f1, per-class precision/recall/f1/support, confusion, labels; for a translation model bleu, chrf, loss, perplexity, sentences, beam, precision.")
    var json = false

    @OptionGroup(title: "Performance") var threadOptions: ThreadOptions

    static let flags = (source: "--source", target: "--target", tsv: "--data")

    func validate() throws {
        if let p = ParallelTextOptions.problem(source: source, target: target, tsv: data, flags: Self.flags) {
            throw ValidationError(p + ".")
        }
        if data == nil && source == nil {
            throw ValidationError("give --data (labelled examples, or sentence pairs in a TSV file), or --source and --target (two line-aligned files).")
        }
        if let problem = DecodingOptions.problem(beam: beam ?? 1, maxLength: maxLength ?? 50, lengthPenalty: lengthPenalty ?? 1) {
            throw ValidationError(problem)
        }
    }

    /// The decoding flags as the library's options.
    private var translationOptions: TranslationOptions {
        TranslationOptions(beam: beam ?? 1, maxLength: maxLength ?? 50, lengthPenalty: lengthPenalty ?? 1, shortlist: !noShortlist,
                           precision: precision ?? .float)
    }

    func run() throws {
        threadOptions.apply()
        enum Loaded { case classifier(any TextClassifying), translation(Seq2SeqModel) }
        // The file says which task it is for: a translation model is loaded as one.
        let loaded: Loaded = try reportingErrors {
            do { return .classifier(try ClassifierFile.load(from: model)) } catch let e as ModelFileError
                where e.kind == .wrongTask(found: .translation) {
                return .translation(try Seq2SeqModel.load(from: model))
            }
        }
        switch loaded {
        case .translation(let translator):
            if let flag = dataOptions.givenFlags.first {
                throw CommandError("\(flag) applies to classifiers; \(model) is a translation model. "
                                   + "Give --source and --target (or --data with --source-column and --target-column).")
            }
            try evaluateTranslation(translator)
        case .classifier(let classifier):
            let misplaced = [("--source", source != nil), ("--target", target != nil), ("--output-translations", outputTranslations != nil),
                             ("--beam", beam != nil), ("--max-length", maxLength != nil), ("--length-penalty", lengthPenalty != nil),
                             ("--no-shortlist", noShortlist), ("--precision", precision != nil)]
                .filter(\.1).map(\.0) + files.givenFlags
            if let flag = misplaced.first {
                throw CommandError("\(flag) applies to translation models; \(model) is a text classifier. "
                                   + "Give its labelled examples with --data (and --text-column, --label-column).")
            }
            try evaluateClassifier(classifier)
        }
    }

    private func evaluateClassifier(_ classifier: any TextClassifying) throws {
        guard let data else { throw CommandError("a classifier is evaluated on --data FILE (labelled examples).") }
        let rows = try reportingErrors { try dataOptions.read(data) }
        for row in rows {
            if let problem = limits.problem(row.text, "the text on line \(row.line) of \(data)") { throw CommandError(problem) }
        }
        let evaluation: TextClassifier.Evaluation = try reportingErrors {
            do { return try classifier.evaluate(on: rows, source: data) } catch let e as DataFileError where e.kind == .unknownLabel {
                throw CommandError(e.commandLineDescription + " Check --label-column and --threshold.")
            }
        }
        if evaluation.droppedTexts > 0 {
            printError("warning: \(evaluation.droppedTexts) text(s) have no word the model knows and were left out.")
        }
        let report = evaluation.report
        if json {
            printJSON(report)
        } else {
            printTable(report)
        }
    }

    private func evaluateTranslation(_ translator: Seq2SeqModel) throws {
        try checkOutputs([("--output-translations", outputTranslations)],
                         inputs: [("--model", model), ("--source", source), ("--target", target), ("--data", data)])
        if let flag = limits.givenFlag {
            throw CommandError("\(flag) applies to classifiers; \(model) is a translation model. Give --max-sentence-bytes to limit a sentence.")
        }
        try checkDifferentSides([("--source", source, "--target", target)])
        let pairs = try reportingErrors { try files.read(source: source, target: target, tsv: data, flags: Self.flags) }
        let options = translationOptions
        let console = ProgressOutput(quiet: json || !stdoutIsTerminal)
        var lastDraw = Date.distantPast
        let scores = translator.evaluate(sources: pairs.map(\.source), references: pairs.map(\.target), options: options) { done in
            guard Date().timeIntervalSince(lastDraw) >= 0.2 || done == pairs.count else { return }
            lastDraw = Date()
            console.live("translating: \(done)/\(pairs.count)")
        }
        console.clearLive()
        guard scores.loss.isFinite else {
            throw CommandError("\(model): the model computed numbers that are not finite (NaN or infinite) on these pairs, so its "
                               + "translations and scores are meaningless: its weights are too large. Train the model again "
                               + "(a lower --learning-rate or --clip-norm may help).")
        }
        if let outputTranslations {
            let text = scores.hypotheses.map { $0 + "\n" }.joined()
            try reportingErrors { try AtomicFile.write(Array(text.utf8), to: outputTranslations) }
        }
        if json {
            // JSON has no NaN or infinity: such a number (a perplexity past Double's range) is null.
            func number(_ x: Double) -> String { x.isFinite ? "\(x)" : "null" }
            print("{\"bleu\": \(number(scores.bleu)), \"chrf\": \(number(scores.chrF)), \"loss\": \(number(scores.loss)), "
                  + "\"perplexity\": \(number(scores.perplexity)), \"sentences\": \(scores.sentences), \"beam\": \(options.beam), "
                  + "\"precision\": \"\(options.precision.rawValue)\"}")
        } else {
            let perplexity = scores.perplexity.isFinite ? String(format: "%.2f", scores.perplexity) : "> 1e308"
            print(String(format: "sentences: %d   %@   BLEU: %.2f   chrF: %.2f   loss: %.4f   perplexity: %@", scores.sentences,
                         (options.beam == 1 ? "greedy" : "beam \(options.beam)") + (options.precision == .float ? "" : " \(options.precision.rawValue)"), scores.bleu, scores.chrF, scores.loss,
                         perplexity))
        }
        if let outputTranslations {
            printError("wrote \(outputTranslations) (\(scores.hypotheses.count) translation\(scores.hypotheses.count == 1 ? "" : "s")).")
        }
    }

    private func printTable(_ r: ClassificationReport) {
        print(String(format: "examples: %d   accuracy: %.4f   macro-F1: %.4f   loss: %.4f", r.count, r.accuracy, r.macroF1, r.loss))
        print("")
        let width = max(r.labels.map(\.count).max() ?? 5, 9)
        func pad(_ s: String, _ w: Int) -> String { s.count >= w ? s : String(repeating: " ", count: w - s.count) + s }
        print(pad("label", width) + pad("precision", 11) + pad("recall", 9) + pad("F1", 9) + pad("support", 9))
        for (label, s) in zip(r.labels, r.classes) {
            print(pad(label, width) + pad(String(format: "%.4f", s.precision), 11) + pad(String(format: "%.4f", s.recall), 9)
                  + pad(String(format: "%.4f", s.f1), 9) + pad("\(s.support)", 9))
        }
        print("")
        print("confusion matrix (rows: true, columns: predicted)")
        let cell = max(width, (r.confusion.flatMap { $0 }.map { "\($0)".count }.max() ?? 1) + 2)
        print(pad("", width) + r.labels.map { pad($0, cell) }.joined())
        for (label, row) in zip(r.labels, r.confusion) {
            print(pad(label, width) + row.map { pad("\($0)", cell) }.joined())
        }
    }

    private func printJSON(_ r: ClassificationReport) {
        // JSON has no NaN or infinity (a loss is infinite when a true label gets probability 0):
        // such a number is written as null, never as invalid JSON.
        func number(_ x: Double) -> Any { x.isFinite ? x : NSNull() }
        var perClass: [String: Any] = [:]
        for (label, s) in zip(r.labels, r.classes) {
            perClass[label] = ["precision": number(s.precision), "recall": number(s.recall), "f1": number(s.f1),
                               "support": s.support]
        }
        let object: [String: Any] = [
            "accuracy": number(r.accuracy), "macro_f1": number(r.macroF1), "loss": number(r.loss), "count": r.count,
            "labels": r.labels, "confusion": r.confusion, "per_class": perClass,
        ]
        // Only strings, integers, finite numbers and null: always serializable.
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }
}
