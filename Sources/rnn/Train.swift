import ArgumentParser
import Foundation
import RNNKit

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a sentiment classifier (by default, the tutorial's experiment).",
        discussion: """
            With no options this is the tutorial's experiment: a vanilla RNN (hidden 64) on one-hot \
            words of the built-in 58/20-sentence dataset, softmax cross-entropy, backpropagation \
            through time, gradients clipped to [-1, 1], plain SGD at 0.02, 1000 epochs, a report \
            every 100.

            Examples:
              rnn train
              rnn train --epochs 200 --seed 7 --output sentiment.safetensors
              rnn train --data train.tsv --test test.tsv --output model.safetensors

            Data files are tab-separated with a header naming a `text` and a `label` column.
            """)

    @Option(help: "Training examples: a TSV file with `text` and `label` columns (default: the built-in tutorial set).")
    var data: String?

    @Option(help: "Test examples, evaluated at each report (default: the built-in test set when --data is not given).")
    var test: String?

    @Option(help: "Passes over the training data.")
    var epochs = 1000

    @Option(help: "Size of the hidden state.")
    var hiddenSize = 64

    @Option(help: "SGD learning rate.")
    var learningRate: Float = 0.02

    @Option(help: "Clip each gradient element to [-v, v]; 0 turns clipping off.")
    var clipValue: Float = 1

    @Option(help: "Seed for the initial weights and the shuffles; the same seed gives the same model.")
    var seed: UInt64 = 1

    @Option(help: "Report every N epochs (and after the last).")
    var reportEvery = 100

    @Option(help: "Save the trained model here (safetensors; PyTorch can load it).")
    var output: String?

    func validate() throws {
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1 (got \(epochs)).") }
        guard (1...65536).contains(hiddenSize) else {
            throw ValidationError("--hidden-size must be between 1 and 65536 (got \(hiddenSize)).")
        }
        guard learningRate.isFinite, learningRate > 0 else {
            throw ValidationError("--learning-rate must be a positive number (got \(learningRate)).")
        }
        guard clipValue.isFinite, clipValue >= 0 else {
            throw ValidationError("--clip-value must be 0 (off) or positive (got \(clipValue)).")
        }
        guard reportEvery >= 1 else { throw ValidationError("--report-every must be at least 1 (got \(reportEvery)).") }
        if let output, output.hasSuffix("/") || output.isEmpty {
            throw ValidationError("--output must name a file, e.g. model.safetensors (got \"\(output)\").")
        }
    }

    func run() throws {
        let prepared: ClassifierData = try reportingErrors {
            switch (data, test) {
            case (nil, nil):
                return ClassifierData.tutorial()
            case (nil, let testPath?):
                return try ClassifierData(train: TutorialDataset.train, test: TSVReader.read(path: testPath),
                                          testSource: testPath)
            case (let trainPath?, let testPath):
                return try ClassifierData(train: TSVReader.read(path: trainPath),
                                          test: testPath.map { try TSVReader.read(path: $0) },
                                          trainSource: trainPath, testSource: testPath ?? "")
            }
        }
        if prepared.unknownTestWords > 0 {
            printError("warning: \(prepared.unknownTestWords) test word(s) are not in the training vocabulary and were skipped.")
        }
        if prepared.droppedTestTexts > 0 {
            printError("warning: \(prepared.droppedTestTexts) test text(s) have no known word and were left out.")
        }
        print("\(prepared.vocabulary.count) unique words found")

        var options = TrainingOptions()
        options.epochs = epochs
        options.learningRate = learningRate
        options.clipValue = clipValue > 0 ? clipValue : nil
        options.seed = seed
        options.reportEvery = reportEvery

        let configuration = ClassifierConfiguration(vocabularySize: prepared.vocabulary.count, hiddenSize: hiddenSize,
                                                    numClasses: prepared.labels.count)
        let model = SequenceClassifier(configuration, seed: seed)
        let trainer = ClassifierTrainer(model: model, options: options)
        let summary = trainer.fit(train: prepared.train, test: prepared.test) { report in
            print("--- Epoch \(report.epoch)")
            print(String(format: "Train:\tLoss %.3f | Accuracy: %.3f", report.train.loss, report.train.accuracy))
            if let t = report.test {
                print(String(format: "Test:\tLoss %.3f | Accuracy: %.3f", t.loss, t.accuracy))
            }
        }
        print(String(format: "Trained %d epochs in %.3f s (%@ tokens/s)", summary.epochs, summary.seconds,
                     formatRate(Double(summary.tokens) / max(summary.seconds, 1e-9))))
        if let output {
            let classifier = TextClassifier(model: model, vocabulary: prepared.vocabulary, labels: prepared.labels,
                                            tokenizer: prepared.tokenizer, training: options)
            try reportingErrors { try classifier.save(to: output) }
            print("Saved model to \(output)")
        }
    }
}
