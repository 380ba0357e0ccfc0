import Foundation
import Hummingbird
import RNNKit

/// `POST /v1/models/{name}:generate`: the settings of one generation, read from the request.
struct GenerationRequest {
    var prompt = ""
    var options = GenerationOptions()

    static let fields = ["prompt", "length", "temperature", "top_k", "top_p", "seed"]
    static let expected = "send JSON of the form {\"prompt\": \"text\", \"length\": 200, \"temperature\": 1, "
        + "\"top_k\": 40, \"top_p\": 0.9, \"seed\": 1} (every field optional)."

    /// Reads and checks `object`; every refusal is a 400 (a prompt over the text limit, 413).
    init(_ object: [String: Any], limits: ServeLimits) throws {
        if let unknown = object.keys.sorted().first(where: { !Self.fields.contains($0) }) {
            throw ServeError(.badRequest, "unknown field \(jsonQuote(unknown)); \(Self.expected)")
        }
        if let value = object["prompt"] {
            guard let text = value as? String, !(value is NSNumber) else {
                throw ServeError(.badRequest, "\"prompt\" must be a string; \(Self.expected)")
            }
            guard text.utf8.count <= limits.maxTextBytes else {
                throw ServeError(.contentTooLarge, "\"prompt\" is longer than \(limits.maxTextBytes) bytes, "
                    + "the limit per text (the server's --max-text-bytes).")
            }
            prompt = text
        }
        if let length = try Self.integer(object, "length") {
            guard (0...limits.maxGenerateLength).contains(length) else {
                throw ServeError(.badRequest, "\"length\" must be between 0 and \(limits.maxGenerateLength) "
                    + "(the server's --max-generate-length); got \(length).")
            }
            options.length = length
        }
        if let temperature = try Self.number(object, "temperature") { options.sampling.temperature = temperature }
        options.sampling.topK = try Self.integer(object, "top_k")
        options.sampling.topP = try Self.number(object, "top_p")
        if let seed = try Self.integer(object, "seed") {
            guard seed >= 0 else { throw ServeError(.badRequest, "\"seed\" must be 0 or more; got \(seed).") }
            options.seed = UInt64(seed)
        }
        if let problem = options.sampling.problem { throw ServeError(.badRequest, "\(problem); \(Self.expected)") }
    }

    private static func number(_ object: [String: Any], _ key: String) throws -> Double? {
        try JSONField.number(object[key], jsonQuote(key), expected: expected)
    }

    private static func integer(_ object: [String: Any], _ key: String) throws -> Int? {
        try JSONField.integer(object[key], jsonQuote(key), expected: expected)
    }
}

extension ServeResponder {
    /// Streams the generated text as server-sent events: `data: {"text": "…"}` per piece (the
    /// pieces concatenate to the text after the prompt), then `event: done` with the token count
    /// and the prompt's unknown tokens. Settings are checked before the stream starts, so a bad
    /// request is still a JSON 400; a failure mid-stream (scores that are not numbers) ends it with
    /// `event: error`.
    func generate(_ request: Request, _ pool: ModelPool<TextLanguageModel>) async throws -> Response {
        let settings = try GenerationRequest(try await jsonObject(of: request, expected: GenerationRequest.expected),
                                             limits: limits)
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream; charset=utf-8"
        headers[.cacheControl] = "no-cache"
        let body = ResponseBody { writer in
            try await pool.withModel { model in
                var generated = 0
                do {
                    let generator = try TextGenerator(model: model, prompt: settings.prompt,
                                                      sampling: settings.options.sampling, seed: settings.options.seed)
                    for _ in 0..<settings.options.length {
                        let piece = try generator.next()
                        generated += 1
                        try await writer.write(ByteBuffer(string: "data: {\"text\": \(jsonQuote(piece))}\n\n"))
                    }
                    let unknown = generator.unknownPromptTokens.map(jsonQuote).joined(separator: ", ")
                    try await writer.write(ByteBuffer(
                        string: "event: done\ndata: {\"tokens\": \(generated), \"unknown_prompt_tokens\": [\(unknown)]}\n\n"))
                } catch let error as GenerationError {
                    try await writer.write(ByteBuffer(string: "event: error\ndata: {\"error\": \(jsonQuote(error.description))}\n\n"))
                }
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }
}
