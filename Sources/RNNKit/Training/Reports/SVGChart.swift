import Foundation

/// Inline SVG drawings for `TrainingReport`: a line chart of values per epoch and a confusion
/// matrix heat-map. Plain SVG with no script or external resource, so a report opens anywhere.
enum SVGChart {
    struct Series {
        var name: String
        var color: String
        var points: [(x: Int, y: Double)]
    }

    /// A line chart; `best` draws a dashed line and a label at that epoch.
    static func lines(title: String, series: [Series], best: Int?) -> String {
        let width = 600.0, height = 260.0, left = 60.0, right = 16.0, top = 28.0, bottom = 40.0
        let points = series.flatMap(\.points).filter { $0.y.isFinite }
        var svg = "<svg class=\"chart\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" "
            + "width=\"\(Int(width))\" height=\"\(Int(height))\" role=\"img\" aria-label=\"\(HTML.escape(title))\">"
        svg += "<text x=\"\(left)\" y=\"16\" class=\"title\">\(HTML.escape(title))</text>"
        guard let minX = points.map(\.x).min(), let maxX = points.map(\.x).max(),
              let minY = points.map(\.y).min(), let maxY = points.map(\.y).max() else {
            return svg + "<text x=\"\(left)\" y=\"\(height / 2)\">no values yet</text></svg>"
        }
        let (x0, x1) = minX == maxX ? (Double(minX) - 1, Double(maxX) + 1) : (Double(minX), Double(maxX))
        let pad = maxY == minY ? max(abs(maxY) * 0.1, 0.5) : (maxY - minY) * 0.06
        let (y0, y1) = (minY - pad, maxY + pad)
        func px(_ x: Double) -> Double { left + (x - x0) / (x1 - x0) * (width - left - right) }
        func py(_ y: Double) -> Double { top + (y1 - y) / (y1 - y0) * (height - top - bottom) }
        func f(_ v: Double) -> String { String(format: "%.1f", v) }

        // Axes and ticks.
        svg += "<line x1=\"\(f(left))\" y1=\"\(f(top))\" x2=\"\(f(left))\" y2=\"\(f(height - bottom))\" class=\"axis\"/>"
        svg += "<line x1=\"\(f(left))\" y1=\"\(f(height - bottom))\" x2=\"\(f(width - right))\" y2=\"\(f(height - bottom))\" class=\"axis\"/>"
        let yStep = niceStep((y1 - y0) / 5)
        var y = (y0 / yStep).rounded(.up) * yStep
        while y <= y1 {
            svg += "<line x1=\"\(f(left))\" y1=\"\(f(py(y)))\" x2=\"\(f(width - right))\" y2=\"\(f(py(y)))\" class=\"grid\"/>"
            svg += "<text x=\"\(f(left - 6))\" y=\"\(f(py(y) + 4))\" class=\"tick\" text-anchor=\"end\">\(tickText(y, step: yStep))</text>"
            y += yStep
        }
        let xStep = max(1, Int(niceStep(Double(maxX - minX) / 8)))
        var x = (minX + xStep - 1) / xStep * xStep
        while x <= maxX {
            svg += "<text x=\"\(f(px(Double(x))))\" y=\"\(f(height - bottom + 16))\" class=\"tick\" text-anchor=\"middle\">\(x)</text>"
            x += xStep
        }
        svg += "<text x=\"\(f((left + width - right) / 2))\" y=\"\(f(height - 6))\" class=\"tick\" text-anchor=\"middle\">epoch</text>"

        if let best, best >= minX, best <= maxX {
            svg += "<line x1=\"\(f(px(Double(best))))\" y1=\"\(f(top))\" x2=\"\(f(px(Double(best))))\" y2=\"\(f(height - bottom))\" class=\"best\"/>"
            // Right of the line, or left of it near the right edge.
            let nearEdge = px(Double(best)) > width - right - 90
            svg += "<text x=\"\(f(px(Double(best)) + (nearEdge ? -4 : 4)))\" y=\"\(f(top + 12))\" class=\"best-label\""
                + (nearEdge ? " text-anchor=\"end\"" : "") + ">best: epoch \(best)</text>"
        }
        for s in series {
            let finite = s.points.filter { $0.y.isFinite }
            guard !finite.isEmpty else { continue }
            let path = finite.map { "\(f(px(Double($0.x)))),\(f(py($0.y)))" }.joined(separator: " ")
            svg += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(s.color)\" stroke-width=\"2\"/>"
            if finite.count <= 60 {
                for p in finite {
                    let r = p.x == best ? 5.0 : 2.5
                    svg += "<circle cx=\"\(f(px(Double(p.x))))\" cy=\"\(f(py(p.y)))\" r=\"\(r)\" fill=\"\(s.color)\"/>"
                }
            }
        }
        // Legend in the title's row, right-aligned, clear of the plot.
        for (k, s) in series.enumerated() {
            let lx = width - right - 90 * Double(series.count - k), ly = 7.0
            svg += "<rect x=\"\(f(lx))\" y=\"\(f(ly))\" width=\"10\" height=\"10\" fill=\"\(s.color)\"/>"
            svg += "<text x=\"\(f(lx + 14))\" y=\"\(f(ly + 9))\" class=\"tick\">\(HTML.escape(s.name))</text>"
        }
        return svg + "</svg>"
    }

    /// Rows are true labels, columns predicted ones; a cell's shade is its share of its row (the
    /// recall of the diagonal), so rare classes are as readable as common ones.
    static func confusion(_ report: ClassificationReport) -> String {
        let n = report.labels.count
        let cell = max(22.0, min(64.0, 420.0 / Double(max(n, 1))))
        let labelWidth = 130.0, top = 110.0
        let width = labelWidth + cell * Double(n) + 10, height = top + cell * Double(n) + 30
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        var svg = "<svg class=\"confusion\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" "
            + "width=\"\(Int(width))\" height=\"\(Int(height))\" role=\"img\" aria-label=\"confusion matrix\">"
        svg += "<text x=\"\(f(labelWidth))\" y=\"14\" class=\"title\">predicted →</text>"
        svg += "<text x=\"4\" y=\"\(f(top - 6))\" class=\"title\">true ↓</text>"
        for (j, label) in report.labels.enumerated() {
            let x = labelWidth + cell * (Double(j) + 0.5)
            svg += "<text transform=\"translate(\(f(x)),\(f(top - 6))) rotate(-45)\" class=\"tick\">\(HTML.escape(short(label)))</text>"
        }
        for (i, row) in report.confusion.enumerated() {
            let total = max(row.reduce(0, +), 1)
            let y = top + cell * Double(i)
            svg += "<text x=\"\(f(labelWidth - 6))\" y=\"\(f(y + cell / 2 + 4))\" class=\"tick\" text-anchor=\"end\">\(HTML.escape(short(report.labels[i])))</text>"
            for (j, count) in row.enumerated() {
                let share = Double(count) / Double(total)
                // From near-white to deep blue.
                let r = Int(247 - share * (247 - 8)), g = Int(251 - share * (251 - 48)), b = Int(255 - share * (255 - 107))
                let x = labelWidth + cell * Double(j)
                svg += "<rect x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(cell))\" height=\"\(f(cell))\" fill=\"rgb(\(r),\(g),\(b))\" stroke=\"#fff\">"
                svg += "<title>true \(HTML.escape(report.labels[i])), predicted \(HTML.escape(report.labels[j])): \(count)</title></rect>"
                if cell >= 22 {
                    svg += "<text x=\"\(f(x + cell / 2))\" y=\"\(f(y + cell / 2 + 4))\" text-anchor=\"middle\" class=\"cell\" "
                        + "fill=\"\(share > 0.5 ? "#fff" : "#222")\">\(count)</text>"
                }
            }
        }
        return svg + "</svg>"
    }

    private static func short(_ label: String) -> String {
        label.count <= 16 ? label : String(label.prefix(15)) + "…"
    }

    /// 1, 2 or 5 times a power of ten, at least `raw`.
    static func niceStep(_ raw: Double) -> Double {
        guard raw > 0, raw.isFinite else { return 1 }
        let power = pow(10, (log10(raw)).rounded(.down))
        for m in [1.0, 2, 5, 10] where m * power >= raw { return m * power }
        return 10 * power
    }

    private static func tickText(_ v: Double, step: Double) -> String {
        let decimals = max(0, Int(-log10(step).rounded(.down)))
        return String(format: "%.\(decimals)f", abs(v) < step / 1e6 ? 0 : v)
    }
}
