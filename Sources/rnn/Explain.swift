import ArgumentParser
import Foundation
import RNNKit

struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show how a model reads a text, token by token.",
        discussion: """
            For a classifier: after each word, the prediction so far (and as a sparkline), how \
            much the word matters (occlusion: the predicted label's probability minus its \
            probability without the word; gradient × input: the same, to first order) and the \
            hidden units that change most. For a language model: each character's (or word's) \
            probability given what precedes it, its surprisal in bits, and hidden units' \
            activations — --unit N, or the units whose activation follows a feature of the text \
            best (inside quotes, inside parentheses, position in line: Karpathy's quote and \
            line-length cells), or else varies most. For a translation model: the translation \
            (greedy, or beam search with --beam) and its attention, a grid with a column per \
            source word and a row per output word (then <eos>), each cell shaded by how much \
            that output step looked at that source word. The kind of model is read from the file.

            On a terminal (or with --color always) words are coloured by importance: green \
            pushed towards the prediction, red away from it.

            Examples:
              rnn explain --model sentiment.safetensors "this is not good at all"
              rnn explain --model sentiment.safetensors --json "i am very good"
              rnn explain --model lm.safetensors --unit 12 --html page.html "ROMEO: (aside) yes"
              rnn explain --model de-en.safetensors --beam 5 "ein mann fährt fahrrad ."
            """)

    enum ColorChoice: String, ExpressibleByArgument, CaseIterable { case auto, always, never }

    @Option(help: "A model file written by `rnn train --output`, `rnn train-lm --output` or `rnn train-seq2seq --output`.")
    var model: String

    @Argument(help: "Texts to explain (default: one per line from standard input).")
    var texts: [String] = []

    @Flag(help: "One JSON object per text, on one line.")
    var json = false

    @Option(help: ArgumentHelp("Also write one self-contained HTML page explaining every text.", valueName: "file"))
    var html: String?

    @Option(name: .customLong("unit"), help: ArgumentHelp("A hidden unit of the top layer to show; repeat for more (default: 3 chosen as above).", valueName: "n"))
    var units: [Int] = []

    @Option(help: "Colour the terminal output: auto (when standard output is a terminal), always or never.")
    var color: ColorChoice = .auto

    @OptionGroup(title: "Translation models") var decoding: DecodingOptions

    @OptionGroup(title: "Limits") var limits: TextLimitOptions

    @Option(help: ArgumentHelp("The most tokens of a text a classifier explains: the work grows with the square of the length.",
                               valueName: "n"))
    var maxTokens = TextClassifier.defaultMaxExplainedTokens

    @OptionGroup(title: "Performance") var threadOptions: ThreadOptions

    func validate() throws {
        if maxTokens < 1 { throw ValidationError("--max-tokens must be at least 1 (got \(maxTokens)).") }
        if let bad = units.first(where: { $0 < 0 }) { throw ValidationError("--unit must be 0 or more (got \(bad)).") }
        if json && color == .always { throw ValidationError("--color always colours the terminal output; --json has none.") }
        if let html, html.isEmpty || html.hasSuffix("/") {
            throw ValidationError("--html must name a file, e.g. explain.html (got \"\(html)\").")
        }
    }

    func run() throws {
        threadOptions.apply()
        if let html { try reportingErrors { try OutputFile.check(html, notAnyOf: [model]) } }
        let explainer = try reportingErrors { try Explainer(path: model) }
        if let problem = explainer.unitProblem(units) { throw CommandError("--unit: \(problem)") }
        if let problem = explainer.decodingProblem(decoding) { throw CommandError(problem) }
        let render = ExplanationText(colored: color == .always || (color == .auto && stdoutIsTerminal))
        var explained: [Explanation] = [], failures = 0
        func fail(_ message: String, text: String?) {
            failures += 1
            printError("error: \(message)")
            if json { print("{\"text\": \(text.map(jsonQuote) ?? "null"), \"error\": \(jsonQuote(message))}") }
        }
        func explain(_ text: String, _ what: @autoclosure () -> String) {
            if let problem = limits.problem(text, what()) { return fail(problem, text: nil) }
            do {
                let e = try explainer.explain(text, units: units.isEmpty ? nil : units, maxTokens: maxTokens,
                                              decoding: decoding.translationOptions)
                print(json ? try e.json() : render.render(e))
                if html != nil { explained.append(e) }
            } catch ExplanationError.tooManyTokens(let count, let limit) {
                fail("\(what()) has \(count) tokens, more than \(limit); give --max-tokens to raise the limit (the work grows with the square of the length).",
                     text: text)
            } catch let error as CommandError {
                fail("\(what()): \(error)", text: text)
            } catch {
                fail(String(describing: error), text: text)
            }
        }
        if texts.isEmpty {
            LineReader.eachStandardInputText(limits: limits, { explain($0, $1) }, failed: { fail($0, text: nil) })
        } else {
            for (k, text) in texts.enumerated() { explain(text, "text \(k + 1) of the arguments") }
        }
        if let html {
            if explained.isEmpty {
                printError("note: nothing was explained, so \(html) was not written.")
            } else {
                try reportingErrors { try AtomicFile.write(Array(ExplanationPage.html(explained, model: model).utf8), to: html) }
                printError("wrote \(html) (\(explained.count) text\(explained.count == 1 ? "" : "s")).")
            }
        }
        if failures > 0 { throw ExitCode(1) }
    }
}

/// An explanation of either kind of model.
enum Explanation {
    case classifier(ClassifierExplanation)
    case languageModel(LanguageModelExplanation)
    /// A sentence and its translation, with the attention of each output step.
    case translation(source: String, Translation)

    /// `--json`'s object: the explanation as the library encodes it; a translation is the
    /// `Translation` with its `source` text.
    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data: Data
        switch self {
        case .classifier(let e): data = try encoder.encode(e)
        case .languageModel(let e): data = try encoder.encode(e)
        case .translation(let source, let t): data = try encoder.encode(TranslationExplanationJSON(source: source, translation: t))
        }
        return String(decoding: data, as: UTF8.self)
    }
}

/// The model file's model, whichever kind it is.
enum Explainer {
    case classifier(TextClassifier)
    case languageModel(TextLanguageModel)
    case translation(Seq2SeqModel)

    init(path: String) throws {
        do {
            self = .classifier(try TextClassifier.load(from: path))
        } catch let e as ModelFileError where e.kind == .wrongTask(found: .languageModel) {
            self = .languageModel(try TextLanguageModel.load(from: path))
        } catch let e as ModelFileError where e.kind == .wrongTask(found: .translation) {
            self = .translation(try Seq2SeqModel.load(from: path))
        } catch let e as ModelFileError where e.kind == .wrongTask(found: .bagOfNgrams) {
            throw CommandError("\(path): a bag-of-n-grams classifier reads no sequence, so there is no reading to explain; "
                               + "use it with `rnn predict` or `rnn evaluate`.")
        } catch let e as ModelFileError where e.kind == .wrongTask(found: .wideAndDeep) {
            throw CommandError("\(path): explanations of a wide-and-deep classifier (rnn train --model rnn+bow) are not "
                               + "implemented yet; use it with `rnn predict` or `rnn evaluate`.")
        }
    }

    /// Why `units` are not all the model's, or nil.
    func unitProblem(_ units: [Int]) -> String? {
        let count: Int
        switch self {
        case .classifier(let m): count = m.configuration.hiddenSize * (m.configuration.bidirectional ? 2 : 1)
        case .languageModel(let m): count = m.configuration.hiddenSize
        case .translation:
            return units.isEmpty ? nil : "units are shown for classifiers and language models; a translation model shows its attention."
        }
        guard let bad = units.first(where: { $0 >= count }) else { return nil }
        return ExplanationError.noSuchUnit(bad, count: count).description
    }

    /// Why decoding flags other than the defaults are given for a model that does not decode, or nil.
    func decodingProblem(_ d: DecodingOptions) -> String? {
        if case .translation = self { return nil }
        guard let flag = d.givenFlags.first else { return nil }
        return "\(flag) is for translation models (as --beam, --max-length and --length-penalty); this model is a "
            + (isClassifier ? "classifier." : "language model.")
    }

    private var isClassifier: Bool { if case .classifier = self { return true } else { return false } }
    var isTranslation: Bool { if case .translation = self { return true } else { return false } }

    func explain(_ text: String, units: [Int]?, maxTokens: Int, decoding: TranslationOptions) throws -> Explanation {
        switch self {
        case .classifier(let m): return .classifier(try m.explain(text, units: units, maxTokens: maxTokens))
        case .languageModel(let m): return .languageModel(try m.explain(text, units: units))
        case .translation(let m):
            guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw CommandError("the text is empty: there is nothing to translate.")
            }
            var options = decoding
            options.includeAttention = true
            let t = m.translate(text, options: options)
            guard t.isFinite else { throw CommandError(nonFiniteTranslation) }
            return .translation(source: text, t)
        }
    }
}

/// `rnn explain --json`'s object for a translation: the `Translation`'s keys and `source`.
private struct TranslationExplanationJSON: Encodable {
    var source: String
    var translation: Translation

    enum Keys: String, CodingKey { case source }

    func encode(to encoder: Encoder) throws {
        try translation.encode(to: encoder)
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(source, forKey: .source)
    }
}
