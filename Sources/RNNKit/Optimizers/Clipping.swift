/// Gradient clipping, applied after backward and before the optimizer step.
///
/// With ‖g‖ = √(Σₚ Σᵢ gₚᵢ²) the global norm over all parameters:
///
///     .value(v):  gᵢ ← min(max(gᵢ, −v), v)                        (torch.nn.utils.clip_grad_value_)
///     .norm(m):   c = m / (‖g‖ + 10⁻⁶);  g ← c·g  when c < 1       (torch.nn.utils.clip_grad_norm_)
package enum GradientClipping: Sendable, Equatable {
    case none
    /// Each gradient element clamped to [−v, v] (the tutorial clips to [−1, 1]).
    case value(Float)
    /// All gradients scaled together so that their global norm is at most the given value.
    case norm(Float)

    /// Clips the gradients of `parameters` in place and returns their global norm from before
    /// clipping, in every mode — a non-finite norm means a NaN or an infinity in some gradient,
    /// and the caller should skip the step. `.norm` leaves non-finite gradients untouched
    /// (PyTorch would scale them by NaN or 0, destroying what a caller might want to inspect).
    ///
    /// The squares are computed and summed in Float within blocks of up to 256 elements per
    /// parameter (`Kernels.sumOfSquares`; a tail shorter than one vector in Double), and the
    /// block sums are added in Double; PyTorch combines per-tensor Float norms instead. A single
    /// Float sum of a few hundred thousand squares would lose digits; short Float blocks lose
    /// little. The square of a gradient
    /// element above ~1.8·10¹⁹ in magnitude overflows Float either way, so such a gradient reads
    /// as non-finite and its step is skipped. The two can differ in the last bits of the norm,
    /// hence of the clipping coefficient.
    @discardableResult
    package func apply(to parameters: [Parameter]) -> Double {
        let total = Self.globalNorm(parameters)
        switch self {
        case .none:
            break
        case .value:
            clamp(parameters)
        case .norm(let maxNorm):
            guard total.isFinite else { break }
            let coefficient = Double(maxNorm) / (total + 1e-6)
            if coefficient < 1 {
                let c = Float(coefficient)
                for p in parameters { Kernels.scale(p.grad.count, c, p.grad.data) }
            }
        }
        return total
    }

    /// The element-wise clamp of `.value` alone, without the norm; a no-op in other modes.
    func clamp(_ parameters: [Parameter]) {
        guard case .value(let v) = self else { return }
        for p in parameters { Kernels.clamp(p.grad.count, -v, v, p.grad.data) }
    }
}

extension GradientClipping {
    /// √(Σ over all parameters of Σ grad²): Float blocks of squares, added up in Double.
    package static func globalNorm(_ parameters: [Parameter]) -> Double {
        // Vectorized sums of squares (blocks summed in Float, as PyTorch's float32 norm does, and
        // added up in Double), one pass per parameter.
        var total = 0.0
        for p in parameters { total += Kernels.sumOfSquares(p.grad.count, p.grad.data) }
        return total.squareRoot()
    }
}

/// Whether every gradient element of `parameters` is finite (no NaN, no ±infinity): one
/// vectorized read pass (`Kernels.allFinite`).
package func gradientsAreFinite(_ parameters: [Parameter]) -> Bool {
    parameters.allSatisfy { Kernels.allFinite($0.grad.count, $0.grad.data) }
}
