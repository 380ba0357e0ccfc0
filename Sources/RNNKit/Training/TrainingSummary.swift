/// What `fit` returns once training ends.
public struct TrainingSummary: Sendable {
    /// The epoch reached (the last may be partial when a time budget stopped it).
    public var epochs: Int
    /// Optimizer steps taken, and skipped, in this call (a resumed run counts from where it
    /// resumed).
    public var steps: Int
    public var skippedSteps: Int
    /// Training tokens processed (forward and backward) in this call.
    public var tokens: Int
    /// Wall-clock seconds of this call, evaluations included.
    public var seconds: Double
    /// Training throughput, evaluations excluded.
    public var tokensPerSecond: Double
    /// Stopped by `patience`, or by the time budget, before the epochs ran out.
    public var stoppedEarly: Bool
    public var stoppedByTime: Bool
    /// The epoch whose weights the model holds at the end, and its validation metrics; nil
    /// without validation data (the model then holds the last weights).
    public var bestEpoch: Int?
    public var bestValidation: Metrics?
    public var lastReport: EpochReport?
}
