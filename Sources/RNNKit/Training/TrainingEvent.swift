/// What a trainer (`ClassifierTrainer`, `LanguageModelTrainer`) tells its caller while it trains.
/// The library never prints; a caller renders these, or ignores them.
public enum TrainingEvent: Sendable {
    /// Once, before the first batch (also when a run resumes from a checkpoint).
    case started(TrainingPlan)
    /// After every batch (callers throttle what they show).
    case batch(BatchProgress)
    /// A step was skipped because the loss or a gradient was NaN or infinite; the weights are
    /// unchanged.
    case skippedStep(epoch: Int, batch: Int)
    /// After an evaluation: every `reportEvery` epochs (classifier) or every epoch (language
    /// model), after the last epoch, and where a time budget stopped the run.
    case evaluated(EpochReport)
}

/// What training will do, sent once before the first batch.
public struct TrainingPlan: Sendable {
    /// Tokens in the training and validation data (0 without validation).
    public var trainTokens: Int
    public var validationTokens: Int
    public var batchesPerEpoch: Int
    /// Epochs to train (nil: as many as `maxTime` allows), and the time budget in seconds.
    public var epochs: Int?
    public var maxTime: Double?
    public var parameterCount: Int
    /// Where a resumed run continues: epochs completed, batches done in the epoch after them,
    /// and the seconds the earlier parts used. nil for a fresh run.
    public var resumed: ResumePoint?
}

/// Where a run resumed from a checkpoint continues.
public struct ResumePoint: Sendable, Equatable {
    /// The epoch in progress (1-based) and the batches of it already done; batch 0 when the
    /// checkpoint was written at the end of epoch `epoch − 1`.
    public var epoch: Int
    public var batch: Int
    /// Wall-clock seconds the run had used before (what a time budget counts).
    public var elapsed: Double
}

/// A trained batch.
public struct BatchProgress: Sendable {
    /// 1-based epoch, and batch within it.
    public var epoch: Int
    public var batch: Int
    public var batchesPerEpoch: Int
    /// Mean loss of this batch, and of the epoch so far (per example, or per token).
    public var batchLoss: Double
    public var epochLoss: Double
    /// Running accuracy over the epoch so far; nil for language models.
    public var epochAccuracy: Double?
    /// Tokens trained in this call of `fit`.
    public var tokens: Int
    /// Wall-clock seconds of the run, evaluations and earlier resumed parts included.
    public var elapsed: Double
    /// Training throughput of this call: tokens per second spent in training steps.
    public var tokensPerSecond: Double
    /// Share of the run done, in [0, 1], by epochs or by the time budget, whichever is further.
    public var fractionDone: Double
    /// Estimated seconds to the end of training (evaluations not included); infinite when
    /// unknown.
    public var secondsRemaining: Double
}

/// An evaluation after an epoch, or where a time budget stopped the run.
public struct EpochReport: Sendable {
    public var epoch: Int
    /// Whether the epoch ran to its end (false when the time budget stopped it part-way).
    public var completeEpoch: Bool
    /// Gathered while training on the epoch: each batch's loss before its update, with dropout.
    public var train: Metrics
    /// On the validation data after the epoch, without dropout; nil without validation data.
    public var validation: Metrics?
    /// On the test data after the epoch (classifier, when given).
    public var test: Metrics?
    /// Whether the weights now are the best so far, the ones the trainer restores at the end:
    /// a validation loss below every earlier one, or always without validation data.
    public var isBest: Bool
    /// Whether this is the last evaluation of the run.
    public var isFinal: Bool
    /// Steps of this epoch skipped because the loss or a gradient was not finite.
    public var skippedSteps: Int
    /// Wall-clock seconds of the epoch's training steps (not evaluation), and its tokens.
    public var seconds: Double
    public var tokens: Int
    /// Wall-clock seconds of the run so far, evaluations and earlier resumed parts included.
    public var elapsed: Double
    /// Training throughput of this call of `fit`.
    public var tokensPerSecond: Double
}
