import ArgumentParser
import Foundation
import RNNKit

struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Classify texts with a trained model.",
        discussion: """
            Prints one line per text: the label, its probability and the text, tab-separated. \
            With --json, one JSON object per line. Words the model never saw are skipped with a \
            warning; a text with no known word is an error for that text (the exit code is then 1).

            Examples:
              rnn predict --model m.safetensors "i am very good" "this is not happy"
              echo "i am very good" | rnn predict --model m.safetensors --json
              rnn predict --model m.safetensors --data reviews.csv --text-column review
            """)

    @Option(help: "A model file written by `rnn train --output`.")
    var model: String

    @Flag(help: "One JSON object per line: {\"text\", \"label\", \"probabilities\"}.")
    var json = false

    @Argument(help: "Texts to classify (default: one per line from standard input).")
    var texts: [String] = []

    @Option(help: "Classify the text column of a CSV, TSV or JSONL file instead (labels, if any, are ignored).")
    var data: String?

    @OptionGroup(title: "Limits") var limits: TextLimitOptions

    @OptionGroup(title: "Data files") var dataOptions: DataOptions

    @OptionGroup(title: "Performance") var threadOptions: ThreadOptions

    func validate() throws {
        if data != nil && !texts.isEmpty { throw ValidationError("give texts or --data, not both.") }
    }

    func run() throws {
        threadOptions.apply()
        let classifier = try reportingErrors { try ClassifierFile.load(from: model) }
        var failures = 0, unknownWords = 0
        // From a file or stdin, one summary line instead of a warning per word.
        let bulk = data != nil || texts.isEmpty
        let unknownFate = (classifier as? TextClassifier).map { $0.vocabulary.unknownID == nil ? "skipped" : "read as <unk>" }
            ?? (classifier is WideAndDeepClassifier ? "read as <unk> by its network, ignored by its n-grams" : "ignored")
        func fail(_ message: String, text: String?) {
            failures += 1
            printError("error: \(message)")
            if json { print("{\"text\": \(text.map(jsonQuote) ?? "null"), \"error\": \(jsonQuote(message))}") }
        }
        func classify(_ text: String, _ what: @autoclosure () -> String) {
            if let problem = limits.problem(text, what()) { return fail(problem, text: nil) }
            do {
                let p = try classifier.predict(text)
                unknownWords += p.unknownWords.count
                if !bulk {
                    for word in p.unknownWords { printError("warning: \"\(word)\" is not in the model's vocabulary; \(unknownFate).") }
                }
                let best = classifier.labels.firstIndex(of: p.label)!
                if json {
                    let probabilities = zip(classifier.labels, p.probabilities)
                        .map { "\(jsonQuote($0)): \(String(format: "%.6g", $1))" }.joined(separator: ", ")
                    print("{\"text\": \(jsonQuote(text)), \"label\": \(jsonQuote(p.label)), \"probabilities\": {\(probabilities)}}")
                } else {
                    print("\(p.label)\t\(String(format: "%.3f", p.probabilities[best]))\t\(text)")
                }
            } catch {
                fail(String(describing: error), text: text)
            }
        }
        if let data {
            let rows = try reportingErrors { try dataOptions.read(data, readsLabels: false) }
            for row in rows { classify(row.text, "the text on line \(row.line) of \(data)") }
        } else if texts.isEmpty {
            LineReader.eachStandardInputText(limits: limits, { classify($0, $1) }, failed: { fail($0, text: nil) })
        } else {
            for (k, text) in texts.enumerated() { classify(text, "text \(k + 1) of the arguments") }
        }
        if bulk && unknownWords > 0 {
            printError("note: \(unknownWords) word(s) were not in the model's vocabulary and were \(unknownFate).")
        }
        if failures > 0 { throw ExitCode(1) }
    }
}

/// A JSON string literal.
func jsonQuote(_ s: String) -> String {
    let data = try! JSONSerialization.data(withJSONObject: [s], options: [.withoutEscapingSlashes])
    let array = String(decoding: data, as: UTF8.self)
    return String(array.dropFirst().dropLast())
}
