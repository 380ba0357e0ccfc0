import ArgumentParser
import Foundation
import RNNKit

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a text classifier (with no data file: the tutorial's experiment).",
        discussion: """
            Without --data this is the tutorial's experiment: a vanilla RNN (hidden 64) on one-hot \
            words of the built-in 58/20-sentence dataset, softmax cross-entropy, backpropagation \
            through time, gradients clipped to [-1, 1], plain SGD at 0.02, one example at a time, \
            1000 epochs, a report every 100.

            With --data it trains on your file with a recipe for real data: words (lowercased, \
            punctuation split off) seen at least twice, embeddings of 128, a vanilla RNN of 128 \
            whose outputs are max-pooled over the text, dropout 0.5, mini-batches of 32, Adam at \
            0.002, gradient norm clipped to 5, up to 20 epochs with early stopping (patience 4) on a \
            validation set (10% of the data unless you give one), keeping the best epoch's weights. \
            Every setting can be changed.

            Examples:
              rnn train
              rnn train --optimizer adam --learning-rate 0.01 --epochs 200 --report-every 20
              rnn train --data reviews.csv --output reviews.safetensors
              rnn train --data train.tsv --validation dev.tsv --test test.tsv \\
                --text-column text --label-column score --threshold 0 --output m.safetensors
              rnn train --data scores.tsv --no-header --text-column 3 --label-column 2 --threshold 0
              rnn train --data train.tsv --cell lstm --bidirectional --layers 2 --pooling max

            Data files: CSV (RFC 4180), TSV or JSON Lines, UTF-8, with a header naming the text and \
            label columns (or --no-header with column indexes).
            """)

    @Option(help: "Training examples: a CSV, TSV or JSONL file (default: the built-in tutorial set).")
    var data: String?

    @Option(help: "Validation examples for early stopping and model selection.")
    var validation: String?

    @Option(help: "Hold out this fraction of --data (seeded, stratified) for validation when --validation is not given. (default: 0.1 with --data)")
    var validationSplit: Double?

    @Option(help: "Test examples, evaluated at each report and at the end (default: the built-in test set without --data).")
    var test: String?

    @OptionGroup(title: "Data files") var dataOptions: DataOptions

    // Text
    @Option(help: "Tokens: words (and punctuation) or characters. (default: word)")
    var level: LevelChoice?
    @Flag(help: "Keep upper case (words are lowercased by default).")
    var keepCase = false
    @Option(help: "Drop words seen fewer times than this in training (they become <unk>). (default: 2 with --data)")
    var minCount: Int?
    @Option(help: "Keep at most this many vocabulary entries (the most frequent).")
    var maxVocab: Int?

    // Model
    @Option(help: "Recurrent cell: rnn, lstm or gru.")
    var cell: CellChoice = .rnn
    @Option(help: "The vanilla RNN's activation: tanh or relu.")
    var nonlinearity: Nonlinearity = .tanh
    @Option(help: "Word input: embedding or one-hot. (default: one-hot without --data, embedding with)")
    var input: InputChoice?
    @Option(help: "Size of the word embeddings. (default: 128)")
    var embeddingSize = 128
    @Option(help: "Size of the hidden state. (default: 64 without --data, 128 with)")
    var hiddenSize: Int?
    @Option(help: "Stacked recurrent layers.")
    var layers = 1
    @Flag(help: "Run a second direction backwards over each text and join both final states.")
    var bidirectional = false
    @Option(help: "Dropout on embeddings, between layers and before the output layer. (default: 0 without --data, 0.5 with)")
    var dropout: Float?
    @Option(help: "Sequence summary: last (final states, as PyTorch's nn.RNN returns them), max or mean over the steps. (default: last without --data, max with)")
    var pooling: ClassifierConfiguration.Pooling?
    @Option(help: "Backpropagation into h(t-1): exact (the true gradient, Whhᵀ·g) or tutorial (Whh·g, as the tutorial's published code does; vanilla RNN only).")
    var backward: ClassifierConfiguration.BackwardRule = .exact

    // Training
    @Option(help: "Passes over the training data. (default: 1000 without --data, 20 with)")
    var epochs: Int?
    @Option(help: "Examples per update. (default: 1 without --data, 32 with)")
    var batchSize: Int?
    @Option(help: "sgd, momentum, nesterov, adagrad, rmsprop, adam or adamw. (default: sgd without --data, adam with)")
    var optimizer: OptimizerKind?
    @Option(help: "Learning rate. (default: the optimizer's: sgd 0.02, adam 0.002, …)")
    var learningRate: Float?
    @Option(help: "Weight decay (decoupled for adamw, L2 otherwise).")
    var weightDecay: Float?
    @Option(help: "Clip each gradient element to [-v, v]. (default: 1 without --data)")
    var clipValue: Float?
    @Option(help: "Rescale gradients whose global norm exceeds this. (default: 5 with --data)")
    var clipNorm: Float?
    @Option(help: "Stop after this many epochs without a better validation loss, keeping the best weights. (default: 4 with --data)")
    var patience: Int?
    @Option(help: "Seed for the initial weights, shuffles and dropout; the same seed gives the same model.")
    var seed: UInt64 = 1
    @Option(help: "Evaluate and report every N epochs. (default: 100 without --data, 1 with)")
    var reportEvery: Int?
    @Option(help: "Save the complete training state here after every epoch.")
    var checkpointDir: String?
    @Flag(help: "Continue from the checkpoint in --checkpoint-dir, if there is one.")
    var resume = false
    @Flag(help: "Print nothing but the final results.")
    var quiet = false

    @Option(help: "Save the trained model here (safetensors; PyTorch can load it).")
    var output: String?

    /// The tutorial's experiment: no data file given.
    var tutorial: Bool { data == nil }

    @OptionGroup(title: "Performance") var threadOptions: ThreadOptions

    func validate() throws {
        func positive(_ value: Int?, _ name: String) throws {
            if let value, value < 1 { throw ValidationError("\(name) must be at least 1 (got \(value)).") }
        }
        try positive(epochs, "--epochs")
        try positive(batchSize, "--batch-size")
        try positive(reportEvery, "--report-every")
        try positive(layers, "--layers")
        try positive(embeddingSize, "--embedding-size")
        try positive(minCount, "--min-count")
        try positive(patience, "--patience")
        if let hiddenSize, !(1...65536).contains(hiddenSize) {
            throw ValidationError("--hidden-size must be between 1 and 65536 (got \(hiddenSize)).")
        }
        if let maxVocab, maxVocab < 3 { throw ValidationError("--max-vocab must be at least 3 (got \(maxVocab)).") }
        if let learningRate, !(learningRate.isFinite && learningRate > 0) {
            throw ValidationError("--learning-rate must be a positive number (got \(learningRate)).")
        }
        if let weightDecay, !(weightDecay.isFinite && weightDecay >= 0) {
            throw ValidationError("--weight-decay must be 0 or positive (got \(weightDecay)).")
        }
        if let clipValue, !(clipValue.isFinite && clipValue >= 0) {
            throw ValidationError("--clip-value must be 0 (off) or positive (got \(clipValue)).")
        }
        if let clipNorm, !(clipNorm.isFinite && clipNorm >= 0) {
            throw ValidationError("--clip-norm must be 0 (off) or positive (got \(clipNorm)).")
        }
        if let clipValue, let clipNorm, clipValue > 0, clipNorm > 0 {
            throw ValidationError("give --clip-value or --clip-norm, not both.")
        }
        if let dropout, !(0..<1).contains(dropout) { throw ValidationError("--dropout must be in [0, 1) (got \(dropout)).") }
        if let validationSplit, !(validationSplit > 0 && validationSplit < 1) {
            throw ValidationError("--validation-split must be between 0 and 1 (got \(validationSplit)).")
        }
        if validation != nil && validationSplit != nil { throw ValidationError("give --validation or --validation-split, not both.") }
        if tutorial && validationSplit != nil { throw ValidationError("--validation-split needs --data.") }
        if resume && checkpointDir == nil { throw ValidationError("--resume needs --checkpoint-dir.") }
        if backward == .tutorial && cell != .rnn { throw ValidationError("--backward tutorial exists for --cell rnn only.") }
        if let output, output.hasSuffix("/") || output.isEmpty {
            throw ValidationError("--output must name a file, e.g. model.safetensors (got \"\(output)\").")
        }
    }

    func run() throws {
        threadOptions.apply()
        let tokenizer: Tokenizer
        if tutorial && level == nil && !keepCase {
            tokenizer = .spaces
        } else if level == .char {
            tokenizer = .characters(lowercase: false)
        } else {
            tokenizer = .words(lowercase: !keepCase)
        }
        let policy: ClassifierData.VocabularyPolicy = tutorial && minCount == nil && maxVocab == nil
            ? .firstAppearance : .frequency(minCount: minCount ?? 2, maxSize: maxVocab)

        let prepared: ClassifierData = try reportingErrors {
            var trainRows = TutorialDataset.train, validationRows: [LabeledText]? = nil
            var testRows: [LabeledText]? = data == nil && test == nil ? TutorialDataset.test : nil
            if let data { trainRows = try dataOptions.read(data) }
            if let validation { validationRows = try dataOptions.read(validation) }
            if let test { testRows = try dataOptions.read(test) }
            if !tutorial && validation == nil {
                let split = ClassifierData.stratifiedSplit(trainRows, fraction: validationSplit ?? 0.1, seed: seed)
                (trainRows, validationRows) = (split.train, split.validation)
            }
            return try ClassifierData(train: trainRows, validation: validationRows, test: testRows, tokenizer: tokenizer,
                                      vocabulary: policy, trainSource: data ?? "built-in data",
                                      validationSource: validation ?? data ?? "", testSource: test ?? "built-in data")
        }
        if prepared.unknownWords > 0 && policy.isFirstAppearance {
            printError("warning: \(prepared.unknownWords) validation/test word(s) are not in the training vocabulary and were skipped.")
        }
        if prepared.droppedTexts > 0 {
            printError("warning: \(prepared.droppedTexts) text(s) have no known word and were left out.")
        }
        if tutorial { print("\(prepared.vocabulary.count) unique words found") }

        let oneHot = (input ?? (tutorial ? .oneHot : .embedding)) == .oneHot
        var configuration = ClassifierConfiguration(
            cell: cell.kind(nonlinearity: nonlinearity), input: oneHot ? .oneHot : .embedding,
            vocabularySize: prepared.vocabulary.count, embeddingSize: oneHot ? 0 : embeddingSize,
            hiddenSize: hiddenSize ?? (tutorial ? 64 : 128), numClasses: prepared.labels.count,
            numLayers: layers, bidirectional: bidirectional)
        configuration.dropout = dropout ?? (tutorial ? 0 : 0.5)
        configuration.pooling = pooling ?? (tutorial ? .last : .max)
        configuration.backward = backward
        // The tutorial's own model has one bias and its own init; anything else is PyTorch's.
        let tutorialModel = tutorial && oneHot && cell == .rnn && layers == 1 && !bidirectional
        configuration.recurrentBias = !tutorialModel

        var options = tutorial ? TrainingOptions() : TrainingOptions.modern()
        if let epochs { options.epochs = epochs }
        if let batchSize { options.batchSize = batchSize }
        if let optimizer { options.optimizer = optimizer }
        options.learningRate = learningRate ?? options.optimizer.defaultLearningRate
        options.weightDecay = weightDecay ?? options.optimizer.defaultWeightDecay
        if clipValue != nil || clipNorm != nil {
            options.clipValue = clipValue.flatMap { $0 > 0 ? $0 : nil }
            options.clipNorm = clipNorm.flatMap { $0 > 0 ? $0 : nil }
        }
        options.seed = seed
        if let reportEvery { options.reportEvery = reportEvery }
        if let patience { options.patience = patience }

        let model = SequenceClassifier(configuration, seed: seed, initialization: tutorialModel ? .tutorial : .pytorch)
        let trainer = try reportingErrors { try ClassifierTrainer(model: model, options: options) }
        let checkpoint = checkpointDir.map { ($0 as NSString).appendingPathComponent("checkpoint.safetensors") }
        if let checkpointDir {
            try reportingErrors {
                try FileManager.default.createDirectory(atPath: checkpointDir, withIntermediateDirectories: true)
            }
        }
        if !tutorial && !quiet {
            print("\(prepared.train.count) training examples, \(prepared.validation?.count ?? 0) validation, "
                  + "\(prepared.test?.count ?? 0) test; \(prepared.vocabulary.count) words; labels: "
                  + prepared.labels.joined(separator: ", "))
            print("model: \(describe(configuration)); \(options.optimizer) lr \(options.learningRate), batch \(options.batchSize)")
        }
        let live = !quiet && !tutorial && stdoutIsTerminal
        let out = ProgressOutput(quiet: quiet)
        let summary = try reportingErrors {
            try trainer.fit(
                train: prepared.train, validation: prepared.validation, test: prepared.test,
                checkpoint: checkpoint, resume: resume) { event in
                switch event {
                case .batch(let p):
                    guard live else { return }
                    let width = 20, done = p.batchesPerEpoch == 0 ? width : width * p.batch / p.batchesPerEpoch
                    out.live(String(format: "epoch %d/%d [%@%@] %d/%d  loss %.4f  acc %.3f  %@ tok/s  ETA %@",
                                     p.epoch, options.epochs, String(repeating: "=", count: done),
                                     String(repeating: " ", count: width - done), p.batch, p.batchesPerEpoch,
                                     p.epochLoss, p.epochAccuracy ?? 0, formatRate(p.tokensPerSecond),
                                     formatDuration(p.secondsRemaining)))
                case .evaluated(let report):
                    if quiet { return }
                    out.clearLive()
                    if tutorial {
                        printTutorialReport(report)
                    } else {
                        printEpoch(report, of: options.epochs)
                    }
                    fflush(nil)  // each report reaches a log file or pipe as it happens
                case .started, .skippedStep:
                    break
                }
            }
        }
        if tutorial {
            print(String(format: "Trained %d epochs in %.3f s (%@ tokens/s)", summary.epochs, summary.seconds,
                         formatRate(Double(summary.tokens) / max(summary.seconds, 1e-9))))
        } else {
            if summary.stoppedEarly { print("stopped early: validation loss did not improve for \(options.patience ?? 0) epochs") }
            if let best = summary.bestEpoch { print("kept the weights of epoch \(best) (best validation loss)") }
            if summary.skippedSteps > 0 {
                print("skipped \(summary.skippedSteps) update(s) whose loss or gradient was not finite")
            }
            if let v = prepared.validation, !v.isEmpty {
                let m = model.metrics(on: v)
                print(String(format: "validation: loss %.4f  accuracy %.4f", m.loss, m.accuracy ?? 0))
            }
            if let t = prepared.test, !t.isEmpty {
                let m = model.metrics(on: t)
                print(String(format: "test: loss %.4f  accuracy %.4f", m.loss, m.accuracy ?? 0))
            }
            print(String(format: "trained %d epochs in %@ (%@ tokens/s)", summary.epochs, formatDuration(summary.seconds),
                         formatRate(Double(summary.tokens) / max(summary.seconds, 1e-9))))
        }
        if let output {
            let classifier = TextClassifier(model: model, vocabulary: prepared.vocabulary, labels: prepared.labels,
                                            tokenizer: prepared.tokenizer, training: options)
            try reportingErrors { try classifier.save(to: output) }
            print("Saved model to \(output)")
        }
    }

    private func printTutorialReport(_ report: EpochReport) {
        print("--- Epoch \(report.epoch)")
        print(String(format: "Train:\tLoss %.3f | Accuracy: %.3f", report.train.loss, report.train.accuracy ?? 0))
        if let t = report.test {
            print(String(format: "Test:\tLoss %.3f | Accuracy: %.3f", t.loss, t.accuracy ?? 0))
        }
    }

    private func printEpoch(_ r: EpochReport, of epochs: Int) {
        var line = String(format: "epoch %d/%d  train loss %.4f acc %.4f", r.epoch, epochs, r.train.loss, r.train.accuracy ?? 0)
        if let v = r.validation { line += String(format: "  val loss %.4f acc %.4f", v.loss, v.accuracy ?? 0) }
        if let t = r.test { line += String(format: "  test acc %.4f", t.accuracy ?? 0) }
        line += "  \(formatRate(Double(r.tokens) / max(r.seconds, 1e-9))) tok/s  \(formatDuration(r.seconds))"
        if r.isBest && r.validation != nil { line += "  *" }
        if r.skippedSteps > 0 { line += "  (\(r.skippedSteps) non-finite updates skipped)" }
        print(line)
    }
}

func describe(_ c: ClassifierConfiguration) -> String {
    var parts = ["\(c.cell.rawValue)", c.input == .oneHot ? "one-hot input" : "embedding \(c.embeddingSize)",
                 "hidden \(c.hiddenSize)"]
    if c.numLayers > 1 { parts.append("\(c.numLayers) layers") }
    if c.bidirectional { parts.append("bidirectional") }
    if c.dropout > 0 { parts.append("dropout \(c.dropout)") }
    if c.pooling != .last { parts.append("\(c.pooling) pooling") }
    return parts.joined(separator: ", ")
}

extension ClassifierData.VocabularyPolicy {
    var isFirstAppearance: Bool {
        if case .firstAppearance = self { return true }
        return false
    }
}
