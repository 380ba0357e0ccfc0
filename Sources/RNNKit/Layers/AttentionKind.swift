/// The score an `Attention` layer gives encoder position s for decoder query q.
///
///     additive (Bahdanau et al. 2015):   e_s = vᵀ·tanh(W·[q ‖ k_s] + b)
///     dot (Luong et al. 2015):           e_s = qᵀ·k_s          (query and key sizes equal)
///     general (Luong et al. 2015):       e_s = qᵀ·W·k_s
package enum AttentionKind: String, Codable, Sendable, CaseIterable {
    case additive
    case dot
    case general
}
