import Foundation
import RNNKit

/// An explanation as terminal text: a table with one row per token, a sparkline, and — when
/// `colored` — the text with each token's background coloured (24-bit ANSI colour).
struct ExplanationText {
    let colored: Bool

    func render(_ explanation: Explanation) -> String {
        switch explanation {
        case .classifier(let e): return render(e)
        case .languageModel(let e): return render(e)
        case .translation(let source, let t): return render(source: source, t)
        }
    }

    /// The translation, then its attention as a grid: a column per source token, a row per
    /// output step (each word, then <eos>), each cell shaded by its weight — with ░▒▓█, or on a
    /// colour terminal by its background, with the weight written in it.
    private func render(source: String, _ t: Translation) -> String {
        var lines = ["\(jsonQuote(source)) → \(jsonQuote(t.text))  (log p \(fixed(Float(t.logProbability)))"
                     + (t.finished ? ")" : "; unfinished: cut at the length limit)")]
        guard !t.attention.isEmpty else {
            lines.append("  no attention to show: the model has none (it was trained with --attention none).")
            return lines.joined(separator: "\n")
        }
        let unknown = Set(t.unknownWords)
        let columns = t.sourceTokens.enumerated().map { s, token in
            display(token) + (s > 0 && s < t.sourceTokens.count - 1 && unknown.contains(token) ? "*" : "")
        }
        let rows = (t.tokens + (t.finished ? ["<eos>"] : [])).map(display)
        let rowWidth = max(rows.map(\.count).max() ?? 0, 5)
        let widths = columns.map { max($0.count, colored ? 4 : 3) }
        func centred(_ text: String, _ width: Int) -> String {
            let space = max(0, width - text.count)
            return String(repeating: " ", count: space / 2) + text + String(repeating: " ", count: space - space / 2)
        }
        lines.append("  " + String(repeating: " ", count: rowWidth) + " "
                     + zip(columns, widths).map { centred($0, $1) }.joined(separator: " "))
        for (i, weights) in t.attention.enumerated() {
            let label = i < rows.count ? rows[i] : ""
            let cells = zip(weights, widths).map { w, width -> String in
                if colored, let color = importanceColor(w, scale: 1) {
                    return color + centred(String(format: "%.2f", w), width) + "\u{1B}[0m"
                }
                let level = shade(w)
                return level == "·" ? centred("·", width) : String(repeating: level, count: width)
            }
            lines.append("  " + label.padding(toLength: rowWidth, withPad: " ", startingAt: 0) + " " + cells.joined(separator: " "))
        }
        if !colored {
            lines.append("  attention of each output word (row) to each source word (column): "
                         + "· < 0.125 ≤ ░ < 0.375 ≤ ▒ < 0.625 ≤ ▓ < 0.875 ≤ █")
        }
        if columns.contains(where: { $0.hasSuffix("*") }) { lines.append("  * not in the vocabulary: read as <unk>") }
        return lines.joined(separator: "\n")
    }

    /// A weight in 0…1 as one of five shades (a dot for the lightest, so that the grid shows).
    private func shade(_ w: Float) -> Character {
        let shades: [Character] = ["·", "░", "▒", "▓", "█"]
        return shades[min(4, max(0, Int((w.isFinite ? w : 0) * 4 + 0.5)))]
    }

    private func render(_ e: ClassifierExplanation) -> String {
        let predicted = e.labels.firstIndex(of: e.label)!
        let others = e.labels.indices.filter { $0 != predicted }
            .map { "\(e.labels[$0]) \(fixed(e.probabilities[$0]))" }.joined(separator: ", ")
        var lines = ["\(jsonQuote(e.text)) → \(e.label) \(fixed(e.probabilities[predicted]))"
                     + (others.isEmpty ? "" : " (\(others))")]
        // The colour is the occlusion, which needs no linear approximation; gradient × input
        // where occlusion is not defined (a lone known word).
        let importance = e.tokens.map { $0.occlusion ?? $0.gradientTimesInput }
        let scale = importance.map(abs).max() ?? 0
        if colored {
            lines.append("  " + zip(e.tokens, importance).map { paint(display($0.0.text), $0.1, scale: scale) }
                .joined(separator: " "))
        }
        let unitHeads = e.units.map { "unit \($0.index)" }
        let head = ["token", "p(\(e.label))", "occlusion", "grad×input"] + unitHeads
        var rows: [[String]] = []
        for (t, token) in e.tokens.enumerated() {
            rows.append([display(token.text) + (token.known ? "" : "*"), fixed(token.probabilities[predicted]),
                         token.occlusion.map(signed) ?? "—", signed(token.gradientTimesInput)]
                        + e.units.map { signed($0.activations[t]) })
        }
        lines += table(head, rows, paintFirst: colored ? { importanceColor(importance[$0], scale: scale) } : nil)
        lines.append("  p(\(e.label)) as it reads: " + sparkline(e.tokens.map { $0.probabilities[predicted] }, maximum: 1))
        if !e.units.isEmpty {
            lines.append("  units by change over the text (Σ|Δh|): "
                         + e.units.map { "\($0.index) \(fixed($0.change))" }.joined(separator: ", "))
        }
        if e.tokens.contains(where: { !$0.known }) { lines.append("  * not in the vocabulary: read as <unk>") }
        if !e.skippedWords.isEmpty {
            lines.append("  skipped (not in the vocabulary): " + e.skippedWords.joined(separator: " "))
        }
        return lines.joined(separator: "\n")
    }

    private func render(_ e: LanguageModelExplanation) -> String {
        let what = e.level == .char ? "character" : "word"
        let predicted = e.tokens.count - 1
        var lines = [jsonQuote(e.text) + " — " + (e.meanSurprisal.map {
            "\(fixed($0)) bits per \(what) over \(predicted) predicted \(what)\(predicted == 1 ? "" : "s")"
        } ?? "one \(what): nothing to predict it from")]
        let surprisals = e.tokens.map { $0.surprisal ?? 0 }
        let most = surprisals.max() ?? 0
        if colored {
            let separator = e.level == .char ? "" : " "
            // Surprise in red; each unit's activation green (positive) or red (negative).
            // A space keeps its place in a coloured line, where its background shows it.
            func shown(_ token: String) -> String { token == " " ? " " : display(token) }
            lines.append("  bits  " + zip(e.tokens, surprisals).map { paint(shown($0.0.text), -$0.1, scale: most) }
                .joined(separator: separator))
            for unit in e.units {
                let scale = unit.activations.map(abs).max() ?? 0
                lines.append("  u\(unit.index)".padding(toLength: 8, withPad: " ", startingAt: 0)
                             + zip(e.tokens, unit.activations).map { paint(shown($0.0.text), $0.1, scale: scale) }
                                .joined(separator: separator))
            }
        }
        let head = ["pos", what, "p", "bits"] + e.units.map { "unit \($0.index)" }
        let rows = e.tokens.enumerated().map { t, token in
            ["\(t)", display(token.text) + (token.known ? "" : "*"), token.probability.map(fixed) ?? "—",
             token.surprisal.map(fixed) ?? "—"] + e.units.map { signed($0.activations[t]) }
        }
        lines += table(head, rows, paintFirst: nil)
        lines.append("  bits as it reads: " + sparkline(surprisals, maximum: max(most, 1)))
        if !e.units.isEmpty {
            lines.append("  units: " + e.units.map(describe).joined(separator: "; "))
        }
        if e.tokens.contains(where: { !$0.known }) { lines.append("  * not in the vocabulary: read as <unk>") }
        return lines.joined(separator: "\n")
    }

    /// "12 follows inside quotes (r +0.812), variance 0.301".
    private func describe(_ unit: LanguageModelExplanation.Unit) -> String {
        let feature = unit.feature.map { "follows \($0) (r \(signed(unit.correlation ?? 0))), " } ?? ""
        return "\(unit.index) \(feature)variance \(fixed(unit.variance))"
    }

    /// Rows under a head, columns padded to their widest cell (by characters), indented by two.
    private func table(_ head: [String], _ rows: [[String]], paintFirst: ((Int) -> String?)?) -> [String] {
        let all = [head] + rows
        let widths = head.indices.map { c in all.map { $0[c].count }.max()! }
        return all.enumerated().map { r, row in
            "  " + row.enumerated().map { c, cell in
                let padded = c == 0 ? cell.padding(toLength: widths[c], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[c] - cell.count) + cell
                if c == 0, r > 0, let color = paintFirst?(r - 1) { return color + padded + "\u{1B}[0m" }
                return padded
            }.joined(separator: "  ")
        }
    }

    private func paint(_ text: String, _ value: Float, scale: Float) -> String {
        guard colored, let color = importanceColor(value, scale: scale) else { return text }
        return color + text + "\u{1B}[0m"
    }

    /// A background from white (0) to full green (+scale) or red (−scale), black text.
    private func importanceColor(_ value: Float, scale: Float) -> String? {
        guard colored, scale > 0 else { return nil }
        let (r, g, b) = HTML.importanceRGB(value / scale)
        return "\u{1B}[48;2;\(r);\(g);\(b)m\u{1B}[38;2;0;0;0m"
    }
}

/// ▁…█ for values from 0 to `maximum`.
func sparkline(_ values: [Float], maximum: Float) -> String {
    let bars = Array("▁▂▃▄▅▆▇█")
    return String(values.map { bars[min(bars.count - 1, max(0, Int($0 / maximum * Float(bars.count))))] })
}

/// A token as it can be shown on one line: spaces and control characters made visible.
func display(_ token: String) -> String {
    switch token {
    case " ": return "␣"
    case "\n": return "\\n"
    case "\t": return "\\t"
    case "\r": return "\\r"
    default:
        return String(token.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "�" : Character($0) })
    }
}

/// Three decimals, as explanations show numbers.
func fixed(_ v: Float) -> String { String(format: "%.3f", v) }
/// Three decimals with a sign.
func signed(_ v: Float) -> String { String(format: "%+.3f", v) }
