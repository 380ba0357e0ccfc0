/// How backpropagation through time sends the gradient to the previous hidden state.
///
/// The tutorial's published code (`rnn.py`: `d_h = self.Whh @ temp`) uses Whh·g where the
/// gradient is Whhᵀ·g. RNNKit computes the true gradient, checked against finite differences and
/// PyTorch; `.tutorial` reproduces the published rule, which is what its numbers came from. With
/// small weights the two barely differ; only steps before the last are affected.
public enum BackwardRule: String, Codable, Sendable, CaseIterable {
    /// dL/dh_{t−1} = Whhᵀ·g_t: the true gradient.
    case exact
    /// dL/dh_{t−1} = Whh·g_t: the tutorial's published code (vanilla RNN only).
    case tutorial
}
