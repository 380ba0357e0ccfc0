import Foundation

/// Trains a `Seq2SeqNetwork` on sentence pairs, with the loop every RNNKit trainer shares
/// (`TrainingLoop`: progress events, a validation pass after every epoch keeping the best weights,
/// early stopping, a time budget, checkpoints and bit-identical resume).
///
/// Each epoch shuffles the pairs, cuts them into groups of 64 batches, sorts each group by source
/// length (so a batch holds sentences of similar lengths and packs with little waste) and
/// shuffles the order of the batches. The shuffles are seeded by the options' seed and the epoch,
/// so a resumed run sees the same batches. Each step:
///
///     g = ∇θ mean over the batch's target words of −log p(y_t | y_<t, x)   (dropout on, teacher
///         forcing with probability `teacherForcing` per step)
///     g ← clip(g, max ‖g‖₂ = clipNorm);  skip the step if the loss or g is not finite
///     θ ← optimizer(θ, g)
///
/// The validation loss is the same mean with teacher forcing and no dropout; its exp is the
/// perplexity.
package final class Seq2SeqTrainer {
    package let network: Seq2SeqNetwork
    package let options: Seq2SeqTrainingOptions
    let optimizer: any Optimizer
    /// The MPI ranks that train together (data-parallel, each on its share of every batch's
    /// pairs), or nil for this process alone; events then reach rank 0 only.
    package var processGroup: ProcessGroup?

    /// - Throws: `TrainingError.invalidOptions` when `options.problem` is not nil.
    package init(network: Seq2SeqNetwork, options: Seq2SeqTrainingOptions) throws {
        if let problem = options.problem { throw TrainingError.invalidOptions(problem) }
        self.network = network
        self.options = options
        optimizer = options.optimizer.make(learningRate: options.effectiveLearningRate,
                                           weightDecay: options.weightDecay ?? options.optimizer.defaultWeightDecay)
    }

    /// Trains on `train` (pairs of id sequences, each with <bos> and <eos>), evaluating on
    /// `validation` after every epoch; the network ends with the best validation loss's weights.
    /// - Parameter fingerprint: what the ids stand for (vocabularies), recorded in a checkpoint.
    /// - Throws: `TrainingError` for no pairs or ids out of range, `CheckpointError`, file errors
    ///   writing the checkpoint, or what `event` throws.
    @discardableResult
    package func fit(train: [Seq2SeqPair], validation: [Seq2SeqPair] = [], checkpoint: String? = nil, resume: Bool = false,
                     fingerprint: [String] = [], event: (TrainingEvent) throws -> Void = { _ in }) throws -> TrainingSummary {
        guard !train.isEmpty else { throw TrainingError.noTrainingExamples }
        let c = network.configuration
        for pair in train + validation {
            if let bad = pair.source.first(where: { !(0..<c.sourceVocabularySize).contains($0) }) {
                throw TrainingError.tokenOutOfRange(id: bad, vocabularySize: c.sourceVocabularySize)
            }
            if let bad = pair.target.first(where: { !(0..<c.targetVocabularySize).contains($0) }) {
                throw TrainingError.tokenOutOfRange(id: bad, vocabularySize: c.targetVocabularySize)
            }
        }
        func ids(_ pairs: [Seq2SeqPair]) -> [Int] { pairs.flatMap { $0.source + [-1] + $0.target + [-2] } }
        let identity = checkpoint == nil && processGroup == nil ? nil : Checkpoint.Identity(
            task: "translation", model: Checkpoint.json(c), options: Checkpoint.json(options),
            data: Checkpoint.DataFingerprint(unit: "sentence pairs", trainCount: train.count, trainHash: Checkpoint.hash(ids(train)),
                                             validationCount: validation.count, validationHash: Checkpoint.hash(ids(validation)),
                                             vocabularyHash: fingerprint.isEmpty ? nil : Checkpoint.hash(strings: fingerprint)))
        try processGroup?.checkRun(identity: identity!, checkpoint: checkpoint.map { ($0, resume) },
                                   globalBatch: min(options.batchSize, train.count), unit: "sentence pairs")
        let task = Seq2SeqTask(network: network, train: train, validation: validation, options: options)
        task.share = processGroup?.share ?? .whole
        let loop = TrainingLoop(task: task, optimizer: optimizer, clipping: options.clipNorm.map { .norm($0) } ?? .none,
                                fuseSGD: false, patience: options.patience,
                                schedule: TrainingSchedule(epochs: options.epochs, maxTime: options.maxTime, evaluateEvery: 1),
                                group: processGroup)
        let target = checkpoint.map {
            TrainingLoop<Seq2SeqTask>.CheckpointTarget(path: $0, resume: resume, identity: identity!)
        }
        return try loop.run(trainTokens: train.reduce(0) { $0 + $1.target.count - 1 },
                            validationTokens: validation.reduce(0) { $0 + $1.target.count - 1 }, checkpoint: target, event: event)
    }

    /// Mean loss per target word of `pairs` with teacher forcing, no dropout, no gradients; nil
    /// for no pairs.
    package func evaluate(_ pairs: [Seq2SeqPair]) -> Metrics? {
        Seq2SeqTask.evaluate(network, pairs, batchSize: options.batchSize)
    }
}

/// A source and a target sentence as ids, each with <bos> and <eos>.
package struct Seq2SeqPair: Sendable, Equatable {
    package var source: [Int]
    package var target: [Int]

    package init(source: [Int], target: [Int]) {
        self.source = source
        self.target = target
    }
}

/// The translation model's part of the training loop: bucketed, shuffled batches of pairs.
final class Seq2SeqTask: TrainingTask {
    let network: Seq2SeqNetwork
    let parameters: [Parameter]
    let train: [Seq2SeqPair]
    let validation: [Seq2SeqPair]
    let options: Seq2SeqTrainingOptions
    /// The batches of the current epoch, as indices into `train`.
    private(set) var batches: [[Int]] = []
    /// Dropout and teacher forcing draw from it; saved in checkpoints by the loop.
    var dropoutRNG: SeededGenerator
    /// This rank's part of every batch.
    var share = BatchShare.whole

    init(network: Seq2SeqNetwork, train: [Seq2SeqPair], validation: [Seq2SeqPair], options: Seq2SeqTrainingOptions) {
        self.network = network
        parameters = network.parameters
        self.train = train
        self.validation = validation
        self.options = options
        dropoutRNG = SeededGenerator(seed: options.seed &+ 0x5EED_D20)
    }

    var batchesPerEpoch: Int { (train.count + options.batchSize - 1) / options.batchSize }

    func beginEpoch(_ epoch: Int) {
        var rng = SeededGenerator(seed: options.seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(epoch))
        var order = Array(train.indices)
        rng.shuffle(&order)
        let B = options.batchSize, group = 64 * B
        batches = []
        var start = 0
        while start < order.count {
            // A stable sort by source length within the group, then batches of B.
            let chunk = order[start..<min(start + group, order.count)].sorted {
                (train[$0].source.count, train[$0].target.count) < (train[$1].source.count, train[$1].target.count)
            }
            var k = 0
            while k < chunk.count {
                batches.append(Array(chunk[k..<min(k + B, chunk.count)]))
                k += B
            }
            start += group
        }
        rng.shuffle(&batches)
    }

    func accumulateGradients(batch k: Int) -> BatchResult {
        let part = share.range(of: batches[k].count)
        // An epoch's last batch may have fewer pairs than there are ranks.
        if part.isEmpty { return BatchResult(lossSum: 0, count: 0, correct: nil, tokens: 0) }
        let pairs = batches[k][part].map { train[$0] }
        let r = network.train(sources: pairs.map(\.source), targets: pairs.map(\.target),
                              teacherForcing: options.teacherForcing, rng: &dropoutRNG)
        return BatchResult(lossSum: r.loss, count: r.count, correct: nil, tokens: r.count)
    }

    func evaluate() -> (validation: Metrics?, test: Metrics?) {
        (Self.evaluate(network, validation, batchSize: options.batchSize), nil)
    }

    static func evaluate(_ network: Seq2SeqNetwork, _ pairs: [Seq2SeqPair], batchSize: Int) -> Metrics? {
        guard !pairs.isEmpty else { return nil }
        // Sorted by length, so batches pack tightly; the sum does not depend on the order.
        let order = pairs.indices.sorted { pairs[$0].source.count < pairs[$1].source.count }
        var rng = SeededGenerator(seed: 0)
        var sum = 0.0, count = 0, start = 0
        while start < order.count {
            let chunk = order[start..<min(start + batchSize, order.count)].map { pairs[$0] }
            let r = network.train(sources: chunk.map(\.source), targets: chunk.map(\.target), teacherForcing: 1,
                                  training: false, backward: false, rng: &rng)
            sum += r.loss
            count += r.count
            start += batchSize
        }
        return Metrics(loss: sum / Double(max(count, 1)), count: count)
    }

    func checkpointState(midEpoch: Bool) -> (values: [String: String], tensors: [String: Safetensors.Entry]) { ([:], [:]) }

    func resume(epoch: Int, midEpoch: Bool, values: [String: String], tensors: [String: Safetensors.Entry]) -> String? {
        if midEpoch { beginEpoch(epoch) }
        return nil
    }
}
