import Foundation
import Hummingbird
import RNNKit

/// `POST /v1/models/{name}:translate`: the texts and decoding settings of one request, read and
/// checked.
struct TranslationRequest: Sendable {
    var texts: [String]
    var options: TranslationOptions

    static let fields = ["instances", "beam", "max_length", "length_penalty", "attention", "shortlist", "precision"]
    static let expected = "send JSON of the form {\"instances\": [\"text\", …], \"beam\": 5, \"max_length\": 50, "
        + "\"length_penalty\": 1, \"attention\": false, \"shortlist\": true, \"precision\": \"float\"} (all but instances optional)."
    /// The widest beam a request may ask for: a step's work grows with it.
    static let maxBeam = 16

    init(_ object: [String: Any], responder: ServeResponder) throws {
        if let unknown = object.keys.sorted().first(where: { !Self.fields.contains($0) }) {
            throw ServeError(.badRequest, "unknown field \(jsonQuote(unknown)); \(Self.expected)")
        }
        texts = try responder.instances(in: object, expected: Self.expected)
        options = TranslationOptions(includeAttention: false)
        if let beam = try JSONField.integer(object["beam"], "\"beam\"", expected: Self.expected) {
            guard (1...Self.maxBeam).contains(beam) else {
                throw ServeError(.badRequest, "\"beam\" must be between 1 (greedy) and \(Self.maxBeam); got \(beam).")
            }
            options.beam = beam
        }
        if let length = try JSONField.integer(object["max_length"], "\"max_length\"", expected: Self.expected) {
            guard (1...10_000).contains(length) else {
                throw ServeError(.badRequest, "\"max_length\" must be between 1 and 10000; got \(length).")
            }
            options.maxLength = length
        }
        if let penalty = try JSONField.number(object["length_penalty"], "\"length_penalty\"", expected: Self.expected) {
            guard (0...10).contains(penalty) else {
                throw ServeError(.badRequest, "\"length_penalty\" must be between 0 and 10; got \(penalty).")
            }
            options.lengthPenalty = penalty
        }
        for (field, keyPath) in [("attention", \TranslationOptions.includeAttention), ("shortlist", \.shortlist)] {
            guard let value = object[field], !(value is NSNull) else { continue }
            guard let flag = value as? NSNumber, String(cString: flag.objCType) == "c" else {
                throw ServeError(.badRequest, "\"\(field)\" must be true or false; \(Self.expected)")
            }
            options[keyPath: keyPath] = flag.boolValue
        }
        if let value = object["precision"], !(value is NSNull) {
            guard let name = value as? String, let precision = WeightPrecision(rawValue: name) else {
                throw ServeError(.badRequest, "\"precision\" must be \"float\", \"bfloat16\" or \"int8\"; \(Self.expected)")
            }
            options.precision = precision
        }
        if let problem = options.problem { throw ServeError(.badRequest, problem) }
    }

    /// Refuses a request whose decoding work — over its texts, the source's tokens plus beam ×
    /// max_length — passes the server's --max-translation-steps: one request must not hold a
    /// model copy for minutes.
    static func checkWork(_ texts: [String], options: TranslationOptions, tokenizer: Tokenizer, limit: Int) throws {
        var work = 0
        for text in texts {
            work += tokenizer.tokens(text).count + 2 + options.beam * options.maxLength
            guard work <= limit else {
                throw ServeError(.badRequest, "the request asks for more decoding work than the server allows: over its texts, "
                    + "source words plus beam × max_length come to more than \(limit) (the server's --max-translation-steps); "
                    + "send fewer or shorter texts, or a smaller beam or max_length.")
            }
        }
    }
}

extension ServeResponder {
    /// `{"instances": [...]}` → `{"translations": [...]}`, each exactly the object `rnn translate
    /// --json` prints for the text (its attention empty unless asked for). An empty text has an
    /// empty translation. As with :predict, a text that cannot be translated fails the whole
    /// request, naming the instance.
    func translate(_ request: Request, _ name: String, _ pool: ModelPool<Seq2SeqModel>) async throws -> Response {
        let settings = try TranslationRequest(try await jsonObject(of: request, expected: TranslationRequest.expected),
                                              responder: self)
        try TranslationRequest.checkWork(settings.texts, options: settings.options, tokenizer: pool.model.tokenizer,
                                         limit: limits.maxTranslationSteps)
        // Always on the copy's own thread: one sentence is milliseconds of work, not microseconds.
        let lines = try await pool.compute { model in
            try settings.texts.enumerated().map { k, text in
                let sentence = text.trimmingCharacters(in: .whitespacesAndNewlines)
                guard !sentence.isEmpty else { return TranslationJSON.line(source: text, nil) }
                let t = model.translate(sentence, options: settings.options)
                guard t.isFinite else { throw ServeError(.internalServerError, "instance \(k + 1): \(nonFiniteTranslation)") }
                return TranslationJSON.line(source: text, t)
            }
        }
        metrics.recordTranslations(model: name, count: settings.texts.count)
        return Self.json(text: "{\"translations\":[" + lines.joined(separator: ",") + "]}")
    }
}
