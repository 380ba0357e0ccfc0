/// Text made safe inside HTML and SVG, in element content and in quoted attributes: the one
/// escape of the training report and `rnn explain --html`.
package enum HTML {
    package static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }

    /// The colour of an importance or activation `v` in −1…1 (clamped): white at 0, green towards
    /// +1 (pushed towards the prediction, or a positive activation), red towards −1. One scale for
    /// the report, `rnn explain` (terminal and page) and the server's page.
    package static func importanceRGB(_ v: Float) -> (red: Int, green: Int, blue: Int) {
        let a = Double(min(max(abs(v), 0), 1))
        let target = v >= 0 ? (60.0, 180.0, 90.0) : (220.0, 60.0, 60.0)
        func mix(_ c: Double) -> Int { Int((255 + (c - 255) * a).rounded()) }
        return (mix(target.0), mix(target.1), mix(target.2))
    }

    /// `value / scale` on the importance scale as CSS; white when `scale` is 0.
    package static func importanceCSS(_ value: Float, scale: Float) -> String {
        let (r, g, b) = importanceRGB(scale > 0 ? value / scale : 0)
        return "rgb(\(r),\(g),\(b))"
    }
}
