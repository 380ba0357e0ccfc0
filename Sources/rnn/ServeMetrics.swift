import Foundation

/// What `GET /metrics` reports, in Prometheus's text format (written by hand: four metric
/// families need no client library).
final class ServeMetrics: @unchecked Sendable {
    /// Upper bounds of the latency histogram, in seconds: from a fast prediction to a stalled one.
    static let buckets: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10]

    private struct Key: Hashable, Comparable {
        var route: String, status: Int
        static func < (a: Key, b: Key) -> Bool { (a.route, a.status) < (b.route, b.status) }
    }

    private let lock = NSLock()
    private var requests: [Key: Int] = [:]
    private var bucketCounts = [Int](repeating: 0, count: ServeMetrics.buckets.count)
    private var latencySum = 0.0
    private var latencyCount = 0
    private var predictions: [String: Int]
    private var translations: [String: Int]

    init(classifiers: [String], translators: [String] = []) {
        predictions = Dictionary(uniqueKeysWithValues: classifiers.map { ($0, 0) })
        translations = Dictionary(uniqueKeysWithValues: translators.map { ($0, 0) })
    }

    /// The route's template, so that the series stay few whatever paths clients send.
    static func route(of path: String) -> String {
        switch path {
        case "/healthz", "/metrics", "/v1/models": return path
        case "/v1/models/": return "/v1/models"
        case "/", "/index.html": return "/"
        default:
            guard path.hasPrefix("/v1/models/") else { return "other" }
            let segment = path.dropFirst("/v1/models/".count)
            if segment.contains(Character("/")) { return "other" }
            if segment.hasSuffix(":predict") { return "/v1/models/{name}:predict" }
            if segment.hasSuffix(":generate") { return "/v1/models/{name}:generate" }
            if segment.hasSuffix(":explain") { return "/v1/models/{name}:explain" }
            if segment.hasSuffix(":translate") { return "/v1/models/{name}:translate" }
            return segment.contains(Character(":")) ? "other" : "/v1/models/{name}"
        }
    }

    func record(route: String, status: Int, seconds: Double) {
        lock.withLock {
            requests[Key(route: route, status: status), default: 0] += 1
            if let k = Self.buckets.firstIndex(where: { seconds <= $0 }) { bucketCounts[k] += 1 }
            latencySum += seconds
            latencyCount += 1
        }
    }

    func recordPredictions(model: String, count: Int) {
        lock.withLock { predictions[model, default: 0] += count }
    }

    func recordTranslations(model: String, count: Int) {
        lock.withLock { translations[model, default: 0] += count }
    }

    /// The exposition text.
    func text() -> String {
        lock.withLock {
            var lines = [
                "# HELP rnn_http_requests_total HTTP requests answered, by route and status.",
                "# TYPE rnn_http_requests_total counter",
            ]
            for key in requests.keys.sorted() {
                lines.append("rnn_http_requests_total{route=\"\(key.route)\",status=\"\(key.status)\"} \(requests[key]!)")
            }
            lines += [
                "# HELP rnn_http_request_duration_seconds Time from a request's arrival to its answer.",
                "# TYPE rnn_http_request_duration_seconds histogram",
            ]
            var cumulative = 0
            for (bound, count) in zip(Self.buckets, bucketCounts) {
                cumulative += count
                lines.append("rnn_http_request_duration_seconds_bucket{le=\"\(bound)\"} \(cumulative)")
            }
            lines += [
                "rnn_http_request_duration_seconds_bucket{le=\"+Inf\"} \(latencyCount)",
                "rnn_http_request_duration_seconds_sum \(latencySum)",
                "rnn_http_request_duration_seconds_count \(latencyCount)",
                "# HELP rnn_predictions_total Texts classified, by model.",
                "# TYPE rnn_predictions_total counter",
            ]
            for model in predictions.keys.sorted() {
                lines.append("rnn_predictions_total{model=\"\(model)\"} \(predictions[model]!)")
            }
            if !translations.isEmpty {
                lines += ["# HELP rnn_translations_total Texts translated, by model.", "# TYPE rnn_translations_total counter"]
                for model in translations.keys.sorted() {
                    lines.append("rnn_translations_total{model=\"\(model)\"} \(translations[model]!)")
                }
            }
            return lines.joined(separator: "\n") + "\n"
        }
    }
}
