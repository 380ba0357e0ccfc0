/// The top layer's units after a single-sequence forward, for explanations.
package enum HiddenUnits {
    /// activations[u][t]: unit u (forward direction's first, then reverse) after step t, read
    /// from the outputs the layers keep from the last forward of one sequence of `steps` tokens.
    package static func activations(of stack: RecurrentStack, steps: Int) -> [[Float]] {
        let H = stack.hiddenSize
        return stack.layers[stack.numLayers - 1].flatMap { layer in
            // B = 1: packed row t is step t, in either direction.
            (0..<H).map { j in (0..<steps).map { t in layer.outputs[t * H + j] } }
        }
    }

    /// Σ |h_t − h_{t−1}| in reading order (from the end for a reverse-direction unit), h_0 = 0.
    package static func totalChange(_ a: [Float], reverse: Bool) -> Float {
        let ordered = reverse ? Array(a.reversed()) : a
        var previous: Double = 0, total: Double = 0
        for v in ordered {
            total += abs(Double(v) - previous)
            previous = Double(v)
        }
        return Float(total)
    }

    /// The population variance of `a`.
    package static func variance(_ a: [Float]) -> Float {
        guard !a.isEmpty else { return 0 }
        let mean = a.reduce(0.0) { $0 + Double($1) } / Double(a.count)
        return Float(a.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(a.count))
    }

    /// The `count` indices with the largest scores, largest first; ties by the lower index.
    package static func top(_ scores: [Float], count: Int) -> [Int] {
        Array(scores.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }.prefix(count))
    }
}
