// Dimension letters: V vocabulary size, H hidden size, T steps of one sequence.

/// The Elman recurrent layer of the tutorial, on one-hot word inputs:
///
///     h_t = tanh(Wxh·x_t + Whh·h_{t−1} + bh),   h_0 = 0,   t = 1…T
///
/// Because x_t is the one-hot vector of word w_t, Wxh·x_t is column w_t of Wxh: the forward pass
/// looks that column up and the backward pass adds into it, so the cost does not grow with V.
/// Wxh is stored transposed, (V, H), to make the column one contiguous row.
///
/// Shapes: input `tokens` (T) word ids; output h_T (H).
///
/// Parameters (PyTorch `nn.RNN(V, H)` names): `rnn.weight_ih_l0` = Wxh (H, V), stored here as
/// `wxh` (V, H); `rnn.weight_hh_l0` = Whh (H, H); bh = `rnn.bias_ih_l0` + `rnn.bias_hh_l0` (H).
///
/// Init (the tutorial's): Wxh, Whh ~ N(0, 1)/1000; bh = 0.
public final class OneHotRNN: @unchecked Sendable {
    public let vocabularySize: Int
    public let hiddenSize: Int
    public let wxh: Parameter  // (V, H) = Wxhᵀ
    public let whh: Parameter  // (H, H)
    public let bh: Parameter   // (H)

    public init(vocabularySize V: Int, hiddenSize H: Int) {
        vocabularySize = V
        hiddenSize = H
        wxh = Parameter(name: "rnn.weight_ih_l0", shape: [V, H])
        whh = Parameter(name: "rnn.weight_hh_l0", shape: [H, H])
        bh = Parameter(name: "rnn.bias_ih_l0", shape: [H])
    }

    public var parameters: [Parameter] { [wxh, whh, bh] }

    /// The tutorial's init, drawn in the tutorial's order (Wxh as (H, V), then Whh).
    public func initializeTutorial(using rng: inout SeededGenerator) {
        let (V, H) = (vocabularySize, hiddenSize)
        for i in 0..<H { for v in 0..<V { wxh.value[v, i] = Float(rng.nextNormal() / 1000) } }
        for k in 0..<(H * H) { whh.value[k] = Float(rng.nextNormal() / 1000) }
        bh.value.zero()
    }

    /// What forward keeps for backward: every hidden state and the word ids. Buffers grow to the
    /// longest sequence seen and are then reused, so training allocates nothing per example.
    public final class Cache: @unchecked Sendable {
        public private(set) var tokens: [Int] = []
        var hs: UnsafeMutablePointer<Float>  // (T + 1, H): h_0 … h_T
        var gs: UnsafeMutablePointer<Float>  // (T, H): pre-activation gradients, for dWhh
        var dh: UnsafeMutablePointer<Float>  // (H)
        private var capacity = 0
        private let H: Int

        init(hiddenSize H: Int) {
            self.H = H
            hs = .allocate(capacity: H); gs = .allocate(capacity: H); dh = .allocate(capacity: H)
        }

        deinit { hs.deallocate(); gs.deallocate(); dh.deallocate() }

        func prepare(_ tokens: [Int]) {
            self.tokens = tokens
            let T = tokens.count
            if T > capacity {
                capacity = max(T, 2 * capacity)
                hs.deallocate(); gs.deallocate()
                hs = .allocate(capacity: (capacity + 1) * H)
                gs = .allocate(capacity: capacity * H)
            }
        }

        /// h_t for t in 0…T.
        public func hidden(_ t: Int) -> UnsafeMutablePointer<Float> { hs + t * H }
    }

    public func makeCache() -> Cache { Cache(hiddenSize: hiddenSize) }

    /// Runs the sequence; returns h_T (valid until the next forward with this cache).
    @discardableResult
    public func forward(_ tokens: [Int], cache: Cache) -> UnsafeMutablePointer<Float> {
        let H = hiddenSize
        cache.prepare(tokens)
        cache.hs.update(repeating: 0, count: H)  // h_0 = 0
        for (t, w) in tokens.enumerated() {
            precondition(w >= 0 && w < vocabularySize, "word id \(w) outside the vocabulary of \(vocabularySize)")
            let hPrev = cache.hs + t * H, h = hPrev + H
            h.update(from: wxh.value.data + w * H, count: H)       // Wxh·x_t  (column w_t)
            Kernels.axpy(H, 1, bh.value.data, h)                   //  + bh
            Kernels.gemv(H, H, whh.value.data, lda: H, hPrev, h, accumulate: true)  //  + Whh·h_{t−1}
            Kernels.tanh(H, h, h)                                  // h_t = tanh(…)
        }
        return cache.hs + tokens.count * H
    }

    /// Backpropagation through time from dL/dh_T; adds into the gradients of Wxh, Whh and bh.
    public func backward(_ dhT: UnsafePointer<Float>, cache: Cache) {
        let H = hiddenSize, T = cache.tokens.count
        let dh = cache.dh
        dh.update(from: dhT, count: H)
        for t in stride(from: T - 1, through: 0, by: -1) {
            let g = cache.gs + t * H                                // dL/d(pre-activation at step t)
            Kernels.tanhBackward(H, cache.hs + (t + 1) * H, dh, g)  // g = (1 − h_t²) ⊙ dh_t
            Kernels.axpy(H, 1, g, bh.grad.data)                     // dbh += g
            Kernels.axpy(H, 1, g, wxh.grad.data + cache.tokens[t] * H)  // dWxh[:, w_t] += g
            if t > 0 {
                dh.update(repeating: 0, count: H)
                Kernels.gemvTransposedAccumulate(H, H, whh.value.data, lda: H, g, dh)  // dh_{t−1} = Whhᵀ·g
            }
        }
        // dWhh += Σ_t g_t ⊗ h_{t−1}, as one (T, H)ᵀ·(T, H) product: each row of dWhh is read
        // and written once per sequence instead of once per step.
        Kernels.gemmTNAccumulate(T, H, H, cache.gs, ldg: H, cache.hs, ldx: H, whh.grad.data, ldw: H)
    }
}
