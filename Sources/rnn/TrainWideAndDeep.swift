import ArgumentParser
import Foundation
import RNNKit

extension WideAndDeepRecipe.WideStart: ExpressibleByArgument {}
extension NgramWeighting: ExpressibleByArgument {}

/// `rnn train --model rnn+bow`: the wide-and-deep classifier.
extension Train {
    /// The recipe the options choose: the RNN recipe as `--model rnn` makes it, the n-grams and
    /// C as `--model bow` reads them, the wide part's start and learning rate.
    var wideAndDeepRecipe: WideAndDeepRecipe {
        let baseline = bagOfNgramsRecipe, standard = WideAndDeepRecipe.standard
        return WideAndDeepRecipe(deep: recipe, maxN: baseline.maxN, ngramMinCount: baseline.minCount,
                                 ngramWeighting: ngramWeighting ?? standard.ngramWeighting,
                                 inverseRegularization: baseline.inverseRegularization,
                                 wideStart: wideStart ?? standard.wideStart,
                                 wideLearningRate: wideLearningRate ?? standard.wideLearningRate)
    }

    private func wideAndDeepTraining(_ recipe: WideAndDeepRecipe) throws -> WideAndDeepTraining {
        try WideAndDeepTraining(train: try dataOptions.read(data!, training: true), validation: try validation.map { try dataOptions.read($0) },
                                test: try test.map { try dataOptions.read($0) }, recipe: recipe,
                                sources: (data!, validation ?? data!, test ?? ""))
    }

    func runWideAndDeep() throws {
        try checkOutputs([("--output", output)], inputs: [("--data", data), ("--validation", validation), ("--test", test)])
        let recipe = wideAndDeepRecipe, options = recipe.deep.training
        let run = try reportingErrors {
            do {
                return try wideAndDeepTraining(recipe)
            } catch TrainingError.invalidRecipe(let p) where p.hasPrefix("the wide part's learning rate times") {
                throw CommandError(p.replacingOccurrences(of: "lower the wide learning rate or raise C",
                                                          with: "lower --wide-learning-rate or raise --inverse-regularization") + ".")
            }
        }
        let prepared = run.deep.data, model = run.classifier.model
        if prepared.droppedTexts > 0 { printError("warning: \(prepared.droppedTexts) text(s) have no known word and were left out.") }
        if !quiet {
            print("\(prepared.train.count) training examples, \(prepared.validation?.count ?? 0) validation, "
                  + "\(prepared.test?.count ?? 0) test; \(prepared.vocabulary.count) words, \(run.classifier.ngrams.count) n-grams; "
                  + "labels: " + prepared.labels.joined(separator: ", "))
            print("model: \(describe(run.deep.configuration)) + \(describeBaseline(recipe.baseline)); "
                  + "\(options.optimizer) lr \(options.learningRate), batch \(options.batchSize); n-gram weights from "
                  + "\(recipe.wideStart.rawValue), SGD lr \(recipe.wideLearningRate)")
            if let v = prepared.validation, !v.isEmpty {
                // Before any training the deep part's logits are small: this is the wide part's start.
                let m = model.metrics(on: v)
                print(String(format: "before training: val loss %@ acc %.4f", TrainingProgressLines.number(m.loss), m.accuracy ?? 0))
            }
        }
        let summary = try reportingErrors {
            try run.fit { event in
                guard case .evaluated(let report) = event, !quiet else { return }
                printEpoch(report, of: options.epochs)
                fflush(nil)
            }
        }
        if summary.stoppedEarly { print("stopped early: validation loss did not improve for \(options.patience ?? 0) epochs") }
        if let best = summary.bestEpoch { print("kept the weights of epoch \(best) (best validation loss)") }
        if summary.skippedSteps > 0 { print("skipped \(summary.skippedSteps) update(s) whose loss or gradient was not finite") }
        for (name, set) in [("validation", prepared.validation), ("test", prepared.test)] {
            guard let set, !set.isEmpty else { continue }
            let m = model.metrics(on: set)
            print(String(format: "%@: loss %@  accuracy %.4f", name, TrainingProgressLines.number(m.loss), m.accuracy ?? 0))
        }
        print(String(format: "trained %d epochs in %@", summary.epochs, formatDuration(summary.seconds)))
        if let output {
            try reportingErrors { try run.classifier.save(to: output) }
            print("Saved model to \(output)")
        }
    }
}
