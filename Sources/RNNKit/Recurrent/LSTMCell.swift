import CRNNKernels

// Dimension letters: B rows, H hidden size. Gate blocks in order i, f, g, o (PyTorch's).

/// Long short-term memory cell, PyTorch `nn.LSTM`:
///
///     i = σ(W_ii x + b_ii + W_hi h + b_hi)      f = σ(W_if x + b_if + W_hf h + b_hf)
///     g = tanh(W_ig x + b_ig + W_hg h + b_hg)   o = σ(W_io x + b_io + W_ho h + b_ho)
///     c' = f ⊙ c + i ⊙ g                        h' = o ⊙ tanh(c')
///
/// Backward, with dc' the gradient reaching c' from the next step:
///     dc = dc' + dh ⊙ o ⊙ (1 − tanh²(c'))
///     di = dc ⊙ g · i(1−i)   df = dc ⊙ c · f(1−f)   dg = dc ⊙ i · (1−g²)   do = dh ⊙ tanh(c') · o(1−o)
///     dc_prev = dc ⊙ f
enum LSTMCell {
    /// preX holds both pre-activations, summed by the layer. The vectorized kernel
    /// (`rk_lstm_forward`) does exactly the arithmetic of `forwardReference` below.
    static func forward(B: Int, H: Int, preX: UnsafePointer<Float>, cPrev: UnsafePointer<Float>,
                        h: UnsafeMutablePointer<Float>, c: UnsafeMutablePointer<Float>, gates: UnsafeMutablePointer<Float>) {
        rk_lstm_forward(Int32(B), Int32(H), preX, cPrev, c, h, gates)
    }

    /// dPre (B, 4H): the gradient of both pre-activations. The vectorized `rk_lstm_backward`;
    /// `backwardReference` is its plain twin.
    static func backward(B: Int, H: Int, dh: UnsafePointer<Float>, dc: UnsafeMutablePointer<Float>,
                         cPrev: UnsafePointer<Float>, c: UnsafePointer<Float>, gates: UnsafePointer<Float>,
                         dPre: UnsafeMutablePointer<Float>) {
        rk_lstm_backward(Int32(B), Int32(H), dh, dc, cPrev, c, gates, dPre)
    }

    /// The gate math written out, one element at a time.
    static func forwardReference(B: Int, H: Int, preX: UnsafeMutablePointer<Float>, cPrev: UnsafePointer<Float>,
                                 h: UnsafeMutablePointer<Float>, c: UnsafeMutablePointer<Float>,
                                 gates: UnsafeMutablePointer<Float>) {
        let G = 4 * H
        for b in 0..<B {
            let pre = preX + b * G, gate = gates + b * G
            Kernels.sigmoid(2 * H, pre, gate)             // i, f
            Kernels.tanh(H, pre + 2 * H, gate + 2 * H)    // g
            Kernels.sigmoid(H, pre + 3 * H, gate + 3 * H) // o
            let i = gate, f = gate + H, g = gate + 2 * H
            let cRow = c + b * H, cPrevRow = cPrev + b * H, hRow = h + b * H
            for k in 0..<H { cRow[k] = f[k] * cPrevRow[k] + i[k] * g[k] }  // c' = f ⊙ c + i ⊙ g
            Kernels.tanh(H, cRow, hRow)
            let o = gate + 3 * H
            for k in 0..<H { hRow[k] *= o[k] }                               // h' = o ⊙ tanh(c')
        }
    }

    /// The backward written out, one element at a time; tanhC: (H) scratch.
    static func backwardReference(B: Int, H: Int, dh: UnsafePointer<Float>, dc: UnsafeMutablePointer<Float>,
                         cPrev: UnsafePointer<Float>, c: UnsafePointer<Float>, gates: UnsafePointer<Float>,
                         dPre: UnsafeMutablePointer<Float>, tanhC: UnsafeMutablePointer<Float>) {
        let G = 4 * H
        for b in 0..<B {
            let gate = gates + b * G, d = dPre + b * G
            let i = gate, f = gate + H, g = gate + 2 * H, o = gate + 3 * H
            let dhRow = dh + b * H, dcRow = dc + b * H, cRow = c + b * H, cPrevRow = cPrev + b * H
            // tanh(c') again, with the forward's kernel so both passes agree.
            Kernels.tanh(H, cRow, tanhC)
            for k in 0..<H {
                let tc = tanhC[k]
                let dcTotal = dcRow[k] + dhRow[k] * o[k] * (1 - tc * tc)
                d[k] = dcTotal * g[k] * i[k] * (1 - i[k])                    // di
                d[H + k] = dcTotal * cPrevRow[k] * f[k] * (1 - f[k])         // df
                d[2 * H + k] = dcTotal * i[k] * (1 - g[k] * g[k])            // dg
                d[3 * H + k] = dhRow[k] * tc * o[k] * (1 - o[k])             // do
                dcRow[k] = dcTotal * f[k]                                     // dc_prev
            }
        }
    }
}
