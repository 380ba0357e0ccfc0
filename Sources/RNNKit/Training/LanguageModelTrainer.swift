import Foundation

/// Settings of a language-model training run; saved in the model file under `rnnkit.config`'s
/// `training`.
public struct LanguageModelTrainingOptions: Codable, Sendable, Equatable {
    /// T: steps per batch, and how far back gradients flow (truncated BPTT).
    public var sequenceLength = 50
    /// B: parallel streams, each a contiguous segment of the text.
    public var batchSize = 50
    public var optimizer: OptimizerKind = .adam
    /// nil: the optimizer's `defaultLearningRate` (2e-3 for Adam).
    public var learningRate: Float?
    /// nil: the optimizer's `defaultWeightDecay`.
    public var weightDecay: Float?
    /// Global gradient-norm clipping (see `GradientClipping.norm`); nil for none.
    public var clipNorm: Float? = 5
    /// Passes over the training text; nil for as many as `maxTime` allows.
    public var epochs: Int? = 1
    /// Wall-clock budget in seconds: training stops at the end of the batch that crosses it, then
    /// evaluates. nil for no limit.
    public var maxTime: Double?
    /// Seeds the initial weights (via `LanguageModel(_:seed:)`) and the dropout masks.
    public var seed: UInt64 = 1

    public init() {}

    enum CodingKeys: String, CodingKey {
        case optimizer, epochs, seed
        case sequenceLength = "sequence_length", batchSize = "batch_size", learningRate = "learning_rate"
        case weightDecay = "weight_decay", clipNorm = "clip_norm", maxTime = "max_time"
    }

    /// The learning rate in effect.
    public var effectiveLearningRate: Float { learningRate ?? optimizer.defaultLearningRate }

    /// Why these options cannot train, or nil when they can.
    public var problem: String? {
        if sequenceLength < 1 { return "the sequence length must be at least 1" }
        if batchSize < 1 { return "the batch size must be at least 1" }
        if let epochs, epochs < 1 { return "the number of epochs must be at least 1" }
        if epochs == nil && maxTime == nil { return "give a number of epochs, a time budget, or both" }
        if let maxTime, !(maxTime.isFinite && maxTime > 0) { return "the time budget must be a positive duration" }
        if let lr = learningRate, !(lr.isFinite && lr > 0) { return "the learning rate must be positive" }
        if let wd = weightDecay, !(wd.isFinite && wd >= 0) { return "the weight decay must be 0 or positive" }
        if let c = clipNorm, !(c.isFinite && c > 0) { return "the clipping norm must be positive (nil turns it off)" }
        return nil
    }
}

/// Why a language model cannot be trained on the given text.
public enum LanguageModelTrainingError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Fewer than B·T + 1 training tokens: not one full batch.
    case trainingTextTooShort(tokens: Int, needed: Int, batchSize: Int, sequenceLength: Int)
    /// A validation part of a single token has no target to score.
    case validationTextTooShort(tokens: Int)
    case invalidOptions(String)
    /// A token id outside the model's vocabulary.
    case tokenOutOfRange(id: Int, vocabularySize: Int)

    public var description: String {
        switch self {
        case let .trainingTextTooShort(tokens, needed, b, t):
            return "the training text has \(tokens) token\(tokens == 1 ? "" : "s"), but one batch of \(b) streams × "
                + "\(t) steps needs at least \(needed) (B·T + 1). Use a smaller batch size or sequence length "
                + "(--batch-size, --sequence-length), or more text."
        case let .validationTextTooShort(tokens):
            return "the validation part has only \(tokens) token\(tokens == 1 ? "" : "s"); it needs at least 2. "
                + "Use more text, a larger validation fraction, or none (--validation-fraction 0)."
        case let .invalidOptions(problem):
            return "invalid training options: \(problem)."
        case let .tokenOutOfRange(id, v):
            return "token id \(id) is outside the model's vocabulary of \(v)."
        }
    }
}

/// Loss measures of a language model on some text, all derived from the mean cross-entropy.
public struct LanguageModelLoss: Sendable, Equatable {
    /// Mean −log p(next token), in nats.
    public var loss: Double
    /// Targets scored.
    public var count: Int

    public init(loss: Double, count: Int) {
        self.loss = loss
        self.count = count
    }

    /// exp(loss): the effective number of equally likely choices per token.
    public var perplexity: Double { exp(loss) }
    /// loss / ln 2: bits per token (bits per character at the character level).
    public var bitsPerToken: Double { loss / log(2.0) }
}

/// What training will do, sent once before the first batch.
public struct LanguageModelTrainingPlan: Sendable {
    public var trainTokens: Int
    public var validationTokens: Int
    /// B·T tokens are trained per batch.
    public var tokensPerBatch: Int
    public var batchesPerEpoch: Int
    /// Streams the validation text is evaluated as (B, or fewer for a short text).
    public var validationStreams: Int
    public var epochs: Int?
    public var maxTime: Double?
    public var parameterCount: Int
}

/// A trained batch, sent after every optimizer step (callers throttle what they show).
public struct LanguageModelProgress: Sendable {
    /// 1-based epoch, and batch within it.
    public var epoch: Int
    public var batch: Int
    public var batchesPerEpoch: Int
    /// Mean loss of this batch, and of the epoch so far (nats per token).
    public var batchLoss: Double
    public var epochLoss: Double
    /// Tokens trained since the start.
    public var tokens: Int
    /// Wall-clock seconds since the start, evaluations included.
    public var elapsed: Double
    /// Training throughput: tokens per second spent in training steps (evaluation excluded).
    public var tokensPerSecond: Double
    /// Share of the run done, in [0, 1], by epochs or by the time budget, whichever is further.
    public var fractionDone: Double
    /// Estimated seconds to the end of training (evaluations not included).
    public var secondsRemaining: Double
}

/// An evaluation after an epoch, or at the end of a run stopped by its time budget.
public struct LanguageModelEvaluation: Sendable {
    public var epoch: Int
    /// Whether the epoch ran to its end (false when the time budget stopped it part-way).
    public var completeEpoch: Bool
    /// Mean training loss over the epoch's batches (with dropout, before each update).
    public var train: LanguageModelLoss
    /// On the held-out text, without dropout; nil without validation text.
    public var validation: LanguageModelLoss?
    /// Whether this is the best validation loss so far (always true without validation): the
    /// model's weights now are the ones to keep.
    public var isBest: Bool
    /// Whether this is the last evaluation of the run.
    public var isFinal: Bool
    public var elapsed: Double
    public var tokensPerSecond: Double
}

/// What the trainer tells its caller.
public enum LanguageModelTrainingEvent: Sendable {
    case started(LanguageModelTrainingPlan)
    case progress(LanguageModelProgress)
    case evaluated(LanguageModelEvaluation)
    /// A step was skipped because a gradient was NaN or infinite; the weights are unchanged.
    case skippedStep(epoch: Int, batch: Int)
}

public struct LanguageModelTrainingSummary: Sendable {
    /// Epochs started (the last may be partial when stopped by time).
    public var epochs: Int
    public var steps: Int
    public var skippedSteps: Int
    public var tokens: Int
    /// Wall-clock seconds, evaluations included.
    public var seconds: Double
    /// Training throughput, evaluation excluded.
    public var tokensPerSecond: Double
    public var stoppedByTime: Bool
    /// The best validation loss and the epoch it came from; nil without validation.
    public var bestValidation: LanguageModelLoss?
    public var bestEpoch: Int?
    public var lastEvaluation: LanguageModelEvaluation?
}

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
/// in every epoch. Each step:
///
///     g = ∇θ mean_{b,t} −log p(w_{b,t+1} | w_{b,≤t})     (dropout on, carried state)
///     g ← clip(g, max ‖g‖₂ = clipNorm);  skip the step if g is not finite
///     θ ← optimizer(θ, g)
///
/// After each epoch the validation tokens are scored the same way (streams with carried state,
/// no dropout, no gradients); the best weights by validation loss are kept and restored at the
/// end. Everything is deterministic given the model's seed: no shuffles, dropout from the
/// model's seeded generator.
///
/// The library never prints: progress arrives through the `event` callback.
package final class LanguageModelTrainer {
    package let model: LanguageModel
    package let options: LanguageModelTrainingOptions
    package let optimizer: any Optimizer

    private let clipping: GradientClipping
    private let best: [Tensor]
    private var hasBest = false

    package init(model: LanguageModel, options: LanguageModelTrainingOptions) throws {
        if let problem = options.problem { throw LanguageModelTrainingError.invalidOptions(problem) }
        self.model = model
        self.options = options
        optimizer = options.optimizer.make(learningRate: options.learningRate,
                                           weightDecay: options.weightDecay ?? options.optimizer.defaultWeightDecay)
        clipping = options.clipNorm.map { .norm($0) } ?? .none
        best = model.parameters.map { Tensor(shape: $0.value.shape) }
    }

    /// The fewest training tokens these options can train on: one full batch and its targets.
    package static func minimumTrainingTokens(_ options: LanguageModelTrainingOptions) -> Int {
        options.batchSize * options.sequenceLength + 1
    }

    /// Trains on `train`, evaluating on `validation` (empty for none) after every epoch, and
    /// leaves the model holding the weights with the best validation loss (the last weights
    /// without validation).
    /// - Throws: `LanguageModelTrainingError` for texts too short or ids out of range (before any
    ///   training), or whatever `event` throws (which stops training where it is).
    @discardableResult
    package func fit(train: [Int], validation: [Int] = [],
                    event: (LanguageModelTrainingEvent) throws -> Void = { _ in }) throws -> LanguageModelTrainingSummary {
        let (B, T) = (options.batchSize, options.sequenceLength)
        guard train.count >= Self.minimumTrainingTokens(options) else {
            throw LanguageModelTrainingError.trainingTextTooShort(tokens: train.count, needed: Self.minimumTrainingTokens(options),
                                                                  batchSize: B, sequenceLength: T)
        }
        guard validation.count != 1 else { throw LanguageModelTrainingError.validationTextTooShort(tokens: 1) }
        let V = model.vocabularySize
        if let bad = (train.first { !(0..<V).contains($0) } ?? validation.first { !(0..<V).contains($0) }) {
            throw LanguageModelTrainingError.tokenOutOfRange(id: bad, vocabularySize: V)
        }

        // Built once: the loop then allocates nothing of its own per batch.
        let batches = StreamBatches(train, streams: B, steps: T, keepPartial: false)
        let validationBatches = validation.isEmpty ? nil : StreamBatches.forEvaluation(validation, streams: B, steps: T)
        let parameters = model.parameters
        let carried = CarriedState(model: model, streams: B)
        try event(.started(LanguageModelTrainingPlan(
            trainTokens: train.count, validationTokens: validation.count, tokensPerBatch: B * T,
            batchesPerEpoch: batches.count, validationStreams: validationBatches?.streams ?? 0,
            epochs: options.epochs, maxTime: options.maxTime,
            parameterCount: parameters.reduce(0) { $0 + $1.value.count })))

        let clock = ContinuousClock()
        let start = clock.now
        func seconds(since t: ContinuousClock.Instant) -> Double {
            let d = clock.now - t
            return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        }
        var trainSeconds = 0.0
        var tokens = 0, steps = 0, skipped = 0
        var bestLoss: LanguageModelLoss?, bestEpoch: Int?
        var last: LanguageModelEvaluation?
        var stoppedByTime = false
        let totalBatches = options.epochs.map { $0 * batches.count }
        hasBest = false

        var epoch = 0
        while !stoppedByTime {
            if let epochs = options.epochs, epoch >= epochs { break }
            epoch += 1
            carried.reset()
            var lossSum = 0.0, lossCount = 0
            var completed = 0
            for k in 0..<batches.count {
                let stepStart = clock.now
                parameters.zeroGradients()
                let r = carried.run(batches.batches[k], targets: batches.targets[k], training: true)
                let norm = clipping.apply(to: parameters)
                if norm.isFinite {
                    optimizer.step(parameters)
                } else {
                    skipped += 1
                    try event(.skippedStep(epoch: epoch, batch: k + 1))
                }
                trainSeconds += seconds(since: stepStart)
                steps += 1
                completed += 1
                tokens += batches.batches[k].rowCount
                lossSum += r.lossSum
                lossCount += r.count
                let elapsed = seconds(since: start)
                let rate = Double(tokens) / max(trainSeconds, 1e-9)
                var fraction = 0.0, remaining = Double.infinity
                if let totalBatches {
                    fraction = Double(steps) / Double(totalBatches)
                    remaining = Double(totalBatches - steps) * trainSeconds / Double(steps)
                }
                if let maxTime = options.maxTime {
                    fraction = max(fraction, elapsed / maxTime)
                    remaining = min(remaining, max(maxTime - elapsed, 0))
                    if elapsed >= maxTime { stoppedByTime = true }
                }
                try event(.progress(LanguageModelProgress(
                    epoch: epoch, batch: k + 1, batchesPerEpoch: batches.count,
                    batchLoss: r.lossSum / Double(max(r.count, 1)), epochLoss: lossSum / Double(max(lossCount, 1)),
                    tokens: tokens, elapsed: elapsed, tokensPerSecond: rate, fractionDone: min(fraction, 1),
                    secondsRemaining: remaining)))
                if stoppedByTime { break }
            }

            let validationLoss = validationBatches.map { evaluate($0) }
            let isBest: Bool
            if let validationLoss {
                isBest = bestLoss.map { validationLoss.loss < $0.loss } ?? true
                if isBest { bestLoss = validationLoss; bestEpoch = epoch }
            } else {
                isBest = true
            }
            if isBest { saveBest() }
            let isFinal = stoppedByTime || options.epochs.map { epoch >= $0 } ?? false
            let evaluation = LanguageModelEvaluation(
                epoch: epoch, completeEpoch: completed == batches.count,
                train: LanguageModelLoss(loss: lossSum / Double(max(lossCount, 1)), count: lossCount),
                validation: validationLoss, isBest: isBest, isFinal: isFinal, elapsed: seconds(since: start),
                tokensPerSecond: Double(tokens) / max(trainSeconds, 1e-9))
            last = evaluation
            try event(.evaluated(evaluation))
        }
        restoreBest()
        return LanguageModelTrainingSummary(
            epochs: epoch, steps: steps, skippedSteps: skipped, tokens: tokens, seconds: seconds(since: start),
            tokensPerSecond: Double(tokens) / max(trainSeconds, 1e-9), stoppedByTime: stoppedByTime,
            bestValidation: bestLoss, bestEpoch: bestEpoch, lastEvaluation: last)
    }

    /// Mean loss on `tokens` scored as up to `options.batchSize` streams with carried state,
    /// without dropout or gradients. nil for fewer than 2 tokens.
    package func evaluate(_ tokens: [Int]) -> LanguageModelLoss? {
        guard tokens.count >= 2 else { return nil }
        return evaluate(StreamBatches.forEvaluation(tokens, streams: options.batchSize, steps: options.sequenceLength))
    }

    func evaluate(_ batches: StreamBatches) -> LanguageModelLoss {
        let state = CarriedState(model: model, streams: batches.streams)
        var sum = 0.0, count = 0
        for k in 0..<batches.count {
            let r = state.run(batches.batches[k], targets: batches.targets[k], training: false)
            sum += r.lossSum
            count += r.count
        }
        return LanguageModelLoss(loss: sum / Double(max(count, 1)), count: count)
    }

    private func saveBest() {
        for (p, b) in zip(model.parameters, best) { b.copy(from: p.value) }
        hasBest = true
    }

    private func restoreBest() {
        guard hasBest else { return }
        for (p, b) in zip(model.parameters, best) { p.value.copy(from: b) }
    }
}

/// A token sequence cut into B contiguous streams and then into batches of T steps each
/// (see `LanguageModelTrainer`), packed once.
struct StreamBatches {
    let streams: Int
    let batches: [PackedBatch]
    /// Per batch, per stream, per step: the next token.
    let targets: [[[Int]]]
    var count: Int { batches.count }

    /// - Parameter keepPartial: keep a last batch shorter than T (evaluation scores every
    ///   step); training keeps only full batches.
    init(_ tokens: [Int], streams B: Int, steps T: Int, keepPartial: Bool) {
        precondition(B >= 1 && T >= 1 && tokens.count >= B + 1)
        let S = (tokens.count - 1) / B
        let count = keepPartial ? (S + T - 1) / T : S / T
        var batches: [PackedBatch] = [], targets: [[[Int]]] = []
        batches.reserveCapacity(count)
        targets.reserveCapacity(count)
        for k in 0..<count {
            let from = k * T, steps = min(T, S - from)
            let inputs = (0..<B).map { b in Array(tokens[(b * S + from)..<(b * S + from + steps)]) }
            targets.append((0..<B).map { b in Array(tokens[(b * S + from + 1)..<(b * S + from + steps + 1)]) })
            // Equal lengths: the stable sort keeps stream order, so sorted rows are streams.
            batches.append(PackedBatch(inputs))
        }
        streams = B
        self.batches = batches
        self.targets = targets
    }

    /// For scoring: up to B streams, fewer when the text is short (every stream needs a step).
    static func forEvaluation(_ tokens: [Int], streams B: Int, steps T: Int) -> StreamBatches {
        StreamBatches(tokens, streams: max(1, min(B, tokens.count - 1)), steps: T, keepPartial: true)
    }
}

/// The recurrent state (h, and c for LSTM) carried from one batch of streams to the next,
/// (L, B, H), in buffers of its own: the network's final-state buffer is overwritten by the next
/// forward, which reads its initial state from here.
final class CarriedState {
    let model: LanguageModel
    let streams: Int
    let count: Int
    let h: UnsafeMutablePointer<Float>
    let c: UnsafeMutablePointer<Float>?

    init(model: LanguageModel, streams: Int) {
        self.model = model
        self.streams = streams
        count = model.rnn.numLayers * model.rnn.directions * streams * model.rnn.hiddenSize
        h = .allocate(capacity: count)
        c = model.rnn.cell.hasCellState ? .allocate(capacity: count) : nil
        reset()
    }

    deinit {
        h.deallocate()
        c?.deallocate()
    }

    func reset() {
        h.initialize(repeating: 0, count: count)
        c?.initialize(repeating: 0, count: count)
    }

    /// One batch from the carried state, which then becomes the batch's final state. With
    /// `training`, gradients are added to the parameters (none flow into the carried state).
    func run(_ batch: PackedBatch, targets: [[Int]], training: Bool) -> (lossSum: Double, count: Int) {
        precondition(batch.count == streams)
        let r = training
            ? model.accumulateGradients(batch, targets: targets, h0: h, c0: c.map { UnsafePointer($0) })
            : model.evaluate(batch, targets: targets, h0: h, c0: c.map { UnsafePointer($0) })
        capture(batch)
        return r
    }

    /// Copies the network's final states after the last forward over `batch` into the buffers.
    func capture(_ batch: PackedBatch) {
        h.update(from: model.rnn.finalStates(batch), count: count)
        if let c { c.update(from: model.rnn.finalStates(batch, cellState: true), count: count) }
    }
}

/// A time budget written as a number and a unit: `300s`, `5m`, `1h` (also `1.5h`).
public enum TimeBudget {
    public struct ParseError: Error, CustomStringConvertible, Equatable, Sendable {
        public var text: String
        public var description: String {
            "invalid duration \"\(text)\": write a positive number followed by s, m or h, with nothing else, "
                + "e.g. 300s, 5m or 1h."
        }
    }

    /// Seconds in `text`. Strict: digits with an optional decimal part, then exactly one of
    /// `s`, `m`, `h`; no spaces, signs, exponents, other units or combinations (`1h30m`), and
    /// the value must be positive.
    public static func seconds(_ text: String) throws -> Double {
        let fail = ParseError(text: text)
        guard let unit = text.last, let scale: Double = ["s": 1, "m": 60, "h": 3600][unit] else { throw fail }
        let number = text.dropLast()
        let parts = number.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count),
              parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }),
              let value = Double(number), value > 0, (value * scale).isFinite else { throw fail }
        return value * scale
    }
}
