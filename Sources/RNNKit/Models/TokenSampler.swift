import Foundation

/// Draws token ids from logits with temperature, top-k and top-p (see `SamplingOptions`), from
/// a seeded generator: the same seed and logits give the same draws on every platform.
/// Reuses its work arrays, so drawing allocates nothing once they have grown to V.
package struct TokenSampler: Sendable {
    package let options: SamplingOptions
    package var rng: SeededGenerator
    private var probabilities: [Double] = []
    private var order: [Int] = []

    /// `options` must be usable (`options.problem == nil`); `TextGenerator` checks and throws instead.
    package init(options: SamplingOptions, seed: UInt64) {
        precondition(options.problem == nil, options.problem ?? "")
        self.options = options
        rng = SeededGenerator(seed: seed)
    }

    package mutating func sample(_ logits: [Float], excluding excluded: Int? = nil) -> Int {
        logits.withUnsafeBufferPointer { sample($0, excluding: excluded) }
    }

    /// One draw. `excluded` (e.g. `<unk>`) is never drawn unless it is the only token.
    package mutating func sample(_ logits: UnsafeBufferPointer<Float>, excluding excluded: Int? = nil) -> Int {
        let V = logits.count
        precondition(V > 0, "no logits to sample from")
        func allowed(_ k: Int) -> Bool { k != excluded || V == 1 }
        // NaN logits (a diverged model) are treated as −∞ so they are never chosen.
        func value(_ k: Int) -> Double {
            let y = Double(logits[k])
            return allowed(k) && !y.isNaN ? y : -.infinity
        }
        var best = allowed(0) ? 0 : 1
        for k in 0..<V where value(k) > value(best) { best = k }
        let top = value(best)
        if options.temperature == 0 || options.topK == 1 || top == .infinity || top == -.infinity { return best }

        // Work arrays moved out of self for the duration, so the sort's comparator can read one
        // while the other is being sorted, without copying either.
        var probabilities = self.probabilities, order = self.order
        self.probabilities = []
        self.order = []
        defer {
            self.probabilities = probabilities
            self.order = order
        }
        if probabilities.count < V { probabilities = [Double](repeating: 0, count: V) }
        let inverseTemperature = 1 / options.temperature
        var total = 0.0
        for k in 0..<V {
            let p = exp((value(k) - top) * inverseTemperature)
            probabilities[k] = p
            total += p
        }

        var kept = V
        let filtering = options.topK.map { $0 < V } ?? false || options.topP.map { $0 < 1 } ?? false
        if filtering {
            // Most probable first; ties by id, so the kept set is well defined.
            if order.count != V { order = Array(0..<V) } else { for k in 0..<V { order[k] = k } }
            order.sort { (probabilities[$0], $1) > (probabilities[$1], $0) }
            if let k = options.topK, k < V {
                kept = k
                total = 0
                for i in 0..<kept { total += probabilities[order[i]] }
            }
            if let p = options.topP, p < 1 {
                let threshold = p * total
                var mass = 0.0, n = 0
                while n < kept {
                    mass += probabilities[order[n]]
                    n += 1
                    if mass >= threshold { break }
                }
                kept = max(n, 1)
                total = mass
            }
        }

        let u = rng.nextUniform() * total
        var acc = 0.0
        var chosen = best
        for i in 0..<kept {
            let k = filtering ? order[i] : i
            let p = probabilities[k]
            if p == 0 { continue }
            acc += p
            chosen = k
            if u < acc { break }
        }
        return chosen
    }
}
