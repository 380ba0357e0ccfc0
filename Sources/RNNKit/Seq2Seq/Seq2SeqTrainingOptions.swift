import Foundation

/// Settings of a translation training run; saved in the model file under `rnnkit.config`'s
/// `training`. Defaults are bentrevett's notebook 3 (Adam 1e-3, clip 1, teacher forcing 0.5,
/// batch 128, 10 epochs).
///
/// Decoding fills every missing key with the default declared here, and encoding writes `null`
/// for an optional whose default is not nil, so `decode(encode(x)) == x` for every `x`.
public struct Seq2SeqTrainingOptions: Codable, Sendable, Equatable {
    /// Sentence pairs per batch.
    public var batchSize = 128
    public var optimizer: OptimizerKind = .adam
    /// nil: 1e-3 for Adam and AdamW (notebook 3's), the optimizer's default otherwise.
    public var learningRate: Float?
    /// nil: the optimizer's `defaultWeightDecay`.
    public var weightDecay: Float?
    /// Global gradient-norm clipping; nil for none.
    public var clipNorm: Float? = 1
    /// The probability that a decoder step reads the true previous word rather than its own best
    /// guess (chosen per step for the whole batch).
    public var teacherForcing = 0.5
    /// Passes over the training pairs; nil for as many as `maxTime` allows.
    public var epochs: Int? = 10
    /// Wall-clock budget in seconds for the whole run, summed over resumed parts; nil for none.
    public var maxTime: Double?
    /// Stop after this many evaluations in a row without a better validation loss; nil: never.
    public var patience: Int?
    /// Seeds the initial weights, the shuffles, dropout and teacher forcing.
    public var seed: UInt64 = 1

    public init() {}

    /// The learning rate in effect.
    public var effectiveLearningRate: Float {
        learningRate ?? (optimizer == .adam || optimizer == .adamw ? 1e-3 : optimizer.defaultLearningRate)
    }

    /// Why these options cannot train, or nil when they can.
    public var problem: String? {
        if batchSize < 1 { return "the batch size must be at least 1" }
        if let epochs, epochs < 1 { return "epochs must be at least 1" }
        if epochs == nil && maxTime == nil { return "give a number of epochs, a time budget, or both" }
        if let maxTime, !(maxTime.isFinite && maxTime > 0) { return "the time budget must be a positive duration" }
        if let lr = learningRate, !(lr.isFinite && lr > 0) { return "the learning rate must be positive" }
        if let wd = weightDecay, !(wd.isFinite && wd >= 0) { return "the weight decay must be 0 or positive" }
        if let c = clipNorm, !(c.isFinite && c > 0) { return "the clipping norm must be positive (nil turns it off)" }
        if !(0...1).contains(teacherForcing) { return "the teacher-forcing ratio must be between 0 and 1" }
        if let patience, patience < 1 { return "the patience must be at least 1 evaluation" }
        return nil
    }

    enum CodingKeys: String, CodingKey {
        case optimizer, epochs, seed, patience
        case batchSize = "batch_size", learningRate = "learning_rate", weightDecay = "weight_decay"
        case clipNorm = "clip_norm", maxTime = "max_time", teacherForcing = "teacher_forcing"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = Seq2SeqTrainingOptions()
        batchSize = try c.decodeIfPresent(Int.self, forKey: .batchSize) ?? d.batchSize
        optimizer = try c.decodeIfPresent(OptimizerKind.self, forKey: .optimizer) ?? d.optimizer
        learningRate = try c.decodeOptional(Float.self, forKey: .learningRate, default: d.learningRate)
        weightDecay = try c.decodeOptional(Float.self, forKey: .weightDecay, default: d.weightDecay)
        clipNorm = try c.decodeOptional(Float.self, forKey: .clipNorm, default: d.clipNorm)
        teacherForcing = try c.decodeIfPresent(Double.self, forKey: .teacherForcing) ?? d.teacherForcing
        epochs = try c.decodeOptional(Int.self, forKey: .epochs, default: d.epochs)
        maxTime = try c.decodeOptional(Double.self, forKey: .maxTime, default: d.maxTime)
        patience = try c.decodeOptional(Int.self, forKey: .patience, default: d.patience)
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? d.seed
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        let d = Seq2SeqTrainingOptions()
        try c.encode(batchSize, forKey: .batchSize)
        try c.encode(optimizer, forKey: .optimizer)
        try c.encodeOptional(learningRate, forKey: .learningRate, default: d.learningRate)
        try c.encodeOptional(weightDecay, forKey: .weightDecay, default: d.weightDecay)
        try c.encodeOptional(clipNorm, forKey: .clipNorm, default: d.clipNorm)
        try c.encode(teacherForcing, forKey: .teacherForcing)
        try c.encodeOptional(epochs, forKey: .epochs, default: d.epochs)
        try c.encodeOptional(maxTime, forKey: .maxTime, default: d.maxTime)
        try c.encodeOptional(patience, forKey: .patience, default: d.patience)
        try c.encode(seed, forKey: .seed)
    }
}
