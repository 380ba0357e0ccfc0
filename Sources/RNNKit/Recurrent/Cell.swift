// Dimension letters: B rows (sequences active at this step), H hidden size, G gates (1, 4 or 3).

/// The recurrent cells RNNKit implements, with PyTorch's equations and parameter layout.
///
/// A layer computes, for all rows at once, the two pre-activations
///     preX = x·W_ihᵀ + b_ih   (B, G·H)     preH = h_{t−1}·W_hhᵀ + b_hh   (B, G·H)
/// with matrix products, and hands them to the cell for the per-step gate math. The cell's
/// `forwardStep`/`backwardStep` are the only place that math lives, used by every path
/// (one example or a batch, classifier or language model, either direction).
public enum CellKind: String, Codable, Sendable, CaseIterable {
    case rnnTanh = "rnn_tanh"
    case rnnRelu = "rnn_relu"
    case lstm
    case gru

    /// Gate blocks stacked in W_ih / W_hh: RNN 1, LSTM 4 (i, f, g, o), GRU 3 (r, z, n).
    public var gateCount: Int {
        switch self {
        case .rnnTanh, .rnnRelu: return 1
        case .lstm: return 4
        case .gru: return 3
        }
    }

    /// Whether the cell has a cell state c besides h (LSTM).
    public var hasCellState: Bool { self == .lstm }

    /// Whether the cell needs preX and preH apart (GRU: r gates only the recurrent part of n).
    /// The others use their sum, so the layer adds h_{t−1}·W_hhᵀ straight into preX and both
    /// pre-activations share one gradient.
    public var separatesPreactivations: Bool { self == .gru }

    /// Per-step forward for rows 0..<B.
    /// - Parameters:
    ///   - preX, preH: pre-activations (B, G·H); preX is overwritten (scratch). Cells that do not
    ///     separate them receive preH = nil with the sum already in preX.
    ///   - hPrev, cPrev: previous state (B, H); cPrev only for LSTM.
    ///   - h, c: new state (B, H).
    ///   - gates: what backward needs (B, G·H): activated gates (LSTM, GRU; GRU keeps preH's n block
    ///     in `extra`), or nothing for RNN (h itself suffices).
    ///   - extra: GRU only, (B, H): W_hn·h_{t−1} + b_hn.
    @inline(__always)
    func forwardStep(B: Int, H: Int, preX: UnsafeMutablePointer<Float>, preH: UnsafePointer<Float>?,
                     hPrev: UnsafePointer<Float>, cPrev: UnsafePointer<Float>?,
                     h: UnsafeMutablePointer<Float>, c: UnsafeMutablePointer<Float>?,
                     gates: UnsafeMutablePointer<Float>, extra: UnsafeMutablePointer<Float>?) {
        switch self {
        case .rnnTanh: RNNCell.forward(B: B, H: H, relu: false, preX: preX, h: h)
        case .rnnRelu: RNNCell.forward(B: B, H: H, relu: true, preX: preX, h: h)
        case .lstm: LSTMCell.forward(B: B, H: H, preX: preX, cPrev: cPrev!, h: h, c: c!, gates: gates)
        case .gru: GRUCell.forward(B: B, H: H, preX: preX, preH: preH!, hPrev: hPrev, h: h, gates: gates, hn: extra!)
        }
    }

    /// Per-step backward for rows 0..<B.
    /// - Parameters:
    ///   - dh: dL/dh_t (B, H), all paths summed; may be overwritten.
    ///   - dc: LSTM only: on entry dL/dc_t from step t+1 (B, H); on exit dL/dc_{t−1}.
    ///   - dPreX, dPreH: written (B, G·H): gradients of the two pre-activations (dPreH only by
    ///     cells that separate them; for the others it is dPreX).
    ///   - dhPrev: the part of dL/dh_{t−1} that does not pass through W_hh is added here (GRU: z ⊙ dh).
    @inline(__always)
    func backwardStep(B: Int, H: Int, dh: UnsafeMutablePointer<Float>, dc: UnsafeMutablePointer<Float>?,
                      hPrev: UnsafePointer<Float>, cPrev: UnsafePointer<Float>?,
                      h: UnsafePointer<Float>, c: UnsafePointer<Float>?,
                      gates: UnsafePointer<Float>, extra: UnsafePointer<Float>?,
                      dPreX: UnsafeMutablePointer<Float>, dPreH: UnsafeMutablePointer<Float>,
                      dhPrev: UnsafeMutablePointer<Float>) {
        switch self {
        case .rnnTanh: RNNCell.backward(B: B, H: H, relu: false, dh: dh, h: h, dPre: dPreX)
        case .rnnRelu: RNNCell.backward(B: B, H: H, relu: true, dh: dh, h: h, dPre: dPreX)
        case .lstm:
            LSTMCell.backward(B: B, H: H, dh: dh, dc: dc!, cPrev: cPrev!, c: c!, gates: gates, dPre: dPreX)
        case .gru:
            GRUCell.backward(B: B, H: H, dh: dh, hPrev: hPrev, gates: gates, hn: extra!,
                             dPreX: dPreX, dPreH: dPreH, dhPrev: dhPrev)
        }
    }
}
