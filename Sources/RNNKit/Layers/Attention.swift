// Dimension letters: B sequences, S source positions (padded), L a sequence's own length,
// Hq query size, Hk key size, A additive attention size, P projected key size.

/// Attention of a batch of decoder queries over each sequence's encoder outputs, with source
/// padding masked: Bahdanau's additive score or Luong's dot / general score (`AttentionKind`).
///
///     additive: e_s = vᵀ·tanh(W·[q ‖ k_s] + b) = vᵀ·tanh(W_q·q + (W_k·k_s + b))
///     dot:      e_s = qᵀ·k_s
///     general:  e_s = qᵀ·(W·k_s)
///     α_s = exp(e_s − m) / Σ_{r<L} exp(e_r − m),  m = max_{r<L} e_r,   for s < L;   α_s = 0 for s ≥ L
///     c   = Σ_{s<L} α_s·k_s
///
/// Shapes: q (B, Hq), K (B, S, Hk), lengths (at least B; the first B are read) with 1 ≤ L_b ≤ S, α (B, S), c (B, Hk).
///
/// Parameters, after the prefix `name` (e.g. `decoder.attention`), in PyTorch's layout:
/// - additive: `attn.weight` W (A, Hq + Hk), `attn.bias` b (A), `v.weight` v (1, A). These are the
///   tensors of bentrevett's seq2seq notebook 3, `attn = nn.Linear(Hq + Hk, A)` applied to
///   `torch.cat((hidden, encoder_outputs), dim=2)` and `v = nn.Linear(A, 1, bias=False)`: columns
///   0..<Hq of W are W_q (the query's), columns Hq..<Hq+Hk are W_k (the key's).
/// - general: `weight` W (Hq, Hk), the weight of `nn.Linear(Hk, Hq, bias=False)` applied to the keys.
/// - dot: none; Hq must equal Hk.
///
/// Init: PyTorch's `nn.Linear`, every element ~ U(−1/√fan_in, 1/√fan_in), with fan_in Hq + Hk for
/// `attn.weight` and `attn.bias`, A for `v.weight`, Hk for general's `weight`.
///
/// The key side of the score (W_k·k_s + b, or W·k_s) does not depend on the query, so it is split
/// off for a decoder that attends T times to one source batch: `projectKeys` fills the projected
/// keys (B, S, P) once, every step's `forward` reads them, every step's `backward` adds into their
/// gradient dP (B, S, P) (zeroed once by the caller), and one `projectKeysBackward` turns dP into dK,
/// dW_k and db. P is `projectedKeySize`: A (additive), Hq (general); dot has nothing to project and
/// takes nil for both buffers. The additive backward recomputes tanh(W_q·q + P_s) instead of keeping
/// a (B, S, A) buffer per decoder step.
///
/// Positions s ≥ L_b are never read: K and P may hold anything there. α is exactly 0 there, and
/// dK and dP there are never written. A length of 0 is refused (precondition): a softmax over no
/// positions has no value, so every source needs at least one position (an end-of-sequence token).
package final class Attention: @unchecked Sendable {
    package let kind: AttentionKind
    package let querySize: Int
    package let keySize: Int
    /// A, the additive score's hidden size; 0 for dot and general.
    package let attentionSize: Int
    /// additive: `attn.weight` (A, Hq + Hk); general: `weight` (Hq, Hk); dot: nil.
    package let weight: Parameter?
    /// additive: `attn.bias` (A); otherwise nil.
    package let bias: Parameter?
    /// additive: `v.weight` (1, A); otherwise nil.
    package let v: Parameter?

    private let queryProjection = Scratch()   // (B, A): W_q·q, additive only
    private let dQueryProjection = Scratch()  // (B, A)
    private let hidden = Scratch()            // (A): tanh(W_q·q + P_s), or its gradient
    private let quantizedRows = QuantizedRows()  // queries or keys in int16, for an int8 weight
    private let scores = Scratch()            // (S): e, then dα

    /// `attentionSize` is A for additive attention and ignored otherwise.
    package init(_ kind: AttentionKind, querySize: Int, keySize: Int, attentionSize: Int = 0, name: String = "attention") {
        precondition(querySize > 0 && keySize > 0, "empty attention: Hq \(querySize), Hk \(keySize)")
        self.kind = kind
        self.querySize = querySize
        self.keySize = keySize
        switch kind {
        case .additive:
            precondition(attentionSize > 0, "additive attention needs an attention size, got \(attentionSize)")
            self.attentionSize = attentionSize
            weight = Parameter(name: "\(name).attn.weight", shape: [attentionSize, querySize + keySize])
            bias = Parameter(name: "\(name).attn.bias", shape: [attentionSize])
            v = Parameter(name: "\(name).v.weight", shape: [1, attentionSize])
        case .dot:
            precondition(querySize == keySize, "dot attention needs equal query and key sizes, got \(querySize) and \(keySize)")
            self.attentionSize = 0
            (weight, bias, v) = (nil, nil, nil)
        case .general:
            self.attentionSize = 0
            weight = Parameter(name: "\(name).weight", shape: [querySize, keySize])
            (bias, v) = (nil, nil)
        }
    }

    package var parameters: [Parameter] { [weight, bias, v].compactMap { $0 } }

    /// P: the size of one projected key (A additive, Hq general, 0 dot).
    package var projectedKeySize: Int {
        switch kind {
        case .additive: return attentionSize
        case .dot: return 0
        case .general: return querySize
        }
    }

    package func initializePyTorch(using rng: inout SeededGenerator) {
        for p in parameters {
            // Each tensor's fan_in is its row length, as for the nn.Linear it belongs to.
            let bound = 1 / Double(p === bias ? querySize + keySize : p.value.shape[1]).squareRoot()
            for k in 0..<p.value.count { p.value[k] = Float((2 * rng.nextUniform() - 1) * bound) }
        }
    }

    private func validate(_ B: Int, _ S: Int, _ lengths: [Int]) {
        precondition(lengths.count >= B, "\(lengths.count) lengths for \(B) sequences")
        for L in lengths {
            precondition(L >= 1 && L <= S, "source length \(L) outside 1…\(S): attention needs a position to attend to")
        }
    }

    // MARK: Key projection, once per source batch

    /// P_s = W_k·k_s + b (additive) or W·k_s (general) for s < L_b.
    /// `reduced`: a reduced copy of `weight` to read instead, for one sentence's decoding (the
    /// product then split over the fork-join threads).
    package func projectKeys(_ B: Int, _ S: Int, keys: UnsafePointer<Float>, lengths: [Int],
                             projected: UnsafeMutablePointer<Float>, reduced: ReducedMatrix? = nil) {
        validate(B, S, lengths)
        let (Hq, Hk, P) = (querySize, keySize, projectedKeySize)
        guard let weight else { preconditionFailure("dot attention scores the keys themselves: nothing to project") }
        for b in 0..<B {
            let L = lengths[b], k = keys + b * S * Hk, p = projected + b * S * P  // (L, Hk), (L, P)
            if let bias {
                for s in 0..<L { (p + s * P).update(from: bias.value.data, count: P) }
                if let reduced {
                    reduced.product(L, Hk, k, lda: Hk, column: Hq, p, ldc: P, accumulate: true, split: true, activations: quantizedRows)
                } else {
                    MatMul.nt(L, P, Hk, k, lda: Hk, weight.value.data + Hq, ldb: Hq + Hk, p, ldc: P, accumulate: true, exactOneRow: false)
                }
            } else if let reduced {
                reduced.product(L, Hk, k, lda: Hk, column: 0, p, ldc: P, accumulate: false, split: true, activations: quantizedRows)
            } else {
                MatMul.nt(L, P, Hk, k, lda: Hk, weight.value.data, ldb: Hk, p, ldc: P, accumulate: false, exactOneRow: false)
            }
        }
    }

    /// dW_k += dPᵀ·K, db += Σ dP (additive) or dW += dPᵀ·K (general), and dK += dP·W_k (or dP·W),
    /// summed over s < L_b.
    package func projectKeysBackward(_ B: Int, _ S: Int, dProjected: UnsafePointer<Float>, keys: UnsafePointer<Float>,
                                     lengths: [Int], dKeys: UnsafeMutablePointer<Float>) {
        validate(B, S, lengths)
        let (Hq, Hk, P) = (querySize, keySize, projectedKeySize)
        guard let weight else { preconditionFailure("dot attention scores the keys themselves: nothing to project") }
        // W_k is a column block of attn.weight (row stride Hq + Hk); general's W is all of `weight`.
        let offset = bias == nil ? 0 : Hq, ld = bias == nil ? Hk : Hq + Hk
        for b in 0..<B {
            let L = lengths[b], k = keys + b * S * Hk, dp = dProjected + b * S * P  // (L, Hk), (L, P)
            MatMul.tnAccumulate(P, Hk, L, dp, lda: P, k, ldb: Hk, weight.grad.data + offset, ldc: ld)
            if let bias { MatMul.columnSumAccumulate(L, P, dp, lda: P, bias.grad.data) }
            MatMul.nnAccumulate(L, Hk, P, dp, lda: P, weight.value.data + offset, ldb: ld, dKeys + b * S * Hk, ldc: Hk)
        }
    }

    // MARK: One decoder step

    /// α and c for one query per sequence. `projectedKeys` is `projectKeys`' output (nil for dot).
    /// With `sharedSource` every query reads sequence 0's keys, projection and length (beam
    /// search's hypotheses of one sentence). `queriesProjected`: the caller ran `queryProjection`'s
    /// product for these queries (decoding one sentence, its products on the fork-join threads).
    package func forward(_ B: Int, _ S: Int, query: UnsafePointer<Float>, keys: UnsafePointer<Float>,
                         projectedKeys: UnsafePointer<Float>?, lengths: [Int], sharedSource: Bool = false,
                         queriesProjected: Bool = false, weights: UnsafeMutablePointer<Float>,
                         context: UnsafeMutablePointer<Float>) {
        validate(sharedSource ? 1 : B, S, lengths)
        precondition((projectedKeys == nil) == (kind == .dot),
                     "\(kind) attention: projected keys \(projectedKeys == nil ? "missing" : "given")")
        let (Hq, Hk, P) = (querySize, keySize, projectedKeySize)
        let e = scores.get(S)  // (S)
        if kind == .additive && !queriesProjected { projectQueries(B, query) }
        for b in 0..<B {
            let n = sharedSource ? 0 : b  // the source sequence
            let L = lengths[n], q = query + b * Hq, k = keys + n * S * Hk  // (Hq), (S, Hk)
            for s in 0..<L {
                switch kind {
                case .additive: e[s] = additiveScore(b, projectedKeys! + (n * S + s) * P)
                case .dot: e[s] = Self.dot(Hk, q, k + s * Hk)
                case .general: e[s] = Self.dot(Hq, q, projectedKeys! + (n * S + s) * P)
                }
            }
            let alpha = weights + b * S  // (S)
            _ = Kernels.softmax(L, e, alpha)
            (alpha + L).update(repeating: 0, count: S - L)
            let c = context + b * Hk  // (Hk)
            c.update(repeating: 0, count: Hk)
            Kernels.gemvTransposedAccumulate(L, Hk, k, lda: Hk, alpha, c)
        }
    }

    /// Given dc, adds to dq, dK (through c = Σ α_s k_s, and e for dot), dP (nil for dot) and the
    /// query-side parameter gradients (`attn.weight`'s W_q columns, `v.weight`). `weights` is
    /// `forward`'s α for this step.
    package func backward(_ B: Int, _ S: Int, dContext: UnsafePointer<Float>, query: UnsafePointer<Float>,
                          keys: UnsafePointer<Float>, projectedKeys: UnsafePointer<Float>?, lengths: [Int],
                          weights: UnsafePointer<Float>, dQuery: UnsafeMutablePointer<Float>,
                          dKeys: UnsafeMutablePointer<Float>, dProjectedKeys: UnsafeMutablePointer<Float>?) {
        validate(B, S, lengths)
        precondition((projectedKeys == nil) == (kind == .dot) && (dProjectedKeys == nil) == (kind == .dot),
                     "\(kind) attention: projected keys or their gradient \(kind == .dot ? "given" : "missing")")
        let (Hq, Hk, P, A) = (querySize, keySize, projectedKeySize, attentionSize)
        let dAlpha = scores.get(S)  // (S)
        let dqp = kind == .additive ? dQueryProjection.zeroed(B * A) : dQueryProjection.get(0)  // (B, A)
        if kind == .additive { projectQueries(B, query) }
        for b in 0..<B {
            let L = lengths[b], alpha = weights + b * S, dc = dContext + b * Hk  // (S), (Hk)
            let q = query + b * Hq, dq = dQuery + b * Hq, k = keys + b * S * Hk, dk = dKeys + b * S * Hk
            // Through c: dα_s = dc·k_s, dk_s += α_s·dc.
            var weighted: Float = 0  // Σ_r α_r·dα_r
            for s in 0..<L {
                dAlpha[s] = Self.dot(Hk, dc, k + s * Hk)
                weighted += alpha[s] * dAlpha[s]
                Kernels.axpy(Hk, alpha[s], dc, dk + s * Hk)
            }
            // Through the softmax: de_s = α_s·(dα_s − Σ_r α_r·dα_r); then through the score.
            for s in 0..<L {
                let de = alpha[s] * (dAlpha[s] - weighted)
                switch kind {
                case .additive:
                    let ps = projectedKeys! + (b * S + s) * P
                    additiveScoreBackward(b, de, ps, dqp + b * A, dProjectedKeys! + (b * S + s) * P)
                case .dot:
                    Kernels.axpy(Hk, de, k + s * Hk, dq)
                    Kernels.axpy(Hk, de, q, dk + s * Hk)
                case .general:
                    Kernels.axpy(Hq, de, projectedKeys! + (b * S + s) * P, dq)
                    Kernels.axpy(Hq, de, q, dProjectedKeys! + (b * S + s) * P)
                }
            }
        }
        if kind == .additive, let weight {
            // W_q is attn.weight's first Hq columns (row stride Hq + Hk): dW_q += dQPᵀ·q, dq += dQP·W_q.
            MatMul.tnAccumulate(A, Hq, B, dqp, lda: A, query, ldb: Hq, weight.grad.data, ldc: Hq + Hk)
            MatMul.nnAccumulate(B, Hq, A, dqp, lda: A, weight.value.data, ldb: Hq + Hk, dQuery, ldc: Hq)
        }
    }

    // MARK: Additive score

    /// QP = W_q·q for every row, into `queryProjection` (B, A).
    private func projectQueries(_ B: Int, _ query: UnsafePointer<Float>) {
        let (Hq, Hk, A) = (querySize, keySize, attentionSize)
        MatMul.nt(B, A, Hq, query, lda: Hq, weight!.value.data, ldb: Hq + Hk, queryProjection.get(B * A), ldc: A,
                  accumulate: false, exactOneRow: false)
    }

    /// The product of `projectQueries` for one sentence's decoding, described for
    /// `SentenceProducts.together` (nil but for additive attention), reading `reduced`, a reduced
    /// copy of `weight`, when given; `forward(…, queriesProjected: true)` then reads its result.
    package func queryProjection(_ B: Int, _ query: UnsafePointer<Float>, reduced: ReducedMatrix?) -> SentenceProduct? {
        guard kind == .additive else { return nil }
        let (Hq, Hk, A) = (querySize, keySize, attentionSize), out = queryProjection.get(B * A)
        if let reduced {
            return reduced.operand(B, Hq, query, lda: Hq, column: 0, out, ldc: A, accumulate: false, activations: quantizedRows)
        }
        return SentenceProduct(B, A, Hq, query, lda: Hq, .float(weight!.value.data), ldb: Hq + Hk, out, ldc: A, accumulate: false)
    }

    /// vᵀ·tanh(QP_b + P_s), leaving the tanh in `hidden`.
    private func additiveScore(_ b: Int, _ ps: UnsafePointer<Float>) -> Float {
        let A = attentionSize, qp = queryProjection.get(0) + b * A, h = hidden.get(A)  // (A)
        for a in 0..<A { h[a] = qp[a] + ps[a] }
        Kernels.tanh(A, h, h)
        return Self.dot(A, v!.value.data, h)
    }

    /// For e = vᵀ·h, h = tanh(QP_b + P_s): dv += de·h, and g = de·v ⊙ (1 − h²) added to dQP_b and dP_s.
    private func additiveScoreBackward(_ b: Int, _ de: Float, _ ps: UnsafePointer<Float>,
                                       _ dqp: UnsafeMutablePointer<Float>, _ dps: UnsafeMutablePointer<Float>) {
        let A = attentionSize, v = v!
        _ = additiveScore(b, ps)
        let h = hidden.get(A)  // (A)
        Kernels.axpy(A, de, h, v.grad.data)
        for a in 0..<A {
            let g = de * v.value.data[a] * (1 - h[a] * h[a])
            dqp[a] += g
            dps[a] += g
        }
    }

    @inline(__always)
    private static func dot(_ n: Int, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>) -> Float {
        var s: Float = 0
        for i in 0..<n { s += x[i] * y[i] }
        return s
    }
}
