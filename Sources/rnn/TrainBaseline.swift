import ArgumentParser
import Foundation
import RNNKit

/// `rnn train --model bow` and `--compare`: the bag-of-n-grams baseline.
enum ModelChoice: String, ExpressibleByArgument, CaseIterable {
    case rnn, bow
    case wideAndDeep = "rnn+bow"
}

extension Train {
    /// The texts a model fits on and the ones it is validated on: `--validation`'s, else the
    /// share of --data the RNN recipe holds out (the same seeded, stratified split), else none.
    func split(_ rows: (train: [LabeledText], validation: [LabeledText]?, test: [LabeledText]?))
        -> (train: [LabeledText], validation: [LabeledText]?) {
        if let v = rows.validation { return (rows.train, v) }
        guard let fraction = recipe.validationFraction else { return (rows.train, nil) }
        let parts = ClassifierData.stratifiedSplit(rows.train, fraction: fraction, seed: recipe.training.seed)
        return (parts.train, parts.validation)
    }

    /// The baseline fitted on `trainRows` with the options' recipe, and the seconds it took.
    private func fitBaseline(_ trainRows: [LabeledText]) throws -> (model: BagOfNgramsClassifier, seconds: Double) {
        let clock = ContinuousClock(), start = clock.now
        let baseline = try reportingErrors { try BagOfNgramsClassifier.train(on: trainRows, recipe: bagOfNgramsRecipe, source: data!) }
        return (baseline, (clock.now - start).secondsValue)
    }

    func runBagOfNgrams() throws {
        try checkOutputs([("--output", output)], inputs: [("--data", data), ("--validation", validation), ("--test", test)])
        let rows: (train: [LabeledText], validation: [LabeledText]?, test: [LabeledText]?) = try reportingErrors {
            (try dataOptions.read(data!, training: true), try validation.map { try dataOptions.read($0) },
             try test.map { try dataOptions.read($0) })
        }
        let (trainRows, validationRows) = split(rows)
        let recipe = bagOfNgramsRecipe
        try reportingErrors {
            try ClassifierData.checkLabels(validationRows ?? [], trainedOn: trainRows, source: validation ?? data!)
            try ClassifierData.checkLabels(rows.test ?? [], trainedOn: trainRows, source: test ?? "")
        }
        let (baseline, seconds) = try fitBaseline(trainRows)
        if !quiet {
            print("\(trainRows.count) training examples, \(validationRows?.count ?? 0) validation, \(rows.test?.count ?? 0) test; "
                  + "labels: " + baseline.labels.joined(separator: ", "))
            print("model: \(describeBaseline(recipe)); \(baseline.ngrams.count) n-grams")
        }
        print(String(format: "fitted in %@ (%d L-BFGS iterations)", formatDuration(seconds), baseline.fitIterations ?? 0))
        if baseline.converged == false {
            printError("warning: the fit stopped before converging; its accuracy may still be close to the optimum's.")
        }
        for (name, set, path) in [("validation", validationRows, validation ?? data!), ("test", rows.test, test ?? "")] {
            guard let set, !set.isEmpty else { continue }
            let e = try reportingErrors { try baseline.evaluate(on: set, source: path) }
            print(String(format: "%@: loss %@  accuracy %.4f", name, TrainingProgressLines.number(e.report.loss), e.report.accuracy)
                  + (e.droppedTexts > 0 ? " (\(e.report.count) of \(set.count) texts)" : ""))
            warnDropped(e.droppedTexts, of: set.count, name, path, unit: "n-gram")
        }
        if let output {
            try reportingErrors { try baseline.save(to: output) }
            print("Saved model to \(output)")
        }
    }

    /// After the RNN: the baseline on the same training texts, and both models' accuracy.
    func compareWithBaseline(_ rnn: TextClassifier, rows: (train: [LabeledText], validation: [LabeledText]?, test: [LabeledText]?),
                             seconds rnnSeconds: Double) throws {
        let (trainRows, validationRows) = split(rows)
        let (baseline, seconds) = try fitBaseline(trainRows)
        func accuracy(_ model: any TextClassifying, _ set: [LabeledText]?, _ path: String) -> String {
            guard let set, !set.isEmpty, let e = try? model.evaluate(on: set, source: path) else { return "–" }
            // Each model leaves out the texts it knows nothing of: say so where the two counts differ.
            return String(format: "%.4f", e.report.accuracy) + (e.droppedTexts > 0 ? " (\(e.report.count) of \(set.count))" : "")
        }
        let v = validation ?? data!, t = test ?? ""
        let table = [
            ["model", "validation", "test", "training time"],
            ["rnn: \(describe(rnn.configuration))", accuracy(rnn, validationRows, v), accuracy(rnn, rows.test, t), formatDuration(rnnSeconds)],
            ["bow: \(describeBaseline(bagOfNgramsRecipe))", accuracy(baseline, validationRows, v), accuracy(baseline, rows.test, t),
             formatDuration(seconds)],
        ]
        print("\ncompared on the same \(trainRows.count) training texts (accuracy):")
        let widths = (0..<4).map { c in table.map { $0[c].count }.max()! }
        for row in table {
            print("  " + row.enumerated().map { c, cell in
                c == 0 ? cell.padding(toLength: widths[c], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[c] - cell.count) + cell
            }.joined(separator: "   "))
        }
    }

}

/// "bag of n-grams (words and word pairs, tf-idf), logistic regression C 4" (characters with
/// `--level char`).
func describeBaseline(_ r: BagOfNgramsRecipe) -> String {
    let unit = r.tokenizer.kind == .characters ? "character" : "word"
    let grams = r.maxN == 1 ? "\(unit)s" : r.maxN == 2 ? "\(unit)s and \(unit) pairs" : "1- to \(r.maxN)-grams of \(unit)s"
    let weights = r.weighting == .tfidf ? "tf-idf" : "tf-idf times Naive Bayes ratios"
    return "bag of n-grams (\(grams), \(weights)), logistic regression C \(String(format: "%g", r.inverseRegularization))"
}

/// Warns that `dropped` of a set's `count` texts hold no known word or n-gram and were left out
/// of its scores.
func warnDropped(_ dropped: Int, of count: Int, _ name: String, _ path: String, unit: String) {
    guard dropped > 0 else { return }
    printError("warning: \(dropped) of the \(count) \(name) texts (\(path)) have no \(unit) the model knows and were left out of its scores.")
}
