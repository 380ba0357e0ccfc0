import Foundation

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
    /// - Throws: `GenerationError.notANumber` when the model's scores are not finite numbers
    ///   (finite weights whose products overflow on this text): no token can be drawn from them.
    public func nextToken() throws -> (id: Int, text: String) {
        let logits = languageModel.model.advance([input], state: &state)
        guard logits.allSatisfy(\.isFinite) else { throw GenerationError.notANumber(step: generated + 1) }
        let id = sampler.sample(logits, excluding: languageModel.vocabulary.unknownID)
        input = id
        generated += 1
        return (id, languageModel.vocabulary.tokens[id])
    }

    /// The next piece of text: the next token, with a space before it at the word level (except
    /// at the very start of an empty prompt), so the pieces concatenate into the output.
    public func next() throws -> String {
        let token = try nextToken().text
        let separator = pendingSeparator ? languageModel.level.separator : ""
        pendingSeparator = true
        return separator + token
    }
}

public enum GenerationError: Error, CustomStringConvertible, Equatable, Sendable {
    case invalidOptions(String)
    /// The model's scores for generated token `step` (1-based) were NaN or infinite.
    case notANumber(step: Int)

    public var description: String {
        switch self {
        case .invalidOptions(let problem): return "invalid generation options: \(problem)."
        case .notANumber(let step):
            return "the model's scores for token \(step) are not finite numbers (its weights overflow on this text), so generation stopped."
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
    /// `options.sampling.problem` first to tell why), and scores that are not finite numbers end
    /// it where they occur.
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
                    guard let piece = try? generator.next() else { break }
                    if case .terminated = continuation.yield(piece) { break }
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
