import Foundation

/// Settings of a classifier training run; saved in the model file under `rnnkit.config`'s
/// `training`. The defaults are the tutorial's: one example at a time, plain SGD at 0.02,
/// gradients clipped element-wise to [−1, 1], a report every 100 epochs.
///
/// Decoding fills every missing key with the default declared here, and encoding writes `null`
/// for an optional whose default is not nil, so `decode(encode(x)) == x` for every `x`.
public struct TrainingOptions: Codable, Sendable, Equatable {
    public var epochs = 1000
    /// Examples per update. Each batch's gradient is that of its mean loss (PyTorch's).
    public var batchSize = 1
    public var optimizer: OptimizerKind = .sgd
    public var learningRate: Float = 0.02
    public var weightDecay: Float = 0
    /// Element-wise gradient clipping to [−clipValue, clipValue]; nil for none. Ignored when
    /// `clipNorm` is set.
    public var clipValue: Float? = 1
    /// Rescale all gradients when their global L2 norm exceeds this; nil for none.
    public var clipNorm: Float?
    /// Seeds the shuffles (the model's own seed makes its weights and dropout masks).
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

    /// The clipping in effect: the norm when given, else the value.
    var clipping: GradientClipping {
        if let clipNorm { return .norm(clipNorm) }
        if let clipValue { return .value(clipValue) }
        return .none
    }

    /// Why these options cannot train, or nil when they can.
    public var problem: String? {
        if epochs < 1 { return "epochs must be at least 1" }
        if batchSize < 1 { return "the batch size must be at least 1" }
        if !(learningRate.isFinite && learningRate > 0) { return "the learning rate must be positive" }
        if !(weightDecay.isFinite && weightDecay >= 0) { return "the weight decay must be 0 or positive" }
        if let c = clipValue, !(c.isFinite && c > 0) { return "the clipping value must be positive (nil turns it off)" }
        if let c = clipNorm, !(c.isFinite && c > 0) { return "the clipping norm must be positive (nil turns it off)" }
        if reportEvery < 1 { return "the report interval must be at least 1 epoch" }
        if let patience, patience < 1 { return "the patience must be at least 1 evaluation" }
        return nil
    }

    enum CodingKeys: String, CodingKey {
        case epochs, seed, optimizer, patience
        case batchSize = "batch_size", learningRate = "learning_rate", weightDecay = "weight_decay"
        case clipValue = "clip_value", clipNorm = "clip_norm", reportEvery = "report_every"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = TrainingOptions()
        epochs = try c.decodeIfPresent(Int.self, forKey: .epochs) ?? d.epochs
        batchSize = try c.decodeIfPresent(Int.self, forKey: .batchSize) ?? d.batchSize
        optimizer = try c.decodeIfPresent(OptimizerKind.self, forKey: .optimizer) ?? d.optimizer
        learningRate = try c.decodeIfPresent(Float.self, forKey: .learningRate) ?? d.learningRate
        weightDecay = try c.decodeIfPresent(Float.self, forKey: .weightDecay) ?? d.weightDecay
        clipValue = try c.decodeOptional(Float.self, forKey: .clipValue, default: d.clipValue)
        clipNorm = try c.decodeOptional(Float.self, forKey: .clipNorm, default: d.clipNorm)
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? d.seed
        reportEvery = try c.decodeIfPresent(Int.self, forKey: .reportEvery) ?? d.reportEvery
        patience = try c.decodeOptional(Int.self, forKey: .patience, default: d.patience)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(epochs, forKey: .epochs)
        try c.encode(batchSize, forKey: .batchSize)
        try c.encode(optimizer, forKey: .optimizer)
        try c.encode(learningRate, forKey: .learningRate)
        try c.encode(weightDecay, forKey: .weightDecay)
        try c.encodeOptional(clipValue, forKey: .clipValue, default: TrainingOptions().clipValue)
        try c.encodeIfPresent(clipNorm, forKey: .clipNorm)
        try c.encode(seed, forKey: .seed)
        try c.encode(reportEvery, forKey: .reportEvery)
        try c.encodeIfPresent(patience, forKey: .patience)
    }
}

extension KeyedDecodingContainer {
    /// An optional with a declared default: a missing key is the default, an explicit `null` is nil.
    func decodeOptional<T: Decodable>(_ type: T.Type, forKey key: Key, default value: T?) throws -> T? {
        guard contains(key) else { return value }
        return try decodeNil(forKey: key) ? nil : decode(T.self, forKey: key)
    }
}

extension KeyedEncodingContainer {
    /// Writes `value`; nil is written as `null` when the default is not nil (so that it does not
    /// decode as the default), and left out otherwise.
    mutating func encodeOptional<T: Encodable>(_ value: T?, forKey key: Key, default: T?) throws {
        if value == nil && `default` == nil { return }
        try encode(value, forKey: key)
    }
}
