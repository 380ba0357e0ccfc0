import ArgumentParser
import Foundation
import RNNKit

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure a trained classifier on labelled data.",
        discussion: """
            Prints accuracy, per-class precision, recall and F1, macro-F1 and the confusion matrix \
            (rows: true labels, columns: predicted). The data is tokenized as the model was trained.

            Examples:
              rnn evaluate --model m.safetensors --data test.tsv
              rnn evaluate --model m.safetensors --data test.tsv --label-column score --threshold 0 --json
            """)

    @Option(help: "A model file written by `rnn train --output`.")
    var model: String

    @Option(help: "Labelled examples: a CSV, TSV or JSONL file.")
    var data: String

    @OptionGroup(title: "Data files") var dataOptions: DataOptions

    @OptionGroup(title: "Limits") var limits: TextLimitOptions

    @Flag(help: "Print one JSON object: accuracy, macro_f1, per-class precision/recall/f1/support, confusion, labels.")
    var json = false

    @OptionGroup(title: "Performance") var threadOptions: ThreadOptions

    func run() throws {
        threadOptions.apply()
        let classifier = try reportingErrors { try TextClassifier.load(from: model) }
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
