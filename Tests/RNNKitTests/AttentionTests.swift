import Foundation
import Testing
@testable import RNNKit

/// `Attention` against its naive Double twin `ReferenceAttention`, for each kind.
///
/// The problem: B = 3 sequences of lengths 5, 1 and 3 padded to S = 5, attended by T = 2 decoder
/// steps that share one key projection (the split a decoder uses), under the loss
/// L = Σ_t Σ_b dc_tb·c_tb with fixed random dc. Padded keys and projected keys hold NaN, so any
/// read of them would show in α, c or a gradient. Query and key sizes differ (3 and 4) where the
/// kind allows, so a transposed weight cannot pass.
@Suite("Attention")
struct AttentionTests {
    static let B = 3, S = 5, T = 2, A = 5
    static let lengths = [5, 1, 3]
    static let prefix = "decoder.attention"

    static func sizes(_ kind: AttentionKind) -> (Hq: Int, Hk: Int) { kind == .dot ? (4, 4) : (3, 4) }

    /// The layer with PyTorch's init, and its inputs.
    struct Problem {
        let layer: Attention
        let queries: [[Float]]   // [t] (B, Hq)
        let keys: [Float]        // (B, S, Hk), NaN past each length
        let upstream: [[Float]]  // [t] (B, Hk): dc

        init(_ kind: AttentionKind, seed: UInt64 = 7) {
            let (Hq, Hk) = AttentionTests.sizes(kind)
            let (B, S, T) = (AttentionTests.B, AttentionTests.S, AttentionTests.T)
            var rng = SeededGenerator(seed: seed)
            layer = Attention(kind, querySize: Hq, keySize: Hk, attentionSize: AttentionTests.A, name: AttentionTests.prefix)
            layer.initializePyTorch(using: &rng)
            // Scores of order 1, so that α is neither uniform nor one-hot and every path carries gradient.
            func draw(_ n: Int) -> [Float] { (0..<n).map { _ in Float(2 * rng.nextUniform() - 1) } }
            queries = (0..<T).map { _ in draw(B * Hq).map { 2 * $0 } }
            var keys = draw(B * S * Hk).map { 2 * $0 }
            for b in 0..<B {
                for s in AttentionTests.lengths[b]..<S { for j in 0..<Hk { keys[(b * S + s) * Hk + j] = .nan } }
            }
            self.keys = keys
            upstream = (0..<T).map { _ in draw(B * Hk) }
        }

        /// The same problem for the reference, in Double, without the padding.
        var reference: (ReferenceAttention<Double>, ReferenceAttention<Double>.Inputs, [[[Double]]]) {
            let (Hq, Hk) = (layer.querySize, layer.keySize)
            let (B, S) = (AttentionTests.B, AttentionTests.S)
            func rows(_ x: [Float], _ n: Int, _ size: Int) -> [[Double]] {
                (0..<n).map { r in x[(r * size)..<((r + 1) * size)].map(Double.init) }
            }
            let inputs = ReferenceAttention<Double>.Inputs(
                queries: queries.map { rows($0, B, Hq) },
                keys: (0..<B).map { b in Array(rows(Array(keys[(b * S * Hk)...]), AttentionTests.lengths[b], Hk)) })
            return (ReferenceAttention(layer, prefix: AttentionTests.prefix), inputs, upstream.map { rows($0, B, Hk) })
        }
    }

    /// What the Float layer computes for a problem, forward and backward.
    struct Run {
        var alpha: [[Float]] = []     // [t] (B, S)
        var context: [[Float]] = []   // [t] (B, Hk)
        var dQueries: [[Float]] = []  // [t] (B, Hq)
        var dKeys: [Float] = []       // (B, S, Hk)
        var dProjected: [Float] = []  // (B, S, P)
        var gradients: [String: [Float]] = [:]  // by name without the prefix
    }

    /// One key projection, T forward steps, T backward steps (last first) adding into one dP, one
    /// key-projection backward: the order a decoder runs them in.
    static func run(_ p: Problem) -> Run {
        let layer = p.layer, (Hq, Hk, P) = (layer.querySize, layer.keySize, layer.projectedKeySize)
        let keys = Tensor(shape: [B, S, Hk], values: p.keys)
        let projected = P == 0 ? nil : Tensor(shape: [B, S, P], values: .init(repeating: .nan, count: B * S * P))
        let dProjected = P == 0 ? nil : Tensor(shape: [B, S, P])
        let dKeys = Tensor(shape: [B, S, Hk])
        let queries = p.queries.map { Tensor(shape: [B, Hq], values: $0) }
        let alpha = (0..<T).map { _ in Tensor(shape: [B, S], values: .init(repeating: .nan, count: B * S)) }
        let context = (0..<T).map { _ in Tensor(shape: [B, Hk]) }
        let dQueries = (0..<T).map { _ in Tensor(shape: [B, Hq]) }
        layer.parameters.zeroGradients()

        if let projected { layer.projectKeys(B, S, keys: keys.data, lengths: lengths, projected: projected.data) }
        for t in 0..<T {
            layer.forward(B, S, query: queries[t].data, keys: keys.data, projectedKeys: projected?.data, lengths: lengths,
                          weights: alpha[t].data, context: context[t].data)
        }
        for t in (0..<T).reversed() {
            let dc = Tensor(shape: [B, Hk], values: p.upstream[t])
            layer.backward(B, S, dContext: dc.data, query: queries[t].data, keys: keys.data,
                           projectedKeys: projected?.data, lengths: lengths, weights: alpha[t].data,
                           dQuery: dQueries[t].data, dKeys: dKeys.data, dProjectedKeys: dProjected?.data)
        }
        if let dProjected {
            layer.projectKeysBackward(B, S, dProjected: dProjected.data, keys: keys.data, lengths: lengths,
                                      dKeys: dKeys.data)
        }
        var r = Run()
        r.alpha = alpha.map(\.array)
        r.context = context.map(\.array)
        r.dQueries = dQueries.map(\.array)
        r.dKeys = dKeys.array
        r.dProjected = dProjected?.array ?? []
        for q in layer.parameters { r.gradients[String(q.name.dropFirst(prefix.count + 1))] = q.grad.array }
        return r
    }

    /// Pads the reference's per-sequence rows to (B, S, size) with `fill` past each length.
    static func padded(_ x: [[[Double]]], size: Int, fill: Double = 0) -> [Double] {
        var out = [Double](repeating: fill, count: B * S * size)
        for b in 0..<B { for (s, row) in x[b].enumerated() { for j in 0..<size { out[(b * S + s) * size + j] = row[j] } } }
        return out
    }

    // MARK: Parameters

    @Test("PyTorch names, shapes and nn.Linear init", arguments: AttentionKind.allCases)
    func parameters(kind: AttentionKind) {
        let layer = Problem(kind).layer
        let expected: [String: ([Int], Double)] = switch kind {
        case .additive: ["attn.weight": ([Self.A, 3 + 4], 7), "attn.bias": ([Self.A], 7), "v.weight": ([1, Self.A], Double(Self.A))]
        case .dot: [:]
        case .general: ["weight": ([3, 4], 4)]
        }
        #expect(Set(layer.parameters.map(\.name)) == Set(expected.keys.map { "\(Self.prefix).\($0)" }))
        for p in layer.parameters {
            guard let (shape, fanIn) = expected[String(p.name.dropFirst(Self.prefix.count + 1))] else { continue }
            #expect(p.value.shape == shape, "\(p.name)")
            let bound = 1 / fanIn.squareRoot(), values = p.value.array.map(Double.init)
            #expect(values.allSatisfy { abs($0) < bound }, "\(p.name) outside ±\(bound)")
            // Drawn from the whole range, not a narrower one.
            #expect(values.map(abs).max()! > bound / 2, "\(p.name) all within ±\(bound / 2)")
        }
    }

    // MARK: Against the reference

    @Test("Forward equals the Double reference", arguments: AttentionKind.allCases)
    func forward(kind: AttentionKind) {
        let problem = Problem(kind), run = Self.run(problem)
        let (reference, x, _) = problem.reference
        for t in 0..<Self.T {
            var alpha = [Double](repeating: 0, count: Self.B * Self.S), context: [Double] = []
            for b in 0..<Self.B {
                let (a, c) = reference.forward(x.queries[t][b], x.keys[b])
                for s in a.indices { alpha[b * Self.S + s] = a[s] }
                context += c
            }
            expectClose(run.alpha[t], alpha, tolerance: 1e-6, shape: [Self.B, Self.S], "\(kind) α at step \(t)")
            expectClose(run.context[t], context, tolerance: 1e-6, shape: [Self.B, reference.keySize], "\(kind) c at step \(t)")
            // Not uniform: the scores matter.
            #expect(alpha[0..<Self.S].max()! - alpha[0..<Self.S].min()! > 0.05, "\(kind): α nearly uniform")
        }
    }

    /// Central differences (L(θ + h) − L(θ − h)) / 2h in Double with h = 1e-5, for every element of
    /// every parameter, query and real key: truncation O(h²·L''') ≈ 1e-10, rounding O(ε·L/h) ≈ 1e-11.
    @Test("Double reference gradients equal central finite differences", arguments: AttentionKind.allCases)
    func finiteDifferences(kind: AttentionKind) {
        let (reference, x, dc) = Problem(kind).reference
        let analytic = reference.gradients(x, upstream: dc)
        let h = 1e-5
        /// The derivative in one element, set through `set` on copies of the reference and inputs.
        typealias Setter = (inout ReferenceAttention<Double>, inout ReferenceAttention<Double>.Inputs, Double) -> Void
        func numeric(_ value: Double, _ set: Setter) -> Double {
            let up = value + h, down = value - h
            var (r1, x1, r2, x2) = (reference, x, reference, x)
            set(&r1, &x1, up)
            set(&r2, &x2, down)
            return (r1.loss(x1, upstream: dc) - r2.loss(x2, upstream: dc)) / (up - down)  // the step actually taken
        }
        func check(_ a: [Double], _ n: [Double], _ what: String) {
            expectClose(a, n, tolerance: 1e-7, what)
            #expect(n.contains { abs($0) > 1e-3 }, "\(what): all finite differences near zero")
        }
        for (name, values) in reference.parameters.sorted(by: { $0.key < $1.key }) {
            let n = values.indices.map { k in numeric(values[k]) { r, _, v in r.parameters[name]![k] = v } }
            check(analytic.parameters[name]!, n, "\(kind) d\(name)")
        }
        for t in x.queries.indices {
            for b in x.keys.indices {
                let n = x.queries[t][b].indices.map { i in numeric(x.queries[t][b][i]) { _, y, v in y.queries[t][b][i] = v } }
                if x.keys[b].count == 1 {
                    // One key takes all the weight whatever its score: the query cannot matter.
                    #expect(n.allSatisfy { $0 == 0 } && analytic.queries[t][b].allSatisfy { $0 == 0 },
                            "\(kind) dq[\(t)][\(b)] of a length-1 source: \(n), \(analytic.queries[t][b])")
                } else {
                    check(analytic.queries[t][b], n, "\(kind) dq[\(t)][\(b)]")
                }
            }
        }
        for b in x.keys.indices {
            let n = x.keys[b].indices.flatMap { s in
                x.keys[b][s].indices.map { j in numeric(x.keys[b][s][j]) { _, y, v in y.keys[b][s][j] = v } }
            }
            check(analytic.keys[b].flatMap { $0 }, n, "\(kind) dK[\(b)]")
        }
    }

    @Test("Float backward equals the Double reference's gradients", arguments: AttentionKind.allCases)
    func backward(kind: AttentionKind) {
        let problem = Problem(kind), run = Self.run(problem)
        let (reference, x, dc) = problem.reference
        let expected = reference.gradients(x, upstream: dc)
        #expect(Set(run.gradients.keys) == Set(expected.parameters.keys))
        for (name, g) in expected.parameters {
            expectClose(run.gradients[name] ?? [], g, tolerance: 1e-5, "\(kind) d\(name)")
        }
        for t in 0..<Self.T {
            expectClose(run.dQueries[t], expected.queries[t].flatMap { $0 }, tolerance: 1e-5, "\(kind) dq at step \(t)")
        }
        let Hk = reference.keySize
        expectClose(run.dKeys, Self.padded(expected.keys, size: Hk), tolerance: 1e-5, shape: [Self.B, Self.S, Hk],
                    "\(kind) dK")
    }

    // MARK: Masking and normalization

    @Test("Padding: α exactly 0, dK and dP exactly 0, nothing read", arguments: AttentionKind.allCases)
    func masking(kind: AttentionKind) {
        let problem = Problem(kind), run = Self.run(problem)
        let (Hk, P) = (problem.layer.keySize, problem.layer.projectedKeySize)
        for b in 0..<Self.B {
            let L = Self.lengths[b]
            for t in 0..<Self.T {
                #expect(run.alpha[t][(b * Self.S + L)..<((b + 1) * Self.S)].allSatisfy { $0 == 0 }, "\(kind) α[\(t)][\(b)]")
                #expect(run.alpha[t][(b * Self.S)..<(b * Self.S + L)].allSatisfy { $0 > 0 }, "\(kind) α[\(t)][\(b)] real")
            }
            #expect(run.dKeys[((b * Self.S + L) * Hk)..<((b + 1) * Self.S * Hk)].allSatisfy { $0 == 0 }, "\(kind) dK[\(b)]")
            #expect(run.dProjected[((b * Self.S + L) * P)..<((b + 1) * Self.S * P)].allSatisfy { $0 == 0 },
                    "\(kind) dP[\(b)]")
        }
        // The NaN in padded keys and projected keys reached nothing.
        var everything: [Float] = run.dKeys + run.dProjected
        for t in 0..<Self.T { everything += run.alpha[t] + run.context[t] + run.dQueries[t] }
        for g in run.gradients.values { everything += g }
        #expect(everything.allSatisfy { $0.isFinite }, "\(kind): a padded value was read")
        // Length 1: all weight on the one key, whatever its score.
        #expect(run.alpha[0][Self.S] == 1 && run.alpha[1][Self.S] == 1)
    }

    @Test("α sums to 1 over each sequence's own length", arguments: AttentionKind.allCases)
    func normalization(kind: AttentionKind) {
        let problem = Problem(kind), run = Self.run(problem)
        let (reference, x, _) = problem.reference
        for t in 0..<Self.T {
            for b in 0..<Self.B {
                let sum = run.alpha[t][(b * Self.S)..<((b + 1) * Self.S)].reduce(0, +)
                #expect(abs(sum - 1) <= 1e-6, "\(kind) Σα[\(t)][\(b)] = \(sum)")
                let referenceSum = reference.forward(x.queries[t][b], x.keys[b]).alpha.reduce(0, +)
                #expect(abs(referenceSum - 1) <= 1e-14, "\(kind) reference Σα[\(t)][\(b)] = \(referenceSum)")
            }
        }
    }

    @Test("Stable softmax: scores far beyond exp's range give finite α")
    func largeScores() {
        // Dot scores of ±12800 (exact in Float): exp would overflow without the max subtracted.
        let layer = Attention(.dot, querySize: 2, keySize: 2)
        let query = Tensor(shape: [1, 2], values: [128, 0])
        let keys = Tensor(shape: [1, 3, 2], values: [100, 0, 100 - 1.0 / 128, 0, -100, 0])
        let alpha = Tensor(shape: [1, 3]), context = Tensor(shape: [1, 2])
        layer.forward(1, 3, query: query.data, keys: keys.data, projectedKeys: nil, lengths: [3],
                      weights: alpha.data, context: context.data)
        // e = (12800, 12799, −12800): α ∝ (1, e^−1, 0).
        let expected = [1 / (1 + exp(-1.0)), exp(-1.0) / (1 + exp(-1.0)), 0]
        expectClose(alpha.array, expected, tolerance: 1e-6, "α")
    }

    @Test("A length-0 source is refused")
    func emptySource() async {
        await #expect(processExitsWith: .failure) {
            let layer = Attention(.dot, querySize: 2, keySize: 2)
            let query = Tensor(shape: [2, 2]), keys = Tensor(shape: [2, 3, 2])
            let alpha = Tensor(shape: [2, 3]), context = Tensor(shape: [2, 2])
            layer.forward(2, 3, query: query.data, keys: keys.data, projectedKeys: nil, lengths: [3, 0],
                          weights: alpha.data, context: context.data)
        }
    }
}
