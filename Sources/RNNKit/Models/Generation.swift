import Foundation

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

/// Draws token ids from logits with temperature, top-k and top-p (see `SamplingOptions`), from
/// a seeded generator: the same seed and logits give the same draws on every platform.
/// Reuses its work arrays, so drawing allocates nothing once they have grown to V.
public struct TokenSampler: Sendable {
    public let options: SamplingOptions
    public var rng: SeededGenerator
    private var probabilities: [Double] = []
    private var order: [Int] = []

    /// `options` must be usable (`options.problem == nil`); `TextGenerator` checks and throws instead.
    public init(options: SamplingOptions, seed: UInt64) {
        precondition(options.problem == nil, options.problem ?? "")
        self.options = options
        rng = SeededGenerator(seed: seed)
    }

    public mutating func sample(_ logits: [Float], excluding excluded: Int? = nil) -> Int {
        logits.withUnsafeBufferPointer { sample($0, excluding: excluded) }
    }

    /// One draw. `excluded` (e.g. `<unk>`) is never drawn unless it is the only token.
    public mutating func sample(_ logits: UnsafeBufferPointer<Float>, excluding excluded: Int? = nil) -> Int {
        let V = logits.count
        precondition(V > 0, "no logits to sample from")
        func allowed(_ k: Int) -> Bool { k != excluded || V == 1 }
        // NaN logits (a diverged model) are treated as −∞ so they are never chosen.
        func value(_ k: Int) -> Double {
            let y = Double(logits[k])
            return allowed(k) && !y.isNaN ? y : -.infinity
        }
        var best = allowed(0) ? 0 : 1
        for k in 0..<V where value(k) > value(best) { best = k }
        let top = value(best)
        if options.temperature == 0 || options.topK == 1 || top == .infinity || top == -.infinity { return best }

        // Work arrays moved out of self for the duration, so the sort's comparator can read one
        // while the other is being sorted, without copying either.
        var probabilities = self.probabilities, order = self.order
        self.probabilities = []
        self.order = []
        defer {
            self.probabilities = probabilities
            self.order = order
        }
        if probabilities.count < V { probabilities = [Double](repeating: 0, count: V) }
        let inverseTemperature = 1 / options.temperature
        var total = 0.0
        for k in 0..<V {
            let p = exp((value(k) - top) * inverseTemperature)
            probabilities[k] = p
            total += p
        }

        var kept = V
        let filtering = options.topK.map { $0 < V } ?? false || options.topP.map { $0 < 1 } ?? false
        if filtering {
            // Most probable first; ties by id, so the kept set is well defined.
            if order.count != V { order = Array(0..<V) } else { for k in 0..<V { order[k] = k } }
            order.sort { (probabilities[$0], $1) > (probabilities[$1], $0) }
            if let k = options.topK, k < V {
                kept = k
                total = 0
                for i in 0..<kept { total += probabilities[order[i]] }
            }
            if let p = options.topP, p < 1 {
                let threshold = p * total
                var mass = 0.0, n = 0
                while n < kept {
                    mass += probabilities[order[n]]
                    n += 1
                    if mass >= threshold { break }
                }
                kept = max(n, 1)
                total = mass
            }
        }

        let u = rng.nextUniform() * total
        var acc = 0.0
        var chosen = best
        for i in 0..<kept {
            let k = filtering ? order[i] : i
            let p = probabilities[k]
            if p == 0 { continue }
            acc += p
            chosen = k
            if u < acc { break }
        }
        return chosen
    }
}

/// The recurrent state of one stream (B = 1): h, and c for LSTM, (L, H) each.
struct StreamState {
    var h: [Float]
    var c: [Float]?

    init(model: LanguageModel) {
        let n = model.rnn.numLayers * model.rnn.directions * model.rnn.hiddenSize
        h = [Float](repeating: 0, count: n)
        c = model.rnn.cell.hasCellState ? [Float](repeating: 0, count: n) : nil
    }
}

extension LanguageModel {
    /// Runs `tokens` (at least one) as one sequence from `state` without dropout, leaves the
    /// state after the last token in `state`, and returns the logits (V) for the token after it.
    /// The pointer is valid until the next forward.
    func advance(_ tokens: [Int], state: inout StreamState) -> UnsafeBufferPointer<Float> {
        let batch = PackedBatch([tokens])
        state.h.withUnsafeBufferPointer { h in
            if let c = state.c {
                c.withUnsafeBufferPointer { c in
                    _ = forward(batch, targets: nil, h0: h.baseAddress, c0: c.baseAddress, training: false)
                }
            } else {
                _ = forward(batch, targets: nil, h0: h.baseAddress, c0: nil, training: false)
            }
        }
        let n = state.h.count
        state.h.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: rnn.finalStates(batch), count: n) }
        if state.c != nil {
            state.c!.withUnsafeMutableBufferPointer {
                $0.baseAddress!.update(from: rnn.finalStates(batch, cellState: true), count: n)
            }
        }
        // B = 1, so the packed rows are the steps and the last row is the last step.
        return UnsafeBufferPointer(start: lastLogits + (batch.rowCount - 1) * vocabularySize, count: vocabularySize)
    }
}

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

/// Generates text one token at a time from a language model, carrying the recurrent state.
///
/// The state is warmed up on the prompt: all its tokens but the last run as one forward, and the
/// last one is the input of the first step. Each step then feeds the previous token (B = 1,
/// T = 1), turns the logits into a token with a `TokenSampler`, and keeps the new state. With an
/// empty prompt the first input is a newline (character level, when the vocabulary has it) or
/// the most frequent token, and it is not part of the output.
///
/// Uses the model's work buffers: do not use the same model for anything else meanwhile.
public final class TextGenerator {
    public let languageModel: TextLanguageModel
    /// Prompt tokens the vocabulary lacks; they were fed to the model as `<unk>`.
    public let unknownPromptTokens: [String]
    /// Tokens generated so far.
    public private(set) var generated = 0

    private var sampler: TokenSampler
    private var state: StreamState
    private var input: Int
    private var pendingSeparator: Bool

    /// - Throws: `GenerationError.invalidOptions` for unusable sampling settings.
    public init(model: TextLanguageModel, prompt: String, sampling: SamplingOptions, seed: UInt64) throws {
        if let problem = sampling.problem { throw GenerationError.invalidOptions(problem) }
        languageModel = model
        sampler = TokenSampler(options: sampling, seed: seed)
        state = StreamState(model: model.model)
        let encoding = model.encode(prompt)
        unknownPromptTokens = encoding.unknown
        var ids = encoding.ids
        if ids.isEmpty {
            let vocabulary = model.vocabulary
            let fallback = model.level == .char ? vocabulary.id(of: "\n") : nil
            // Vocabulary.build puts the most frequent token right after the specials.
            ids = [fallback ?? min(vocabulary.count - 1, (vocabulary.unknownID ?? -1) + 1)]
            pendingSeparator = false
        } else {
            // A prompt ending in a space already separates it from the first word.
            pendingSeparator = !(prompt.last?.isWhitespace ?? false)
        }
        if ids.count > 1 { _ = model.model.advance(Array(ids.dropLast()), state: &state) }
        input = ids[ids.count - 1]
    }

    /// The next token's id and text.
    public func nextToken() -> (id: Int, text: String) {
        let logits = languageModel.model.advance([input], state: &state)
        let id = sampler.sample(logits, excluding: languageModel.vocabulary.unknownID)
        input = id
        generated += 1
        return (id, languageModel.vocabulary.tokens[id])
    }

    /// The next piece of text: the next token, with a space before it at the word level (except
    /// at the very start of an empty prompt), so the pieces concatenate into the output.
    public func next() -> String {
        let token = nextToken().text
        let separator = pendingSeparator ? languageModel.level.separator : ""
        pendingSeparator = true
        return separator + token
    }
}

public enum GenerationError: Error, CustomStringConvertible, Equatable, Sendable {
    case invalidOptions(String)

    public var description: String {
        switch self {
        case .invalidOptions(let problem): return "invalid generation options: \(problem)."
        }
    }
}

extension TextLanguageModel {
    /// Generates `options.length` tokens after `prompt`, handing each piece of text to `onText`
    /// as soon as it is drawn (the pieces concatenate to the generated text; the prompt is not
    /// repeated). Returns the prompt tokens that were not in the vocabulary.
    @discardableResult
    public func generate(prompt: String, options: GenerationOptions, onText: (String) throws -> Void) throws -> [String] {
        let generator = try TextGenerator(model: self, prompt: prompt, sampling: options.sampling, seed: options.seed)
        for _ in 0..<max(options.length, 0) { try onText(generator.next()) }
        return generator.unknownPromptTokens
    }

    /// The generated text as a stream of pieces, produced on a background task. Stops early
    /// when the consumer stops iterating. Invalid options end the stream at once (check
    /// `options.sampling.problem` first to tell why).
    ///
    /// The model must not be used for anything else until the stream has finished.
    public func generate(prompt: String, options: GenerationOptions) -> AsyncStream<String> {
        AsyncStream { continuation in
            let task = Task.detached { [self] in
                guard let generator = try? TextGenerator(model: self, prompt: prompt, sampling: options.sampling,
                                                         seed: options.seed) else {
                    continuation.finish()
                    return
                }
                for _ in 0..<max(options.length, 0) {
                    if Task.isCancelled { break }
                    if case .terminated = continuation.yield(generator.next()) { break }
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
