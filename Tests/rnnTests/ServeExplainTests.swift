import Foundation
import Testing

// `rnn serve`'s :explain route and its web page at `/` (the page's script runs in Chromium in
// scripts/check-page). Uses `Server`, `HTTPConnection`, `HostileRequest` and the shared server
// (classifier `m`, language model `lm`) of ServeTests.swift.

extension HostileRequest {
    /// A `POST /v1/models/{model}:explain` with `json`.
    static func explain(_ name: String, _ json: String, model: String = "m", status: Int = 400, _ message: String) -> HostileRequest {
        .init("explain: " + name, path: "/v1/models/\(model):explain", json: json, status: status, message: message)
    }

    static let explainCases: [HostileRequest] = [
        .explain("malformed JSON", "{\"instances\": [", "not valid JSON"),
        .explain("not an object", "[\"good\"]", "not a JSON object"),
        .explain("no instances", #"{"units": [0]}"#, "no \"instances\""),
        .explain("instances not an array", #"{"instances": "good"}"#, "\"instances\" must be an array"),
        .explain("a number instance", #"{"instances": ["good", 3]}"#, "instance 2 is not a string"),
        .explain("empty instances", #"{"instances": []}"#, "\"instances\" is empty"),
        .explain("too many instances", "{\"instances\": [" + Array(repeating: "\"good\"", count: 257).joined(separator: ",") + "]}",
                 "the limit is 256"),
        .explain("unknown field", #"{"instances": ["good"], "unit": [0]}"#, "unknown field \"unit\""),
        .explain("units not an array", #"{"instances": ["good"], "units": 3}"#, "\"units\" must be a non-empty array"),
        .explain("units empty", #"{"instances": ["good"], "units": []}"#, "\"units\" must be a non-empty array"),
        .explain("a negative unit", #"{"instances": ["good"], "units": [-1]}"#, "unit 1 of \"units\" must be a whole number, 0 or more"),
        .explain("a fractional unit", #"{"instances": ["good"], "units": [0, 1.5]}"#, "unit 2 of \"units\" must be a whole number; got 1.5"),
        .explain("a string unit", #"{"instances": ["good"], "units": ["3"]}"#, "unit 1 of \"units\" must be a number"),
        .explain("a unit the model lacks", #"{"instances": ["good"], "units": [9999]}"#,
                 "\"units\": unit 9999 does not exist: the model's top layer has units 0 to 63"),
        .explain("max_tokens 0", #"{"instances": ["good"], "max_tokens": 0}"#, "\"max_tokens\" must be between 1 and 1000"),
        .explain("max_tokens over the server's", #"{"instances": ["good"], "max_tokens": 1001}"#,
                 "\"max_tokens\" must be between 1 and 1000 (the server's --max-explain-tokens)"),
        .explain("max_tokens a boolean", #"{"instances": ["good"], "max_tokens": true}"#, "\"max_tokens\" must be a number"),
        .explain("a text over max_tokens", #"{"instances": ["good", "this is not good at all"], "max_tokens": 3}"#,
                 "instance 2 has 6 tokens, more than 3: an explanation runs the model once per token over the whole text, "
                 + "so the work grows with the square of its length; send a shorter text or a larger \"max_tokens\" (up to 1000"),
        .explain("a text over the server's token bound", "{\"instances\": [\"" + String(repeating: "good ", count: 1001) + "\"]}",
                 "instance 1 has 1001 tokens, more than 1000: an explanation runs the model once per token"),
        .explain("a text with no known word", #"{"instances": ["i am good", "zzz qqq"]}"#, "instance 2: no word of \"zzz qqq\""),
        .explain("a text over the text limit", "{\"instances\": [\"" + String(repeating: "good ", count: 20_001) + "\"]}",
                 status: 413, "longer than 100000 bytes"),
        .init("explain: body over the limit", path: "/v1/models/m:explain", json: "{\"instances\": [\""
              + String(repeating: "a", count: 1 << 20) + "\"]}", status: 413, message: "over 1048576 bytes"),
        .explain("unknown model", #"{"instances": ["good"]}"#, model: "nope", status: 404, "no model named \"nope\""),
        .init("explain: GET", "GET", "/v1/models/m:explain", status: 405, message: "use POST"),
        .explain("max_tokens for a language model", #"{"instances": ["the"], "max_tokens": 5}"#, model: "lm",
                 "\"max_tokens\" bounds a classifier's explanation"),
        .explain("an empty text for a language model", #"{"instances": [""]}"#, model: "lm", "instance 1: the text has no token to explain."),
        .explain("a unit the language model lacks", #"{"instances": ["the"], "units": [16]}"#, model: "lm",
                 "unit 16 does not exist: the model's top layer has units 0 to 15"),
        .init("POST on the page", "POST", "/", body: [], status: 405, message: "POST is not allowed on /; use GET."),
        .init("DELETE on index.html", "DELETE", "/index.html", status: 405, message: "use GET"),
        .init("an unknown route lists :explain and the page", "GET", "/index.htm", status: 404,
              message: "GET / (a web page), GET /healthz"),
    ]
}

@Suite("rnn serve: :explain and the page", .serialized)
struct ServeExplainTests {
    /// `rnn explain --json` for each text, one object a line.
    private static func printed(_ model: String, _ texts: [String], _ options: [String] = []) throws -> [String] {
        let run = try CLI.run(["explain", "--model", model, "--json"] + options + texts)
        try #require(run.exited && run.status == 0, "\(run)")
        return run.lines
    }

    @Test(":explain answers {\"explanations\": [...]} with exactly `rnn explain --json`'s objects, for both tasks")
    func sameAsTheCommand() throws {
        let server = try sharedServer.get()
        let c = try HTTPConnection(port: server.port)
        let classifier = try explainedModel(), lm = try sharedLanguageModel.get()
        let cases: [(route: String, json: String, model: String, texts: [String], options: [String])] = [
            ("m", #"{"instances": ["this is not good at all", "i am very good"]}"#, classifier,
             ["this is not good at all", "i am very good"], []),
            ("m", #"{"instances": ["this is not good at all"], "units": [0, 2], "max_tokens": 6}"#, classifier,
             ["this is not good at all"], ["--unit", "0", "--unit", "2", "--max-tokens", "6"]),
            ("lm", #"{"instances": ["the quick \"brown\" fox", "a (lazy) dog"]}"#, lm, ["the quick \"brown\" fox", "a (lazy) dog"], []),
            ("lm", #"{"instances": ["the fox"], "units": [3]}"#, lm, ["the fox"], ["--unit", "3"]),
        ]
        for k in cases {
            let answer = try c.ask("POST", "/v1/models/\(k.route):explain", json: k.json)
            #expect(answer.status == 200, "\(k.json): \(answer)")
            #expect(answer.headers["content-type"] == "application/json; charset=utf-8", "\(answer.headers)")
            let expected = "{\"explanations\":[" + (try Self.printed(k.model, k.texts, k.options)).joined(separator: ",") + "]}\n"
            #expect(answer.body == expected, "\(k.json): served\n\(answer.body)\nprinted\n\(expected)")
        }
        // What the page reads: the label, a token per word, the units asked for.
        let answer = try c.ask("POST", "/v1/models/m:explain", json: #"{"instances": ["this is not good at all"], "units": [1]}"#)
        let e = try #require((answer.json?["explanations"] as? [[String: Any]])?.first, "\(answer)")
        #expect(e["label"] as? String == "negative")
        #expect((e["tokens"] as? [[String: Any]])?.compactMap { $0["text"] as? String } == ["this", "is", "not", "good", "at", "all"])
        #expect((e["units"] as? [[String: Any]])?.map { $0["index"] as? Int } == [1], "\(e)")
    }

    @Test("hostile :explain requests get a JSON error with the right status; the server keeps serving",
          arguments: HostileRequest.explainCases)
    func hostile(_ request: HostileRequest) throws {
        try request.check(port: try sharedServer.get().port, then: "/v1/models/m:explain")
    }

    @Test("GET / and /index.html: one HTML page that fetches nothing from elsewhere")
    func page() throws {
        let server = try sharedServer.get()
        let c = try HTTPConnection(port: server.port)
        let page = try c.ask("GET", "/")
        #expect(page.status == 200, "\(page.status)")
        #expect(page.headers["content-type"] == "text/html; charset=utf-8", "\(page.headers)")
        #expect(page.body.hasPrefix("<!DOCTYPE html>"))
        #expect(try c.ask("GET", "/index.html").body == page.body)
        // Nothing external: every src and href is on this server (the page has none at all), no
        // stylesheet link, CSS import or url(), no web font.
        let external = #"(src|href|action)\s*=\s*["']?\s*(https?:|//)|<link|@import|url\(|@font-face"#
        #expect(page.body.range(of: external, options: [.regularExpression, .caseInsensitive]) == nil,
                "\(page.body.range(of: external, options: [.regularExpression, .caseInsensitive]).map { String(page.body[$0]) } ?? "")")
        // It asks this server's own routes, by path.
        for route in ["\"/v1/models\"", ":explain`", ":generate`"] {
            #expect(page.body.contains(route), "the page never asks \(route)")
        }
        // The colour scale's pins, evaluated by the library, are in the page for its script to check.
        #expect(page.body.contains("const SCALE_PINS = [[-1.0,220,60,60],"), "\(page.body.prefix(200))")
        #expect(page.body.contains("[0.0,255,255,255]") && page.body.contains("[1.0,60,180,90]"))
    }

    @Test("/metrics counts :explain and the page by route and status")
    func metrics() throws {
        let server = try Server(["--model", try explainedModel()])
        defer { _ = server.stop() }
        let c = try HTTPConnection(port: server.port)
        #expect(try c.ask("POST", "/v1/models/m:explain", json: #"{"instances": ["i am good"]}"#).status == 200)
        #expect(try c.ask("POST", "/v1/models/m:explain", json: #"{"instances": []}"#).status == 400)
        #expect(try c.ask("GET", "/").status == 200)
        #expect(try c.ask("GET", "/index.html").status == 200)
        let lines = Set(try c.ask("GET", "/metrics").body.split(separator: "\n").map(String.init))
        for expected in [
            #"rnn_http_requests_total{route="/v1/models/{name}:explain",status="200"} 1"#,
            #"rnn_http_requests_total{route="/v1/models/{name}:explain",status="400"} 1"#,
            #"rnn_http_requests_total{route="/",status="200"} 2"#,
        ] {
            #expect(lines.contains(expected), "missing \(expected) in \(lines.sorted())")
        }
    }
}
