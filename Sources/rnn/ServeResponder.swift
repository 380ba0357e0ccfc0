import Foundation
import Hummingbird
import RNNKit

/// How much one request may ask of `rnn serve`.
struct ServeLimits: Sendable {
    var maxBodyBytes: Int
    var maxInstances: Int
    var maxTextBytes: Int
    var maxGenerateLength: Int
    var maxExplainTokens: Int
    var maxTranslationSteps: Int
}

/// The routes of `rnn serve`, in TF Serving's REST form.
///
/// Routed by hand rather than with Hummingbird's router: the model segment is `{name}:predict`
/// (a colon inside one segment), and a known path asked with the wrong method must answer 405
/// with `Allow`, not the router's 404. Every error is JSON, `{"error": "…"}`.
struct ServeResponder: HTTPResponder {
    typealias Context = BasicRequestContext

    let models: [String: ServedModel]
    let limits: ServeLimits
    let metrics: ServeMetrics
    /// Each classifier's labels as its answers write them.
    private let answerLabels: [String: PredictionsJSON.Labels]

    init(models: [String: ServedModel], limits: ServeLimits, metrics: ServeMetrics) {
        self.models = models
        self.limits = limits
        self.metrics = metrics
        answerLabels = models.compactMapValues { model in
            switch model {
            case .classifier(let pool): return PredictionsJSON.Labels(pool.model.labels)
            case .bagOfNgrams(let pool): return PredictionsJSON.Labels(pool.model.labels)
            case .wideAndDeep(let pool): return PredictionsJSON.Labels(pool.model.labels)
            default: return nil
            }
        }
    }

    func respond(to request: Request, context: Context) async throws -> Response {
        let start = ContinuousClock.now
        let response: Response
        do {
            response = try await route(request)
        } catch let error as ServeError {
            response = Self.json(["error": error.message], status: error.status, headers: error.headers)
        }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        metrics.record(route: ServeMetrics.route(of: request.uri.path), status: response.status.code, seconds: seconds)
        return response
    }

    private func route(_ request: Request) async throws -> Response {
        let path = request.uri.path
        if path == "/healthz" {
            try Self.allow([.get], request)
            return Self.json(["status": "ok"])
        }
        if path == "/metrics" {
            try Self.allow([.get], request)
            return Self.body(metrics.text(), contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
        if path == "/" || path == "/index.html" {
            try Self.allow([.get], request)
            return Self.body(ServePage.html, contentType: "text/html; charset=utf-8")
        }
        if path == "/v1/models" || path == "/v1/models/" {
            try Self.allow([.get], request)
            return Self.json(["models": models.keys.sorted().map { describe($0) }])
        }
        let prefix = "/v1/models/"
        guard path.hasPrefix(prefix), !path.dropFirst(prefix.count).contains(Character("/")) else {
            throw ServeError(.notFound, "no route \(path); the routes are GET / (a web page), GET /healthz, GET /metrics, "
                + "GET /v1/models, GET /v1/models/{name}, POST /v1/models/{name}:predict, "
                + "POST /v1/models/{name}:explain, POST /v1/models/{name}:generate and POST /v1/models/{name}:translate.")
        }
        let segment = path.dropFirst(prefix.count)
        let name: String, verb: String?
        if let colon = segment.firstIndex(of: ":") {
            name = String(segment[..<colon])
            verb = String(segment[segment.index(after: colon)...])
        } else {
            name = String(segment)
            verb = nil
        }
        guard let model = models[name] else {
            throw ServeError(.notFound, "no model named \(jsonQuote(name)); this server has "
                + models.keys.sorted().map(jsonQuote).joined(separator: ", ") + ".")
        }
        switch verb {
        case nil:
            try Self.allow([.get], request)
            return Self.json(describe(name))
        case "predict":
            try Self.allow([.post], request)
            switch model {
            case .classifier(let pool): return try await predict(request, name, pool)
            case .bagOfNgrams(let pool): return try await predict(request, name, pool)
            case .wideAndDeep(let pool): return try await predict(request, name, pool)
            default: throw Self.wrongAction(name, model)
            }
        case "generate":
            try Self.allow([.post], request)
            guard case .languageModel(let pool) = model else { throw Self.wrongAction(name, model) }
            return try await generate(request, pool)
        case "translate":
            try Self.allow([.post], request)
            guard case .translation(let pool) = model else { throw Self.wrongAction(name, model) }
            return try await translate(request, name, pool)
        case "explain":
            try Self.allow([.post], request)
            return try await explain(request, model)
        case let verb?:
            throw ServeError(.notFound, "no action :\(verb) for models; this server answers :predict, :explain, :generate "
                + "and :translate.")
        }
    }

    /// An action asked of a model of another kind: which kind it is, and what to ask it.
    private static func wrongAction(_ name: String, _ model: ServedModel) -> ServeError {
        switch model {
        case .classifier, .bagOfNgrams, .wideAndDeep: return ServeError(.badRequest, "\(jsonQuote(name)) is a classifier: ask it with :predict.")
        case .languageModel: return ServeError(.badRequest, "\(jsonQuote(name)) is a language model: ask it with :generate.")
        case .translation: return ServeError(.badRequest, "\(jsonQuote(name)) is a translation model: ask it with :translate.")
        }
    }

    /// `{"instances": ["text", …]}` → `{"predictions": [{"label", "probabilities"}, …]}`. A text
    /// with no known word fails the whole request (400, naming the instance), as TF Serving fails
    /// a batch with one bad instance: a client then never has to match partial answers to texts.
    private func predict<Model: TextClassifying>(_ request: Request, _ name: String, _ pool: ModelPool<Model>) async throws -> Response {
        let expected = "send JSON of the form {\"instances\": [\"text\", …]}."
        let object = try await jsonObject(of: request, expected: expected)
        let texts = try instances(in: object, expected: expected)
        // As :translate, :explain and :generate: a misspelt or misplaced setting is told, not ignored.
        if let unknown = object.keys.sorted().first(where: { $0 != "instances" }) {
            throw ServeError(.badRequest, "unknown field \(jsonQuote(unknown)); a classifier's :predict takes only \"instances\": \(expected)")
        }
        // Short requests run where they are, on the cooperative pool: handing them to another
        // thread costs more than their work (a third of the throughput of one-text requests).
        // Longer ones go to their copy's own thread, so that they cannot hold every thread of that
        // pool and leave the other requests unanswered meanwhile.
        let heavy = texts.reduce(0) { $0 + $1.utf8.count } > Self.inlinePredictionBytes
        let work: @Sendable (Model) throws -> ByteBuffer = { classifier in
            var answer = PredictionsJSON(answerLabels[name] ?? PredictionsJSON.Labels(classifier.labels), expected: texts.count)
            for (k, text) in texts.enumerated() {
                let p: TextClassifier.Prediction
                do {
                    p = try classifier.predict(text)
                } catch let error as TextClassifier.PredictionError {
                    switch error {
                    case .noKnownWords:
                        throw ServeError(.badRequest, "instance \(k + 1): \(error.description)")
                    case .notANumber:
                        throw ServeError(.internalServerError, "instance \(k + 1): \(error.description)")
                    }
                }
                try answer.append(label: classifier.labels.firstIndex(of: p.label) ?? -1, probabilities: p.probabilities)
            }
            return answer.finish()
        }
        let body = heavy ? try await pool.compute(work) : try await pool.withModel { try work($0) }
        metrics.recordPredictions(model: name, count: texts.count)
        return Self.body(body)
    }

    /// The most text bytes a :predict request may hold to be answered on the cooperative pool
    /// (about a millisecond of work; more goes to the model copy's own thread).
    static let inlinePredictionBytes = 4096

    /// The request body as a JSON object, or why not.
    func jsonObject(of request: Request, expected: String) async throws -> [String: Any] {
        let tooLarge = ServeError(.contentTooLarge, "the request body is over \(limits.maxBodyBytes) bytes, "
            + "the limit; send fewer texts per request (or start the server with a larger --max-body-bytes).")
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limits.maxBodyBytes {
            throw tooLarge
        }
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: limits.maxBodyBytes)
        } catch let error as HTTPResponseError where error.status == .contentTooLarge {
            throw tooLarge
        }
        let bytes = Array(body.readableBytesView)
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw ServeError(.badRequest, "the request body is not UTF-8 text; send JSON in UTF-8.")
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]) else {
            throw ServeError(.badRequest, "the request body is not valid JSON; \(expected)")
        }
        guard let dictionary = object as? [String: Any] else {
            throw ServeError(.badRequest, "the request body is not a JSON object; \(expected)")
        }
        return dictionary
    }

    /// The texts of a request's `{"instances": [...]}`, or why not; `expected` says the form the
    /// route wants.
    func instances(in dictionary: [String: Any], expected: String) throws -> [String] {
        guard let value = dictionary["instances"] else {
            throw ServeError(.badRequest, "the request has no \"instances\"; \(expected)")
        }
        guard let array = value as? [Any] else {
            throw ServeError(.badRequest, "\"instances\" must be an array of texts; \(expected)")
        }
        guard !array.isEmpty else { throw ServeError(.badRequest, "\"instances\" is empty; give at least one text.") }
        guard array.count <= limits.maxInstances else {
            throw ServeError(.badRequest, "\"instances\" has \(array.count) texts; the limit is \(limits.maxInstances) "
                + "per request: split it into several requests.")
        }
        return try array.enumerated().map { k, item in
            // JSONSerialization reads true/false as NSNumber: only a real string is a text.
            guard let text = item as? String, !(item is NSNumber) else {
                throw ServeError(.badRequest, "instance \(k + 1) is not a string; \(expected)")
            }
            guard text.utf8.count <= limits.maxTextBytes else {
                throw ServeError(.contentTooLarge, "instance \(k + 1) is longer than \(limits.maxTextBytes) bytes, "
                    + "the limit per text (the server's --max-text-bytes).")
            }
            return text
        }
    }

    /// What `GET /v1/models/{name}` says of a model.
    private func describe(_ name: String) -> [String: Any] {
        func object(_ value: some Encodable) -> Any {
            guard let data = try? JSONEncoder().encode(value), let object = try? JSONSerialization.jsonObject(with: data) else {
                return [String: Any]()
            }
            return object
        }
        switch models[name]! {
        case .classifier(let pool):
            let model = pool.model
            return ["name": name, "task": "classify", "labels": model.labels, "vocabulary_size": model.vocabulary.count,
                    "tokenizer": model.tokenizer.description, "configuration": object(model.configuration)]
        case .languageModel(let pool):
            let model = pool.model
            return ["name": name, "task": "language_model", "level": model.level.rawValue,
                    "vocabulary_size": model.vocabulary.count, "configuration": object(model.configuration)]
        case .bagOfNgrams(let pool):
            let model = pool.model
            return ["name": name, "task": "bag_of_ngrams", "labels": model.labels, "vocabulary_size": model.ngrams.count,
                    "tokenizer": model.tokenizer.description, "configuration": object(model.configuration)]
        case .wideAndDeep(let pool):
            let model = pool.model
            return ["name": name, "task": "wide_and_deep", "labels": model.labels, "vocabulary_size": model.vocabulary.count,
                    "ngram_vocabulary_size": model.ngrams.count, "tokenizer": model.tokenizer.description,
                    "configuration": object(model.configuration)]
        case .translation(let pool):
            let model = pool.model
            return ["name": name, "task": "translation", "source_vocabulary_size": model.sourceVocabulary.count,
                    "target_vocabulary_size": model.targetVocabulary.count, "tokenizer": model.tokenizer.description,
                    "configuration": object(model.configuration)]
        }
    }

    private static func allow(_ methods: [HTTPRequest.Method], _ request: Request) throws {
        guard !methods.contains(request.method) else { return }
        let list = methods.map(\.rawValue).joined(separator: ", ")
        var headers = HTTPFields()
        headers[.allow] = list
        throw ServeError(.methodNotAllowed, "\(request.method.rawValue) is not allowed on \(request.uri.path); use \(list).",
                         headers: headers)
    }

    static func json(_ object: Any, status: HTTPResponse.Status = .ok, headers: HTTPFields = HTTPFields()) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data("{\"error\": \"the answer could not be written as JSON.\"}".utf8)
        return json(text: String(decoding: data, as: UTF8.self), status: status, headers: headers)
    }

    /// JSON already written, as the answer's body (with a closing newline).
    static func json(text: String, status: HTTPResponse.Status = .ok, headers: HTTPFields = HTTPFields()) -> Response {
        body(text + "\n", contentType: "application/json; charset=utf-8", status: status, headers: headers)
    }

    static func body(_ text: String, contentType: String, status: HTTPResponse.Status = .ok,
                     headers: HTTPFields = HTTPFields()) -> Response {
        body(ByteBuffer(string: text), contentType: contentType, status: status, headers: headers)
    }

    /// An answer whose body is already written as bytes (:predict's, by `PredictionsJSON`).
    static func body(_ bytes: ByteBuffer, contentType: String = "application/json; charset=utf-8",
                     status: HTTPResponse.Status = .ok, headers: HTTPFields = HTTPFields()) -> Response {
        var headers = headers
        headers[.contentType] = contentType
        return Response(status: status, headers: headers, body: .init(byteBuffer: bytes))
    }
}

/// A request refused: its status and the message the client reads.
struct ServeError: Error {
    var status: HTTPResponse.Status
    var message: String
    var headers = HTTPFields()

    init(_ status: HTTPResponse.Status, _ message: String, headers: HTTPFields = HTTPFields()) {
        self.status = status
        self.message = message
        self.headers = headers
    }
}
