/// How the next token is drawn from a language model's logits y (V of them).
///
///     τ = 0:  w = argmax_k y_k                                   (greedy; ties → lowest id)
///     τ > 0:  p_k ∝ exp((y_k − max y)/τ)                          (in Double)
///             top-k:  keep the k most probable tokens
///             top-p:  of those, keep the smallest most-probable-first prefix whose mass,
///                     renormalized, is ≥ p (nucleus sampling; at least one token)
///             w ~ p restricted to the kept tokens, renormalized
///
/// Lower τ sharpens the distribution towards greedy decoding, higher flattens it.
public struct SamplingOptions: Sendable, Equatable {
    public var temperature: Double
    /// Keep only the k most probable tokens; nil for all.
    public var topK: Int?
    /// Keep the smallest set of most probable tokens whose probability mass is ≥ p; nil for all.
    public var topP: Double?

    public init(temperature: Double = 1, topK: Int? = nil, topP: Double? = nil) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
    }

    /// Why these options cannot sample, or nil when they can.
    public var problem: String? {
        if !(temperature.isFinite && temperature >= 0) { return "the temperature must be 0 (greedy) or positive" }
        if let topK, topK < 1 { return "top-k must be at least 1" }
        if let topP, !(topP > 0 && topP <= 1) { return "top-p must be in (0, 1]" }
        return nil
    }
}
