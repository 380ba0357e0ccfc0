import Foundation

/// Writes `report.html` for a training run: one self-contained page (inline SVG and CSS; no
/// script, no network) with the loss and accuracy per epoch for training and validation, the
/// best epoch marked, a table of every evaluation, and a model card (data files and their sizes,
/// settings, time, speed, RNNKit version). After training, `finish` adds a classifier's
/// confusion matrix as a heat-map, its per-class precision, recall and F1, and its most confident
/// mistakes.
///
/// The page is rewritten (atomically) after each evaluation, so a long run can be watched by
/// reloading it.
///
///     let report = try TrainingReport(path: "report/report.html", card: .init(title: "reviews"))
///     let summary = try run.fit { event in try report.record(event) }
///     try report.finish(summary: summary,
///                       classification: (try run.classifier.evaluate(on: validationRows).report, "validation data"))
public final class TrainingReport {
    /// What the run was: shown as the page's model card.
    public struct ModelCard {
        public var title: String
        /// The data sets: a role ("training", "validation", "test", "text"), a file path (or a
        /// description such as "built-in data") and what it held ("1,024 examples"). A path that
        /// names a file gets its size.
        public var data: [(role: String, source: String, contents: String)]
        /// Settings as name and value: configuration, recipe, options.
        public var settings: [(name: String, value: String)]

        public init(title: String, data: [(role: String, source: String, contents: String)] = [],
                    settings: [(name: String, value: String)] = []) {
            self.title = title
            self.data = data
            self.settings = settings
        }
    }

    public let path: String
    public var card: ModelCard
    private let level: TokenLevel?
    /// Every evaluation recorded so far.
    public private(set) var evaluations: [EpochReport] = []
    private var plan: TrainingPlan?
    private var summary: TrainingSummary?
    private var classification: (report: ClassificationReport, source: String)?
    private var mistakes: [ConfidentMistake] = []

    /// Checks that `path` can take the file (`OutputFile.check`); nothing is written yet.
    /// - Parameter level: the token level of a language model; nil for a classifier.
    public init(path: String, card: ModelCard, level: TokenLevel? = nil) throws {
        try OutputFile.check(path)
        self.path = path
        self.card = card
        self.level = level
    }

    /// Takes note of the plan (`.started`) and of each evaluation (`.evaluated`), rewriting the
    /// page after each evaluation; other events are ignored.
    public func record(_ event: TrainingEvent) throws {
        switch event {
        case .started(let p): plan = p
        case .evaluated(let r):
            evaluations.append(r)
            try write()
        case .batch, .skippedStep: break
        }
    }

    /// Writes the final page: the run's summary and, for a classifier, its scores on one data
    /// set (named by `source`, e.g. "validation data (dev.tsv)") and its most confident mistakes
    /// there.
    public func finish(summary: TrainingSummary, classification: (report: ClassificationReport, source: String)? = nil,
                       mistakes: [ConfidentMistake] = []) throws {
        self.summary = summary
        self.classification = classification
        self.mistakes = mistakes
        try write()
    }

    private func write() throws {
        try AtomicFile.write(Array(html().utf8), to: path)
    }

    /// The page as it stands.
    public func html() -> String {
        let e = HTML.escape
        var h = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(e(card.title)) — training report</title>
            <style>
            body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px auto; max-width: 1000px; color: #222; padding: 0 16px; }
            h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin-top: 28px; border-bottom: 1px solid #ddd; }
            .status { color: #555; margin-top: 0; }
            table { border-collapse: collapse; margin: 8px 0; } td, th { padding: 3px 10px; border-bottom: 1px solid #eee; text-align: right; }
            th { background: #f5f5f5; } td.text, th.text { text-align: left; }
            span.word { padding: 1px 3px; border-radius: 3px; } span.unk { font-style: italic; }
            tr.best td { font-weight: 600; background: #fff8e1; }
            .charts { display: flex; flex-wrap: wrap; gap: 12px; }
            svg { background: #fff; border: 1px solid #e5e5e5; max-width: 100%; height: auto; }
            svg .title { font-size: 13px; font-weight: 600; } svg .tick { font-size: 11px; fill: #444; }
            svg .axis { stroke: #888; } svg .grid { stroke: #eee; } svg .cell { font-size: 12px; }
            svg .best { stroke: #d08700; stroke-dasharray: 4 3; } svg .best-label { font-size: 11px; fill: #a06800; }
            .note { color: #666; font-size: 13px; }
            </style></head><body>
            <h1>\(e(card.title))</h1>

            """
        let isLM = level != nil
        let best = bestEpoch
        if let resumed = plan?.resumed {
            h += "<p class=\"status\">Resumed from a checkpoint at epoch \(resumed.epoch): the curves and tables start there "
                + "(metrics.jsonl keeps the earlier epochs).</p>\n"
        }
        if let summary {
            var s = "finished: \(summary.epochs) epoch\(summary.epochs == 1 ? "" : "s") in \(Self.duration(summary.seconds))"
            if summary.stoppedEarly { s += ", stopped early (validation loss stopped improving)" }
            if summary.stoppedByTime { s += ", stopped by the time budget" }
            if let b = summary.bestEpoch { s += "; the model holds the weights of epoch \(b)" }
            h += "<p class=\"status\">\(e(s)).</p>\n"
        } else {
            let last = evaluations.last.map { "epoch \($0.epoch)" } ?? "starting"
            h += "<p class=\"status\">training in progress (\(last)); this page is rewritten after each evaluation.</p>\n"
        }

        // Curves.
        h += "<h2>Training curves</h2>\n<div class=\"charts\">\n"
        func series(_ name: String, _ color: String, _ value: (EpochReport) -> Double?) -> SVGChart.Series? {
            let points = evaluations.compactMap { r in value(r).map { (x: r.epoch, y: $0) } }
            return points.isEmpty ? nil : SVGChart.Series(name: name, color: color, points: points)
        }
        let trainColor = "#1f77b4", validationColor = "#ff7f0e", testColor = "#2ca02c"
        h += SVGChart.lines(title: isLM ? "Loss (nats per token)" : "Loss (cross-entropy)", series: [
            series("train", trainColor) { $0.train.loss },
            series("validation", validationColor) { $0.validation?.loss },
            series("test", testColor) { $0.test?.loss },
        ].compactMap { $0 }, best: best) + "\n"
        if isLM {
            h += SVGChart.lines(title: level == .char ? "Bits per character" : "Perplexity", series: [
                series("train", trainColor) { level == .char ? $0.train.bitsPerToken : $0.train.perplexity },
                series("validation", validationColor) { r in r.validation.map { level == .char ? $0.bitsPerToken : $0.perplexity } },
            ].compactMap { $0 }, best: best) + "\n"
        } else {
            h += SVGChart.lines(title: "Accuracy", series: [
                series("train", trainColor) { $0.train.accuracy },
                series("validation", validationColor) { $0.validation?.accuracy },
                series("test", testColor) { $0.test?.accuracy },
            ].compactMap { $0 }, best: best) + "\n"
        }
        h += "</div>\n"
        if let best { h += "<p class=\"note\">The dashed line marks the best epoch (lowest validation loss): epoch \(best).</p>\n" }
        h += evaluationTable(best: best)

        if let classification {
            h += classificationSection(classification.report, source: classification.source)
        }
        if !mistakes.isEmpty, let source = classification?.source {
            h += "<h2>Most confident mistakes (\(e(source)))</h2>\n<table><tr><th class=\"text\">text</th><th class=\"text\">true label</th>"
                + "<th class=\"text\">predicted</th><th>probability</th></tr>\n"
            for m in mistakes {
                h += "<tr><td class=\"text\">\(Self.explained(m))</td><td class=\"text\">\(e(m.trueLabel))</td><td class=\"text\">\(e(m.predictedLabel))</td>"
                    + "<td>\(Self.number(m.probability, 3))</td></tr>\n"
            }
            h += "</table>\n<p class=\"note\">Each word is coloured as <code>rnn explain</code> colours it: green pushed the "
                + "classifier towards its (wrong) prediction, red away from it (importance by occlusion; gradient × input where "
                + "removing the word leaves no known word). Italic: not in the vocabulary. Hover a word for its numbers.</p>\n"
        }
        h += modelCard()
        return h + "</body></html>\n"
    }

    /// A mistake's text as the model read it, each token coloured by its importance for the wrong
    /// prediction; the plain text when it has no explanation.
    private static func explained(_ m: ConfidentMistake) -> String {
        guard let x = m.explanation, let predicted = x.labels.firstIndex(of: x.label) else { return HTML.escape(m.text) }
        let importance = x.tokens.map { $0.occlusion ?? $0.gradientTimesInput }
        let scale = importance.map(abs).max() ?? 0
        return zip(x.tokens, importance).map { token, value in
            let title = "p(\(x.label)) so far \(number(Double(token.probabilities[predicted]), 3)), occlusion "
                + (token.occlusion.map { number(Double($0), 3) } ?? "—")
                + ", gradient × input \(number(Double(token.gradientTimesInput), 3))"
            return "<span class=\"word\(token.known ? "" : " unk")\" style=\"background:\(HTML.importanceCSS(value, scale: scale))\" "
                + "title=\"\(HTML.escape(title))\">\(HTML.escape(token.text))</span>"
        }.joined(separator: " ")
    }

    /// The epoch whose weights the run keeps: the last evaluation marked best, when there is
    /// validation data (without it every evaluation is "best").
    private var bestEpoch: Int? {
        if let b = summary?.bestEpoch { return b }
        guard evaluations.contains(where: { $0.validation != nil }) else { return nil }
        return evaluations.last(where: \.isBest)?.epoch
    }

    private func evaluationTable(best: Int?) -> String {
        let isLM = level != nil
        let hasValidation = evaluations.contains { $0.validation != nil }
        let hasTest = evaluations.contains { $0.test != nil }
        var h = "<h2>Evaluations</h2>\n<table><tr><th>epoch</th><th>train loss</th>"
        h += isLM ? "<th>train ppl</th>" : "<th>train acc</th>"
        if hasValidation { h += isLM ? "<th>val loss</th><th>val ppl</th>" : "<th>val loss</th><th>val acc</th>" }
        if hasTest { h += "<th>test loss</th><th>test acc</th>" }
        h += "<th>tokens/s</th><th>elapsed</th></tr>\n"
        for r in evaluations {
            h += r.epoch == best ? "<tr class=\"best\">" : "<tr>"
            h += "<td>\(r.epoch)\(r.completeEpoch ? "" : " (part)")</td><td>\(Self.number(r.train.loss, 4))</td>"
            h += "<td>\(isLM ? Self.number(r.train.perplexity, 2) : Self.number(r.train.accuracy, 4))</td>"
            if hasValidation {
                h += "<td>\(Self.number(r.validation?.loss, 4))</td>"
                h += "<td>\(isLM ? Self.number(r.validation?.perplexity, 2) : Self.number(r.validation?.accuracy, 4))</td>"
            }
            if hasTest { h += "<td>\(Self.number(r.test?.loss, 4))</td><td>\(Self.number(r.test?.accuracy, 4))</td>" }
            h += "<td>\(Self.number(r.tokensPerSecond, 0))</td><td>\(Self.duration(r.elapsed))</td></tr>\n"
        }
        return h + "</table>\n"
    }

    private func classificationSection(_ report: ClassificationReport, source: String) -> String {
        let e = HTML.escape
        var h = "<h2>Confusion matrix (\(e(source)))</h2>\n"
        h += "<p class=\"note\">\(report.count) examples; accuracy \(Self.number(report.accuracy, 4)), macro-F1 "
            + "\(Self.number(report.macroF1, 4)). Rows are true labels, columns predictions; shade is the share of the row.</p>\n"
        h += SVGChart.confusion(report) + "\n"
        h += "<h2>Per-class scores (\(e(source)))</h2>\n<table><tr><th class=\"text\">label</th><th>precision</th><th>recall</th>"
            + "<th>F1</th><th>support</th></tr>\n"
        for (label, s) in zip(report.labels, report.classes) {
            h += "<tr><td class=\"text\">\(e(label))</td><td>\(Self.number(s.precision, 4))</td><td>\(Self.number(s.recall, 4))</td>"
                + "<td>\(Self.number(s.f1, 4))</td><td>\(s.support)</td></tr>\n"
        }
        return h + "</table>\n"
    }

    private func modelCard() -> String {
        let e = HTML.escape
        var h = "<h2>Model card</h2>\n<table>\n"
        for d in card.data {
            var size = ""
            if let attributes = try? FileManager.default.attributesOfItem(atPath: d.source),
               let bytes = attributes[.size] as? NSNumber {
                size = ", \(Self.bytes(bytes.intValue))"
            }
            h += "<tr><th class=\"text\">\(e(d.role)) data</th><td class=\"text\">\(e(d.source))\(e(size))\(d.contents.isEmpty ? "" : "; " + e(d.contents))</td></tr>\n"
        }
        for s in card.settings {
            h += "<tr><th class=\"text\">\(e(s.name))</th><td class=\"text\">\(e(s.value))</td></tr>\n"
        }
        if let plan {
            h += "<tr><th class=\"text\">parameters</th><td class=\"text\">\(plan.parameterCount)</td></tr>\n"
        }
        if let summary {
            h += "<tr><th class=\"text\">time</th><td class=\"text\">\(Self.duration(summary.seconds)), \(summary.steps) steps"
                + (summary.skippedSteps > 0 ? " (\(summary.skippedSteps) skipped: not finite)" : "") + "</td></tr>\n"
            h += "<tr><th class=\"text\">speed</th><td class=\"text\">\(Self.number(summary.tokensPerSecond, 0)) tokens/s (training steps)</td></tr>\n"
        } else if let last = evaluations.last {
            h += "<tr><th class=\"text\">time so far</th><td class=\"text\">\(Self.duration(last.elapsed))</td></tr>\n"
            h += "<tr><th class=\"text\">speed</th><td class=\"text\">\(Self.number(last.tokensPerSecond, 0)) tokens/s (training steps)</td></tr>\n"
        }
        h += "<tr><th class=\"text\">RNNKit</th><td class=\"text\">\(e(rnnKitVersion))</td></tr>\n"
        h += "<tr><th class=\"text\">written</th><td class=\"text\">\(e(ISO8601DateFormatter().string(from: Date())))</td></tr>\n"
        return h + "</table>\n"
    }

    /// A number with `decimals` places; "—" for nil or a non-finite value (never "nan").
    static func number(_ x: Double?, _ decimals: Int) -> String {
        guard let x, x.isFinite else { return "—" }
        return String(format: "%.\(decimals)f", x)
    }

    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "—" }
        if seconds < 60 { return String(format: "%.1f s", seconds) }
        if seconds < 3600 { return String(format: "%d min %02d s", Int(seconds) / 60, Int(seconds) % 60) }
        return String(format: "%d h %02d min", Int(seconds) / 3600, Int(seconds) % 3600 / 60)
    }

    static func bytes(_ n: Int) -> String {
        if n >= 1 << 20 { return String(format: "%.1f MB", Double(n) / 1_048_576) }
        if n >= 1 << 10 { return String(format: "%.1f kB", Double(n) / 1024) }
        return "\(n) bytes"
    }
}
