import Foundation

/// Writes `metrics.jsonl`: one JSON object per evaluation of a run, rewritten whole (atomically)
/// after each, so that a reader sees every evaluation so far and never half a line.
///
/// Keys: `epoch`, `complete_epoch`, `train_loss`, `train_accuracy` (classifiers),
/// `validation_loss`, `validation_accuracy` (with validation data), `test_loss`,
/// `test_accuracy` (with test data), `train_perplexity` and `validation_perplexity` (language
/// models), `tokens_per_second`, `elapsed_seconds`, `best`, `final`. A number that is not finite
/// is written as `null`.
///
///     let log = try MetricsLog(path: "report/metrics.jsonl")
///     try run.fit { event in try log.record(event) }
public final class MetricsLog {
    public let path: String
    private let level: TokenLevel?
    /// The lines written so far.
    public private(set) var lines: [String] = []

    /// Checks that `path` can take the file (`OutputFile.check`); nothing is written yet.
    /// - Parameter level: the token level of a language model (adds perplexity); nil for a classifier.
    public init(path: String, level: TokenLevel? = nil) throws {
        try OutputFile.check(path)
        self.path = path
        self.level = level
    }

    /// Adds the line of an `.evaluated` event and rewrites the file. A `.started` event of a run
    /// resumed from a checkpoint keeps the file's lines of the epochs before the resumed one (the
    /// run's earlier part), so the log stays whole; other events are ignored.
    public func record(_ event: TrainingEvent) throws {
        switch event {
        case .started(let plan):
            guard let resumed = plan.resumed, lines.isEmpty,
                  let old = try? String(contentsOfFile: path, encoding: .utf8) else { return }
            lines = old.split(separator: "\n").map(String.init).filter { line in
                Self.epoch(of: line).map { $0 < resumed.epoch } ?? false
            }
        case .evaluated(let report):
            lines.append(Self.line(for: report, level: level))
            try AtomicFile.write(Array(lines.map { $0 + "\n" }.joined().utf8), to: path)
        case .batch, .skippedStep: break
        }
    }

    /// The epoch of a line this type wrote (it starts `{"epoch":N,`); nil for any other line.
    static func epoch(of line: String) -> Int? {
        let prefix = "{\"epoch\":"
        guard line.hasPrefix(prefix) else { return nil }
        return Int(line.dropFirst(prefix.count).prefix { $0.isNumber })
    }

    /// One evaluation as a JSON object on one line.
    static func line(for r: EpochReport, level: TokenLevel?) -> String {
        var fields: [(String, String)] = [("epoch", "\(r.epoch)"), ("complete_epoch", "\(r.completeEpoch)")]
        func add(_ part: String, _ m: Metrics?) {
            guard let m else { return }
            fields.append(("\(part)_loss", JSONNumber.text(m.loss)))
            if let a = m.accuracy { fields.append(("\(part)_accuracy", JSONNumber.text(a))) }
            if level != nil { fields.append(("\(part)_perplexity", JSONNumber.text(m.perplexity))) }
        }
        add("train", r.train)
        add("validation", r.validation)
        add("test", r.test)
        fields += [("tokens_per_second", JSONNumber.text(r.tokensPerSecond)), ("elapsed_seconds", JSONNumber.text(r.elapsed)),
                   ("best", "\(r.isBest)"), ("final", "\(r.isFinal)")]
        return "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }
}

/// A Double as JSON: Swift's shortest round-trip text (valid JSON for finite values), `null`
/// for NaN and infinities, which JSON cannot hold.
enum JSONNumber {
    static func text(_ x: Double) -> String {
        guard x.isFinite else { return "null" }
        return x == x.rounded() && abs(x) < 1e15 ? "\(Int64(x))" : "\(x)"
    }
}
