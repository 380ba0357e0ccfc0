/// Plain stochastic gradient descent: θ ← θ − η·∇θ.
public struct SGD: Sendable {
    public var learningRate: Float

    public init(learningRate: Float) { self.learningRate = learningRate }

    public func step(_ parameters: [Parameter]) {
        for p in parameters { Kernels.axpy(p.value.count, -learningRate, p.grad.data, p.value.data) }
    }

    /// Clamps each gradient element to [−clipValue, clipValue] (when given), steps, and resets the
    /// gradients to zero — `GradientClipping.value(c).apply(to:)`, `step(_:)` and `zeroGradients()`
    /// in one pass over memory instead of three. The per-example loop of the tutorial spends
    /// more time here than in the recurrence itself otherwise.
    public func stepAndZero(_ parameters: [Parameter], clipValue: Float?) {
        for p in parameters {
            Kernels.sgdClipZero(p.value.count, learningRate: learningRate, clip: clipValue ?? .infinity,
                                gradient: p.grad.data, weight: p.value.data)
        }
    }
}

/// Gradient clipping, applied after backward and before the optimizer step.
public enum GradientClipping: Sendable, Equatable {
    case none
    /// Each gradient element clamped to [−v, v] (the tutorial clips to [−1, 1]).
    case value(Float)

    public func apply(to parameters: [Parameter]) {
        switch self {
        case .none: return
        case .value(let v):
            for p in parameters { Kernels.clamp(p.grad.count, -v, v, p.grad.data) }
        }
    }
}

extension Array where Element == Parameter {
    /// Sets every gradient to zero; backward passes only ever add.
    public func zeroGradients() {
        for p in self { p.grad.zero() }
    }
}
