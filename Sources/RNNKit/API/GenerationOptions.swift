/// Settings of a generation: how many tokens, how they are drawn, and the seed.
public struct GenerationOptions: Sendable, Equatable {
    /// Tokens to generate after the prompt (characters or words).
    public var length: Int
    public var sampling: SamplingOptions
    public var seed: UInt64

    public init(length: Int = 200, sampling: SamplingOptions = SamplingOptions(), seed: UInt64 = 1) {
        self.length = length
        self.sampling = sampling
        self.seed = seed
    }
}
