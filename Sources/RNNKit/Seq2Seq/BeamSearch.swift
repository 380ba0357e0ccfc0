import Foundation

// Dimension letters: K beams, S source length, P projected key size, Hd decoder hidden size, Vt
// target vocabulary.

/// A decoded target sentence: its word ids (without <bos> and <eos>), its score and the attention
/// of each step.
package struct DecodedSequence: Sendable, Equatable {
    /// Target ids, without <bos>; without <eos> too (`finished` says whether it came).
    package var tokens: [Int]
    /// Whether the decoder ended the sentence with <eos> (false: stopped at the length limit).
    package var finished: Bool
    /// Σ log p of the words chosen, <eos> included when it came.
    package var logProbability: Double
    /// The score the search ranked by: logProbability / (steps)^α.
    package var score: Double
    /// α over the source positions at each step ((tokens.count + 1) × S with <eos>); empty without
    /// attention or when not asked for.
    package var attention: [[Float]]
}

/// Beam search over a `Seq2SeqNetwork`'s decoder for one source sentence (greedy decoding is
/// K = 1).
///
/// Each of the K live hypotheses is one row of the decoder; a step scores every row's next word
/// (log-softmax of the logits), takes each row's K best words as candidates, and keeps the K best
/// candidates overall by summed log-probability (ties: the earlier row, then the lower id). A
/// candidate ending in <eos> is finished and leaves the beam; the search stops when K hypotheses
/// have finished or after `maxLength` steps, and returns the finished one with the best
/// length-normalised score log p / n^α (n: words produced, <eos> included) — the unfinished ones
/// when none finished. With K = 1 each step takes the argmax, the greedy decoder exactly.
///
/// Given `targets` (a vocabulary shortlist's words for this sentence, ascending ids, `<eos>`
/// among them), a step scores those words only and the log-softmax is over them; ties still go
/// to the lower id, since the shortlist keeps the ids' order.
package final class BeamSearch {
    let network: Seq2SeqNetwork
    private let projected = Scratch()                                                  // (S, P)
    private let hPrev = Scratch(), cPrev = Scratch(), hNext = Scratch(), cNext = Scratch()  // (K, Hd)
    private let weights = Scratch()                                                    // (K, S)
    private let logits = Scratch()                                                     // (K, Vt)
    private let probabilities = Scratch()                                              // (Vt)
    private let tokens = IndexScratch()
    private let decodingStep: Seq2SeqDecodingStep

    package init(_ network: Seq2SeqNetwork) {
        self.network = network
        decodingStep = Seq2SeqDecodingStep(network.decoder)
    }

    /// Decodes `source` ([<bos>, …, <eos>] ids), scoring only `targets` when given, with the
    /// reduced (bfloat16 or int8) copies of the large weights when `reduced` is given.
    package func decode(_ source: [Int], beam K: Int = 1, maxLength: Int, lengthPenalty alpha: Double = 1,
                        keepAttention: Bool = true, targets: [Int]? = nil,
                        reduced: ReducedSeq2SeqWeights? = nil) -> DecodedSequence {
        precondition(K >= 1 && maxLength >= 1 && !source.isEmpty, "beam \(K), max length \(maxLength), \(source.count) source ids")
        precondition(targets?.contains(Seq2SeqNetwork.end) ?? true, "a shortlist without <eos>")
        let net = network, decoder = net.decoder, c = net.configuration
        let Hd = c.decoderHiddenSize
        let lstm = c.cell.hasCellState
        var rng = SeededGenerator(seed: 0)  // unused: no dropout in decoding
        let batch = PackedBatch([source])
        let S = source.count
        net.encoder.forward(batch, training: false, rng: &rng, reduced: reduced?.encoder)

        // Every beam row reads the one sentence's keys, projection and final state.
        let source = decoder.source(1, steps: S, keys: net.encoder.keys, final: net.encoder.final, lengths: [S],
                                    projection: projected, shared: true, reducedAttention: reduced?.attention)
        decodingStep.prepare(source, targets: targets, reduced: reduced)
        let Vt = decodingStep.outputs  // the words a step scores; column j is id targets?[j] ?? j
        func id(_ j: Int) -> Int { targets?[j] ?? j }
        // <pad> and <bos> are never words of a translation: training never targets them, yet a barely
        // trained model can rank them first. Ids ascend with columns, so theirs are among the first three.
        let never = (0..<min(Vt, 3)).filter { id($0) == Seq2SeqNetwork.padding || id($0) == Seq2SeqNetwork.begin }

        // Each step reads hPrev/cPrev and writes hNext/cNext; the survivors are gathered back into hPrev/cPrev.
        let hPrev = self.hPrev.get(K * Hd), hNext = self.hNext.get(K * Hd)
        let cPrev = lstm ? self.cPrev.zeroed(K * Hd) : nil, cNext = lstm ? self.cNext.get(K * Hd) : nil
        hPrev.update(from: net.encoder.s0, count: Hd)
        let tok = tokens.get(K)
        tok[0] = Seq2SeqNetwork.begin
        let hasAttention = decoder.attention != nil
        let attentionWeights = hasAttention ? weights.get(K * S) : nil
        let lg = logits.get(K * Vt), probabilities = self.probabilities.get(Vt)

        // Every word chosen is a node pointing at its parent's node, so a step costs the same however
        // long the hypotheses are; a hypothesis is read back by following the pointers once, at the end.
        // Attention rows are kept (one per node) only when asked for.
        struct Node { var parent: Int; var token: Int }
        var nodes: [Node] = []
        var rows: [Float] = []
        struct Hypothesis { var node: Int; var logp: Double; var length: Int }
        struct Ending { var node: Int; var logp: Double; var score: Double; var finished: Bool }
        var live = [Hypothesis(node: -1, logp: 0, length: 0)]
        var endings: [Ending] = []
        func normalized(_ logp: Double, _ n: Int) -> Double { alpha == 0 ? logp : logp / pow(Double(n), alpha) }

        for step in 0..<maxLength {
            let b = live.count
            decodingStep.step(b, tokens: tok, hPrev: hPrev, cPrev: cPrev.map { UnsafePointer($0) }, source: source, state: hNext,
                              cellState: cNext, weights: attentionWeights, logits: lg)
            // Candidates: each row's K best words by log-probability.
            var candidates: [(score: Double, row: Int, token: Int)] = []
            candidates.reserveCapacity(b * K)
            for r in 0..<b {
                let row = lg + r * Vt
                for j in never { row[j] = -.infinity }
                let logZ = Double(Kernels.softmax(Vt, row, probabilities))
                for t in Self.topIndices(row, Vt, min(K, Vt)) {
                    candidates.append((live[r].logp + Double(row[t]) - logZ, r, id(t)))
                }
            }
            candidates.sort { ($0.score, -$0.row, -$0.token) > ($1.score, -$1.row, -$1.token) }
            var next: [Hypothesis] = []
            var parents: [Int] = []
            for cand in candidates {
                if next.count + endings.count >= K { break }
                let parent = live[cand.row]
                nodes.append(Node(parent: parent.node, token: cand.token))
                if keepAttention && hasAttention {
                    rows.append(contentsOf: UnsafeBufferPointer(start: attentionWeights! + cand.row * S, count: S))
                }
                if cand.token == Seq2SeqNetwork.end {
                    endings.append(Ending(node: nodes.count - 1, logp: cand.score, score: normalized(cand.score, step + 1),
                                          finished: true))
                } else {
                    next.append(Hypothesis(node: nodes.count - 1, logp: cand.score, length: parent.length + 1))
                    parents.append(cand.row)
                }
            }
            if endings.count >= K || next.isEmpty { live = []; break }
            // The survivors' states, gathered from their parents' rows.
            for (r, p) in parents.enumerated() {
                (hPrev + r * Hd).update(from: hNext + p * Hd, count: Hd)
                if let cPrev, let cNext { (cPrev + r * Hd).update(from: cNext + p * Hd, count: Hd) }
                tok[r] = nodes[next[r].node].token
            }
            live = next
        }
        for h in live {
            endings.append(Ending(node: h.node, logp: h.logp, score: normalized(h.logp, h.length), finished: false))
        }
        // The best score; ties go to the hypothesis found first.
        var best = endings[0]
        for e in endings.dropFirst() where e.score > best.score { best = e }
        var tokens: [Int] = [], attention: [[Float]] = []
        var node = best.node
        while node >= 0 {
            if !(best.finished && node == best.node) { tokens.append(nodes[node].token) }
            if keepAttention && hasAttention { attention.append(Array(rows[(node * S)..<((node + 1) * S)])) }
            node = nodes[node].parent
        }
        return DecodedSequence(tokens: tokens.reversed(), finished: best.finished, logProbability: best.logp,
                               score: best.score, attention: attention.reversed())
    }

    /// The indices of the k largest of x[0..<n], largest first (ties: the lower index first).
    static func topIndices(_ x: UnsafePointer<Float>, _ n: Int, _ k: Int) -> [Int] {
        if k == 1 { return [argmax(x, count: n)] }
        var top: [Int] = []
        top.reserveCapacity(k + 1)
        for i in 0..<n {
            if top.count == k && !(x[i] > x[top[k - 1]]) { continue }
            var j = top.count
            while j > 0 && x[i] > x[top[j - 1]] { j -= 1 }
            top.insert(i, at: j)
            if top.count > k { top.removeLast() }
        }
        return top
    }
}
