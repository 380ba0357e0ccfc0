import Foundation
import RNNKit

/// Explanations as one self-contained HTML page: inline CSS and SVG, no script, nothing fetched.
enum ExplanationPage {
    static func html(_ explanations: [Explanation], model: String) -> String {
        var body = ""
        for e in explanations {
            switch e {
            case .classifier(let e): body += section(e)
            case .languageModel(let e): body += section(e)
            case .translation(let source, let t): body += section(source: source, t)
            }
        }
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <title>rnn explain: \(HTML.escape(model))</title>
            <style>
            body { font: 15px/1.5 system-ui, sans-serif; margin: 2em auto; max-width: 60em; color: #222; }
            h1 { font-size: 1.3em; } h2 { font-size: 1.1em; margin-top: 2em; }
            .text { font-size: 1.4em; line-height: 2; }
            .text span { padding: 0.1em 0.25em; border-radius: 0.2em; }
            .chars { font: 1.1em/1.8 ui-monospace, monospace; white-space: pre-wrap; word-break: break-all; }
            .chars span { padding: 0.1em 0; }
            table { border-collapse: collapse; margin: 1em 0; font-variant-numeric: tabular-nums; }
            th, td { padding: 0.15em 0.6em; text-align: right; border-bottom: 1px solid #eee; }
            th:first-child, td:first-child { text-align: left; }
            .unk { font-style: italic; } .note { color: #666; font-size: 0.9em; }
            svg text { font: 11px system-ui, sans-serif; fill: #444; }
            table.attention td { min-width: 2.2em; text-align: center; color: #333; font-size: 0.85em; }
            table.attention th { text-align: center; font-weight: normal; }
            table.attention th.out { text-align: right; }
            </style></head><body>
            <h1>How <code>\(HTML.escape(model))</code> reads</h1>
            <p class="note">Green: pushed towards the prediction (or a positive activation, or a translation's attention); red: away from it
            (or negative). Italic: not in the vocabulary, read as &lt;unk&gt;. Hover a token for its numbers.</p>
            \(body)</body></html>

            """
    }

    private static func section(_ e: ClassifierExplanation) -> String {
        let predicted = e.labels.firstIndex(of: e.label)!
        let importance = e.tokens.map { $0.occlusion ?? $0.gradientTimesInput }
        let scale = importance.map(abs).max() ?? 0
        let spans = zip(e.tokens, importance).map { token, value in
            let title = "p(\(e.label)) so far \(fixed(token.probabilities[predicted])), occlusion "
                + (token.occlusion.map(signed) ?? "—") + ", gradient × input \(signed(token.gradientTimesInput))"
            return "<span\(token.known ? "" : " class=\"unk\"") style=\"background:\(css(value, scale))\" title=\"\(HTML.escape(title))\">\(HTML.escape(token.text))</span>"
        }.joined(separator: " ")
        let probabilities = zip(e.labels, e.probabilities).map { "\(HTML.escape($0)) \(fixed($1))" }.joined(separator: ", ")
        var rows = ""
        for (t, token) in e.tokens.enumerated() {
            rows += "<tr><td\(token.known ? "" : " class=\"unk\"")>\(HTML.escape(token.text))</td><td>\(fixed(token.probabilities[predicted]))</td>"
                + "<td style=\"background:\(css(token.occlusion ?? 0, scale))\">\(token.occlusion.map(signed) ?? "—")</td>"
                + "<td>\(signed(token.gradientTimesInput))</td>"
                + e.units.map { unitCell($0.activations[t], $0.activations) }.joined() + "</tr>\n"
        }
        let unitHeads = e.units.map { "<th title=\"Σ|Δh| \(fixed($0.change))\">unit \($0.index)</th>" }.joined()
        return """
            <section><h2>\(HTML.escape(e.text))</h2>
            <p>Prediction: <b>\(HTML.escape(e.label))</b> (\(probabilities))</p>
            <p class="text">\(spans)</p>
            \(plot(e.tokens.map { $0.probabilities[predicted] }, labels: e.tokens.map(\.text), title: "p(\(e.label)) after each word"))
            <table><tr><th>token</th><th>p(\(HTML.escape(e.label)))</th><th>occlusion</th><th>grad × input</th>\(unitHeads)</tr>
            \(rows)</table>
            \(e.skippedWords.isEmpty ? "" : "<p class=\"note\">Skipped (not in the vocabulary): \(HTML.escape(e.skippedWords.joined(separator: " ")))</p>")
            </section>

            """
    }

    private static func section(_ e: LanguageModelExplanation) -> String {
        let separator = e.level == .char ? "" : " "
        let surprisals = e.tokens.map { $0.surprisal ?? 0 }
        let most = surprisals.max() ?? 0
        func line(_ values: [Float], scale: Float, title: (Int) -> String) -> String {
            "<p class=\"chars\">" + e.tokens.enumerated().map { t, token in
                "<span\(token.known ? "" : " class=\"unk\"") style=\"background:\(css(values[t], scale))\" title=\"\(HTML.escape(title(t)))\">\(HTML.escape(token.text))</span>"
            }.joined(separator: separator) + "</p>"
        }
        let bits = line(surprisals.map { -$0 }, scale: most) { t in
            e.tokens[t].probability.map { "p \(fixed($0)), \(fixed(surprisals[t])) bits" } ?? "first token: not predicted"
        }
        let units = e.units.map { unit in
            "<h3>Unit \(unit.index) <span class=\"note\">(" + (unit.feature.map { "follows \(HTML.escape($0)): r \(signed(unit.correlation ?? 0)), " } ?? "")
                + "variance \(fixed(unit.variance)))</span></h3>"
                + line(unit.activations, scale: unit.activations.map(abs).max() ?? 0) { "activation \(signed(unit.activations[$0]))" }
        }.joined(separator: "\n")
        let mean = e.meanSurprisal.map { "\(fixed($0)) bits per \(e.level == .char ? "character" : "word")" } ?? "one token"
        return """
            <section><h2>\(HTML.escape(e.text))</h2>
            <p>Surprisal (−log₂ p of each token given those before it; red is surprising): \(mean)</p>
            \(bits)
            \(plot(e.tokens.map { $0.surprisal.map { $0 / max(most, 1) } }, labels: e.tokens.map(\.text), title: "surprisal (0 to \(fixed(max(most, 1))) bits)"))
            \(units)
            </section>

            """
    }

    /// A translation and its attention as a table: a column per source token, a row per output
    /// step (each word, then <eos>), each cell shaded by its weight, which its title gives.
    private static func section(source: String, _ t: Translation) -> String {
        let header = """
            <section><h2>\(HTML.escape(source))</h2>
            <p>Translation: <b>\(HTML.escape(t.text))</b> <span class="note">(log p \(fixed(Float(t.logProbability)))\(t.finished ? "" : "; unfinished: cut at the length limit"))</span></p>

            """
        guard !t.attention.isEmpty else {
            return header + "<p class=\"note\">No attention to show: the model has none (it was trained with --attention none).</p>\n</section>\n"
        }
        let unknown = Set(t.unknownWords)
        let inner = 1..<max(1, t.sourceTokens.count - 1)
        let heads = t.sourceTokens.enumerated().map { s, token in
            "<th\(inner.contains(s) && unknown.contains(token) ? " class=\"unk\"" : "")>\(HTML.escape(token))</th>"
        }.joined()
        let outputs = t.tokens + (t.finished ? ["<eos>"] : [])
        var rows = ""
        for (i, weights) in t.attention.enumerated() {
            let word = i < outputs.count ? outputs[i] : ""
            rows += "<tr><th class=\"out\">\(HTML.escape(word))</th>" + zip(t.sourceTokens, weights).map { token, w in
                let title = "\(word) → \(token): \(String(format: "%.4f", w))"
                return "<td style=\"background:\(css(w, 1))\" title=\"\(HTML.escape(title))\">\(String(format: "%.2f", w))</td>"
            }.joined() + "</tr>\n"
        }
        return header + """
            <p class="note">Attention: how much each output word (row) looked at each source word (column); each row sums to 1.</p>
            <table class="attention"><tr><th></th>\(heads)</tr>
            \(rows)</table>
            </section>

            """
    }

    /// A line plot of values in 0…1, one point per token (none where nil), as inline SVG that
    /// shrinks to the page's width.
    private static func plot(_ values: [Float?], labels: [String], title: String) -> String {
        // Room for each token's label under its point (some 7 px a character).
        let spacing = max(40, 7 * (labels.map(\.count).max() ?? 0) + 8)
        let (width, height, left, top) = (max(300, spacing * values.count), 140, 30, 20)
        let right = spacing / 2
        let step = values.count > 1 ? Double(width - left - right) / Double(values.count - 1) : 0
        func x(_ t: Int) -> Int { left + Int(Double(t) * step) }
        func y(_ v: Float) -> Int { top + Int(Double(height - top - 30) * (1 - Double(min(max(v, 0), 1)))) }
        let present = values.enumerated().compactMap { t, v in v.map { (t, $0) } }
        let points = present.map { "\(x($0)),\(y($1))" }.joined(separator: " ")
        let dots = present.map { "<circle cx=\"\(x($0))\" cy=\"\(y($1))\" r=\"3\" fill=\"#2a6\"/>" }.joined()
        let names = values.count <= 60 ? labels.enumerated().map {
            "<text x=\"\(x($0))\" y=\"\(height - 8)\" text-anchor=\"middle\">\(HTML.escape(display($1)))</text>"
        }.joined() : ""
        return """
            <svg width="\(width)" height="\(height)" viewBox="0 0 \(width) \(height)" style="max-width:100%;height:auto" role="img" aria-label="\(HTML.escape(title))">
            <text x="\(left)" y="12">\(HTML.escape(title))</text>
            <line x1="\(left)" y1="\(y(0.5))" x2="\(width - right)" y2="\(y(0.5))" stroke="#ccc" stroke-dasharray="4"/>
            <line x1="\(left)" y1="\(y(0))" x2="\(width - right)" y2="\(y(0))" stroke="#999"/>
            <text x="2" y="\(y(1) + 4)">1</text><text x="2" y="\(y(0) + 4)">0</text>
            <polyline points="\(points)" fill="none" stroke="#2a6" stroke-width="2"/>\(dots)\(names)</svg>
            """
    }

    private static func unitCell(_ value: Float, _ all: [Float]) -> String {
        "<td style=\"background:\(css(value, all.map(abs).max() ?? 0))\">\(signed(value))</td>"
    }

    private static func css(_ value: Float, _ scale: Float) -> String { HTML.importanceCSS(value, scale: scale) }
}
