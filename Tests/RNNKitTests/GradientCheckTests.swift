import Foundation
import Testing
import RNNKit

/// A small random model for gradient checks: V = 5, H = 4, O = 3, every weight ~ N(0, σ²).
func randomReference(V: Int = 5, H: Int = 4, O: Int = 3, sigma: Double = 0.5, seed: UInt64)
    -> ReferenceRNNClassifier<Double>
{
    var rng = SeededGenerator(seed: seed)
    var r = ReferenceRNNClassifier<Double>(vocabularySize: V, hiddenSize: H, numClasses: O)
    for p in ReferenceParameter.allCases { r[p] = r[p].map { _ in rng.nextNormal() * sigma } }
    return r
}

/// A random word sequence and target for `r`.
func randomExample(for r: ReferenceRNNClassifier<Double>, length T: Int, seed: UInt64) -> (tokens: [Int], target: Int) {
    var rng = SeededGenerator(seed: seed)
    let tokens = (0..<T).map { _ in rng.nextInt(below: r.vocabularySize) }
    return (tokens, rng.nextInt(below: r.numClasses))
}

/// An optimized model holding the reference's weights rounded to Float, and the Double reference
/// holding exactly those rounded weights, so both compute with identical parameters.
func twins(_ r: ReferenceRNNClassifier<Double>) -> (SequenceClassifier, ReferenceRNNClassifier<Double>) {
    let model = SequenceClassifier(.tutorial(vocabularySize: r.vocabularySize, hiddenSize: r.hiddenSize,
                                             numClasses: r.numClasses))
    r.copy(into: model)
    return (model, ReferenceRNNClassifier<Double>(from: model))
}

@Suite("Gradient checks")
struct GradientCheckTests {
    @Test("Reference converts weights to and from the optimized layout (Wxh transposed)")
    func referenceConversionRoundTrip() {
        let r = randomReference(V: 7, H: 5, O: 3, seed: 11)
        let (model, back) = twins(r)
        for p in ReferenceParameter.allCases {
            #expect(back[p] == r[p].map { Double(Float($0)) }, "\(p.rawValue) changed in the round trip")
        }
        // Wxh (H, V) element (i, v) is the optimized model's one-hot weightIH (V, H) element (v, i).
        #expect(model.rnn.layers[0][0].weightIH.value[6, 4] == Float(r.wxh[4 * 7 + 6]))
        #expect(model.rnn.layers[0][0].weightIH.value[2, 1] == Float(r.wxh[1 * 7 + 2]))
        #expect(model.fc.weight.value[2, 3] == Float(r.why[2 * 5 + 3]))
        // And both compute the same thing.
        let tokens = [0, 6, 3, 3, 1]
        expectClose(model.logits(tokens), back.forward(tokens: tokens).logits, tolerance: 1e-5, "logits")
    }

    /// (a) Analytic BPTT gradients of the Double reference against central finite differences,
    /// (L(θ + h) − L(θ − h)) / 2h with h = 1e-5, for every element of every parameter.
    /// Truncation error is O(h²·L''') ≈ 1e-10 and rounding error O(ε·L/h) ≈ 1e-11 with ε = 1.1e-16,
    /// so agreement to a relative 1e-6 is expected wherever a gradient is not tiny. Elements the loss
    /// does not depend on (Wxh columns of absent words) are exactly zero on both sides.
    @Test("Double reference BPTT matches central finite differences", arguments: [(UInt64(1), 6), (2, 6), (3, 1), (4, 9)])
    func referenceFiniteDifferences(seed: UInt64, length: Int) throws {
        let r = randomReference(seed: seed)
        let (tokens, target) = randomExample(for: r, length: length, seed: seed &+ 100)
        let analytic = r.gradients(tokens: tokens, target: target)
        let h = 1e-5
        var checked = 0
        for p in ReferenceParameter.allCases {
            var worst = (error: 0.0, index: -1, analytic: 0.0, numeric: 0.0)
            for k in r[p].indices {
                var plus = r, minus = r
                plus[p][k] += h
                minus[p][k] -= h
                let numeric = (plus.loss(tokens: tokens, target: target) - minus.loss(tokens: tokens, target: target)) / (2 * h)
                let a = analytic[p][k]
                let e = relativeError(a, numeric)
                if e > worst.error { worst = (e, k, a, numeric) }
                checked += 1
            }
            #expect(worst.error < 1e-6,
                    "d\(p.rawValue)[\(worst.index)]: analytic \(worst.analytic), numeric \(worst.numeric), relative error \(worst.error)")
        }
        // The check must have had something to check: the output layer and bh always get a gradient;
        // Whh only from the second step on (h_0 = 0); Wxh only in the columns of words present.
        #expect(checked == 5 * 4 + 4 * 4 + 4 + 3 * 4 + 3)
        #expect(analytic.why.allSatisfy { $0 != 0 } && analytic.by.allSatisfy { $0 != 0 } && analytic.bh.allSatisfy { $0 != 0 })
        #expect(analytic.whh.allSatisfy { $0 == 0 } == (length == 1))
        for v in 0..<r.vocabularySize {
            let column = (0..<r.hiddenSize).map { analytic.wxh[$0 * r.vocabularySize + v] }
            #expect(column.allSatisfy { $0 == 0 } == !tokens.contains(v), "dWxh column \(v), tokens \(tokens)")
        }

    }

    /// The published tutorial's recurrence (Whh·g instead of Whhᵀ·g) is not the gradient: finite
    /// differences tell the two apart, so the check above would catch that mistake.
    @Test("Finite differences reject the published tutorial's dh = Whh·g")
    func publishedRuleIsNotTheGradient() {
        let r = randomReference(seed: 1)
        let (tokens, target) = randomExample(for: r, length: 6, seed: 101)
        let exact = r.gradients(tokens: tokens, target: target, rule: .exact)
        let published = r.gradients(tokens: tokens, target: target, rule: .tutorial)
        // Same for the output layer and the last step …
        #expect(exact.why == published.why)
        #expect(exact.by == published.by)
        // … different once the gradient has gone through Whh.
        let d = largestDifference(published.whh, exact.whh)!
        #expect(d.error > 1e-3, "Whh gradients of the two rules differ by only \(d.error)")
        let k = d.index, h = 1e-5
        var plus = r, minus = r
        plus.whh[k] += h
        minus.whh[k] -= h
        let numeric = (plus.loss(tokens: tokens, target: target) - minus.loss(tokens: tokens, target: target)) / (2 * h)
        #expect(relativeError(exact.whh[k], numeric) < 1e-6)
        #expect(relativeError(published.whh[k], numeric) > 1e-3)
    }

    /// (b) The optimized Float32 backward against the Double reference on identical weights: Float
    /// rounding over a few steps of H-long sums stays well below 1e-4 (relative above 1).
    @Test("Optimized Float32 gradients match the Double reference",
          arguments: [(5, 4, 3, 0.5, 6), (18, 64, 2, 0.15, 10), (9, 33, 5, 0.3, 7), (3, 17, 2, 0.4, 1)])
    func optimizedMatchesReference(V: Int, H: Int, O: Int, sigma: Double, T: Int) {
        let seed = UInt64(V * 1000 + H)
        let (model, r) = twins(randomReference(V: V, H: H, O: O, sigma: sigma, seed: seed))
        let (tokens, target) = randomExample(for: r, length: T, seed: seed &+ 7)
        // Gradients from a previous example must not leak: accumulate garbage, zero, then measure.
        _ = model.accumulateGradients(Array(tokens.reversed()), target: (target + 1) % O)
        model.parameters.zeroGradients()
        let result = model.accumulateGradients(tokens, target: target)
        expectClose(result.loss, r.loss(tokens: tokens, target: target), tolerance: 1e-5, "loss")
        let probs = r.forward(tokens: tokens).probs
        #expect(result.correct == (probs.indices.max { probs[$0] < probs[$1] } == target))
        let expected = r.gradients(tokens: tokens, target: target)
        let actual = ReferenceRNNClassifier<Double>.Gradients(gradientsOf: model)
        for p in ReferenceParameter.allCases {
            expectClose(actual[p], expected[p], tolerance: 1e-4, shape: r.shape(of: p), "d\(p.rawValue) (V \(V), H \(H), T \(T))")
        }
        // Gradients add: a second identical backward doubles them.
        _ = model.accumulateGradients(tokens, target: target)
        let doubled = ReferenceRNNClassifier<Double>.Gradients(gradientsOf: model)
        for p in ReferenceParameter.allCases {
            expectClose(doubled[p], expected[p].map { 2 * $0 }, tolerance: 2e-4, "2 × d\(p.rawValue)")
        }
    }

    /// (c) Finite differences on the optimized Float32 model itself.
    ///
    /// Step size: the loss is O(1) and computed in Float32 (unit roundoff ε ≈ 6e-8), so each loss
    /// value carries an error δ of a few ε, ~3e-7. A central difference then has rounding error ≈ δ/h
    /// and truncation error ≈ h²·|L'''|/6. Their sum is smallest near h = (3δ/|L'''|)^(1/3) ≈ 1e-2 for
    /// |L'''| ~ 1: with h = 1e-2 both terms are ≈ 3e-5, against a tolerance of 1e-3 (absolute for
    /// gradients below 1, relative above). A step like 1e-5 would be all rounding noise (δ/h ≈ 3e-2).
    /// The perturbation actually applied is measured in Float ((θ + h) − (θ − h) is not exactly 2h).
    @Test("Optimized Float32 BPTT matches Float32 finite differences (h = 1e-2)")
    func optimizedFiniteDifferences() {
        let (model, r) = twins(randomReference(seed: 5))
        let (tokens, target) = randomExample(for: r, length: 6, seed: 105)
        model.parameters.zeroGradients()
        _ = model.accumulateGradients(tokens, target: target)
        let h: Float = 1e-2
        var checked = 0
        for parameter in model.parameters {
            let analytic = parameter.grad.array
            var worst = (error: 0.0, index: -1, analytic: 0.0, numeric: 0.0)
            for k in 0..<parameter.value.count {
                let saved = parameter.value[k]
                let up = saved + h, down = saved - h
                parameter.value[k] = up
                let lossUp = model.evaluate(tokens, target: target).loss
                parameter.value[k] = down
                let lossDown = model.evaluate(tokens, target: target).loss
                parameter.value[k] = saved
                let numeric = Double(lossUp - lossDown) / (Double(up) - Double(down))
                let a = Double(analytic[k])
                let e = abs(a - numeric) / max(1, abs(a))
                if e > worst.error { worst = (e, k, a, numeric) }
                checked += 1
            }
            #expect(worst.error < 1e-3,
                    "\(parameter.name)[\(worst.index)]: analytic \(worst.analytic), numeric \(worst.numeric), error \(worst.error)")
        }
        #expect(checked == 5 * 4 + 4 * 4 + 4 + 3 * 4 + 3)
        // Evaluating must not have touched the gradients.
        let again = ReferenceRNNClassifier<Double>.Gradients(gradientsOf: model)
        expectClose(again.whh, r.gradients(tokens: tokens, target: target).whh, tolerance: 1e-4, "dWhh after evaluations")
    }

    @Test("Reference clipping and SGD step")
    func referenceClipAndStep() {
        var r = randomReference(seed: 9)
        var g = ReferenceRNNClassifier<Double>.Gradients(zeroLike: r)
        g.whh = g.whh.indices.map { Double($0) - 8 }  // −8 … 7
        g.by = [0.5, -3, 2]
        let clipped = g.clipped(to: 1)
        #expect(clipped.whh == g.whh.map { min(max($0, -1), 1) })
        #expect(clipped.by == [0.5, -1, 1])
        let before = r
        r.sgdStep(g, learningRate: 0.1, clip: 1)
        #expect(r.by == zip(before.by, [0.5, -1, 1]).map { $0 - 0.1 * $1 })
        #expect(r.wxh == before.wxh)  // zero gradient, no change
        var unclipped = before
        unclipped.sgdStep(g, learningRate: 0.1, clip: nil)
        #expect(unclipped.by == zip(before.by, [0.5, -3, 2]).map { $0 - 0.1 * $1 })
    }
}
