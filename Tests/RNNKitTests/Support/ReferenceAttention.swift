@testable import RNNKit

/// The naive twin of `Attention`: one query against one sequence's keys at a time, plain arrays and
/// loops in the order the equations are written, generic over the scalar so that it runs in Double
/// for finite differences and gradient comparisons. Written from the equations, not from the
/// library: it is handed only a sequence's L real keys (padding cannot reach it), and it scores the
/// additive case from the concatenation W·[q ‖ k_s] + b directly, without the library's split into
/// a once-per-source key projection and a per-step query projection.
///
/// Parameters by PyTorch name without the layer's prefix, row-major in PyTorch's layout:
///     additive: attn.weight (A, Hq + Hk)   attn.bias (A)   v.weight (1, A)
///     general:  weight (Hq, Hk)
///     dot:      none
/// and per query q and keys k_0 … k_{L−1}:
///     additive: e_s = Σ_a v_a·tanh(b_a + Σ_j W_aj·[q ‖ k_s]_j)
///     dot:      e_s = Σ_i q_i·k_si
///     general:  e_s = Σ_i Σ_j q_i·W_ij·k_sj
///     α = softmax(e) (max subtracted),  c = Σ_s α_s·k_s
struct ReferenceAttention<S: ReferenceScalar> {
    let kind: AttentionKind
    let querySize: Int
    let keySize: Int
    /// By PyTorch name without the prefix.
    var parameters: [String: [S]]

    /// The layer's weights, converted to `S` (exactly, from Float), read by their PyTorch names.
    init(_ layer: Attention, prefix: String) {
        kind = layer.kind
        querySize = layer.querySize
        keySize = layer.keySize
        var parameters: [String: [S]] = [:]
        for p in layer.parameters {
            precondition(p.name.hasPrefix(prefix + "."), "\(p.name) lacks the prefix \(prefix)")
            parameters[String(p.name.dropFirst(prefix.count + 1))] = p.value.array.map { S($0) }
        }
        self.parameters = parameters
    }

    /// Per decoder step t and sequence b a query (Hq); per sequence b its L_b keys (Hk each).
    struct Inputs {
        var queries: [[[S]]]  // [t][b] (Hq)
        var keys: [[[S]]]     // [b][s] (Hk), s < L_b
    }

    /// The gradients of a loss, shaped like the parameters and the inputs.
    struct Gradients {
        var parameters: [String: [S]]
        var queries: [[[S]]]
        var keys: [[[S]]]
    }

    // MARK: Forward

    func scores(_ q: [S], _ keys: [[S]]) -> [S] {
        let (Hq, Hk) = (querySize, keySize)
        return keys.map { k in
            switch kind {
            case .additive:
                let w = parameters["attn.weight"]!, b = parameters["attn.bias"]!, v = parameters["v.weight"]!
                let x = q + k
                var e: S = 0
                for a in b.indices {
                    var z = b[a]
                    for j in 0..<(Hq + Hk) { z += w[a * (Hq + Hk) + j] * x[j] }
                    e += v[a] * S.tanh(z)
                }
                return e
            case .dot:
                var e: S = 0
                for i in 0..<Hq { e += q[i] * k[i] }
                return e
            case .general:
                let w = parameters["weight"]!
                var e: S = 0
                for i in 0..<Hq { for j in 0..<Hk { e += q[i] * w[i * Hk + j] * k[j] } }
                return e
            }
        }
    }

    /// Stable softmax: α_s = exp(e_s − m) / Σ_r exp(e_r − m), m = max e.
    static func softmax(_ e: [S]) -> [S] {
        let m = e.max()!
        let x = e.map { S.exp($0 - m) }
        let sum = x.reduce(0, +)
        return x.map { $0 / sum }
    }

    /// α (L) and c = Σ_s α_s·k_s (Hk).
    func forward(_ q: [S], _ keys: [[S]]) -> (alpha: [S], context: [S]) {
        let alpha = Self.softmax(scores(q, keys))
        var c = [S](repeating: 0, count: keySize)
        for (s, k) in keys.enumerated() { for j in 0..<keySize { c[j] += alpha[s] * k[j] } }
        return (alpha, c)
    }

    /// L = Σ_t Σ_b dc[t][b]·c(q[t][b], K_b): a scalar whose gradient in c is the given dc.
    func loss(_ x: Inputs, upstream dc: [[[S]]]) -> S {
        var l: S = 0
        for t in x.queries.indices {
            for b in x.keys.indices {
                let c = forward(x.queries[t][b], x.keys[b]).context
                for j in 0..<keySize { l += dc[t][b][j] * c[j] }
            }
        }
        return l
    }

    // MARK: Backward

    /// The analytic gradient of `loss`.
    func gradients(_ x: Inputs, upstream dc: [[[S]]]) -> Gradients {
        var g = Gradients(parameters: parameters.mapValues { $0.map { _ in 0 } },
                          queries: x.queries.map { $0.map { $0.map { _ in 0 } } },
                          keys: x.keys.map { $0.map { $0.map { _ in 0 } } })
        for t in x.queries.indices {
            for b in x.keys.indices {
                accumulate(&g, q: x.queries[t][b], keys: x.keys[b], dc: dc[t][b], t: t, b: b)
            }
        }
        return g
    }

    private func accumulate(_ g: inout Gradients, q: [S], keys: [[S]], dc: [S], t: Int, b: Int) {
        let (Hq, Hk) = (querySize, keySize)
        let alpha = forward(q, keys).alpha
        // c = Σ α_s k_s: dα_s = dc·k_s, dk_s += α_s·dc.
        var dAlpha = [S](repeating: 0, count: keys.count)
        for (s, k) in keys.enumerated() {
            for j in 0..<Hk {
                dAlpha[s] += dc[j] * k[j]
                g.keys[b][s][j] += alpha[s] * dc[j]
            }
        }
        // Softmax: de_s = α_s·(dα_s − Σ_r α_r·dα_r).
        var weighted: S = 0
        for s in keys.indices { weighted += alpha[s] * dAlpha[s] }
        for (s, k) in keys.enumerated() {
            let de = alpha[s] * (dAlpha[s] - weighted)
            switch kind {
            case .additive:
                let w = parameters["attn.weight"]!, bias = parameters["attn.bias"]!, v = parameters["v.weight"]!
                let x = q + k, I = Hq + Hk
                for a in bias.indices {
                    var z = bias[a]
                    for j in 0..<I { z += w[a * I + j] * x[j] }
                    let h = S.tanh(z)
                    g.parameters["v.weight"]![a] += de * h
                    let dz = de * v[a] * (1 - h * h)
                    g.parameters["attn.bias"]![a] += dz
                    for j in 0..<I {
                        g.parameters["attn.weight"]![a * I + j] += dz * x[j]
                        // [dq ‖ dk_s] += Wᵀ·dz
                        if j < Hq {
                            g.queries[t][b][j] += w[a * I + j] * dz
                        } else {
                            g.keys[b][s][j - Hq] += w[a * I + j] * dz
                        }
                    }
                }
            case .dot:
                for i in 0..<Hq {
                    g.queries[t][b][i] += de * k[i]
                    g.keys[b][s][i] += de * q[i]
                }
            case .general:
                let w = parameters["weight"]!
                for i in 0..<Hq {
                    for j in 0..<Hk {
                        g.parameters["weight"]![i * Hk + j] += de * q[i] * k[j]
                        g.queries[t][b][i] += de * w[i * Hk + j] * k[j]
                        g.keys[b][s][j] += de * q[i] * w[i * Hk + j]
                    }
                }
            }
        }
    }
}
