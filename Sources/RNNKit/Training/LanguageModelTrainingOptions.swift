import Foundation

/// Settings of a language-model training run; saved in the model file under `rnnkit.config`'s
/// `training`.
///
/// Decoding fills every missing key with the default declared here, and encoding writes `null`
/// for an optional whose default is not nil, so `decode(encode(x)) == x` for every `x`.
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
    /// Wall-clock budget in seconds for the whole run, evaluations included and summed over
    /// resumed parts: training stops at the end of the batch that crosses it, then evaluates.
    /// nil for no limit.
    public var maxTime: Double?
    /// Recorded with the model; the weights and dropout masks come from the model's own seed
    /// (`LanguageModel(_:seed:)`), and nothing else in training is random.
    public var seed: UInt64 = 1

    public init() {}

    /// The learning rate in effect.
    public var effectiveLearningRate: Float { learningRate ?? optimizer.defaultLearningRate }

    /// Why these options cannot train, or nil when they can.
    public var problem: String? {
        if sequenceLength < 1 { return "the sequence length must be at least 1" }
        if batchSize < 1 { return "the batch size must be at least 1" }
        if let epochs, epochs < 1 { return "epochs must be at least 1" }
        if epochs == nil && maxTime == nil { return "give a number of epochs, a time budget, or both" }
        if let maxTime, !(maxTime.isFinite && maxTime > 0) { return "the time budget must be a positive duration" }
        if let lr = learningRate, !(lr.isFinite && lr > 0) { return "the learning rate must be positive" }
        if let wd = weightDecay, !(wd.isFinite && wd >= 0) { return "the weight decay must be 0 or positive" }
        if let c = clipNorm, !(c.isFinite && c > 0) { return "the clipping norm must be positive (nil turns it off)" }
        return nil
    }

    enum CodingKeys: String, CodingKey {
        case optimizer, epochs, seed
        case sequenceLength = "sequence_length", batchSize = "batch_size", learningRate = "learning_rate"
        case weightDecay = "weight_decay", clipNorm = "clip_norm", maxTime = "max_time"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = LanguageModelTrainingOptions()
        sequenceLength = try c.decodeIfPresent(Int.self, forKey: .sequenceLength) ?? d.sequenceLength
        batchSize = try c.decodeIfPresent(Int.self, forKey: .batchSize) ?? d.batchSize
        optimizer = try c.decodeIfPresent(OptimizerKind.self, forKey: .optimizer) ?? d.optimizer
        learningRate = try c.decodeOptional(Float.self, forKey: .learningRate, default: d.learningRate)
        weightDecay = try c.decodeOptional(Float.self, forKey: .weightDecay, default: d.weightDecay)
        clipNorm = try c.decodeOptional(Float.self, forKey: .clipNorm, default: d.clipNorm)
        epochs = try c.decodeOptional(Int.self, forKey: .epochs, default: d.epochs)
        maxTime = try c.decodeOptional(Double.self, forKey: .maxTime, default: d.maxTime)
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? d.seed
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        let d = LanguageModelTrainingOptions()
        try c.encode(sequenceLength, forKey: .sequenceLength)
        try c.encode(batchSize, forKey: .batchSize)
        try c.encode(optimizer, forKey: .optimizer)
        try c.encodeOptional(learningRate, forKey: .learningRate, default: d.learningRate)
        try c.encodeOptional(weightDecay, forKey: .weightDecay, default: d.weightDecay)
        try c.encodeOptional(clipNorm, forKey: .clipNorm, default: d.clipNorm)
        try c.encodeOptional(epochs, forKey: .epochs, default: d.epochs)
        try c.encodeOptional(maxTime, forKey: .maxTime, default: d.maxTime)
        try c.encode(seed, forKey: .seed)
    }
}
