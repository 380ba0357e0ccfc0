import Foundation

/// Trains a `SequenceClassifier`: shuffled mini-batches (of one, for the tutorial), forward,
/// backward through time, clipping, an optimizer step (`ParameterUpdate`); evaluation and a
/// report every `reportEvery` epochs and after the last; early stopping on validation loss and
/// the best weights kept (`EarlyStopping`); checkpoints to resume from (`Checkpoint`).
///
/// Each epoch draws a fresh shuffle of the examples from the trainer's own generator (seeded by
/// `options.seed`), as the tutorial's loop does. An update whose loss or gradient is NaN or
/// infinite is skipped and counted, so it never reaches the weights. Same seeds, same data and
/// same thread count give a bit-identical model, also across an interruption and a resume. The
/// library never prints: reports arrive as `TrainingEvent`s.
package final class ClassifierTrainer {
    package let model: SequenceClassifier
    package let options: TrainingOptions
    package let optimizer: any Optimizer
    let task: ClassifierTask
    /// Whether the tutorial's kind of network trains with `FusedSGDStep` (the same model, faster);
    /// off, every step takes the general path (what the tests compare it with).
    package let fusesSteps: Bool
    /// The MPI ranks that train together (data-parallel), or nil for this process alone; events
    /// then reach rank 0 only.
    package var processGroup: ProcessGroup?
    /// Per-layer rates, gradual unfreezing and a schedule for a network initialized from a
    /// language model; nil trains every weight at the one rate of `options`.
    package let fineTuning: FineTuning?

    /// - Throws: `TrainingError.invalidOptions` when `options.problem` (or `fineTuning.problem`) is not nil.
    package init(model: SequenceClassifier, options: TrainingOptions, fusesSteps: Bool = true,
                 fineTuning: FineTuning? = nil) throws {
        if let problem = options.problem ?? fineTuning?.problem { throw TrainingError.invalidOptions(problem) }
        self.model = model
        self.options = options
        self.fusesSteps = fusesSteps
        self.fineTuning = fineTuning
        optimizer = options.optimizer.make(learningRate: options.learningRate, weightDecay: options.weightDecay)
        // A stream of its own, so the shuffles do not depend on how the weights were made.
        task = ClassifierTask(model: model, batchSize: options.batchSize,
                              rng: SeededGenerator(seed: options.seed ^ 0x5DEE_CE66_D1CE_5EED))
    }

    /// Trains for `options.epochs` (or until early stopping), evaluating every
    /// `options.reportEvery` epochs and after the last. With validation examples the model ends
    /// with the weights of the evaluation of lowest validation loss; without, with the last.
    /// - Parameters:
    ///   - checkpoint: when given, the complete training state is written there (atomically)
    ///     after every epoch; with `resume`, training continues from it when the file exists
    ///     (the epoch count may differ from the interrupted run's; everything else must match).
    ///   - vocabulary, labels: what the token ids and label indices stand for; recorded in the
    ///     checkpoint, so that other data that encodes to the same ids is not resumed on.
    /// - Throws: `TrainingError` (no examples, token ids out of range), `CheckpointError` (a
    ///   checkpoint of another run, or damaged), file errors writing the checkpoint, or whatever
    ///   `event` throws (which stops training where it is).
    @discardableResult
    package func fit(train: [EncodedExample], validation: [EncodedExample]? = nil, test: [EncodedExample]? = nil,
                    checkpoint: String? = nil, resume: Bool = false, vocabulary: Vocabulary? = nil, labels: [String] = [],
                    event: (TrainingEvent) throws -> Void = { _ in }) throws -> TrainingSummary {
        guard !train.isEmpty else { throw TrainingError.noTrainingExamples }
        // An empty validation set is none: its loss of 0 would never improve, stop the run early
        // and keep the first epoch's weights.
        let validation = validation?.isEmpty == true ? nil : validation
        let V = model.configuration.vocabularySize
        for examples in [train, validation ?? [], test ?? []] {
            if let bad = examples.lazy.flatMap(\.tokens).first(where: { !(0..<V).contains($0) }) {
                throw TrainingError.tokenOutOfRange(id: bad, vocabularySize: V)
            }
        }
        let runIdentity = checkpoint != nil || processGroup != nil
            ? identity(train, validation, vocabulary: vocabulary, labels: labels) : nil
        try processGroup?.checkRun(identity: runIdentity!, checkpoint: checkpoint.map { ($0, resume) },
                                   globalBatch: min(options.batchSize, train.count), unit: "examples")
        task.setData(train: train, validation: validation, test: test)
        defer { task.setData(train: [], validation: nil, test: nil) }
        let plan = fineTuning.map { LearningRatePlan(groups: layerGroups, fineTuning: $0) }
        plan?.totalSteps = options.epochs * task.batchesPerEpoch
        task.plan = plan
        defer { task.plan = nil }
        let loop = TrainingLoop(task: task, optimizer: optimizer, clipping: options.clipping, fuseSGD: true,
                                patience: patience,
                                schedule: TrainingSchedule(epochs: options.epochs, maxTime: nil,
                                                           evaluateEvery: options.reportEvery),
                                group: processGroup, plan: plan)
        task.share = processGroup?.share ?? .whole
        defer { task.share = .whole }
        task.fused = fusesSteps && task.share.ranks == 1 && plan == nil
            ? FusedSGDStep(model: model, update: loop.update, batchSize: options.batchSize) : nil
        let target = checkpoint.map {
            TrainingLoop<ClassifierTask>.CheckpointTarget(path: $0, resume: resume, identity: runIdentity!)
        }
        return try loop.run(trainTokens: task.trainTokens, validationTokens: validation?.reduce(0) { $0 + $1.tokens.count } ?? 0,
                            checkpoint: target, event: event)
    }

    /// One pass over `examples` in the given order, in batches of `options.batchSize`, updating
    /// the weights — an epoch of `fit` without its shuffle, evaluation or checkpoint (what the
    /// oracle fixtures replay).
    package func trainEpoch(_ examples: [EncodedExample], order: [Int]) -> Metrics {
        task.setData(train: examples, validation: nil, test: nil)
        defer { task.setData(train: [], validation: nil, test: nil) }
        task.order = order
        let update = ParameterUpdate(parameters: model.parameters, optimizer: optimizer, clipping: options.clipping,
                                     fuseSGD: true)
        task.fused = fusesSteps ? FusedSGDStep(model: model, update: update, batchSize: options.batchSize) : nil
        model.parameters.zeroGradients()
        var sum = MetricsSum()
        for k in 0..<task.batchesPerEpoch { sum.add(task.trainStep(batch: k, update: update).result) }
        return sum.metrics
    }

    /// The evaluations without a better validation loss that stop the run: `options.patience`,
    /// plus the epochs of gradual unfreezing — while the network thaws a part of it learns, and
    /// the validation loss may stall without the run having run its course.
    package var patience: Int? {
        options.patience.map { $0 + (fineTuning?.gradualUnfreezing == true ? layerGroups.count - 1 : 0) }
    }

    /// The parameters in fine-tuning's groups: the head, the recurrent layers from the top down,
    /// the embedding.
    package var layerGroups: [[Parameter]] {
        [model.fc.parameters] + model.rnn.layers.reversed().map { $0.flatMap(\.parameters) }
            + (model.embedding.map { [[$0.weight]] } ?? [])
    }

    /// Mean loss and accuracy without updates.
    package func evaluate(_ examples: [EncodedExample]) -> Metrics {
        model.metrics(on: examples)
    }

    /// The options as the checkpoint records them; fine-tuning adds its settings, and the
    /// epochs its schedule spans (a resumed run may change the epochs otherwise).
    private var optionsIdentity: String {
        let json = Checkpoint.json(options)
        guard let fineTuning,
              var object = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any] else { return json }
        object["fine_tuning"] = Checkpoint.json(fineTuning)
        if fineTuning.schedule == .slantedTriangular { object["schedule_epochs"] = options.epochs }
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: .sortedKeys) else { return json }
        return String(decoding: data, as: UTF8.self)
    }

    private func identity(_ train: [EncodedExample], _ validation: [EncodedExample]?, vocabulary: Vocabulary?,
                          labels: [String]) -> Checkpoint.Identity {
        func hash(_ examples: [EncodedExample]) -> String {
            Checkpoint.hash(examples.lazy.flatMap { [$0.label, $0.tokens.count] + $0.tokens })
        }
        let validation = validation ?? []
        return Checkpoint.Identity(
            task: "classifier", model: Checkpoint.json(model.configuration), options: optionsIdentity,
            data: Checkpoint.DataFingerprint(unit: "examples", trainCount: train.count, trainHash: hash(train),
                                             validationCount: validation.count, validationHash: hash(validation),
                                             vocabularyHash: vocabulary.map { Checkpoint.hash(strings: $0.tokens + ["\u{1}labels"] + labels) }))
    }
}

/// The classifier's part of the training loop: shuffled batches of examples.
final class ClassifierTask: TrainingTask {
    let model: SequenceClassifier
    let batchSize: Int
    /// Draws each epoch's shuffle; `epochStartRNG` is its state before the current epoch's.
    var rng: SeededGenerator
    private var epochStartRNG: SeededGenerator

    private(set) var examples: [EncodedExample] = []
    /// Pre-packed when batches are single examples, so that the per-example loop allocates nothing.
    private var single: [PackedBatch]?
    private var singleTargets: [[Int]]?
    private var validation: [EncodedExample]?
    private var test: [EncodedExample]?
    private(set) var trainTokens = 0
    /// The current epoch's order of the examples.
    var order: [Int] = []
    /// The one-pass step for the tutorial's kind of network, when it applies.
    var fused: FusedSGDStep?
    /// This rank's part of every batch.
    var share = BatchShare.whole
    /// Fine-tuning's learning-rate factors, set for each batch before its update.
    var plan: LearningRatePlan?
    private var epoch = 1

    init(model: SequenceClassifier, batchSize: Int, rng: SeededGenerator) {
        self.model = model
        self.batchSize = max(batchSize, 1)
        self.rng = rng
        epochStartRNG = rng
    }

    func setData(train: [EncodedExample], validation: [EncodedExample]?, test: [EncodedExample]?) {
        examples = train
        single = batchSize == 1 ? train.map { PackedBatch(examples: [$0]) } : nil
        singleTargets = batchSize == 1 ? train.map { [$0.label] } : nil
        self.validation = validation
        self.test = test
        trainTokens = train.reduce(0) { $0 + $1.tokens.count }
        order = Array(train.indices)
    }

    /// The wide part's weight too, so that early stopping and checkpoints keep it; only the
    /// deep part's go to the optimizer.
    var parameters: [Parameter] { model.parameters + (model.wide.map { [$0.weight] } ?? []) }
    var optimizedParameters: [Parameter] { model.parameters }

    var batchesPerEpoch: Int { (order.count + batchSize - 1) / batchSize }

    var dropoutRNG: SeededGenerator {
        get { model.rng }
        set { model.rng = newValue }
    }

    func beginEpoch(_ epoch: Int) {
        // It depends only on the generator's state, so a resumed run draws the same orders.
        epochStartRNG = rng
        self.epoch = epoch
        order = Array(examples.indices)
        rng.shuffle(&order)
    }

    func accumulateGradients(batch b: Int) -> BatchResult {
        plan?.prepare(epoch: epoch, batch: b, batchesPerEpoch: batchesPerEpoch)
        let whole = order[(b * batchSize)..<min((b + 1) * batchSize, order.count)]
        let part = share.range(of: whole.count)
        let indices = whole[(whole.startIndex + part.lowerBound)..<(whole.startIndex + part.upperBound)]
        // An epoch's last batch may have fewer examples than there are ranks.
        if indices.isEmpty { return BatchResult(lossSum: 0, count: 0, correct: 0, tokens: 0) }
        let batch: PackedBatch, targets: [Int]
        if let single, let singleTargets {
            batch = single[indices.first!]
            targets = singleTargets[indices.first!]
        } else {
            batch = PackedBatch(examples: indices.map { examples[$0] })
            targets = indices.map { examples[$0].label }
        }
        let r = model.accumulateGradients(batch, targets: targets)
        return BatchResult(lossSum: r.lossSum, count: indices.count, correct: r.correct, tokens: batch.rowCount)
    }

    /// The embedding's rows of the tokens in the whole batch `b`: only they get a gradient.
    func sparseGradientRows(batch b: Int) -> [(parameter: Parameter, rows: [Int])] {
        guard let embedding = model.embedding else { return [] }
        var rows = Set<Int>()
        for i in order[(b * batchSize)..<min((b + 1) * batchSize, order.count)] { rows.formUnion(examples[i].tokens) }
        return [(embedding.weight, rows.sorted())]
    }

    func trainStep(batch b: Int, update: ParameterUpdate) -> (result: BatchResult, taken: Bool) {
        if let fused {
            let example = examples[order[b]]
            if let r = fused.step(tokens: example.tokens, target: example.label) {
                return (BatchResult(lossSum: r.loss, count: 1, correct: r.correct ? 1 : 0, tokens: example.tokens.count),
                        r.taken)
            }
        }
        let r = accumulateGradients(batch: b)
        let taken = update.apply(lossIsFinite: r.lossSum.isFinite)
        model.wide?.step(taken: taken)
        return (r, taken)
    }

    func evaluate() -> (validation: Metrics?, test: Metrics?) {
        // Early stopping copies the weights after this: the wide part's lazy shrinks are paid first.
        model.wide?.settleAll()
        return (validation.map { model.metrics(on: $0) }, test.map { model.metrics(on: $0) })
    }

    func checkpointState(midEpoch: Bool) -> (values: [String: String], tensors: [String: Safetensors.Entry]) {
        model.wide?.settleAll()
        // Mid-epoch, the generator from before the epoch's shuffle redraws the same order.
        return (["shuffle_rng": Checkpoint.words(midEpoch ? epochStartRNG : rng).joined(separator: " ")], [:])
    }

    func resume(epoch: Int, midEpoch: Bool, values: [String: String], tensors: [String: Safetensors.Entry]) -> String? {
        guard let words = values["shuffle_rng"]?.split(separator: " ").map(String.init),
              let saved = Checkpoint.generator(words) else { return "has a malformed shuffle generator state." }
        rng = saved
        if midEpoch { beginEpoch(epoch) }
        return nil
    }
}
