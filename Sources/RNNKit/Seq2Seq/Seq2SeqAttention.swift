/// How a translation model's decoder looks at the source sentence.
///
///     none      the context is the encoder's final state, the same at every step (Cho et al. 2014;
///               Sutskever et al. 2014 feed it only as the first state)
///     additive  Bahdanau et al. 2015: e_s = vᵀ·tanh(W·[s_{t−1} ‖ k_s] + b)
///     dot       Luong et al. 2015: e_s = s_{t−1}ᵀ·k_s (decoder hidden size = key size)
///     general   Luong et al. 2015: e_s = s_{t−1}ᵀ·W·k_s
///
/// With attention the context is c_t = Σ_s α_s·k_s, α = softmax(e) over the source's real positions.
public enum Seq2SeqAttention: String, Codable, Sendable, CaseIterable {
    case none
    case additive
    case dot
    case general

    /// The attention layer's score, or nil for `none`.
    var kind: AttentionKind? {
        switch self {
        case .none: return nil
        case .additive: return .additive
        case .dot: return .dot
        case .general: return .general
        }
    }
}
