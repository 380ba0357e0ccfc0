import ArgumentParser
import Foundation
import RNNKit

struct Translate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Translate sentences with a model trained by `rnn train-seq2seq`.",
        discussion: """
            Prints one translation per sentence, in order, each as soon as it is done: the TEXT \
            arguments, or else standard input, one sentence per line (an empty line gives an empty \
            line). Decoding is greedy with --beam 1 (the default), beam search otherwise. Source \
            words the model never saw are read as <unk>, with a warning.

            Examples:
              rnn translate --model de-en.safetensors "ein mann fährt ein rotes fahrrad ."
              rnn translate --model de-en.safetensors --beam 5 < test.de > test.hyp.en
              echo "zwei hunde spielen im park ." | rnn translate --model de-en.safetensors --json
            """)

    @Option(help: "A model file written by `rnn train-seq2seq --output`.")
    var model: String

    @Argument(help: "Sentences to translate (default: one per line from standard input).")
    var texts: [String] = []

    @OptionGroup(title: "Decoding") var decoding: DecodingOptions

    @Flag(help: "One JSON object per line: source, translation, tokens, source_tokens, unknown_words, attention, finished, log_probability.")
    var json = false

    @OptionGroup(title: "Limits") var limits: TextLimitOptions

    @OptionGroup(title: "Performance") var threadOptions: ThreadOptions

    func run() throws {
        threadOptions.apply()
        let translator = try reportingErrors { try Seq2SeqModel.load(from: model) }
        let options = decoding.translationOptions
        var failures = 0
        func fail(_ message: String, source: String? = nil) {
            failures += 1
            printError("error: \(message)")
            // One output line per input line, so that outputs stay aligned with their sentences.
            print(json ? "{\"source\": \(source.map(jsonQuote) ?? "null"), \"error\": \(jsonQuote(message))}" : "")
        }
        func translate(_ text: String, _ what: @autoclosure () -> String) {
            if let problem = limits.problem(text, what()) { return fail(problem) }
            let sentence = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !sentence.isEmpty else {
                print(json ? TranslationJSON.line(source: text, nil) : "")
                return
            }
            let t = translator.translate(sentence, options: options)
            guard t.isFinite else { return fail("\(what()): \(nonFiniteTranslation)", source: text) }
            if json {
                print(TranslationJSON.line(source: text, t))
            } else {
                if !t.unknownWords.isEmpty { printError("warning: \(what()): \(unknownWordsNote(t.unknownWords))") }
                print(t.text)
            }
        }
        if texts.isEmpty {
            var lines = LineReader(maxBytes: limits.maxTextBytes)
            while let line = lines.next() {
                switch line {
                case .text(let text, let number): translate(text, "line \(number) of standard input")
                case .tooLong(let number): fail(limits.tooLong("line \(number) of standard input"))
                case .binary(let number):
                    fail("line \(number) of standard input contains a NUL byte: this is not text, so reading stopped there.")
                case .invalidUTF8(let number, let offset):
                    fail(LineReader.invalidUTF8Message(number: number, offset: offset))
                }
                fflush(nil)  // each translation as its line comes, even into a pipe
            }
        } else {
            for (k, text) in texts.enumerated() { translate(text, "text \(k + 1) of the arguments") }
        }
        if failures > 0 { throw ExitCode(1) }
    }
}

/// Why a translation whose numbers are not finite is refused (`Translation.isFinite`).
let nonFiniteTranslation = "the model computed numbers that are not finite (NaN or infinite) translating it, so its words are "
    + "meaningless: its weights are too large. Train the model again (a lower --learning-rate or --clip-norm may help)."

/// "2 words are not in the model's vocabulary and were read as <unk>: "foo", "bar"".
func unknownWordsNote(_ words: [String]) -> String {
    let distinct = words.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
    return (distinct.count == 1 ? "1 word is" : "\(distinct.count) words are")
        + " not in the model's vocabulary and \(distinct.count == 1 ? "was" : "were") read as <unk>: "
        + distinct.map(jsonQuote).joined(separator: ", ")
}

extension WeightPrecision: ExpressibleByArgument {}

/// How `translate` and `evaluate` decode: the library's `TranslationOptions` as flags.
struct DecodingOptions: ParsableArguments {
    @Option(help: "Hypotheses kept at each step (beam search); 1 is greedy decoding. (default: 1)")
    var beam: Int?

    @Option(help: "The most words a translation may have (with <eos>). (default: 50)")
    var maxLength: Int?

    @Option(help: "α of the length normalisation log p / length^α that ranks finished hypotheses (0: none). (default: 1)")
    var lengthPenalty: Double?

    @Flag(help: "Score every target word, not only the model's vocabulary shortlist (exact decoding; slower).")
    var noShortlist = false

    @Option(help: "The weights' number format in the products: float (exact), bfloat16 (half the bytes a word reads) or int8 (a quarter: the fastest); the reduced ones can change a few words of a translation. (default: float)")
    var precision: WeightPrecision?

    func validate() throws {
        let o = translationOptions
        if let problem = Self.problem(beam: o.beam, maxLength: o.maxLength, lengthPenalty: o.lengthPenalty) { throw ValidationError(problem) }
    }

    /// The flags given, for commands that refuse them where they do not apply.
    var givenFlags: [String] {
        [("--beam", beam != nil), ("--max-length", maxLength != nil), ("--length-penalty", lengthPenalty != nil),
         ("--no-shortlist", noShortlist), ("--precision", precision != nil)].filter(\.1).map(\.0)
    }

    /// Why these decoding flags cannot decode, naming the flag, or nil.
    static func problem(beam: Int, maxLength: Int, lengthPenalty: Double) -> String? {
        if !(1...256).contains(beam) { return "--beam must be between 1 and 256 (got \(beam))." }
        if !(1...10_000).contains(maxLength) { return "--max-length must be between 1 and 10000 (got \(maxLength))." }
        if !(lengthPenalty.isFinite && (0...10).contains(lengthPenalty)) {
            return "--length-penalty must be between 0 and 10 (got \(lengthPenalty))."
        }
        return nil
    }

    var translationOptions: TranslationOptions {
        let defaults = TranslationOptions()
        return TranslationOptions(beam: beam ?? defaults.beam, maxLength: maxLength ?? defaults.maxLength,
                                  lengthPenalty: lengthPenalty ?? defaults.lengthPenalty, shortlist: !noShortlist,
                                  precision: precision ?? defaults.precision)
    }
}

/// `rnn translate --json`'s lines, written by hand so that the keys keep their order and the
/// attention weights are short: every number is finite (or null), so the line is always JSON.
enum TranslationJSON {
    /// One object; `translation` nil for an empty source, which has an empty translation.
    static func line(source: String, _ t: Translation?) -> String {
        let fields: [(String, String)] = [
            ("source", jsonQuote(source)),
            ("translation", jsonQuote(t?.text ?? "")),
            ("tokens", strings(t?.tokens ?? [])),
            ("source_tokens", strings(t?.sourceTokens ?? [])),
            ("unknown_words", strings(t?.unknownWords ?? [])),
            ("attention", "[" + (t?.attention ?? []).map { "[" + $0.map(weight).joined(separator: ",") + "]" }
                .joined(separator: ",") + "]"),
            ("finished", t.map { "\($0.finished)" } ?? "true"),
            ("log_probability", t.map { number($0.logProbability) } ?? "0"),
        ]
        return "{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}"
    }

    static func strings(_ s: [String]) -> String { "[" + s.map(jsonQuote).joined(separator: ", ") + "]" }

    /// An attention weight to 4 decimals, without trailing zeros: 0.25, 0.0031, 1, 0.
    static func weight(_ w: Float) -> String {
        guard w.isFinite else { return "null" }
        var s = String(format: "%.4f", Double(w))
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s == "-0" ? "0" : s
    }

    /// A finite number as Swift prints it (shortest round-trip), or null.
    static func number(_ x: Double) -> String { x.isFinite ? "\(x)" : "null" }
}
