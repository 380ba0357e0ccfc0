import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Clients that hold connections without finishing requests, and more connections than a default
// open-file limit allows: the server must drop the first and carry the second, and keep answering.

@Suite("rnn serve under load", .serialized)
struct ServeLoadTests {
    static let predict = #"{"instances": ["i am very good"]}"#

    @Test("--idle-timeout: a client stalled mid-request is disconnected while others are answered",
          arguments: [("half the head", 20), ("the head and half the body", -10), ("nothing after a request", 0)])
    func stalledClient(_ stall: (name: String, cut: Int)) throws {
        let server = try Server(["--model", try servedModel(), "--idle-timeout", "1"])
        defer { _ = server.stop() }
        let request = HTTPConnection.request("POST", "/v1/models/m:predict", body: Array(Self.predict.utf8))
        let stalled = try HTTPConnection(port: server.port, timeout: 8)
        switch stall.cut {
        case 0: #expect(try stalled.ask("POST", "/v1/models/m:predict", json: Self.predict).status == 200)
        case ..<0: try stalled.send(Array(request.dropLast(-stall.cut)))
        default: try stalled.send(Array(request.prefix(stall.cut)))
        }
        let start = Date()
        // Meanwhile another client is answered, request after request, past the timeout.
        let other = try HTTPConnection(port: server.port)
        var answered = 0
        while Date().timeIntervalSince(start) < 1.5 {
            #expect(try other.ask("POST", "/v1/models/m:predict", json: Self.predict).status == 200)
            answered += 1
            usleep(100_000)
        }
        // At least a few, even on a machine busy with other tests.
        #expect(answered >= 3, "\(stall.name): only \(answered) answers to the other client")
        // The stalled connection is closed by the server (a read sees the end), not left open.
        let failure = #expect(throws: HTTPConnection.Failure.self) { try stalled.readAnswer() }
        #expect(failure?.description == "the server closed the connection", "\(stall.name): \(String(describing: failure))")
        let waited = Date().timeIntervalSince(start)
        #expect(waited < 6, "\(stall.name): closed after \(waited) s with --idle-timeout 1")
        #expect(try HTTPConnection(port: server.port).ask("GET", "/healthz").status == 200)
    }

    @Test("Long requests on every model copy leave the server answering others: /healthz while they run")
    func longRequestsDoNotStallOthers() throws {
        // Three :explain requests of two 1000-word texts each (quadratic work, seconds in a debug
        // build) on a server with one copy per core: each copy busy, one request waiting for a copy.
        let server = try Server(["--model", try servedModel()])
        defer { _ = server.stop() }
        let text = Array(repeating: "i am very good this is not happy", count: 143).joined(separator: " ")  // 1001 words
        let words = text.split(separator: " ").prefix(1000).joined(separator: " ")
        let body = "{\"instances\": [\"\(words)\", \"\(words)\"]}"
        let finished = Finished()
        let group = DispatchGroup()
        for _ in 0..<3 {
            DispatchQueue.global().async(group: group) {
                let status = (try? HTTPConnection(port: server.port, timeout: 300).ask("POST", "/v1/models/m:explain", json: body))?.status
                finished.add(status)
            }
        }
        usleep(500_000)  // the requests are read and computing
        let health = try HTTPConnection(port: server.port).ask("GET", "/healthz")
        let doneWhenAnswered = finished.count
        #expect(health.status == 200)
        // Behaviour, not a timing: /healthz was answered while the long requests were still running.
        #expect(doneWhenAnswered == 0, "/healthz waited for \(doneWhenAnswered) of the 3 long requests to finish")
        group.wait()
        #expect(finished.statuses == [200, 200, 200], "the long requests: \(finished.statuses)")
    }

    /// The statuses of requests answered on other threads, in the order they finished.
    private final class Finished: @unchecked Sendable {
        private let lock = NSLock()
        private var list: [Int?] = []
        func add(_ status: Int?) { lock.withLock { list.append(status) } }
        var count: Int { lock.withLock { list.count } }
        var statuses: [Int?] { lock.withLock { list } }
    }

    @Test("--idle-timeout is validated")
    func idleTimeoutValidated() throws {
        for value in ["0", "-3", "86401", "soon"] {
            let run = try CLI.run(["serve", "--model", try servedModel(), "--idle-timeout", value, "--port", "0"])
            #expect(run.exited && run.status == 64, "--idle-timeout \(value): \(run)")
            #expect(run.stderr.contains("--idle-timeout"), "--idle-timeout \(value): \(run)")
            #expect(run.stdout.isEmpty, "--idle-timeout \(value) must not serve: \(run)")
        }
    }

    @Test("2,000 connections open at once under a soft limit of 1,024 files: all answered, the server lives on")
    func thousandsOfConnections() throws {
        let count = 2_000
        try Self.raiseOwnOpenFileLimit(above: count + 100)
        let server = try Server(["--model", try servedModel()], openFileSoftLimit: 1_024)
        defer { _ = server.stop() }
        // The server raised its own soft limit to the hard one.
        let limits = try String(contentsOfFile: "/proc/\(server.process.processIdentifier)/limits", encoding: .utf8)
        let line = try #require(limits.split(separator: "\n").first { $0.hasPrefix("Max open files") }, "\(limits)")
        let numbers = line.split(separator: " ").compactMap { Int($0) }
        #expect(numbers.count == 2 && numbers[0] == numbers[1] && numbers[0] > count, "\(line)")

        let deadline = Date().addingTimeInterval(30)
        var connections: [HTTPConnection] = []
        while connections.count < count, Date() < deadline {
            connections.append(try HTTPConnection(port: server.port))
        }
        try #require(connections.count == count, "opened only \(connections.count) connections in 30 s")
        // Every connection is live: each one sends a request, then all read their answers.
        let request = HTTPConnection.request("POST", "/v1/models/m:predict", body: Array(Self.predict.utf8))
        for c in connections { try c.send(request) }
        var failures: [String] = []
        for (k, c) in connections.enumerated() {
            do {
                let answer = try c.readAnswer()
                if answer.status != 200 { failures.append("connection \(k): \(answer.status) \(answer.body)") }
            } catch {
                failures.append("connection \(k): \(error)")
            }
            if Date() > deadline.addingTimeInterval(30) { failures.append("answers took over 60 s"); break }
        }
        #expect(failures.isEmpty, "\(failures.count) failures, first: \(failures.prefix(3))")
        connections.removeAll()
        #expect(try HTTPConnection(port: server.port).ask("GET", "/healthz").status == 200)
        let end = server.stop()
        #expect(end?.exited == true && end?.status == 0, "after 2,000 connections: \(String(describing: end))")
    }

    /// This test process holds one file per connection too: it needs `files`, and fails saying so
    /// when the hard limit does not allow it.
    static func raiseOwnOpenFileLimit(above files: Int) throws {
        #if canImport(Glibc)
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        #else
        let resource = RLIMIT_NOFILE
        #endif
        var limit = rlimit()
        try #require(getrlimit(resource, &limit) == 0, "getrlimit failed: errno \(errno)")
        try #require(limit.rlim_max >= rlim_t(files),
                     "the hard limit on open files is \(limit.rlim_max); this test needs \(files) (raise it with ulimit -Hn)")
        if limit.rlim_cur < rlim_t(files) {
            limit.rlim_cur = limit.rlim_max
            try #require(setrlimit(resource, &limit) == 0, "setrlimit failed: errno \(errno)")
        }
    }
}
