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
    /// `rk_lstm_forward`; its plain twin is `ReferenceKernels.lstmForward` (Kernels/Reference.swift).
    static func forward(B: Int, H: Int, preX: UnsafePointer<Float>, cPrev: UnsafePointer<Float>,
                        h: UnsafeMutablePointer<Float>, c: UnsafeMutablePointer<Float>, gates: UnsafeMutablePointer<Float>) {
        rk_lstm_forward(Int32(B), Int32(H), preX, cPrev, c, h, gates)
    }

    /// dPre (B, 4H): the gradient of both pre-activations. The vectorized `rk_lstm_backward`;
    /// its plain twin is `ReferenceKernels.lstmBackward`.
    static func backward(B: Int, H: Int, dh: UnsafePointer<Float>, dc: UnsafeMutablePointer<Float>,
                         cPrev: UnsafePointer<Float>, c: UnsafePointer<Float>, gates: UnsafePointer<Float>,
                         dPre: UnsafeMutablePointer<Float>) {
        rk_lstm_backward(Int32(B), Int32(H), dh, dc, cPrev, c, gates, dPre)
    }
}
