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
            """)

    @Option(help: "A model file written by `rnn train --output`.")
    var model: String

    @Flag(help: "One JSON object per line: {\"text\", \"label\", \"probabilities\"}.")
    var json = false

    @Argument(help: "Texts to classify (default: one per line from standard input).")
    var texts: [String] = []

    func run() throws {
        let classifier = try reportingErrors { try TextClassifier.load(from: model) }
        var failures = 0
        func classify(_ text: String) {
            do {
                let p = try classifier.predict(text)
                for word in p.unknownWords {
                    printError("warning: \"\(word)\" is not in the model's vocabulary; skipped.")
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
                failures += 1
                printError("error: \(error)")
                if json { print("{\"text\": \(jsonQuote(text)), \"error\": \(jsonQuote(String(describing: error)))}") }
            }
        }
        if texts.isEmpty {
            while let line = readLine() {
                let text = line.trimmingCharacters(in: .whitespacesAndNewlines)
                if !text.isEmpty { classify(text) }
            }
        } else {
            texts.forEach(classify)
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
