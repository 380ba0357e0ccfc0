import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Runs the built `rnn serve` on a free port and talks to it over raw loopback sockets: raw, so that
// malformed requests (bad JSON, non-UTF-8, a lying Content-Length) reach the server as sent.

/// A running `rnn serve`; `stop()` (or the deinit) ends it.
/// Its fields are set once in `init`; `Process` is safe to query from several threads.
final class Server: @unchecked Sendable {
    let process = Process()
    let port: Int
    let firstLine: String
    private let scratch: URL

    /// Starts `rnn serve ARGUMENTS --port 0` and waits (at most `timeout` s) for its first line;
    /// with `openFileSoftLimit`, under that soft limit on open files (as a default shell gives).
    init(_ arguments: [String], openFileSoftLimit: Int? = nil, timeout: TimeInterval = 60) throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("rnn-serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        let out = scratch.appendingPathComponent("stdout"), err = scratch.appendingPathComponent("stderr")
        try Data().write(to: out)
        try Data().write(to: err)
        let rnn = try CLI.productsDirectory().appendingPathComponent("rnn")
        if let openFileSoftLimit {
            // `exec` keeps the process id: signals and /proc reach `rnn serve` itself.
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "ulimit -Sn \(openFileSoftLimit) && exec \"$0\" \"$@\"", rnn.path, "serve"]
                + arguments + ["--port", "0"]
        } else {
            process.executableURL = rnn
            process.arguments = ["serve"] + arguments + ["--port", "0"]
        }
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        var line: String?
        while Date() < deadline, process.isRunning {
            let text = String(decoding: (try? Data(contentsOf: out)) ?? Data(), as: UTF8.self)
            if let end = text.firstIndex(of: "\n") { line = String(text[..<end]); break }
            usleep(20_000)
        }
        guard let line, let colon = line.lastIndex(of: ":"), let port = Int(line[line.index(after: colon)...]) else {
            let stderr = String(decoding: (try? Data(contentsOf: err)) ?? Data(), as: UTF8.self)
            if process.isRunning { process.terminate() }
            try? FileManager.default.removeItem(at: scratch)
            throw CLI.NotFound(description: "rnn serve printed no `Serving … on http://HOST:PORT` line in \(timeout) s; stderr: \(stderr)")
        }
        self.port = port
        self.firstLine = line
    }

    /// Sends `signal` and waits (at most `timeout` s) for the exit; nil if it did not end.
    func stop(signal: Int32 = SIGTERM, timeout: TimeInterval = 20) -> (status: Int32, exited: Bool)? {
        if process.isRunning { kill(process.processIdentifier, signal) }
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit(); return nil }
        return (process.terminationStatus, process.terminationReason == .exit)
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        try? FileManager.default.removeItem(at: scratch)
    }
}

/// One keep-alive HTTP/1.1 connection over a blocking socket with a receive timeout.
final class HTTPConnection {
    struct Failure: Error, CustomStringConvertible { var description: String }
    struct Answer { var status: Int; var headers: [String: String]; var body: String
        var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] }
    }

    let fd: Int32
    private var pending: [UInt8] = []

    init(port: Int, timeout: Int = 10) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM_VALUE), 0)
        guard fd >= 0 else { throw Failure(description: "socket() failed") }
        var tv = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard status == 0 else { close(fd); throw Failure(description: "connect to port \(port) failed: errno \(errno)") }
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { throw Failure(description: "write failed: errno \(errno)") }
            offset += n
        }
    }

    /// A request: the body as given, with its true Content-Length unless `headers` sets one.
    static func request(_ method: String, _ path: String, body: [UInt8]? = nil, headers: [String] = []) -> [UInt8] {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for h in headers { head += h + "\r\n" }
        if let body, !headers.contains(where: { $0.lowercased().hasPrefix("content-length") }) {
            head += "Content-Length: \(body.count)\r\n"
        }
        return Array((head + "\r\n").utf8) + (body ?? [])
    }

    func ask(_ method: String, _ path: String, body: [UInt8]? = nil, headers: [String] = []) throws -> Answer {
        try send(Self.request(method, path, body: body, headers: headers))
        return try readAnswer()
    }

    func ask(_ method: String, _ path: String, json: String) throws -> Answer {
        try ask(method, path, body: Array(json.utf8), headers: ["Content-Type: application/json"])
    }

    private func fill() throws {
        var buffer = [UInt8](repeating: 0, count: 65536)
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { throw Failure(description: n == 0 ? "the server closed the connection" : "read failed or timed out: errno \(errno)") }
        pending += buffer[..<n]
    }

    /// Everything until the server closes the connection (send `Connection: close`), with a
    /// chunked body joined: for streamed answers.
    func readToEnd() throws -> (head: String, body: String) {
        while true {
            do { try fill() } catch { break }
        }
        let text = String(decoding: pending, as: UTF8.self)
        pending = []
        guard let split = text.range(of: "\r\n\r\n") else { return (text, "") }
        let head = String(text[..<split.lowerBound])
        var rest = Substring(text[split.upperBound...]), body = ""
        guard head.lowercased().contains("transfer-encoding: chunked") else { return (head, String(rest)) }
        while let line = rest.range(of: "\r\n"), let size = Int(rest[..<line.lowerBound], radix: 16), size > 0 {
            let start = line.upperBound
            let utf8 = rest.utf8
            let end = utf8.index(start, offsetBy: size)
            body += String(rest[start..<end])
            rest = rest[utf8.index(end, offsetBy: 2)...]
        }
        return (head, body)
    }

    /// One response (Content-Length bodies only: the server sends no other).
    func readAnswer() throws -> Answer {
        let separator: [UInt8] = [13, 10, 13, 10]
        var end: Int?
        while end == nil {
            if pending.count >= 4 { end = (0...(pending.count - 4)).first { Array(pending[$0..<$0 + 4]) == separator } }
            if end == nil { try fill() }
        }
        let head = String(decoding: pending[..<end!], as: UTF8.self).components(separatedBy: "\r\n")
        pending.removeFirst(end! + 4)
        let parts = head[0].split(separator: " ")
        guard parts.count >= 2, let status = Int(parts[1]) else { throw Failure(description: "bad status line \(head[0])") }
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        while pending.count < length { try fill() }
        let body = String(decoding: pending[..<length], as: UTF8.self)
        pending.removeFirst(length)
        return Answer(status: status, headers: headers, body: body)
    }
}

#if canImport(Glibc)
private let SOCK_STREAM_VALUE = SOCK_STREAM.rawValue
#else
private let SOCK_STREAM_VALUE = SOCK_STREAM
#endif

/// The tutorial classifier that the serve tests load (trained once per test run).
func servedModel() throws -> String {
    let (path, run) = try trainedModel.get()
    try #require(run.exited && run.status == 0, "rnn train --output failed: \(run)")
    return path
}

/// A hostile request and the status it must get (always with a JSON `{"error": …}` body).
struct HostileRequest: CustomStringConvertible, Sendable {
    var name: String
    var bytes: [UInt8]
    var status: Int
    var message: String
    var description: String { name }

    init(_ name: String, _ method: String = "POST", _ path: String = "/v1/models/m:predict", body: [UInt8]? = nil,
         headers: [String] = [], status: Int, message: String) {
        self.name = name
        self.bytes = HTTPConnection.request(method, path, body: body, headers: headers)
        self.status = status
        self.message = message
    }

    /// Sends the request to the server on `port` and checks its status and JSON error; then that
    /// the server still answers `{"instances": ["i am good"]}` on `route`, on a new connection.
    func check(port: Int, then route: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let c = try HTTPConnection(port: port)
        try c.send(bytes)
        let answer = try c.readAnswer()
        #expect(answer.status == status, "\(name): \(answer.status) \(answer.body)", sourceLocation: sourceLocation)
        #expect(answer.headers["content-type"] == "application/json; charset=utf-8", "\(name): \(answer.headers)",
                sourceLocation: sourceLocation)
        let error = answer.json?["error"] as? String
        #expect(error?.contains(message) == true, "\(name): \(answer.body)", sourceLocation: sourceLocation)
        let after = try HTTPConnection(port: port).ask("POST", route, json: #"{"instances": ["i am good"]}"#)
        #expect(after.status == 200, "after \(name): \(after)", sourceLocation: sourceLocation)
    }

    init(_ name: String, json: String, status: Int, message: String) {
        self.init(name, body: Array(json.utf8), status: status, message: message)
    }

    static let cases: [HostileRequest] = [
        .init("malformed JSON", json: "{\"instances\": [", status: 400, message: "not valid JSON"),
        .init("not an object", json: "[\"i am good\"]", status: 400, message: "not a JSON object"),
        .init("no instances key", json: "{\"inputs\": [\"i am good\"]}", status: 400, message: "no \"instances\""),
        .init("a field :predict does not take", json: #"{"instances": ["i am good"], "beam": 5}"#, status: 400,
              message: "unknown field \"beam\"; a classifier's :predict takes only \"instances\""),
        .init("instances not an array", json: "{\"instances\": \"i am good\"}", status: 400, message: "must be an array"),
        .init("a number instance", json: "{\"instances\": [\"i am good\", 3]}", status: 400, message: "instance 2 is not a string"),
        .init("a boolean instance", json: "{\"instances\": [true]}", status: 400, message: "instance 1 is not a string"),
        .init("a null instance", json: "{\"instances\": [null]}", status: 400, message: "instance 1 is not a string"),
        .init("empty instances", json: "{\"instances\": []}", status: 400, message: "is empty"),
        .init("too many instances", json: "{\"instances\": [" + Array(repeating: "\"good\"", count: 257).joined(separator: ",") + "]}",
              status: 400, message: "the limit is 256"),
        .init("deeply nested JSON", json: String(repeating: "[", count: 100_000), status: 400, message: "not valid JSON"),
        .init("non-UTF-8 body", body: Array("{\"instances\": [\"".utf8) + [0xFF, 0xFE] + Array("\"]}".utf8),
              status: 400, message: "not UTF-8"),
        .init("body over the limit", body: Array(repeating: UInt8(ascii: "a"), count: (1 << 20) + 1),
              status: 413, message: "over 1048576 bytes"),
        .init("Content-Length over the limit", body: Array("{}".utf8), headers: ["Content-Length: 99999999"],
              status: 413, message: "over 1048576 bytes"),
        .init("a text over the text limit", json: "{\"instances\": [\"" + String(repeating: "good ", count: 20_001) + "\"]}",
              status: 413, message: "longer than 100000 bytes"),
        .init("a text with no known word", json: "{\"instances\": [\"i am good\", \"zzz qqq\"]}", status: 400,
              message: "instance 2: no word of \"zzz qqq\""),
        .init("unknown model", path: "/v1/models/nope:predict", json: "{\"instances\": [\"good\"]}", status: 404,
              message: "no model named \"nope\""),
        .init("unknown model info", "GET", "/v1/models/nope", status: 404, message: "no model named"),
        .init("unknown action", path: "/v1/models/m:frobnicate", json: "{\"instances\": [\"good\"]}", status: 404,
              message: "no action :frobnicate"),
        .init("unknown route", "GET", "/v2/whatever", status: 404, message: "no route /v2/whatever"),
        .init("GET on predict", "GET", "/v1/models/m:predict", status: 405, message: "use POST"),
        .init("POST on healthz", "POST", "/healthz", body: [], status: 405, message: "use GET"),
        .init("DELETE on a model", "DELETE", "/v1/models/m", status: 405, message: "use GET"),
        .init("predict on a language model", path: "/v1/models/lm:predict", json: #"{"instances": ["the"]}"#,
              status: 400, message: "is a language model: ask it with :generate"),
        .init("generate on a classifier", path: "/v1/models/m:generate", json: "{}", status: 400,
              message: "is a classifier: ask it with :predict"),
        .generate("malformed JSON", "{\"length\": ", "not valid JSON"),
        .generate("not an object", "[1]", "not a JSON object"),
        .generate("unknown field", #"{"lenght": 5}"#, "unknown field \"lenght\""),
        .generate("prompt not a string", #"{"prompt": 5}"#, "\"prompt\" must be a string"),
        .generate("negative length", #"{"length": -1}"#, "must be between 0 and 10000"),
        .generate("length over the limit", #"{"length": 10001}"#, "must be between 0 and 10000"),
        .generate("length a boolean", #"{"length": true}"#, "\"length\" must be a number"),
        .generate("fractional seed", #"{"seed": 1.5}"#, "\"seed\" must be a whole number"),
        .generate("negative temperature", #"{"temperature": -1}"#, "the temperature must be 0 (greedy) or positive"),
        .generate("top_k 0", #"{"top_k": 0}"#, "top-k must be at least 1"),
        .generate("top_p over 1", #"{"top_p": 1.5}"#, "top-p must be in (0, 1]"),
        .generate("prompt over the text limit", "{\"prompt\": \"" + String(repeating: "a", count: 100_001) + "\"}",
                  status: 413, "\"prompt\" is longer than 100000 bytes"),
    ]

    /// A `POST /v1/models/lm:generate` with `json`.
    static func generate(_ name: String, _ json: String, status: Int = 400, _ message: String) -> HostileRequest {
        .init("generate: " + name, path: "/v1/models/lm:generate", json: json, status: status, message: message)
    }

    init(_ name: String, path: String, json: String, status: Int, message: String) {
        self.init(name, "POST", path, body: Array(json.utf8), status: status, message: message)
    }
}

@Suite("rnn serve", .serialized)
struct ServeTests {
    @Test("routes: healthz, the model list, one model, predictions")
    func routes() throws {
        let path = try servedModel()
        let server = try Server(["--model", path, "--model", "tutorial=\(path)"])
        defer { _ = server.stop() }
        #expect(server.firstLine == "Serving 2 models on http://127.0.0.1:\(server.port)")
        let c = try HTTPConnection(port: server.port)

        let health = try c.ask("GET", "/healthz")
        #expect(health.status == 200 && health.json?["status"] as? String == "ok", "\(health)")

        let list = try c.ask("GET", "/v1/models")
        let names = (list.json?["models"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
        #expect(list.status == 200 && names == ["m", "tutorial"], "\(list)")

        let info = try c.ask("GET", "/v1/models/tutorial")
        let json = try #require(info.json, "\(info)")
        #expect(info.status == 200)
        #expect(json["task"] as? String == "classify")
        #expect(json["labels"] as? [String] == ["negative", "positive"])
        #expect(json["vocabulary_size"] as? Int == 18)
        #expect((json["configuration"] as? [String: Any])?["hidden_size"] as? Int == 64, "\(info)")

        let answer = try c.ask("POST", "/v1/models/m:predict", json: #"{"instances": ["i am very good", "this is not happy"]}"#)
        #expect(answer.status == 200, "\(answer)")
        #expect(answer.headers["content-type"]?.hasPrefix("application/json") == true)
        let predictions = try #require(answer.json?["predictions"] as? [[String: Any]], "\(answer)")
        #expect(predictions.map { $0["label"] as? String } == ["positive", "negative"], "\(answer)")
        for p in predictions {
            let probabilities = try #require(p["probabilities"] as? [String: Double])
            #expect(Set(probabilities.keys) == ["negative", "positive"])
            #expect(abs(probabilities.values.reduce(0, +) - 1) < 1e-4)
            #expect(probabilities[p["label"] as! String]! > 0.5)
        }
        // The same answer as `rnn predict` gives for the text.
        let run = try CLI.run(["predict", "--model", path, "--json", "i am very good"])
        let cli = try #require((try? JSONSerialization.jsonObject(with: Data(run.stdout.utf8))) as? [String: Any], "\(run)")
        let served = try #require(predictions[0]["probabilities"] as? [String: Double])
        let printed = try #require(cli["probabilities"] as? [String: Double])
        #expect(abs(served["positive"]! - printed["positive"]!) < 1e-5, "served \(served), printed \(printed)")
    }

    @Test("hostile requests get a JSON error with the right status", arguments: HostileRequest.cases)
    func hostile(_ request: HostileRequest) throws {
        try request.check(port: try Self.shared().port, then: "/v1/models/m:predict")
    }

    /// One server for the hostile table (started once; the test process ends it at exit).
    private static func shared() throws -> Server {
        try sharedServer.get()
    }

    @Test("a bad model, a taken port or a bad host: a clear error and exit 1 before listening")
    func startupFailures() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rnn-serve-bad-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let junk = dir.appendingPathComponent("junk.safetensors").path
        try Data("junk\n".utf8).write(to: URL(fileURLWithPath: junk))
        let path = try servedModel()
        let taken = try Self.shared()
        let cases: [(arguments: [String], status: Int32, prefix: String)] = [
            (["--model", junk, "--port", "0"], 1, "Error: \(junk): only 5 bytes"),
            (["--model", dir.path + "/missing.safetensors", "--port", "0"], 1, "Error: \(dir.path)/missing.safetensors: no such file"),
            (["--model", path, "--port", "\(taken.port)"], 1, "Error: port \(taken.port) on 127.0.0.1 is in use"),
            (["--model", path, "--host", "999.1.1.1", "--port", "0"], 1, "Error: --host 999.1.1.1 is not an address"),
            (["--model", path, "--port", "70000"], 64, "Error: --port must be between 0 and 65535"),
            (["--model", "a=\(path)", "--model", "a=\(path)"], 64, "Error: two models are named \"a\""),
            (["--model", path, "--max-explain-tokens", "0"], 64, "Error: --max-explain-tokens must be at least 1 (got 0)."),
            (["--model", "a b=\(path)"], 64, "Error: --model a b="),
        ]
        for c in cases {
            let run = try runWithTimeout(["serve"] + c.arguments, seconds: 30)
            #expect(run.exited && run.status == c.status, "\(c.arguments): \(run)")
            #expect(run.stderr.hasPrefix(c.prefix), "\(c.arguments): \(run)")
            #expect(run.stdout.isEmpty, "\(c.arguments) must not claim to serve: \(run)")
        }
    }

    @Test(":generate streams server-sent events: the same text as `rnn generate` with the same settings")
    func generate() throws {
        let server = try Self.shared()
        let lm = try sharedLanguageModel.get()
        let c = try HTTPConnection(port: server.port)
        let body = Array(#"{"prompt": "the ", "length": 40, "temperature": 0.5, "top_k": 10, "top_p": 0.95, "seed": 3}"#.utf8)
        try c.send(HTTPConnection.request("POST", "/v1/models/lm:generate", body: body, headers: ["Connection: close"]))
        let (head, stream) = try c.readToEnd()
        #expect(head.hasPrefix("HTTP/1.1 200"), "\(head)")
        #expect(head.lowercased().contains("content-type: text/event-stream"), "\(head)")
        let events = stream.components(separatedBy: "\n\n").filter { !$0.isEmpty }
        try #require(events.count == 41, "40 pieces and a final event: \(stream)")
        var text = ""
        for event in events.dropLast() {
            #expect(event.hasPrefix("data: "), "\(event)")
            let json = try #require((try? JSONSerialization.jsonObject(with: Data(event.dropFirst(6).utf8))) as? [String: Any], "\(event)")
            text += try #require(json["text"] as? String, "\(event)")
        }
        #expect(events.last == "event: done\ndata: {\"tokens\": 40, \"unknown_prompt_tokens\": []}", "\(events.last!)")
        let run = try CLI.run(["generate", "--model", lm, "--prompt", "the ", "--length", "40", "--temperature", "0.5",
                               "--top-k", "10", "--top-p", "0.95", "--seed", "3"])
        #expect(run.exited && run.status == 0, "\(run)")
        #expect(run.stdout == "the " + text + "\n", "served \(jsonQuoteForTest(text)), printed \(jsonQuoteForTest(run.stdout))")
        let info = try HTTPConnection(port: server.port).ask("GET", "/v1/models/lm")
        #expect(info.json?["task"] as? String == "language_model" && info.json?["level"] as? String == "char", "\(info)")
    }

    @Test("/metrics: requests by route and status, the latency histogram, predictions by model")
    func metrics() throws {
        let server = try Server(["--model", try servedModel()])
        defer { _ = server.stop() }
        let c = try HTTPConnection(port: server.port)
        #expect(try c.ask("POST", "/v1/models/m:predict", json: #"{"instances": ["i am good", "i am bad"]}"#).status == 200)
        #expect(try c.ask("POST", "/v1/models/m:predict", json: #"{"instances": ["i am happy"]}"#).status == 200)
        #expect(try c.ask("POST", "/v1/models/m:predict", json: #"{"instances": []}"#).status == 400)
        #expect(try c.ask("GET", "/v1/models/nope").status == 404)
        #expect(try c.ask("GET", "/nowhere/at/all").status == 404)
        let answer = try c.ask("GET", "/metrics")
        #expect(answer.status == 200)
        #expect(answer.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true, "\(answer.headers)")
        let lines = Set(answer.body.split(separator: "\n").map(String.init))
        for expected in [
            #"rnn_http_requests_total{route="/v1/models/{name}:predict",status="200"} 2"#,
            #"rnn_http_requests_total{route="/v1/models/{name}:predict",status="400"} 1"#,
            #"rnn_http_requests_total{route="/v1/models/{name}",status="404"} 1"#,
            #"rnn_http_requests_total{route="other",status="404"} 1"#,
            #"rnn_http_request_duration_seconds_bucket{le="+Inf"} 5"#,
            "rnn_http_request_duration_seconds_count 5",
            #"rnn_predictions_total{model="m"} 3"#,
            "# TYPE rnn_http_request_duration_seconds histogram",
        ] {
            #expect(lines.contains(expected), "missing \(expected) in\n\(answer.body)")
        }
        // The buckets are cumulative: never decreasing, ending at the count.
        let buckets = answer.body.split(separator: "\n").filter { $0.hasPrefix("rnn_http_request_duration_seconds_bucket") }
            .compactMap { Int($0.split(separator: " ").last!) }
        #expect(buckets.count == 14 && buckets == buckets.sorted() && buckets.last == 5, "\(buckets)")
    }

    @Test("SIGTERM: stops accepting, finishes the request in flight, exits 0")
    func gracefulShutdown() throws {
        let path = try servedModel()
        let server = try Server(["--model", path])
        defer { _ = server.stop(signal: SIGKILL) }
        let c = try HTTPConnection(port: server.port)
        // Half a request: the server has started it and must wait for the rest.
        let body = Array(#"{"instances": ["i am very good"]}"#.utf8)
        let request = HTTPConnection.request("POST", "/v1/models/m:predict", body: body)
        try c.send(Array(request.dropLast(10)))
        usleep(300_000)
        kill(server.process.processIdentifier, SIGTERM)
        // New connections are refused once the listener has closed (within a few seconds).
        var refused = false
        for _ in 0..<100 where !refused {
            if (try? HTTPConnection(port: server.port)) == nil { refused = true } else { usleep(50_000) }
        }
        #expect(refused, "the server still accepts connections after SIGTERM")
        #expect(server.process.isRunning, "the server ended before its request in flight was answered")
        try c.send(Array(request.suffix(10)))
        let answer = try c.readAnswer()
        #expect(answer.status == 200, "\(answer)")
        #expect((answer.json?["predictions"] as? [[String: Any]])?.first?["label"] as? String == "positive", "\(answer)")
        let end = server.stop(signal: 0, timeout: 20)
        #expect(end?.exited == true && end?.status == 0, "the server did not exit 0 after SIGTERM: \(String(describing: end))")
    }

    @Test("load: 2,000 predictions over 16 connections, no errors, alive afterwards")
    func load() throws {
        let server = try Self.shared()
        let connections = 16, perConnection = 125, port = server.port
        let errors = ErrorCount()
        DispatchQueue.concurrentPerform(iterations: connections) { k in
            do {
                let c = try HTTPConnection(port: port)
                for i in 0..<perConnection {
                    let text = i % 2 == 0 ? "i am very good" : "this is not happy"
                    let answer = try c.ask("POST", "/v1/models/m:predict", json: "{\"instances\": [\"\(text)\"]}")
                    let label = (answer.json?["predictions"] as? [[String: Any]])?.first?["label"] as? String
                    if answer.status != 200 || label != (i % 2 == 0 ? "positive" : "negative") {
                        errors.add("connection \(k) request \(i): \(answer.status) \(answer.body)")
                    }
                }
            } catch {
                errors.add("connection \(k): \(error)")
            }
        }
        #expect(errors.all.isEmpty, "\(errors.all.count) errors, first: \(errors.all.prefix(3))")
        #expect(try HTTPConnection(port: server.port).ask("GET", "/healthz").status == 200)
    }
}

private func jsonQuoteForTest(_ s: String) -> String {
    String(decoding: try! JSONSerialization.data(withJSONObject: [s]), as: UTF8.self)
}

private final class ErrorCount: @unchecked Sendable {
    private let lock = NSLock()
    private var errors: [String] = []
    func add(_ e: String) { lock.withLock { errors.append(e) } }
    var all: [String] { lock.withLock { errors } }
}

/// A small character language model, trained once (a fraction of a second) by `rnn train-lm`.
let sharedLanguageModel: Result<String, Error> = Result {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rnn-serve-lm-\(getpid())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    atexit { try? FileManager.default.removeItem(atPath: FileManager.default.temporaryDirectory.path + "/rnn-serve-lm-\(getpid())") }
    try Data(String(repeating: "the quick brown fox jumps over the lazy dog. ", count: 200).utf8)
        .write(to: dir.appendingPathComponent("text.txt"))
    let path = dir.appendingPathComponent("lm.safetensors").path
    let run = try CLI.run(["train-lm", "--text", dir.appendingPathComponent("text.txt").path, "--epochs", "1",
                           "--hidden-size", "16", "--embedding-size", "8", "--output", path])
    guard run.exited && run.status == 0 else { throw CLI.NotFound(description: "rnn train-lm failed: \(run)") }
    return path
}

/// One `rnn serve` of the classifier `m` and the language model `lm`, for the tests that only
/// need a running server (also ServeExplainTests.swift).
let sharedServer: Result<Server, Error> = Result {
    let server = try Server(["--model", try servedModel(), "--model", "lm=\(try sharedLanguageModel.get())"])
    atexit { if let s = try? sharedServer.get(), s.process.isRunning { kill(s.process.processIdentifier, SIGKILL) } }
    return server
}

/// `rnn ARGUMENTS`, killed (and reported as not exited) if it runs over `seconds`.
private func runWithTimeout(_ arguments: [String], seconds: TimeInterval) throws -> Run {
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("rnn-serve-run-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    let out = scratch.appendingPathComponent("stdout"), err = scratch.appendingPathComponent("stderr")
    try Data().write(to: out)
    try Data().write(to: err)
    let process = Process()
    process.executableURL = try CLI.productsDirectory().appendingPathComponent("rnn")
    process.arguments = arguments
    process.standardOutput = try FileHandle(forWritingTo: out)
    process.standardError = try FileHandle(forWritingTo: err)
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let deadline = Date().addingTimeInterval(seconds)
    while process.isRunning, Date() < deadline { usleep(20_000) }
    if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
    return Run(status: process.terminationStatus, exited: process.terminationReason == .exit,
               stdout: String(decoding: try Data(contentsOf: out), as: UTF8.self),
               stderr: String(decoding: try Data(contentsOf: err), as: UTF8.self))
}
