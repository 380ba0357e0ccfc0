// Dimension letters: T steps (words), V vocabulary, H hidden size, O classes.

/// One example's whole training step — forward, backpropagation through time and the SGD update
/// — for the tutorial's network: one layer of vanilla RNN over one-hot words, its last state into
/// a linear head, softmax cross-entropy, plain SGD (no momentum, no weight decay) with value
/// clipping or none, one example per step:
///
///     h_t = act(W_ih[:, w_t] + b + W_hh·h_{t−1})      y = W_fc·h_T + b_fc      L = −log softmax(y)_target
///     dy = p − onehot(target)   dh_T = W_fcᵀ·dy   g_t = dh_t ⊙ act′   dh_{t−1} = W_hhᵀ·g_t (or the tutorial's W_hh·g_t)
///     θ ← θ − lr·clamp(∂L/∂θ, −c, c)   unless the loss or a gradient is NaN or infinite
///
/// The model it leaves is the one `SequenceClassifier.accumulateGradients` then
/// `ParameterUpdate.apply` leave, bit for bit: the same kernels on the same numbers in the same
/// order (`TrainerTests` trains both ways and compares every weight). What it saves is the
/// general path's bookkeeping — per-step closures, scratch lookups, a pass over every parameter
/// to check and another to update — which costs more than the arithmetic of a five-word sentence:
/// - W_hh's gradient Σ_t g_t·h_{t−1}ᵀ is never stored: it is summed in registers and applied at once
///   (`Kernels.sgdOuter`). Its finiteness is proven before any weight changes, from
///   |Σ_t g_t,i·h_{t−1},j| ≤ (T−1)·max|g|·max|h|; where that bound could overflow, the gradient is
///   written and checked as the general path does.
/// - W_ih's gradient is non-zero only in the rows of the sentence's words: only those are stepped
///   (the others would step by −lr·(+0), which leaves them as they are). They and b's gradient are
///   sums of at most T of the g_t, so T·max|g| < `overflowBound` proves them finite without a pass
///   over each; past it they are checked one by one.
final class FusedSGDStep {
    private let layer: RecurrentLayer
    private let fc: Linear
    private let sgd: SGD
    private let clip: Float
    private let relu: Bool
    private let tutorialRule: Bool
    private let H: Int, O: Int
    /// Where the bound on W_hh's gradient sends it to the stored-and-checked path.
    private let overflowBound: Double

    private let preX = Scratch(), out = Scratch(), dPre = Scratch()  // (T, H)
    private let dh = Scratch(), carry = Scratch(), biasSum = Scratch()  // (H)
    private let logits = Scratch(), probs = Scratch(), dy = Scratch()  // (O)
    private let df = Scratch()                                          // (H)
    /// For each word id, the last step index + 1 whose row was stepped (so each row steps once).
    private let stepped: IndexScratch
    private var stamp = 0

    /// The longest sentence the fused step takes: beyond it the general path sums W_hh's gradient
    /// with the BLAS, in another order.
    static let maxSteps = MatMul.kernelSumSteps + 1  // W_hh's gradient sums T − 1 steps

    /// The fused step for `model` under `update`, or nil when the model, the optimizer or the
    /// batch size is not the tutorial's kind. `overflowBound` (tests lower it to take the other
    /// path) is where W_hh's gradient is stored and checked instead of bounded.
    init?(model: SequenceClassifier, update: ParameterUpdate, batchSize: Int,
          overflowBound: Double = Double(Float.greatestFiniteMagnitude)) {
        let c = model.configuration
        guard batchSize == 1, model.wide == nil, c.input == .oneHot, c.cell == .rnnTanh || c.cell == .rnnRelu, c.numLayers == 1,
              !c.bidirectional, c.pooling == .last, c.dropout == 0,
              let sgd = update.fusedSGD else { return nil }
        layer = model.rnn.layers[0][0]
        fc = model.fc
        self.sgd = sgd
        clip = update.fusedClip ?? .infinity
        relu = c.cell == .rnnRelu
        tutorialRule = layer.backward == .tutorial
        (H, O) = (layer.hiddenSize, fc.outputSize)
        stepped = IndexScratch(layer.inputSize)
        self.overflowBound = overflowBound
    }

    /// Trains on one example; nil (nothing done) when it is longer than `maxSteps`, for the general
    /// path to take. Returns the loss, whether the prediction was right, and whether the step was
    /// taken (false when the loss or a gradient was not finite: the weights are then unchanged).
    func step(tokens: [Int], target: Int) -> (loss: Double, correct: Bool, taken: Bool)? {
        let T = tokens.count
        guard T >= 1, T <= Self.maxSteps else { return nil }
        let (H, O) = (self.H, self.O)
        let wih = layer.weightIH, whh = UnsafePointer(layer.weightHH.value.data)
        let preX = self.preX.get(T * H), out = self.out.get(T * H), dPre = self.dPre.get(T * H)

        // Forward: pre_t = W_ih[:, w_t] + b + W_hh·h_{t−1};  h_t = act(pre_t).
        let bias: UnsafePointer<Float>
        if let biasHH = layer.biasHH {
            let sum = biasSum.get(H), a = layer.biasIH.value.data, b = biasHH.value.data
            for k in 0..<H { sum[k] = a[k] + b[k] }
            bias = UnsafePointer(sum)
        } else {
            bias = UnsafePointer(layer.biasIH.value.data)
        }
        for t in 0..<T {
            // W_ih[:, w_t] + b: the layer's copy then axpy with a = 1, whose fused 1·b + row is this sum.
            let px = preX + t * H, row = wih.value.row(tokens[t])
            for k in 0..<H { px[k] = row[k] + bias[k] }
            if t == 0 {
                for k in 0..<H { px[k] += 0 }  // h_0 = 0: as the layer, +0 for W_hh·h_0
            } else {
                Kernels.gemv(H, H, whh, lda: H, out + (t - 1) * H, px, accumulate: true)
            }
            RNNCell.forward(B: 1, H: H, relu: relu, preX: px, h: out + t * H)
        }
        let hT = UnsafePointer(out + (T - 1) * H)
        let y = logits.get(O), p = probs.get(O)
        y.update(from: fc.bias.value.data, count: O)
        Kernels.gemv(O, H, fc.weight.value.data, lda: H, hT, y, accumulate: true)
        let logSumExp = Kernels.softmax(O, y, p)
        let loss = logSumExp - y[target]
        let correct = argmax(p, count: O) == target

        // Backward, the forward in reverse: the head, then each step from T to 1.
        let dy = self.dy.zeroed(O), df = self.df.zeroed(H)
        Kernels.axpy(O, 1, p, dy)
        dy[target] -= 1
        Kernels.gemmTNAccumulate(1, O, H, dy, ldg: O, hT, ldx: H, fc.weight.grad.data, ldw: H)
        Kernels.axpy(O, 1, dy, fc.bias.grad.data)
        Kernels.gemvTransposedAccumulate(O, H, fc.weight.value.data, lda: H, dy, df)
        let dh = self.dh.get(H), carry = self.carry.zeroed(H)
        // dh_t = (from above) + (from step t+1), as the layer adds them: from above is dh_T (added
        // into a zeroed buffer by the stack) at T and +0 before, and both turn −0 into +0.
        for k in 0..<H { df[k] = 0 + df[k] }
        for t in stride(from: T - 1, through: 0, by: -1) {
            let above: Float = 0
            if t == T - 1 {
                for k in 0..<H { dh[k] = df[k] + carry[k]; carry[k] = 0 }
            } else {
                for k in 0..<H { dh[k] = above + carry[k]; carry[k] = 0 }
            }
            let g = dPre + t * H
            RNNCell.backward(B: 1, H: H, relu: relu, dh: dh, h: out + t * H, dPre: g)
            if t == 0 { break }
            if tutorialRule {
                Kernels.gemv(H, H, whh, lda: H, g, carry, accumulate: true)
            } else {
                Kernels.gemvTransposedAccumulate(H, H, whh, lda: H, g, carry)
            }
        }
        // b's gradient is Σ_t g_t (one sum shared by b_ih and b_hh); W_ih's, g_t in row w_t.
        // The sums in the general path's order (its axpy with a = 1 adds exactly so), in one pass.
        let dBiasIH = layer.biasIH.grad.data, dWih = wih.grad.data
        let sum = layer.biasHH == nil ? dBiasIH : biasSum.zeroed(H)
        for t in 0..<T {
            let g = dPre + t * H, row = dWih + tokens[t] * H
            for k in 0..<H {
                sum[k] += g[k]
                row[k] += g[k]
            }
        }
        if let biasHH = layer.biasHH {
            Kernels.axpy(H, 1, sum, dBiasIH)
            Kernels.axpy(H, 1, sum, biasHH.grad.data)
        }

        // The update, when the loss and every gradient are finite. b's and W_ih's gradients are sums
        // of at most T of the g_t, so one bound proves them finite: |Σ| ≤ T·max|g|.
        stamp += 1
        let words = stepped.get(layer.inputSize)
        let maxG = Kernels.maxAbs(T * H, dPre)  // NaN when a g_t is not finite
        var finite = loss.isFinite && maxG.isFinite && Kernels.allFinite(O * H, fc.weight.grad.data)
            && Kernels.allFinite(O, fc.bias.grad.data)
        if finite && !(Double(T) * Double(maxG) * 1.001 < overflowBound) {
            finite = Kernels.allFinite(H, dBiasIH) && (layer.biasHH.map { Kernels.allFinite(H, $0.grad.data) } ?? true)
            for t in 0..<T where finite { finite = Kernels.allFinite(H, dWih + tokens[t] * H) }
        }
        // W_hh's gradient sums g_t·h_{t−1}ᵀ over t = 1 ..< T.
        let g1 = UnsafePointer(dPre + H), x = UnsafePointer(out)
        var whhGradientStored = false
        if finite && T > 1 {
            let maxX = Kernels.maxAbs((T - 1) * H, x)
            finite = maxX.isFinite
            let bound = Double(T - 1) * Double(maxG) * Double(maxX) * 1.001
            if finite && !(bound < overflowBound) {
                let dWhh = layer.weightHH.grad.data
                Kernels.gemmTNAccumulate(T - 1, H, H, g1, ldg: H, x, ldx: H, dWhh, ldw: H)
                whhGradientStored = true
                finite = Kernels.allFinite(H * H, dWhh)
            }
        }
        let lr = sgd.learningRate, taken = finite
        func settle(_ n: Int, _ parameter: Parameter, at offset: Int = 0) {
            let g = parameter.grad.data + offset, w = parameter.value.data + offset
            if taken { Kernels.sgdClipZero(n, learningRate: lr, clip: clip, gradient: g, weight: w) } else { g.update(repeating: 0, count: n) }
        }
        for t in 0..<T where words[tokens[t]] != stamp {
            words[tokens[t]] = stamp
            settle(H, wih, at: tokens[t] * H)
        }
        settle(H, layer.biasIH)
        if let biasHH = layer.biasHH { settle(H, biasHH) }
        if whhGradientStored {
            settle(H * H, layer.weightHH)
        } else if taken && T > 1 {
            Kernels.sgdOuter(T - 1, H, H, g1, ldg: H, x, ldx: H, layer.weightHH.value.data, ldw: H,
                             learningRate: lr, clip: clip)
        }
        settle(O * H, fc.weight)
        settle(O, fc.bias)
        return (Double(loss), correct, taken)
    }
}
