/// Simple facts about each position of a text that a language model's units are known to track
/// (Karpathy, Johnson and Fei-Fei, "Visualizing and Understanding Recurrent Networks": a cell
/// that is on inside quotes, one that counts the position in the line), for finding such units.
package enum TextFeatures {
    /// Each feature's values after each token, for the features that vary over `tokens` (a
    /// constant feature correlates with nothing). Position in line only at the character level.
    package static func values(_ tokens: [String], characterLevel: Bool) -> [(name: String, values: [Float])] {
        var quotes: [Float] = [], parentheses: [Float] = [], column: [Float] = []
        var inside = false, depth = 0, position = 0
        for token in tokens {
            if token == "\"" { inside.toggle() }
            if token == "(" { depth += 1 }
            if token == ")" { depth = max(0, depth - 1) }
            // A closing mark still belongs to what it closes.
            quotes.append(inside || token == "\"" ? 1 : 0)
            parentheses.append(depth > 0 || token == ")" ? 1 : 0)
            column.append(Float(position))
            position = token == "\n" ? 0 : position + 1
        }
        let all = [("inside quotes", quotes), ("inside parentheses", parentheses)]
            + (characterLevel ? [("position in line", column)] : [])
        return all.filter { feature in feature.1.contains { $0 != feature.1[0] } }.map { (name: $0.0, values: $0.1) }
    }

    /// Pearson's correlation of `a` and `b` (0 when either is constant).
    package static func correlation(_ a: [Float], _ b: [Float]) -> Float {
        let n = Double(a.count)
        guard n > 1 else { return 0 }
        let ma = a.reduce(0.0) { $0 + Double($1) } / n, mb = b.reduce(0.0) { $0 + Double($1) } / n
        var sab = 0.0, saa = 0.0, sbb = 0.0
        for (x, y) in zip(a, b) {
            let (dx, dy) = (Double(x) - ma, Double(y) - mb)
            sab += dx * dy
            saa += dx * dx
            sbb += dy * dy
        }
        guard saa > 0, sbb > 0 else { return 0 }
        return Float(sab / (saa * sbb).squareRoot())
    }
}
