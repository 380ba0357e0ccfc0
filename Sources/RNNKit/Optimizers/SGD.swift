/// Stochastic gradient descent with optional momentum, Nesterov momentum and L2 weight decay —
/// `torch.optim.SGD` (γ learning rate, μ momentum, τ dampening, λ weight decay):
///
///     g ← ∇θ + λ·θ                         (when λ ≠ 0)
///     b ← g on the first step,             (when μ ≠ 0)
///         μ·b + (1 − τ)·g afterwards
///     g ← g + μ·b  (Nesterov)  or  g ← b
///     θ ← θ − γ·g
///
/// With the defaults (μ = 0, λ = 0) this is plain SGD, θ ← θ − γ·∇θ, and keeps no state.
/// State: `<parameter>.momentum_buffer` when μ ≠ 0; no step count (PyTorch keeps none for SGD).
package final class SGD: Optimizer, CustomStringConvertible {
    package var learningRate: Float
    package let momentum: Float
    package let dampening: Float
    package let nesterov: Bool
    package let weightDecay: Float
    package var name: String { "SGD" }

    private var states: ParameterStates

    package init(learningRate: Float, momentum: Float = 0, dampening: Float = 0, nesterov: Bool = false,
                weightDecay: Float = 0) {
        precondition(learningRate >= 0 && momentum >= 0 && weightDecay >= 0,
                     "SGD: learning rate, momentum and weight decay must be non-negative")
        precondition(!nesterov || (momentum > 0 && dampening == 0),
                     "SGD: Nesterov momentum requires a momentum and zero dampening")
        self.learningRate = learningRate
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
        self.weightDecay = weightDecay
        states = ParameterStates(bufferNames: momentum != 0 ? ["momentum_buffer"] : [], tracksStep: false)
    }

    package var description: String {
        "SGD(lr: \(learningRate), momentum: \(momentum), dampening: \(dampening), nesterov: \(nesterov), "
            + "weight_decay: \(weightDecay))"
    }

    package func step(_ parameters: [Parameter]) {
        if momentum == 0 && weightDecay == 0 {
            for p in parameters { Kernels.axpy(p.value.count, -learningRate, p.grad.data, p.value.data) }
            return
        }
        let lr = learningRate, mu = momentum, wd = weightDecay, nesterov = nesterov
        // PyTorch passes 1 − τ (computed in double) to `add_` as its Float alpha.
        let gradScale = Float(1 - Double(dampening))
        for p in parameters {
            let n = p.value.count, theta = p.value.data, grad = p.grad.data
            guard mu != 0 else {
                for i in 0..<n { theta[i] -= lr * (grad[i] + wd * theta[i]) }
                continue
            }
            let (s, isNew) = states.state(for: p)
            let buf = s.buffers[0].data
            // One loop body per (first step, Nesterov) pair: with those flags constant inside,
            // the cost model lets the loop vectorize.
            @inline(__always) func update(first: Bool, nesterov: Bool) {
                for i in 0..<n {
                    let th = theta[i]
                    let g = wd != 0 ? grad[i] + wd * th : grad[i]
                    let b = first ? g : buf[i] * mu + gradScale * g
                    buf[i] = b
                    theta[i] = th - lr * (nesterov ? g + mu * b : b)
                }
            }
            switch (isNew, nesterov) {
            case (false, false): update(first: false, nesterov: false)
            case (false, true): update(first: false, nesterov: true)
            case (true, false): update(first: true, nesterov: false)
            case (true, true): update(first: true, nesterov: true)
            }
        }
    }

    /// Clamps each gradient element to [−clipValue, clipValue] (when given), steps, and resets the
    /// gradients to zero — `GradientClipping.value(c).apply(to:)`, `step(_:)` and `zeroGradients()`
    /// in one pass over memory instead of three. The per-example loop of the tutorial spends
    /// more time here than in the recurrence itself otherwise.
    ///
    /// Only plain SGD (no momentum, no weight decay) has the fused kernel; otherwise this runs the
    /// three steps one after the other, with the same result.
    package func stepAndZero(_ parameters: [Parameter], clipValue: Float?) {
        guard momentum == 0 && weightDecay == 0 else {
            if let clipValue { GradientClipping.value(clipValue).clamp(parameters) }
            step(parameters)
            parameters.zeroGradients()
            return
        }
        for p in parameters {
            Kernels.sgdClipZero(p.value.count, learningRate: learningRate, clip: clipValue ?? .infinity,
                                gradient: p.grad.data, weight: p.value.data)
        }
    }

    package func stateTensors() -> [String: [Float]] { states.tensors(learningRate: learningRate) }

    package func loadState(_ state: [String: [Float]], parameters: [Parameter]) throws {
        learningRate = try states.load(state, parameters: parameters)
    }
}
