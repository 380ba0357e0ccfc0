import Foundation
import Hummingbird
import RNNKit

/// `POST /v1/models/{name}:explain`: the texts and settings of one request, read and checked.
struct ExplanationRequest: Sendable {
    var texts: [String]
    /// The hidden units to follow (as `rnn explain --unit`), or nil for the ones chosen by the library.
    var units: [Int]?
    /// A classifier's token bound (`rnn explain --max-tokens`), at most the server's.
    var maxTokens: Int

    static let fields = ["instances", "units", "max_tokens"]
    static let expected = "send JSON of the form {\"instances\": [\"text\", …], \"units\": [0, 5], \"max_tokens\": 200} "
        + "(units and max_tokens optional)."

    init(_ object: [String: Any], model: Explainer, responder: ServeResponder) throws {
        if let unknown = object.keys.sorted().first(where: { !Self.fields.contains($0) }) {
            if model.isTranslation {
                throw ServeError(.badRequest, "unknown field \(jsonQuote(unknown)); a translation model's :explain takes "
                    + "{\"instances\": [\"text\", …]} and decodes greedily (ask :translate for beam search).")
            }
            throw ServeError(.badRequest, "unknown field \(jsonQuote(unknown)); \(Self.expected)")
        }
        texts = try responder.instances(in: object, expected: Self.expected)
        if let value = object["units"], !(value is NSNull) {
            guard let array = value as? [Any], !array.isEmpty else {
                throw ServeError(.badRequest, "\"units\" must be a non-empty array of unit numbers; \(Self.expected)")
            }
            let units = try array.enumerated().map { k, item in
                guard let unit = try JSONField.integer(item, "unit \(k + 1) of \"units\"", expected: Self.expected), unit >= 0 else {
                    throw ServeError(.badRequest, "unit \(k + 1) of \"units\" must be a whole number, 0 or more; \(Self.expected)")
                }
                return unit
            }
            if let problem = model.unitProblem(units) { throw ServeError(.badRequest, "\"units\": \(problem)") }
            self.units = units
        }
        let limit = responder.limits.maxExplainTokens
        maxTokens = limit
        if let bound = try JSONField.integer(object["max_tokens"], "\"max_tokens\"", expected: Self.expected) {
            guard case .classifier = model else {
                throw ServeError(.badRequest, "\"max_tokens\" bounds a classifier's explanation; "
                    + (model.isTranslation ? "a translation model's explanation is its translation's attention"
                                           : "a language model's reads any text up to the server's --max-text-bytes")
                    + ": leave it out.")
            }
            guard (1...limit).contains(bound) else {
                throw ServeError(.badRequest, "\"max_tokens\" must be between 1 and \(limit) (the server's --max-explain-tokens); "
                    + "got \(bound).")
            }
            maxTokens = bound
        }
    }
}

extension ServeResponder {
    /// `{"instances": [...]}` → `{"explanations": [...]}`, each exactly the object `rnn explain
    /// --json` prints for the text (the same encoder, written into the answer as it is). As with
    /// :predict, one text that cannot be explained fails the whole request, naming the instance.
    func explain(_ request: Request, _ served: ServedModel) async throws -> Response {
        let object = try await jsonObject(of: request, expected: ExplanationRequest.expected)
        switch served {
        case .classifier(let pool):
            // Checked against the first copy (every copy has the same units), before waiting for one.
            let settings = try ExplanationRequest(object, model: .classifier(pool.model), responder: self)
            return try await pool.compute { try explain(settings, with: .classifier($0)) }
        case .languageModel(let pool):
            let settings = try ExplanationRequest(object, model: .languageModel(pool.model), responder: self)
            return try await pool.compute { try explain(settings, with: .languageModel($0)) }
        case .bagOfNgrams:
            throw ServeError(.badRequest, "a bag-of-n-grams classifier reads no sequence, so there is no reading to explain; "
                + "ask it with :predict.")
        case .wideAndDeep:
            throw ServeError(.badRequest, "explanations of a wide-and-deep classifier are not implemented yet (its n-gram part "
                + "has no per-token reading); ask it with :predict.")
        case .translation(let pool):
            let settings = try ExplanationRequest(object, model: .translation(pool.model), responder: self)
            try TranslationRequest.checkWork(settings.texts, options: TranslationOptions(), tokenizer: pool.model.tokenizer,
                                             limit: limits.maxTranslationSteps)
            return try await pool.compute { try explain(settings, with: .translation($0)) }
        }
    }

    private func explain(_ settings: ExplanationRequest, with model: Explainer) throws -> Response {
        let explained = try settings.texts.enumerated().map { k, text in
            do {
                return try model.explain(text, units: settings.units, maxTokens: settings.maxTokens,
                                         decoding: TranslationOptions()).json()
            } catch ExplanationError.tooManyTokens(let count, let limit) {
                let raise = limit < limits.maxExplainTokens
                    ? "send a shorter text or a larger \"max_tokens\" (up to \(limits.maxExplainTokens), the server's --max-explain-tokens)"
                    : "send a shorter text (the server's --max-explain-tokens sets the bound)"
                throw ServeError(.badRequest, "instance \(k + 1) has \(count) tokens, more than \(limit): an explanation runs the "
                    + "model once per token over the whole text, so the work grows with the square of its length; \(raise).")
            } catch let error as ExplanationError {
                if case .notANumber = error { throw Self.failed(k, error, status: .internalServerError) }
                throw Self.failed(k, error, status: .badRequest)
            } catch let error as TextClassifier.PredictionError {
                if case .notANumber = error { throw Self.failed(k, error, status: .internalServerError) }
                throw Self.failed(k, error, status: .badRequest)
            } catch let error as CommandError {
                // A translation model's: an empty text (the client's), or numbers that overflowed (ours).
                let status: HTTPResponse.Status = error.description == nonFiniteTranslation ? .internalServerError : .badRequest
                throw Self.failed(k, error, status: status)
            }
        }
        return Self.json(text: "{\"explanations\":[" + explained.joined(separator: ",") + "]}")
    }

    /// Instance `k` (from 0) could not be explained: numbers that overflowed are the server's
    /// fault (500), anything else the text's (400).
    private static func failed(_ k: Int, _ error: some CustomStringConvertible, status: HTTPResponse.Status) -> ServeError {
        ServeError(status, "instance \(k + 1): \(error.description)")
    }
}
