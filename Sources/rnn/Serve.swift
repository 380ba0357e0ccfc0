import ArgumentParser
import Foundation
import Hummingbird
import RNNKit

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve classifiers, language models and translation models over HTTP (TF Serving's REST form).",
        discussion: """
            Loads and checks every model, then listens; prints `Serving N model(s) on \
            http://HOST:PORT` once it does. Routes: GET /healthz, GET /metrics (Prometheus \
            text: requests by route and status, latency, predictions), GET /v1/models, \
            GET /v1/models/NAME (task, labels, configuration, vocabulary size) and \
            POST /v1/models/NAME:predict with {"instances": ["text", …]}, which answers \
            {"predictions": [{"label": …, "probabilities": {…}}, …]}. A text with no word the \
            model knows fails its whole request (400, naming the instance). \
            POST /v1/models/NAME:explain, for either kind of model, takes the same instances (and \
            optional "units" and, for a classifier, "max_tokens": rnn explain's --unit and \
            --max-tokens) and answers {"explanations": […]}, each the object `rnn explain --json` \
            prints for the text. GET / is a web page (nothing fetched from elsewhere) to try the \
            models: /?model=NAME&text=… explains a text, /?model=NAME&prompt=… generates. \
            For a language model, \
            POST /v1/models/NAME:generate with {"prompt", "length", "temperature", "top_k", \
            "top_p", "seed"} (all optional) streams server-sent events: `data: {"text": …}` per \
            piece, then `event: done`. For a translation model, POST /v1/models/NAME:translate \
            with {"instances": ["text", …], "beam", "max_length", "length_penalty", "attention"} \
            (all but instances optional; greedy, 50 words, 1, false) answers {"translations": \
            […]}, each the object `rnn translate --json` prints (its attention empty unless asked \
            for; the texts' source words plus beam × max_length may come to at most \
            --max-translation-steps); its :explain answers what `rnn explain --json` prints. \
            Errors are JSON: \
            {"error": "…"}. A connection silent for --idle-timeout seconds, mid-request or between \
            requests, is closed. The server raises its own open-file limit to the hard limit, so \
            that thousands of clients can connect at once. SIGTERM or SIGINT stops accepting, \
            finishes the requests in flight and exits 0.

            Examples:
              rnn serve --model tutorial.safetensors --port 8080
              rnn serve --model sentiment=m1.safetensors --model topic=m2.safetensors --port 0
              curl -d '{"instances": ["i am very good"]}' localhost:8080/v1/models/tutorial:predict
              curl -d '{"instances": ["this is not good at all"]}' localhost:8080/v1/models/tutorial:explain
            """)

    @Option(name: .customLong("model"),
            help: ArgumentHelp("A model file written by `rnn train`, `rnn train-lm` or `rnn train-seq2seq`, as PATH (named by its base name) or NAME=PATH; repeat for more models.",
                               valueName: "[name=]path"))
    var models: [String]

    @Option(help: "The address to listen on (127.0.0.1: this machine only; 0.0.0.0: every interface).")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on; 0 picks a free one (printed on the first line).")
    var port = 8080

    @Option(help: "The largest request body, in bytes; a larger one gets 413.")
    var maxBodyBytes = 1 << 20

    @Option(help: "The most texts in one request.")
    var maxInstances = 256

    @Option(help: "The most tokens one :generate request may ask for.")
    var maxGenerateLength = 10_000

    @Option(help: "The most tokens of a text a classifier's :explain reads (the work grows with the square of the length).")
    var maxExplainTokens = TextClassifier.defaultMaxExplainedTokens

    @Option(help: "The most decoding work one translation request may ask for: over its texts, source words plus beam × max_length.")
    var maxTranslationSteps = 20_000

    @Option(help: "Seconds a connection may stay silent (mid-request or between requests) before it is closed.")
    var idleTimeout = 30

    @OptionGroup(title: "Limits") var limits: TextLimitOptions

    func validate() throws {
        guard !models.isEmpty else { throw ValidationError("give at least one --model.") }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535 (got \(port)).") }
        guard maxBodyBytes >= 1 else { throw ValidationError("--max-body-bytes must be at least 1 (got \(maxBodyBytes)).") }
        guard maxGenerateLength >= 0 else {
            throw ValidationError("--max-generate-length must be 0 or more (got \(maxGenerateLength)).")
        }
        guard maxExplainTokens >= 1 else {
            throw ValidationError("--max-explain-tokens must be at least 1 (got \(maxExplainTokens)).")
        }
        guard (1...86_400).contains(idleTimeout) else {
            throw ValidationError("--idle-timeout must be between 1 and 86400 seconds (got \(idleTimeout)).")
        }
        guard maxTranslationSteps >= 1 else {
            throw ValidationError("--max-translation-steps must be at least 1 (got \(maxTranslationSteps)).")
        }
        guard maxInstances >= 1 else { throw ValidationError("--max-instances must be at least 1 (got \(maxInstances)).") }
        var names = Set<String>()
        for spec in models {
            let (name, path) = Self.nameAndPath(spec)
            guard !path.isEmpty else { throw ValidationError("--model \(spec) names no file; give NAME=PATH or PATH.") }
            guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }) else {
                throw ValidationError("--model \(spec): the name \(jsonQuote(name)) must be letters, digits, '.', '_' or '-' "
                    + "(it is part of the URL); give NAME=PATH.")
            }
            guard names.insert(name).inserted else {
                throw ValidationError("two models are named \(jsonQuote(name)); name them apart with NAME=PATH.")
            }
        }
    }

    /// `NAME=PATH`, or a path named by its base name. A path may hold '=' itself: only a prefix
    /// without '/' is read as a name.
    static func nameAndPath(_ spec: String) -> (name: String, path: String) {
        if let equals = spec.firstIndex(of: "="), !spec[..<equals].contains("/") {
            return (String(spec[..<equals]), String(spec[spec.index(after: equals)...]))
        }
        let base = (spec as NSString).lastPathComponent
        return ((base as NSString).deletingPathExtension, spec)
    }

    func run() throws {
        // Loaded and checked before listening: a bad file ends the command before any client sees it.
        let copies = max(1, ProcessInfo.processInfo.activeProcessorCount)
        var pools: [String: ServedModel] = [:]
        for spec in models {
            let (name, path) = Self.nameAndPath(spec)
            pools[name] = try reportingErrors { try ServedModel.load(from: path, copies: copies) }
        }
        try ListenCheck.check(host: host, port: port)
        OpenFileLimit.raiseToHardLimit()

        let responder = ServeResponder(
            models: pools,
            limits: ServeLimits(maxBodyBytes: maxBodyBytes, maxInstances: maxInstances, maxTextBytes: limits.maxTextBytes,
                                maxGenerateLength: maxGenerateLength, maxExplainTokens: maxExplainTokens,
                                maxTranslationSteps: maxTranslationSteps),
            metrics: ServeMetrics(classifiers: pools.compactMap { name, model in
                switch model { case .classifier, .bagOfNgrams, .wideAndDeep: return name; default: return nil }
            }, translators: pools.compactMap { name, model in
                if case .translation = model { return name } else { return nil }
            }))
        let host = host, count = pools.count
        let app = Application(
            responder: responder,
            // A client that stalls mid-request is dropped after a while rather than held for ever.
            server: .http1(configuration: .init(idleTimeout: .seconds(Int64(idleTimeout)))),
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "rnn"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                let shown = host.contains(":") ? "[\(host)]" : host
                print("Serving \(count) model\(count == 1 ? "" : "s") on http://\(shown):\(port)")
                fflush(nil)  // the line a caller waits for, even into a pipe
            })
        let outcome = ServeOutcome()
        let done = DispatchSemaphore(value: 0)
        Task {
            do { try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint]) } catch { outcome.error = error }
            done.signal()
        }
        done.wait()
        if let error = outcome.error {
            throw CommandError("could not serve on \(host):\(port): \(error)")
        }
    }
}

/// The server task's failure, read by the main thread after the task has signalled.
private final class ServeOutcome: @unchecked Sendable {
    var error: (any Error)?
}
