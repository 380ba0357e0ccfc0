import Foundation

/// Truncated backpropagation through time over contiguous streams — the char-rnn training loop.
///
/// The training tokens w₀ … w_{n−1} are cut into B streams of S = ⌊(n − 1)/B⌋ steps each,
/// stream b holding inputs w_{bS} … w_{bS+S−1} and targets one token later. Batch k is steps
/// kT … kT+T−1 of every stream, so consecutive batches continue each stream where the last one
/// stopped, and an epoch has ⌊S/T⌋ batches (the ragged end of each stream is left out).
///
/// The state (h, and c for LSTM) at the end of batch k is the initial state of batch k+1, copied
/// out of the network, so the forward pass sees an unbroken text while backpropagation stops at
/// the batch boundary: the model's backward never propagates into its initial state, and the
/// carried state is a constant input as far as the gradient is concerned. State starts at zero
/// in every epoch. Each step (`ParameterUpdate`):
///
///     g = ∇θ mean_{b,t} −log p(w_{b,t+1} | w_{b,≤t})     (dropout on, carried state)
///     g ← clip(g, max ‖g‖₂ = clipNorm);  skip the step if the loss or g is not finite
///     θ ← optimizer(θ, g)
///
/// After each epoch the validation tokens are scored the same way (streams with carried state,
/// no dropout, no gradients); the best weights by validation loss are kept (`EarlyStopping`) and
/// restored at the end. Everything is deterministic given the model's seed: no shuffles, dropout
/// from the model's seeded generator.
///
/// With a checkpoint file the complete state is written after every epoch and where the time
/// budget stops the run — mid-epoch, with the carried state — and a resumed run continues from
/// exactly there, for the epochs or the part of the time budget that remain.
///
/// The library never prints: progress arrives as `TrainingEvent`s.
package final class LanguageModelTrainer {
    package let model: LanguageModel
    package let options: LanguageModelTrainingOptions
    package let optimizer: any Optimizer
    /// The MPI ranks that train together (data-parallel, each on its share of the streams), or
    /// nil for this process alone; events then reach rank 0 only.
    package var processGroup: ProcessGroup?

    /// - Throws: `TrainingError.invalidOptions` when `options.problem` is not nil.
    package init(model: LanguageModel, options: LanguageModelTrainingOptions) throws {
        if let problem = options.problem { throw TrainingError.invalidOptions(problem) }
        self.model = model
        self.options = options
        optimizer = options.optimizer.make(learningRate: options.learningRate,
                                           weightDecay: options.weightDecay ?? options.optimizer.defaultWeightDecay)
    }

    /// The fewest training tokens these options can train on: one full batch and its targets.
    package static func minimumTrainingTokens(_ options: LanguageModelTrainingOptions) -> Int {
        options.batchSize * options.sequenceLength + 1
    }

    /// Trains on `train`, evaluating on `validation` (empty for none) after every epoch, and
    /// leaves the model holding the weights with the best validation loss (the last weights
    /// without validation).
    /// - Parameters:
    ///   - checkpoint: when given, the complete training state is written there (atomically)
    ///     after every epoch and at a time-budget stop; with `resume`, training continues from it
    ///     when the file exists. `epochs` and `maxTime` may differ from the interrupted run's
    ///     (the budget counts the seconds of all parts); everything else must match.
    ///   - vocabulary: what the token ids stand for; recorded in the checkpoint, so that another
    ///     text that encodes to the same ids is not resumed on.
    /// - Throws: `TrainingError` for texts too short or ids out of range (before any training),
    ///   `CheckpointError` (a checkpoint of another run, or damaged), file errors writing the
    ///   checkpoint, or whatever `event` throws (which stops training where it is).
    @discardableResult
    package func fit(train: [Int], validation: [Int] = [], checkpoint: String? = nil, resume: Bool = false,
                    vocabulary: Vocabulary? = nil, event: (TrainingEvent) throws -> Void = { _ in }) throws -> TrainingSummary {
        let (B, T) = (options.batchSize, options.sequenceLength)
        guard train.count >= Self.minimumTrainingTokens(options) else {
            throw TrainingError.trainingTextTooShort(tokens: train.count, needed: Self.minimumTrainingTokens(options),
                                                     batchSize: B, sequenceLength: T)
        }
        guard validation.count != 1 else { throw TrainingError.validationTextTooShort(tokens: 1) }
        let V = model.vocabularySize
        if let bad = (train.first { !(0..<V).contains($0) } ?? validation.first { !(0..<V).contains($0) }) {
            throw TrainingError.tokenOutOfRange(id: bad, vocabularySize: V)
        }
        let identity = checkpoint == nil && processGroup == nil ? nil : Checkpoint.Identity(
            task: "language_model", model: Checkpoint.json(model.configuration), options: Checkpoint.json(options),
            data: Checkpoint.DataFingerprint(unit: "tokens", trainCount: train.count, trainHash: Checkpoint.hash(train),
                                             validationCount: validation.count,
                                             validationHash: Checkpoint.hash(validation),
                                             vocabularyHash: vocabulary.map { Checkpoint.hash(strings: $0.tokens) }))
        try processGroup?.checkRun(identity: identity!, checkpoint: checkpoint.map { ($0, resume) }, globalBatch: B,
                                   unit: "streams")
        let task = LanguageModelTask(model: model, train: train, validation: validation, streams: B, steps: T,
                                     group: processGroup)
        let loop = TrainingLoop(task: task, optimizer: optimizer, clipping: options.clipNorm.map { .norm($0) } ?? .none,
                                fuseSGD: false, patience: nil,
                                schedule: TrainingSchedule(epochs: options.epochs, maxTime: options.maxTime, evaluateEvery: 1),
                                group: processGroup)
        let target = checkpoint.map {
            TrainingLoop<LanguageModelTask>.CheckpointTarget(path: $0, resume: resume, identity: identity!)
        }
        return try loop.run(trainTokens: train.count, validationTokens: validation.count, checkpoint: target, event: event)
    }

    /// Mean loss on `tokens` scored as up to `options.batchSize` streams with carried state,
    /// without dropout or gradients. nil for fewer than 2 tokens.
    package func evaluate(_ tokens: [Int]) -> Metrics? {
        guard tokens.count >= 2 else { return nil }
        return LanguageModelTask.evaluate(model, StreamBatches.forEvaluation(tokens, streams: options.batchSize,
                                                                             steps: options.sequenceLength))
    }
}

/// The language model's part of the training loop: consecutive batches of streams with carried
/// state. With ranks, each trains its share of the streams and carries only their state.
final class LanguageModelTask: TrainingTask {
    let model: LanguageModel
    let parameters: [Parameter]
    // Built once: the loop then allocates nothing of its own per batch.
    let batches: StreamBatches
    let validationBatches: StreamBatches?
    let carried: CarriedState
    let streams: Int
    let group: ProcessGroup?
    /// This rank's streams.
    let mine: Range<Int>

    init(model: LanguageModel, train: [Int], validation: [Int], streams B: Int, steps T: Int, group: ProcessGroup? = nil) {
        self.model = model
        parameters = model.parameters
        streams = B
        self.group = group
        mine = (group?.share ?? .whole).range(of: B)
        batches = StreamBatches(train, streams: B, steps: T, keepPartial: false, only: mine)
        validationBatches = validation.isEmpty ? nil : StreamBatches.forEvaluation(validation, streams: B, steps: T)
        carried = CarriedState(model: model, streams: mine.count)
    }

    var batchesPerEpoch: Int { batches.count }

    var dropoutRNG: SeededGenerator {
        get { model.rng }
        set { model.rng = newValue }
    }

    func beginEpoch(_ epoch: Int) { carried.reset() }

    func accumulateGradients(batch k: Int) -> BatchResult {
        let r = carried.run(batches.batches[k], targets: batches.targets[k], training: true)
        return BatchResult(lossSum: r.lossSum, count: r.count, correct: nil, tokens: batches.batches[k].rowCount)
    }

    func evaluate() -> (validation: Metrics?, test: Metrics?) {
        (validationBatches.map { Self.evaluate(model, $0) }, nil)
    }

    static func evaluate(_ model: LanguageModel, _ batches: StreamBatches) -> Metrics {
        let state = CarriedState(model: model, streams: batches.streams)
        var sum = 0.0, count = 0
        for k in 0..<batches.count {
            let r = state.run(batches.batches[k], targets: batches.targets[k], training: false)
            sum += r.lossSum
            count += r.count
        }
        return Metrics(loss: sum / Double(max(count, 1)), count: count)
    }

    func checkpointState(midEpoch: Bool) -> (values: [String: String], tensors: [String: Safetensors.Entry]) {
        guard midEpoch else { return ([:], [:]) }
        var tensors = ["h": Safetensors.Entry(shape: [fullCount], values: allStreams(carried.h))]
        if let c = carried.c { tensors["c"] = .init(shape: [fullCount], values: allStreams(c)) }
        return ([:], tensors)
    }

    func resume(epoch: Int, midEpoch: Bool, values: [String: String], tensors: [String: Safetensors.Entry]) -> String? {
        guard midEpoch else { return nil }
        guard let h = tensors["h"], h.values.count == fullCount,
              (carried.c == nil) == (tensors["c"] == nil), tensors["c"].map({ $0.values.count == fullCount }) ?? true else {
            return "lacks the recurrent state carried within its epoch, or has one of another size."
        }
        beginEpoch(epoch)
        takeMine(h.values, into: carried.h)
        if let c = carried.c, let saved = tensors["c"] { takeMine(saved.values, into: c) }
        return nil
    }

    // The carried state is (L·D, B, H); a checkpoint holds every stream's, whatever the rank count.

    private var fullCount: Int { carried.count / max(mine.count, 1) * streams }

    /// Every stream's state from each rank's own (a sum in which each entry has one contributor:
    /// exact); collective.
    private func allStreams(_ state: UnsafeMutablePointer<Float>) -> [Float] {
        guard let group, group.size > 1 else { return Array(UnsafeBufferPointer(start: state, count: carried.count)) }
        let H = model.rnn.hiddenSize, blocks = carried.count / (mine.count * H)
        var full = [Double](repeating: 0, count: blocks * streams * H)
        for k in 0..<blocks {
            for (r, b) in mine.enumerated() {
                for j in 0..<H { full[(k * streams + b) * H + j] = Double(state[(k * mine.count + r) * H + j]) }
            }
        }
        return group.sum(full).map { Float($0) }
    }

    /// This rank's streams out of every stream's state.
    private func takeMine(_ full: [Float], into state: UnsafeMutablePointer<Float>) {
        let H = model.rnn.hiddenSize, blocks = carried.count / (mine.count * H)
        for k in 0..<blocks {
            for (r, b) in mine.enumerated() {
                for j in 0..<H { state[(k * mine.count + r) * H + j] = full[(k * streams + b) * H + j] }
            }
        }
    }
}
