// Dimension letters: B rows, H hidden size.

/// The Elman (vanilla) RNN cell, PyTorch `nn.RNN`:
///
///     h_t = act(W_ih·x_t + b_ih + W_hh·h_{t−1} + b_hh),   act = tanh (default) or relu
///
/// The tutorial writes the same with one bias: h_t = tanh(Wxh·x_t + Whh·h_{t−1} + bh).
/// Backward: dpre = dh ⊙ act′ with tanh′ = 1 − h_t², relu′ = [h_t > 0]; both pre-activations
/// (input and recurrent) get the same gradient.
enum RNNCell {
    /// h = act(pre); pre = W_ih·x + b_ih + W_hh·h + b_hh, summed by the layer; pre, h: (B, H).
    @inline(__always)
    static func forward(B: Int, H: Int, relu: Bool, preX: UnsafePointer<Float>, h: UnsafeMutablePointer<Float>) {
        let n = B * H
        if relu {
            for k in 0..<n { h[k] = max(preX[k], 0) }
        } else {
            Kernels.tanh(n, preX, h)           // h_t = tanh(pre)
        }
    }

    /// dPre = dh ⊙ act′(pre), from h_t (the gradient of both pre-activations).
    @inline(__always)
    static func backward(B: Int, H: Int, relu: Bool, dh: UnsafePointer<Float>, h: UnsafePointer<Float>,
                         dPre: UnsafeMutablePointer<Float>) {
        let n = B * H
        if relu {
            for k in 0..<n { dPre[k] = h[k] > 0 ? dh[k] : 0 }
        } else {
            Kernels.tanhBackward(n, h, dh, dPre)  // (1 − h_t²) ⊙ dh
        }
    }
}
