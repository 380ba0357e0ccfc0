/// Settings of a training run; saved in the model file under `rnnkit.config`'s `training`.
public struct TrainingOptions: Codable, Sendable, Equatable {
    public var epochs = 1000
    public var learningRate: Float = 0.02
    /// Element-wise gradient clipping to [−clipValue, clipValue]; nil for none.
    public var clipValue: Float? = 1
    public var seed: UInt64 = 1
    /// Evaluate the test set and report after every this many epochs (and after the last).
    public var reportEvery = 100

    public init() {}

    enum CodingKeys: String, CodingKey {
        case epochs, seed
        case learningRate = "learning_rate", clipValue = "clip_value", reportEvery = "report_every"
    }
}

/// Mean loss and accuracy over a set of examples.
public struct Metrics: Sendable, Equatable {
    public var loss: Double
    public var accuracy: Double
    public var count: Int
}

/// What the trainer tells its caller after a reported epoch.
public struct EpochReport: Sendable {
    public var epoch: Int
    /// Metrics gathered while training on the epoch (each example's loss before its update).
    public var train: Metrics
    /// Metrics on the test set after the epoch, when one was given.
    public var test: Metrics?
}

public struct TrainingSummary: Sendable {
    public var epochs: Int
    /// Wall-clock time of the training loop, test evaluations included.
    public var seconds: Double
    /// Training tokens processed (forward and backward).
    public var tokens: Int
    public var lastReport: EpochReport?
}

/// The tutorial's training loop: one example at a time, forward, backward through time,
/// element-wise clipping, plain SGD; examples reshuffled every epoch from a seeded generator.
///
/// The library never prints: progress arrives through the `report` callback.
public final class ClassifierTrainer {
    public let model: SequenceClassifier
    public let options: TrainingOptions
    private let optimizer: SGD
    private var rng: SeededGenerator

    public init(model: SequenceClassifier, options: TrainingOptions) {
        self.model = model
        self.options = options
        optimizer = SGD(learningRate: options.learningRate)
        // A stream of its own, so the shuffles do not depend on how the weights were made.
        rng = SeededGenerator(seed: options.seed ^ 0x5DEE_CE66_D1CE_5EED)
    }

    /// One pass over `examples` in the given order, updating after every example.
    public func trainEpoch(_ examples: [EncodedExample], order: [Int]) -> Metrics {
        let parameters = model.parameters
        var loss = 0.0, correct = 0
        parameters.zeroGradients()  // once: every step below leaves the gradients zero again
        for i in order {
            let example = examples[i]
            let result = model.accumulateGradients(example.tokens, target: example.label)
            loss += Double(result.loss)
            correct += result.correct ? 1 : 0
            optimizer.stepAndZero(parameters, clipValue: options.clipValue)
        }
        let n = max(order.count, 1)
        return Metrics(loss: loss / Double(n), accuracy: Double(correct) / Double(n), count: order.count)
    }

    /// Mean loss and accuracy without updates.
    public func evaluate(_ examples: [EncodedExample]) -> Metrics {
        model.metrics(on: examples)
    }

    /// Trains for `options.epochs`, reporting every `options.reportEvery` epochs and after the last.
    public func fit(train: [EncodedExample], test: [EncodedExample]?,
                    report: (EpochReport) -> Void = { _ in }) -> TrainingSummary {
        let clock = ContinuousClock()
        let start = clock.now
        var order = Array(train.indices)
        var last: EpochReport?
        for epoch in stride(from: 1, through: options.epochs, by: 1) {
            rng.shuffle(&order)
            let trainMetrics = trainEpoch(train, order: order)
            if epoch % max(options.reportEvery, 1) == 0 || epoch == options.epochs {
                let r = EpochReport(epoch: epoch, train: trainMetrics, test: test.map { evaluate($0) })
                last = r
                report(r)
            }
        }
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        let tokens = train.reduce(0) { $0 + $1.tokens.count } * options.epochs
        return TrainingSummary(epochs: options.epochs, seconds: seconds, tokens: tokens, lastReport: last)
    }
}

extension SequenceClassifier {
    /// Mean loss and accuracy on `examples`, without updates.
    public func metrics(on examples: [EncodedExample]) -> Metrics {
        var loss = 0.0, correct = 0
        for example in examples {
            let r = evaluate(example.tokens, target: example.label)
            loss += Double(r.loss)
            correct += r.correct ? 1 : 0
        }
        let n = max(examples.count, 1)
        return Metrics(loss: loss / Double(n), accuracy: Double(correct) / Double(n), count: examples.count)
    }
}
