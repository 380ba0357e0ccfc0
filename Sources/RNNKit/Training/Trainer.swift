import Foundation

/// Settings of a training run; saved in the model file under `rnnkit.config`'s `training`.
/// The defaults are the tutorial's: one example at a time, plain SGD at 0.02, gradients clipped
/// element-wise to [−1, 1], a report every 100 epochs.
public struct TrainingOptions: Codable, Sendable, Equatable {
    public var epochs = 1000
    /// Examples per update. Each batch's gradient is that of its mean loss (PyTorch's).
    public var batchSize = 1
    public var optimizer: OptimizerKind = .sgd
    public var learningRate: Float = 0.02
    public var weightDecay: Float = 0
    /// Element-wise gradient clipping to [−clipValue, clipValue]; nil for none.
    public var clipValue: Float? = 1
    /// Rescale all gradients when their global L2 norm exceeds this; nil for none.
    public var clipNorm: Float?
    public var seed: UInt64 = 1
    /// Evaluate (validation, test) and report after every this many epochs, and after the last.
    public var reportEvery = 100
    /// Stop when validation loss has not improved for this many evaluations, restoring the best
    /// weights; nil never stops early (the best weights are still restored when there is a
    /// validation set).
    public var patience: Int?

    public init() {}

    /// A recipe for real data: mini-batches of 32, Adam at 2e-3, gradient norm clipped to 5,
    /// evaluation every epoch, early stopping after 4 epochs without improvement.
    public static func modern(epochs: Int = 20) -> TrainingOptions {
        var o = TrainingOptions()
        o.epochs = epochs
        o.batchSize = 32
        o.optimizer = .adam
        o.learningRate = OptimizerKind.adam.defaultLearningRate
        o.clipValue = nil
        o.clipNorm = 5
        o.reportEvery = 1
        o.patience = 4
        return o
    }

    enum CodingKeys: String, CodingKey {
        case epochs, seed, optimizer, patience
        case batchSize = "batch_size", learningRate = "learning_rate", weightDecay = "weight_decay"
        case clipValue = "clip_value", clipNorm = "clip_norm", reportEvery = "report_every"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        epochs = try c.decode(Int.self, forKey: .epochs)
        batchSize = try c.decodeIfPresent(Int.self, forKey: .batchSize) ?? 1
        optimizer = try c.decodeIfPresent(OptimizerKind.self, forKey: .optimizer) ?? .sgd
        learningRate = try c.decode(Float.self, forKey: .learningRate)
        weightDecay = try c.decodeIfPresent(Float.self, forKey: .weightDecay) ?? 0
        clipValue = try c.decodeIfPresent(Float.self, forKey: .clipValue)
        clipNorm = try c.decodeIfPresent(Float.self, forKey: .clipNorm)
        seed = try c.decode(UInt64.self, forKey: .seed)
        reportEvery = try c.decodeIfPresent(Int.self, forKey: .reportEvery) ?? 1
        patience = try c.decodeIfPresent(Int.self, forKey: .patience)
    }
}

/// Mean loss and accuracy over a set of examples.
public struct Metrics: Sendable, Equatable {
    public var loss: Double
    public var accuracy: Double
    public var count: Int
}

/// What the trainer tells its caller after an evaluated epoch.
public struct EpochReport: Sendable {
    public var epoch: Int
    /// Metrics gathered while training on the epoch (each example's loss before its update).
    public var train: Metrics
    /// Metrics on the validation set after the epoch, when one was given.
    public var validation: Metrics?
    /// Metrics on the test set after the epoch, when one was given.
    public var test: Metrics?
    /// Whether validation loss reached a new best (the weights kept for the end).
    public var improved = false
    /// Updates skipped in this epoch because the loss or a gradient was NaN or infinite.
    public var skippedUpdates = 0
    /// Wall-clock seconds of the epoch's training (not evaluation) and the tokens it processed.
    public var seconds = 0.0
    public var tokens = 0
}

/// Progress inside an epoch, after every batch.
public struct BatchProgress: Sendable {
    public var epoch: Int
    public var batch: Int
    public var batches: Int
    /// Running means over the epoch so far.
    public var loss: Double
    public var accuracy: Double
    public var tokensPerSecond: Double
    public var secondsRemaining: Double
}

public struct TrainingSummary: Sendable {
    public var epochs: Int
    /// Wall-clock time of the training loop, evaluations included.
    public var seconds: Double
    /// Training tokens processed (forward and backward).
    public var tokens: Int
    public var lastReport: EpochReport?
    /// The epoch whose weights the model holds at the end (best validation loss), when validated.
    public var bestEpoch: Int?
    public var stoppedEarly = false
    public var skippedUpdates = 0
}

/// Trains a `SequenceClassifier`: shuffled mini-batches (of one, for the tutorial), forward,
/// backward through time, clipping, an optimizer step; evaluation and reports every
/// `reportEvery` epochs; early stopping on validation loss; checkpoints to resume from.
///
/// An update whose loss or gradient is NaN or infinite is skipped and counted, so it never
/// reaches the weights. Same seed, same data and same thread count give a bit-identical model,
/// also across an interruption and `resume`. The library never prints: reports arrive through
/// callbacks.
package final class ClassifierTrainer {
    package let model: SequenceClassifier
    package let options: TrainingOptions
    package let optimizer: any Optimizer
    private let clipping: GradientClipping
    /// The fused clip + step + zero of plain SGD applies (the tutorial's hot loop).
    private let fusedSGD: SGD?
    var rng: SeededGenerator

    // Early stopping state (saved in checkpoints).
    var epoch = 0
    var bestLoss = Double.infinity
    var bestEpoch: Int?
    var evaluationsWithoutImprovement = 0
    var bestWeights: [Tensor]?

    package init(model: SequenceClassifier, options: TrainingOptions) {
        self.model = model
        self.options = options
        optimizer = options.optimizer.make(learningRate: options.learningRate, weightDecay: options.weightDecay)
        if let norm = options.clipNorm { clipping = .norm(norm) } else if let v = options.clipValue { clipping = .value(v) } else { clipping = .none }
        if let sgd = optimizer as? SGD, sgd.momentum == 0, sgd.weightDecay == 0, options.clipNorm == nil {
            fusedSGD = sgd
        } else {
            fusedSGD = nil
        }
        // A stream of its own, so the shuffles do not depend on how the weights were made.
        rng = SeededGenerator(seed: options.seed ^ 0x5DEE_CE66_D1CE_5EED)
    }

    /// One pass over `examples` in the given order, in batches of `options.batchSize`.
    package func trainEpoch(_ examples: [EncodedExample], order: [Int]) -> Metrics {
        var skipped = 0
        return trainEpoch(Examples(examples, batchSize: options.batchSize), order: order, skipped: &skipped, progress: nil)
    }

    /// Training examples, pre-packed when batches are single examples (so the per-example loop
    /// allocates nothing).
    struct Examples {
        let items: [EncodedExample]
        let single: [PackedBatch]?
        let singleTargets: [[Int]]?

        init(_ items: [EncodedExample], batchSize: Int) {
            self.items = items
            single = batchSize == 1 ? items.map { PackedBatch([$0.tokens]) } : nil
            singleTargets = batchSize == 1 ? items.map { [$0.label] } : nil
        }

        var tokenCount: Int { items.reduce(0) { $0 + $1.tokens.count } }
    }

    func trainEpoch(_ examples: Examples, order: [Int], skipped: inout Int,
                    progress: ((BatchProgress) -> Void)?) -> Metrics {
        let parameters = model.parameters
        let B = max(options.batchSize, 1)
        let batches = (order.count + B - 1) / B
        var loss = 0.0, correct = 0, seen = 0, tokens = 0
        let clock = ContinuousClock(), start = clock.now
        parameters.zeroGradients()  // every update below leaves the gradients zero again
        for b in 0..<batches {
            let indices = order[(b * B)..<min((b + 1) * B, order.count)]
            let batch: PackedBatch, targets: [Int]
            if let single = examples.single, let singleTargets = examples.singleTargets {
                batch = single[indices.first!]
                targets = singleTargets[indices.first!]
            } else {
                batch = PackedBatch(indices.map { examples.items[$0].tokens })
                targets = indices.map { examples.items[$0].label }
            }
            let result = model.accumulateGradients(batch, targets: targets)
            // A NaN or infinity must never reach the weights; the norm's one read pass finds it.
            if let sgd = fusedSGD, result.lossSum.isFinite, gradientsAreFinite(parameters) {
                sgd.stepAndZero(parameters, clipValue: options.clipValue)
            } else {
                let norm = clipping.apply(to: parameters)
                if result.lossSum.isFinite && norm.isFinite {
                    optimizer.step(parameters)
                } else {
                    skipped += 1
                }
                parameters.zeroGradients()
            }
            loss += result.lossSum
            correct += result.correct
            seen += indices.count
            tokens += batch.rowCount
            if let progress {
                let elapsed = (clock.now - start).seconds
                progress(BatchProgress(epoch: epoch, batch: b + 1, batches: batches, loss: loss / Double(seen),
                                       accuracy: Double(correct) / Double(seen),
                                       tokensPerSecond: Double(tokens) / max(elapsed, 1e-9),
                                       secondsRemaining: elapsed / Double(b + 1) * Double(batches - b - 1)))
            }
        }
        let n = max(order.count, 1)
        return Metrics(loss: loss / Double(n), accuracy: Double(correct) / Double(n), count: order.count)
    }

    /// Mean loss and accuracy without updates.
    package func evaluate(_ examples: [EncodedExample]) -> Metrics {
        model.metrics(on: examples)
    }

    /// Trains until `options.epochs` (or early stopping), reporting every `options.reportEvery`
    /// epochs and after the last. With a validation set, the model ends with the weights of the
    /// epoch of lowest validation loss.
    /// - Parameters:
    ///   - checkpoint: when given, the complete training state is written there (atomically) after
    ///     every epoch, and training resumes from it when `resume` is set and the file exists.
    package func fit(train: [EncodedExample], validation: [EncodedExample]? = nil, test: [EncodedExample]?,
                    checkpoint: String? = nil, resume: Bool = false,
                    progress: ((BatchProgress) -> Void)? = nil,
                    report: (EpochReport) -> Void = { _ in }) throws -> TrainingSummary {
        let clock = ContinuousClock()
        let start = clock.now
        if resume, let checkpoint, FileManager.default.fileExists(atPath: checkpoint) {
            try restore(from: checkpoint)
        }
        let examples = Examples(train, batchSize: options.batchSize)
        let tokensPerEpoch = examples.tokenCount
        var order = Array(train.indices)
        var summary = TrainingSummary(epochs: epoch, seconds: 0, tokens: 0)
        while epoch < options.epochs {
            epoch += 1
            // A fresh shuffle of the examples each epoch, as the tutorial's loop does; it depends
            // only on the generator's state, so a resumed run draws the same orders.
            order = Array(train.indices)
            rng.shuffle(&order)
            let epochStart = clock.now
            var skipped = 0
            let trainMetrics = trainEpoch(examples, order: order, skipped: &skipped, progress: progress)
            let epochSeconds = (clock.now - epochStart).seconds
            summary.tokens += tokensPerEpoch
            summary.skippedUpdates += skipped
            summary.epochs = epoch
            let evaluate = epoch % max(options.reportEvery, 1) == 0 || epoch == options.epochs
            var stop = false
            if evaluate {
                var r = EpochReport(epoch: epoch, train: trainMetrics)
                r.validation = validation.map { self.evaluate($0) }
                r.test = test.map { self.evaluate($0) }
                r.skippedUpdates = skipped
                r.seconds = epochSeconds
                r.tokens = tokensPerEpoch
                if let v = r.validation {
                    if v.loss < bestLoss {
                        bestLoss = v.loss
                        bestEpoch = epoch
                        evaluationsWithoutImprovement = 0
                        bestWeights = model.parameters.map { $0.value.clone() }
                        r.improved = true
                    } else {
                        evaluationsWithoutImprovement += 1
                        if let patience = options.patience, evaluationsWithoutImprovement >= patience, epoch < options.epochs {
                            stop = true
                        }
                    }
                }
                summary.lastReport = r
                report(r)
            }
            if let checkpoint { try save(to: checkpoint) }
            if stop {
                summary.stoppedEarly = true
                break
            }
        }
        if let bestWeights {
            for (p, w) in zip(model.parameters, bestWeights) { p.value.copy(from: w) }
            summary.bestEpoch = bestEpoch
        }
        summary.seconds = (clock.now - start).seconds
        return summary
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}

extension SequenceClassifier {
    /// Mean loss and accuracy on `examples`, without updates.
    package func metrics(on examples: [EncodedExample], batchSize: Int = 64) -> Metrics {
        var loss = 0.0, correct = 0
        var start = 0
        while start < examples.count {
            let chunk = examples[start..<min(start + batchSize, examples.count)]
            let r = evaluate(PackedBatch(chunk.map(\.tokens)), targets: chunk.map(\.label))
            loss += r.lossSum
            correct += r.correct
            start += batchSize
        }
        let n = max(examples.count, 1)
        return Metrics(loss: loss / Double(n), accuracy: Double(correct) / Double(n), count: examples.count)
    }
}
