import Foundation
import Testing
@testable import RNNKit

/// The classifier trainer and what it promises: batch gradients are means of per-example
/// gradients, resuming from a checkpoint is bit-identical to not stopping, seeds determine
/// everything, non-finite updates never reach the weights, early stopping keeps the best epoch,
/// and a saved classifier predicts exactly as the one in memory.
@Suite("Classifier trainer")
struct TrainerTests {
    // MARK: Helpers

    /// `count` examples over tokens 0..<10 with lengths 1…6; the label says whether low tokens
    /// (< 5) outnumber high ones, or is random with `randomLabels`.
    static func examples(count: Int, seed: UInt64, randomLabels: Bool = false) -> [EncodedExample] {
        var rng = SeededGenerator(seed: seed)
        return (0..<count).map { _ in
            let tokens = (0..<(1 + rng.nextInt(below: 6))).map { _ in rng.nextInt(below: 10) }
            let low = tokens.filter { $0 < 5 }.count
            let label = randomLabels ? rng.nextInt(below: 2) : (2 * low > tokens.count ? 0 : 1)
            return EncodedExample(tokens: tokens, label: label)
        }
    }

    static func configuration(_ cell: CellKind, vocabularySize: Int = 12, embeddingSize: Int = 5, hiddenSize: Int = 6,
                              numLayers: Int = 2, bidirectional: Bool = true, dropout: Float = 0,
                              pooling: ClassifierConfiguration.Pooling = .last,
                              input: ClassifierConfiguration.Input = .embedding) -> ClassifierConfiguration {
        var c = ClassifierConfiguration(cell: cell, input: input, vocabularySize: vocabularySize,
                                        embeddingSize: input == .embedding ? embeddingSize : 0, hiddenSize: hiddenSize,
                                        numClasses: 2, numLayers: numLayers, bidirectional: bidirectional)
        c.dropout = dropout
        c.pooling = pooling
        return c
    }

    /// Every parameter's Float bit patterns, in `parameters` order.
    static func bits(_ model: SequenceClassifier) -> [[UInt32]] {
        model.parameters.map { $0.value.array.map(\.bitPattern) }
    }

    /// The parts of a report that must reproduce (everything but wall-clock time).
    struct ReportRecord: Equatable, CustomStringConvertible {
        var epoch: Int
        var train: Metrics
        var validation: Metrics?
        var test: Metrics?
        var improved: Bool
        var skippedUpdates: Int
        var tokens: Int

        init(_ r: EpochReport) {
            (epoch, train, validation, test) = (r.epoch, r.train, r.validation, r.test)
            (improved, skippedUpdates, tokens) = (r.isBest, r.skippedSteps, r.tokens)
        }

        var description: String {
            "epoch \(epoch): train \(train.loss) val \(validation?.loss ?? .nan) improved \(improved) skipped \(skippedUpdates)"
        }
    }

    /// The report of an `.evaluated` event.
    static func evaluated(_ event: TrainingEvent) -> EpochReport? {
        if case .evaluated(let r) = event { return r }
        return nil
    }

    /// Every parameter's gradient, in `parameters` order.
    static func gradients(_ model: SequenceClassifier) -> [[Float]] { model.parameters.map { $0.grad.array } }

    // MARK: Batch equivalence

    struct BatchCase: Sendable, CustomTestStringConvertible {
        var cell: CellKind
        var pooling: ClassifierConfiguration.Pooling
        var input: ClassifierConfiguration.Input
        var testDescription: String { "\(cell.rawValue), \(pooling) pooling, \(input.rawValue)" }
    }

    /// The gradient of a batch's mean loss is the mean of the per-example gradients, when the
    /// batch packs sequences of different lengths (ties included) in an order other than the caller's.
    @Test("A batch's gradient equals the average of its examples' gradients", arguments: [
        BatchCase(cell: .rnnTanh, pooling: .last, input: .embedding),
        BatchCase(cell: .rnnRelu, pooling: .last, input: .oneHot),
        BatchCase(cell: .lstm, pooling: .last, input: .embedding),
        BatchCase(cell: .gru, pooling: .last, input: .embedding),
        BatchCase(cell: .lstm, pooling: .max, input: .embedding),
        BatchCase(cell: .gru, pooling: .mean, input: .embedding),
    ])
    func batchEqualsAverageOfExamples(_ c: BatchCase) {
        let model = SequenceClassifier(Self.configuration(c.cell, pooling: c.pooling, input: c.input), seed: 11)
        let sequences = [[3, 1, 4], [1, 5, 9, 2, 6, 5], [3], [5, 8, 9, 7, 9, 3], [2, 3, 8, 4]]
        let targets = [0, 1, 1, 0, 1]
        model.parameters.zeroGradients()
        let batch = model.accumulateGradients(PackedBatch(sequences), targets: targets)
        let batchGradients = Self.gradients(model)

        var sum = model.parameters.map { [Double](repeating: 0, count: $0.value.count) }
        var lossSum = 0.0
        for (tokens, target) in zip(sequences, targets) {
            model.parameters.zeroGradients()
            lossSum += Double(model.accumulateGradients(tokens, target: target).loss)
            for (k, g) in Self.gradients(model).enumerated() {
                for i in g.indices { sum[k][i] += Double(g[i]) }
            }
        }
        expectClose(batch.lossSum, lossSum, tolerance: 1e-5, "\(c.testDescription): summed loss")
        for (k, p) in model.parameters.enumerated() {
            let average = sum[k].map { $0 / Double(sequences.count) }
            expectClose(batchGradients[k], average, tolerance: 1e-5, shape: p.value.shape,
                        "\(c.testDescription): gradient of \(p.name)")
            #expect(batchGradients[k].contains { $0 != 0 }, "\(c.testDescription): \(p.name) has no gradient")
        }
    }

    // MARK: Resume

    /// 4 epochs in one go against 2 epochs, then a new model and trainer resuming from the same
    /// checkpoint file up to 4: bit-identical weights and identical reports. Dropout makes the
    /// model's generator part of the state, Adam its moments and step counts, and the validation
    /// set the best weights and early-stopping counters.
    @Test("Resuming from a checkpoint is bit-identical to training without a stop")
    func resumeIsBitIdentical() throws {
        let directory = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let train = Self.examples(count: 18, seed: 1), validation = Self.examples(count: 8, seed: 2)
        let config = Self.configuration(.lstm, dropout: 0.3)
        var options = TrainingOptions()
        options.epochs = 4
        options.batchSize = 4
        options.optimizer = .adam
        options.learningRate = 0.02
        options.clipValue = nil
        options.clipNorm = 5
        options.reportEvery = 1
        options.patience = 3
        options.seed = 5

        let straight = SequenceClassifier(config, seed: 3)
        var straightReports: [ReportRecord] = []
        let straightSummary = try ClassifierTrainer(model: straight, options: options).fit(
            train: train, validation: validation, test: nil,
            checkpoint: directory.appendingPathComponent("straight.safetensors").path,
            event: { if let r = Self.evaluated($0) { straightReports.append(ReportRecord(r)) } })
        #expect(straightReports.map(\.epoch) == [1, 2, 3, 4])
        #expect(!straightSummary.stoppedEarly)

        let checkpoint = directory.appendingPathComponent("interrupted.safetensors").path
        var firstHalf = options
        firstHalf.epochs = 2
        var interruptedReports: [ReportRecord] = []
        _ = try ClassifierTrainer(model: SequenceClassifier(config, seed: 3), options: firstHalf).fit(
            train: train, validation: validation, test: nil, checkpoint: checkpoint,
            event: { if let r = Self.evaluated($0) { interruptedReports.append(ReportRecord(r)) } })
        #expect(interruptedReports == Array(straightReports.prefix(2)))

        // A new process would build a new model (its own seed: the checkpoint must override it).
        let resumed = SequenceClassifier(config, seed: 999)
        var resumedReports: [ReportRecord] = []
        let resumedSummary = try ClassifierTrainer(model: resumed, options: options).fit(
            train: train, validation: validation, test: nil, checkpoint: checkpoint, resume: true,
            event: { if let r = Self.evaluated($0) { resumedReports.append(ReportRecord(r)) } })
        #expect(resumedReports.map(\.epoch) == [3, 4])
        #expect(resumedReports == Array(straightReports.suffix(2)),
                "resumed: \(resumedReports), straight: \(straightReports.suffix(2))")
        #expect(resumedSummary.bestEpoch == straightSummary.bestEpoch)
        #expect(resumedSummary.epochs == 4)
        let (a, b) = (Self.bits(straight), Self.bits(resumed))
        for (k, p) in straight.parameters.enumerated() {
            let differing = zip(a[k], b[k]).filter { $0 != $1 }.count
            #expect(differing == 0, "\(p.name): \(differing) of \(a[k].count) elements differ after resuming")
        }
        // Training moved the weights, so the comparison above is not of two initial models.
        #expect(Self.bits(SequenceClassifier(config, seed: 3)) != a)
        // And the saved model files are the same, byte for byte.
        func file(_ model: SequenceClassifier) -> [UInt8] {
            TextClassifier(model: model, vocabulary: Vocabulary(tokens: (0..<12).map { "w\($0)" })!, labels: ["a", "b"],
                           tokenizer: .spaces, training: options).safetensors().serialized()
        }
        #expect(file(straight) == file(resumed))
    }

    /// One epoch of a small GRU with a checkpoint in `directory`, for the tests that resume from it.
    static func checkpointedRun(in directory: URL) throws
        -> (train: [EncodedExample], validation: [EncodedExample], config: ClassifierConfiguration, options: TrainingOptions, path: String) {
        let train = examples(count: 10, seed: 1), validation = examples(count: 4, seed: 2)
        let config = configuration(.gru)
        var options = TrainingOptions.modern(epochs: 1)
        options.batchSize = 4
        let path = directory.appendingPathComponent("checkpoint.safetensors").path
        try ClassifierTrainer(model: SequenceClassifier(config, seed: 1), options: options)
            .fit(train: train, validation: validation, checkpoint: path)
        return (train, validation, config, options, path)
    }

    /// A checkpoint of another run is refused with what differs; a damaged one with a clear error.
    @Test("Resuming from a checkpoint of another run, or a damaged one, is a clear error")
    func mismatchedCheckpoints() throws {
        let directory = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (train, validation, config, options, path) = try Self.checkpointedRun(in: directory)

        func resumeError(_ config: ClassifierConfiguration, _ options: TrainingOptions, train: [EncodedExample],
                         at path: String) -> CheckpointError? {
            do {
                try ClassifierTrainer(model: SequenceClassifier(config, seed: 1), options: options)
                    .fit(train: train, validation: validation, checkpoint: path, resume: true)
                return nil
            } catch let error as CheckpointError {
                return error
            } catch {
                Issue.record("unexpected error \(error)")
                return nil
            }
        }
        // More epochs is a continuation, not another run.
        var longer = options
        longer.epochs = 2
        #expect(resumeError(config, longer, train: train, at: path) == nil)

        var wider = config
        wider.hiddenSize = 7
        let model = try #require(resumeError(wider, longer, train: train, at: path))
        #expect(model.kind == .mismatch)
        #expect(model.description.contains("hidden size is 6 in the checkpoint, 7 here"), "\(model)")
        var other = longer
        other.batchSize = 3
        let optionsError = try #require(resumeError(config, other, train: train, at: path))
        #expect(optionsError.description.contains("batch size is 4 in the checkpoint, 3 here"), "\(optionsError)")
        #expect(!optionsError.description.contains("--"))
        let data = try #require(resumeError(config, longer, train: Array(train.dropLast()), at: path))
        #expect(data.description.contains("training data: 10 examples in the checkpoint, 9 here"), "\(data)")
        var shuffled = train
        shuffled.swapAt(0, 1)
        let content = try #require(resumeError(config, longer, train: shuffled, at: path))
        #expect(content.description.contains("training data: as many examples, but others"), "\(content)")

        // A truncated file, and a safetensors file that is not a checkpoint.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let truncated = directory.appendingPathComponent("truncated.safetensors").path
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: truncated))
        let broken = try #require(resumeError(config, longer, train: train, at: truncated))
        #expect(broken.kind == .unreadable && broken.description.hasPrefix(truncated + ": "), "\(broken)")
        let plain = directory.appendingPathComponent("plain.safetensors").path
        try Safetensors(tensors: ["x": .init(shape: [1], values: [1])]).write(to: plain)
        let notCheckpoint = try #require(resumeError(config, longer, train: train, at: plain))
        #expect(notCheckpoint.description.contains("not an RNNKit training checkpoint"))
    }

    /// Each damage a hostile edit can do to a checkpoint's numbers is refused on resume, naming
    /// the key or tensor; the untouched checkpoint resumes.
    @Test("A checkpoint holding numbers no run writes is refused, naming the key or tensor")
    func damagedCheckpointNumbers() throws {
        let directory = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (train, validation, config, firstOptions, path) = try Self.checkpointedRun(in: directory)
        var options = firstOptions
        let good = try Checkpoint.read(path: path)
        options.epochs = 2

        func resume(_ damage: (inout Checkpoint) -> Void) throws -> CheckpointError? {
            var checkpoint = good
            damage(&checkpoint)
            let damaged = directory.appendingPathComponent("damaged.safetensors").path
            try checkpoint.write(to: damaged)
            do {
                try ClassifierTrainer(model: SequenceClassifier(config, seed: 1), options: options)
                    .fit(train: train, validation: validation, checkpoint: damaged, resume: true)
                return nil
            } catch let error as CheckpointError {
                return error
            }
        }
        func set(_ name: String, _ value: Float, at index: Int = 0) -> (inout Checkpoint) -> Void {
            { checkpoint in checkpoint.tensors[name]!.values[index] = value }
        }
        #expect(try resume { _ in } == nil)
        let cases: [(String, (inout Checkpoint) -> Void, String)] = [
            ("negative epoch", { $0.header.position.epoch = -1 }, "`epoch` is -1"),
            ("negative count", { $0.header.position.epochTokens = -4 }, "`epochTokens` is -4"),
            ("NaN elapsed", { $0.header.position.elapsed = Checkpoint.bits(.nan) }, "`elapsed` is nan"),
            ("NaN best loss", { $0.header.stopping.bestLoss = Checkpoint.bits(.nan) }, "`bestLoss` is nan"),
            ("NaN learning rate", set("optimizer.lr", .nan), "tensor `optimizer.lr` holds nan"),
            ("zero learning rate", set("optimizer.lr", 0), "the learning rate (tensor `optimizer.lr`) is 0.0"),
            ("negative second moment", set("optimizer.fc.bias.exp_avg_sq", -1),
             "tensor `optimizer.fc.bias.exp_avg_sq` holds -1.0 (element 0), but it is a sum or average of squares"),
            ("NaN weight", set("model.fc.weight", .nan, at: 3), "tensor `model.fc.weight` holds nan (element 3)"),
            ("infinite best weight", set("best.fc.bias", -.infinity), "tensor `best.fc.bias` holds -inf"),
        ]
        for (name, damage, message) in cases {
            let error = try #require(try resume(damage), "\(name): resumed")
            #expect(error.kind == .corrupt, "\(name): \(error)")
            #expect(error.description.contains("is damaged: " + message), "\(name): \(error)")
        }
    }

    /// An empty validation set scored 0 every epoch: it never improved, so patience stopped the
    /// run and the first epoch's weights were kept.
    @Test("An empty validation set is none: no validation figures, no early stop, the last weights")
    func emptyValidationIsNone() throws {
        var options = TrainingOptions.modern(epochs: 3)
        options.batchSize = 4
        options.patience = 1
        options.reportEvery = 1
        var reports: [EpochReport] = []
        let model = SequenceClassifier(Self.configuration(.gru), seed: 1)
        let summary = try ClassifierTrainer(model: model, options: options).fit(
            train: Self.examples(count: 10, seed: 1), validation: [],
            event: { if let r = Self.evaluated($0) { reports.append(r) } })
        #expect(summary.epochs == 3 && !summary.stoppedEarly && summary.bestEpoch == nil, "\(summary)")
        #expect(reports.count == 3 && reports.allSatisfy { $0.validation == nil })
    }

    /// The same ids over another vocabulary (every word renamed) are other data.
    @Test("A checkpoint resumed on data with another vocabulary or labels is refused")
    func checkpointOfAnotherVocabulary() throws {
        let directory = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("checkpoint.safetensors").path
        func rows(_ word: String, _ labels: (String, String)) -> [LabeledText] {
            (0..<12).map { LabeledText(text: "\(word)\($0 % 3) w\($0 % 2)", label: $0 % 2 == 0 ? labels.0 : labels.1) }
        }
        var recipe = ClassifierRecipe.standard
        recipe.training.epochs = 1
        recipe.vocabulary = .firstAppearance
        func fit(_ train: [LabeledText], epochs: Int, resume: Bool) throws {
            var r = recipe
            r.training.epochs = epochs
            try ClassifierTraining(train: train, validation: nil, test: nil, recipe: r).fit(checkpoint: path, resume: resume)
        }
        try fit(rows("good", ("neg", "pos")), epochs: 1, resume: false)
        try fit(rows("good", ("neg", "pos")), epochs: 2, resume: true)
        for other in [rows("nice", ("neg", "pos")), rows("good", ("bad", "fine"))] {
            let error = #expect(throws: CheckpointError.self) { try fit(other, epochs: 3, resume: true) }
            #expect(error?.kind == .mismatch)
            #expect(error?.description.contains("vocabulary: the words or labels differ from the checkpoint's") == true, "\(String(describing: error))")
        }
    }

    // MARK: Options

    @Test("Training options: decode(encode(x)) == x, {} decodes to the declared defaults, problems in words")
    func optionsCoding() throws {
        let tutorial = TrainingOptions()
        var custom = TrainingOptions.modern(epochs: 7)
        custom.clipNorm = nil
        custom.weightDecay = 0.5
        for x in [tutorial, TrainingOptions.modern(), custom] {
            #expect(try JSONDecoder().decode(TrainingOptions.self, from: JSONEncoder().encode(x)) == x)
        }
        #expect(try JSONDecoder().decode(TrainingOptions.self, from: Data("{}".utf8)) == tutorial)
        #expect(try JSONDecoder().decode(TrainingOptions.self, from: Data("{}".utf8)).reportEvery == 100)
        // An explicit null turns off what defaults to on.
        #expect(try JSONDecoder().decode(TrainingOptions.self, from: Data(#"{"clip_value": null}"#.utf8)).clipValue == nil)

        var lm = LanguageModelTrainingOptions()
        #expect(try JSONDecoder().decode(LanguageModelTrainingOptions.self, from: Data("{}".utf8)) == lm)
        lm.epochs = nil
        lm.maxTime = 300
        lm.clipNorm = nil
        lm.learningRate = 0.01
        for x in [LanguageModelTrainingOptions(), lm] {
            #expect(try JSONDecoder().decode(LanguageModelTrainingOptions.self, from: JSONEncoder().encode(x)) == x)
        }

        var bad = TrainingOptions()
        bad.epochs = 0
        #expect(bad.problem == "epochs must be at least 1")
        #expect(throws: TrainingError.invalidOptions("epochs must be at least 1")) {
            try ClassifierTrainer(model: SequenceClassifier(Self.configuration(.gru), seed: 1), options: bad)
        }
        var badLM = LanguageModelTrainingOptions()
        badLM.epochs = 0
        #expect(badLM.problem == "epochs must be at least 1")
        bad = TrainingOptions()
        bad.patience = 0
        #expect(bad.problem?.contains("--") == false)
    }

    // MARK: Determinism

    func trainMiniBatches(modelSeed: UInt64, trainerSeed: UInt64) throws -> (weights: [[UInt32]], reports: [ReportRecord]) {
        let model = SequenceClassifier(Self.configuration(.gru, dropout: 0.25, pooling: .mean), seed: modelSeed)
        var options = TrainingOptions.modern(epochs: 3)
        options.batchSize = 4
        options.seed = trainerSeed
        options.patience = nil
        var reports: [ReportRecord] = []
        _ = try ClassifierTrainer(model: model, options: options).fit(
            train: Self.examples(count: 14, seed: 21), validation: Self.examples(count: 6, seed: 22),
            test: Self.examples(count: 5, seed: 23), event: { if let r = Self.evaluated($0) { reports.append(ReportRecord(r)) } })
        return (Self.bits(model), reports)
    }

    @Test("The mini-batch trainer is deterministic: same seed bit-identical, other seeds different")
    func miniBatchDeterminism() throws {
        let a = try trainMiniBatches(modelSeed: 4, trainerSeed: 4)
        let b = try trainMiniBatches(modelSeed: 4, trainerSeed: 4)
        #expect(a.weights == b.weights)
        #expect(a.reports == b.reports)
        #expect(a.reports.count == 3)
        // Another seed for everything, and another seed for the shuffles and nothing else.
        let c = try trainMiniBatches(modelSeed: 5, trainerSeed: 5)
        let d = try trainMiniBatches(modelSeed: 4, trainerSeed: 6)
        for (k, (x, y)) in zip(a.weights, c.weights).enumerated() { #expect(x != y, "parameter \(k): seeds 4 and 5") }
        #expect(a.weights != d.weights, "the trainer's seed (shuffles) changed nothing")
        #expect(a.reports != d.reports)
    }

    // MARK: Non-finite updates

    /// Whether every weight is finite, except the listed (parameter index, element) pairs.
    static func finiteExcept(_ model: SequenceClassifier, _ excluded: Set<[Int]>) -> Bool {
        for (k, p) in model.parameters.enumerated() {
            for i in 0..<p.value.count where !excluded.contains([k, i]) && !p.value[i].isFinite { return false }
        }
        return true
    }

    /// Checks that saving `model` as a classifier is refused, naming the deliberately poisoned
    /// tensor (`poisoned`, with `count` non-finite values, which no trained weight ever joined),
    /// and leaves no file; that the poisoned row is all that is wrong (with it repaired, the model
    /// saves and loads bit for bit); and that `text`, which uses no poisoned token, predicts
    /// finite probabilities.
    static func expectSaveAndLoad(_ model: SequenceClassifier, in directory: URL, text: String, poisoned: String,
                                  count: Int) throws {
        let V = model.configuration.vocabularySize
        let classifier = TextClassifier(model: model, vocabulary: Vocabulary(tokens: (0..<V).map { "w\($0)" })!,
                                        labels: ["a", "b"], tokenizer: .spaces)
        let path = directory.appendingPathComponent("model.safetensors").path
        #expect { try classifier.save(to: path) } throws: {
            ($0 as? ModelFileError)?.kind == .nonFinite(tensor: poisoned, count: count)
        }
        #expect(!FileManager.default.fileExists(atPath: path), "a model with non-finite weights was saved")
        let expected = try classifier.predict(text)
        #expect(expected.probabilities.allSatisfy { $0.isFinite })
        let poisonedParameter = model.parameters.first { $0.name == poisoned }!
        for k in 0..<poisonedParameter.value.count where !poisonedParameter.value[k].isFinite { poisonedParameter.value[k] = 0 }
        try classifier.save(to: path)
        let file = try Safetensors.read(path: path)
        for (name, entry) in StateDict.entries(parameters: model.parameters, stack: model.rnn) {
            #expect(file.tensors[name]?.values.map(\.bitPattern) == entry.values.map(\.bitPattern), "\(name) changed")
        }
        #expect(try TextClassifier.load(from: path).predict(text).probabilities == classifier.predict(text).probabilities)
    }

    /// Mini-batches with Adam: one example holds the only occurrence of token 11, whose embedding
    /// row is +∞, so its batch's loss is NaN. That update is skipped (once per epoch), the rest
    /// train, nothing non-finite spreads, and model and checkpoint save.
    @Test("Mini-batch training skips updates whose loss or gradient is not finite")
    func nonFiniteMiniBatchUpdateIsSkipped() throws {
        let directory = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var train = Self.examples(count: 11, seed: 31)
        train.insert(EncodedExample(tokens: [2, 11, 4], label: 1), at: 5)
        let validation = Self.examples(count: 6, seed: 32)
        let model = SequenceClassifier(Self.configuration(.gru, dropout: 0.2), seed: 8)
        let E = model.configuration.embeddingSize
        for j in 0..<E { model.embedding!.weight.value[11, j] = .infinity }
        let excluded = Set((0..<E).map { [0, 11 * E + $0] })
        let before = Self.bits(model)

        // The poisoned example alone: the loss is not finite, and the step leaves every weight
        // and gradient as it was.
        var options = TrainingOptions.modern(epochs: 2)
        options.batchSize = 4
        let probe = try ClassifierTrainer(model: model, options: options)
        let poisoned = probe.trainEpoch([train[5]], order: [0])
        #expect(!poisoned.loss.isFinite)
        #expect(Self.bits(model) == before, "a non-finite update reached the weights")
        #expect(model.parameters.allSatisfy { $0.grad.array.allSatisfy { $0 == 0 } }, "the skipped gradient was kept")

        var reports: [ReportRecord] = []
        let summary = try ClassifierTrainer(model: model, options: options).fit(
            train: train, validation: validation, test: nil,
            checkpoint: directory.appendingPathComponent("checkpoint.safetensors").path,
            event: { if let r = Self.evaluated($0) { reports.append(ReportRecord(r)) } })
        #expect(summary.skippedSteps == 2)
        #expect(reports.map(\.skippedUpdates) == [1, 1])
        #expect(reports.allSatisfy { $0.validation!.loss.isFinite })
        #expect(Self.finiteExcept(model, excluded), "a weight became NaN or infinite")
        #expect((0..<E).allSatisfy { model.embedding!.weight.value[11, $0] == .infinity })
        #expect(Self.bits(model) != before, "nothing trained")
        try Self.expectSaveAndLoad(model, in: directory, text: "w3 w1 w4", poisoned: "embedding.weight", count: E)
        let restored = try Safetensors.read(path: directory.appendingPathComponent("checkpoint.safetensors").path)
        #expect(restored.tensors["model.fc.weight"]?.values.allSatisfy { $0.isFinite } == true)
    }

    /// The tutorial's path: one example per update, plain SGD with clipValue (the fused
    /// clip-step-zero kernel). W_ih's one-hot row of token 11 is NaN (an infinite row would only
    /// saturate tanh, with a finite loss and zero gradient), so the one example using it has a
    /// NaN loss; its update is skipped each epoch.
    @Test("The tutorial's fused SGD path skips non-finite updates too")
    func nonFiniteTutorialUpdateIsSkipped() throws {
        let directory = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var train = Self.examples(count: 9, seed: 41)
        train.insert(EncodedExample(tokens: [7, 11], label: 0), at: 3)
        let model = SequenceClassifier(.tutorial(vocabularySize: 12, hiddenSize: 8, numClasses: 2), seed: 9,
                                       initialization: .tutorial)
        let layer = model.rnn.layers[0][0]
        #expect(layer.oneHotInput && layer.biasHH == nil)
        for j in 0..<8 { layer.weightIH.value[11, j] = .nan }
        let index = model.parameters.firstIndex { $0 === layer.weightIH }!
        let excluded = Set((0..<8).map { [index, 11 * 8 + $0] })
        var options = TrainingOptions()
        options.epochs = 3
        options.reportEvery = 1
        #expect(options.batchSize == 1 && options.optimizer == .sgd && options.clipValue == 1 && options.clipNorm == nil)

        let before = Self.bits(model)
        let probe = try ClassifierTrainer(model: model, options: options)
        #expect(probe.trainEpoch([train[3]], order: [0]).loss.isNaN)
        #expect(Self.bits(model) == before, "a non-finite update reached the weights")
        #expect(model.parameters.allSatisfy { $0.grad.array.allSatisfy { $0 == 0 } }, "the skipped gradient was kept")

        var reports: [ReportRecord] = []
        let summary = try ClassifierTrainer(model: model, options: options).fit(
            train: train, test: Self.examples(count: 4, seed: 42), event: { if let r = Self.evaluated($0) { reports.append(ReportRecord(r)) } })
        #expect(summary.skippedSteps == 3)
        #expect(reports.map(\.skippedUpdates) == [1, 1, 1])
        #expect(Self.finiteExcept(model, excluded), "a weight became NaN or infinite")
        #expect((0..<8).allSatisfy { layer.weightIH.value[11, $0].isNaN })
        #expect(Self.bits(model) != before, "nothing trained")
        #expect(reports.allSatisfy { $0.test!.loss.isFinite })
        try Self.expectSaveAndLoad(model, in: directory, text: "w7 w0 w2", poisoned: "rnn.weight_ih_l0", count: 8)
    }

    // MARK: Early stopping

    /// Random labels, a high learning rate and patience 1: validation loss soon stops improving.
    /// Training then stops at the first epoch without improvement, and the model holds exactly the
    /// weights it had after the best epoch (captured in the report callback).
    @Test("Early stopping stops after `patience` evaluations and restores the best epoch's weights")
    func earlyStoppingRestoresBestWeights() throws {
        let model = SequenceClassifier(Self.configuration(.rnnTanh, embeddingSize: 8, hiddenSize: 12, numLayers: 1,
                                                          bidirectional: false), seed: 12)
        var options = TrainingOptions.modern(epochs: 40)
        options.batchSize = 4
        options.learningRate = 0.05
        options.patience = 1
        var snapshots: [Int: [[UInt32]]] = [:]
        var reports: [ReportRecord] = []
        let summary = try ClassifierTrainer(model: model, options: options).fit(
            train: Self.examples(count: 12, seed: 51, randomLabels: true),
            validation: Self.examples(count: 8, seed: 52, randomLabels: true), test: nil,
            event: { e in
                guard let r = Self.evaluated(e) else { return }
                reports.append(ReportRecord(r))
                snapshots[r.epoch] = model.parameters.map { $0.value.array.map(\.bitPattern) }
            })
        #expect(summary.stoppedEarly)
        let best = try #require(summary.bestEpoch)
        let last = try #require(reports.last)
        #expect(last.epoch < options.epochs)
        #expect(summary.epochs == last.epoch)
        // Patience 1: the first evaluation without improvement stops, right after the best.
        #expect(last.epoch == best + 1)
        #expect(!last.improved)
        #expect(reports.last(where: \.improved)?.epoch == best)
        let improvements = reports.filter(\.improved).map { $0.validation!.loss }
        #expect(improvements == improvements.sorted(by: >), "improvements must lower the validation loss")
        #expect(last.validation!.loss >= reports[best - 1].validation!.loss)
        #expect(Self.bits(model) == snapshots[best], "the model does not hold the best epoch's weights")
        #expect(Self.bits(model) != snapshots[last.epoch], "the last epoch's weights were kept")
    }

    // MARK: Save and load

    @Test("A saved TextClassifier (LSTM, bidirectional, 2 layers, max pooling) predicts exactly the same after loading")
    func textClassifierRoundTrip() throws {
        let directory = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let rows = [
            ("a good film, very fun", "pos"), ("not good. boring plot", "neg"), ("great fun!", "pos"),
            ("awful, awful film", "neg"), ("the plot isn't boring", "pos"), ("very bad and very boring", "neg"),
            ("fun, great and good", "pos"), ("bad film", "neg"),
        ].enumerated().map { LabeledText(text: $1.0, label: $1.1, line: $0 + 1) }
        let data = try ClassifierData(train: rows, test: nil, tokenizer: .words(),
                                      vocabulary: .frequency(minCount: 1, maxSize: nil))
        var config = Self.configuration(.lstm, vocabularySize: data.vocabulary.count, dropout: 0.2, pooling: .max)
        config.numLayers = 2
        config.bidirectional = true
        let model = SequenceClassifier(config, seed: 13)
        var options = TrainingOptions.modern(epochs: 3)
        options.batchSize = 3
        _ = try ClassifierTrainer(model: model, options: options).fit(train: data.train, test: nil)
        let classifier = TextClassifier(model: model, vocabulary: data.vocabulary, labels: data.labels,
                                        tokenizer: data.tokenizer, training: options)
        let path = directory.appendingPathComponent("classifier.safetensors").path
        try classifier.save(to: path)
        let loaded = try TextClassifier.load(from: path)

        #expect(loaded.model.configuration == config)
        #expect(loaded.model.configuration.pooling == .max)
        #expect(loaded.vocabulary == data.vocabulary)
        #expect(loaded.labels == ["neg", "pos"])
        #expect(loaded.tokenizer == .words())
        #expect(loaded.training == options)
        #expect(Self.bits(loaded.model) == Self.bits(model))
        let texts = ["A GOOD film", "boring, boring plot!", "not great", "fun", "the unseen words film",
                     "very very very awful and bad and boring film"]
        for text in texts {
            let expected = try classifier.predict(text), actual = try loaded.predict(text)
            #expect(actual == expected, "\(text)")
        }
        #expect(try loaded.predict("the unseen words film").unknownWords == ["unseen", "words"])
        // A text of unknown words only would be <unk> ids alone: refused by both, not guessed at.
        for model in [classifier, loaded] {
            #expect(throws: TextClassifier.PredictionError.noKnownWords(text: "zzz qqq")) { try model.predict("zzz qqq") }
        }
    }
}
