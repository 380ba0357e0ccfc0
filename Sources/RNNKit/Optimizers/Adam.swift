import CRNNKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Adam — `torch.optim.Adam` (γ learning rate, β₁ β₂, ε, λ weight decay as an L2 term added to the
/// gradient), at step t = 1, 2, …:
///
///     g ← ∇θ + λ·θ                         (when λ ≠ 0)
///     m ← β₁·m + (1 − β₁)·g
///     v ← β₂·v + (1 − β₂)·g²
///     v̂ ← max(v̂, v) with AMSGrad, else v̂ = v
///     θ ← θ − (γ / (1 − β₁ᵗ)) · m / (√v̂ / √(1 − β₂ᵗ) + ε)
///
/// m, v and v̂ start at zero. The last line is PyTorch's arrangement of the bias corrections
/// m/(1 − β₁ᵗ) and v/(1 − β₂ᵗ): ε is added after dividing by √(1 − β₂ᵗ). Like PyTorch, m is
/// updated as the lerp m + (1 − β₁)·(g − m), which rounds slightly differently from the formula.
///
/// State: `<parameter>.step`, `<parameter>.exp_avg`, `<parameter>.exp_avg_sq`, and
/// `<parameter>.max_exp_avg_sq` with AMSGrad.
///
/// Weight decay here is L2 regularization, which Adam's per-coordinate scaling weakens for
/// coordinates with large gradients; `AdamW` decays the weights directly instead.
package class Adam: Optimizer, CustomStringConvertible {
    package var learningRate: Float
    package let beta1: Float
    package let beta2: Float
    package let eps: Float
    package let weightDecay: Float
    package let amsgrad: Bool
    /// AdamW's decoupled weight decay instead of Adam's L2 term.
    let decoupled: Bool
    package var name: String { decoupled ? "AdamW" : "Adam" }

    private var core: AdamCore

    package convenience init(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8,
                            weightDecay: Float = 0, amsgrad: Bool = false) {
        self.init(learningRate: learningRate, beta1: beta1, beta2: beta2, eps: eps, weightDecay: weightDecay,
                  amsgrad: amsgrad, decoupled: false)
    }

    init(learningRate: Float, beta1: Float, beta2: Float, eps: Float, weightDecay: Float, amsgrad: Bool, decoupled: Bool) {
        AdamCore.validate(learningRate: learningRate, beta1: beta1, beta2: beta2, eps: eps, weightDecay: weightDecay)
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.weightDecay = weightDecay
        self.amsgrad = amsgrad
        self.decoupled = decoupled
        core = AdamCore(amsgrad: amsgrad)
    }

    package var description: String {
        "\(name)(lr: \(learningRate), betas: (\(beta1), \(beta2)), eps: \(eps), weight_decay: \(weightDecay), "
            + "amsgrad: \(amsgrad))"
    }

    package func step(_ parameters: [Parameter]) {
        core.step(parameters, learningRate: learningRate, beta1: beta1, beta2: beta2, eps: eps,
                  weightDecay: weightDecay, decoupled: decoupled)
    }

    package func stateTensors() -> [String: [Float]] { core.states.tensors(learningRate: learningRate) }

    package func loadState(_ state: [String: [Float]], parameters: [Parameter]) throws {
        learningRate = try core.states.load(state, parameters: parameters)
    }
}

/// AdamW — `torch.optim.AdamW`: Adam with decoupled weight decay (Loshchilov & Hutter). The
/// weights shrink by a factor before the Adam step, which itself sees the raw gradient:
///
///     θ ← θ·(1 − γλ)
///     m ← β₁·m + (1 − β₁)·g
///     v ← β₂·v + (1 − β₂)·g²
///     v̂ ← max(v̂, v) with AMSGrad, else v̂ = v
///     θ ← θ − (γ / (1 − β₁ᵗ)) · m / (√v̂ / √(1 − β₂ᵗ) + ε)
///
/// PyTorch's default λ is 0.01. State as for `Adam`.
package final class AdamW: Adam {
    package init(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8,
                weightDecay: Float = 0.01, amsgrad: Bool = false) {
        super.init(learningRate: learningRate, beta1: beta1, beta2: beta2, eps: eps, weightDecay: weightDecay,
                   amsgrad: amsgrad, decoupled: true)
    }
}

/// The update shared by `Adam` and `AdamW`, as in PyTorch where AdamW is Adam with
/// `decoupled_weight_decay=True`.
struct AdamCore {
    var states: ParameterStates
    let amsgrad: Bool

    init(amsgrad: Bool) {
        self.amsgrad = amsgrad
        states = ParameterStates(bufferNames: ["exp_avg", "exp_avg_sq"] + (amsgrad ? ["max_exp_avg_sq"] : []),
                                 tracksStep: true)
    }

    static func validate(learningRate: Float, beta1: Float, beta2: Float, eps: Float, weightDecay: Float) {
        precondition(learningRate >= 0 && eps >= 0 && weightDecay >= 0, "Adam: lr, eps and weight decay must be non-negative")
        precondition((0..<1).contains(beta1) && (0..<1).contains(beta2), "Adam: betas must be in [0, 1)")
    }

    mutating func step(_ parameters: [Parameter], learningRate: Float, beta1: Float, beta2: Float, eps: Float,
                       weightDecay: Float, decoupled: Bool) {
        let (lr, b1, b2) = (Double(learningRate), Double(beta1), Double(beta2))
        // PyTorch hands these Python doubles to Float kernels, which round them once.
        let mWeight = Float(1 - b1)
        let vScale = Float(1 - b2)
        let l2 = decoupled ? 0 : weightDecay
        let decay = Float(1 - lr * Double(weightDecay))
        let shrink = decoupled && weightDecay != 0
        let amsgrad = amsgrad
        for p in parameters {
            let (s, _) = states.state(for: p)
            s.step += 1
            let t = Double(s.step)
            let biasCorrection1 = 1 - pow(b1, t)
            let biasCorrection2 = 1 - pow(b2, t)
            let negStepSize = Float(-(lr / biasCorrection1))
            // Python's `x ** 0.5` is pow, not sqrt; they can differ in the last bit.
            let biasCorrection2Sqrt = Float(pow(biasCorrection2, 0.5))
            let n = p.value.count, theta = p.value.data, grad = p.grad.data
            let expAvg = s.buffers[0].data, expAvgSq = s.buffers[1].data
            // One loop body, instantiated without and with the AMSGrad buffer, so that neither
            // copy has a conditional store in it and both vectorize.
            @inline(__always) func update(_ maxExpAvgSq: UnsafeMutablePointer<Float>?) {
                for i in 0..<n {
                    let th = shrink ? theta[i] * decay : theta[i]
                    let g = l2 != 0 ? grad[i] + l2 * th : grad[i]
                    let m = lerp(expAvg[i], g, mWeight)
                    expAvg[i] = m
                    var v = expAvgSq[i] * beta2 + vScale * g * g
                    expAvgSq[i] = v
                    if let maxExpAvgSq {
                        // torch.maximum: NaN in either operand wins.
                        let old = maxExpAvgSq[i]
                        v = old >= v || old.isNaN ? old : v
                        maxExpAvgSq[i] = v
                    }
                    let denom = vectorizableSquareRoot(v) / biasCorrection2Sqrt + eps
                    theta[i] = th + negStepSize * m / denom
                }
            }
            if amsgrad {
                update(s.buffers[2].data)
            } else if mWeight < 0.5 {
                // The same loop, vectorized for the CPU found at run time (AVX-512 / AVX2).
                rk_adam(Int32(n), theta, grad, expAvg, expAvgSq, mWeight, beta2, vScale, l2, shrink ? 1 : 0, decay,
                        biasCorrection2Sqrt, negStepSize, eps)
            } else {
                update(nil)
            }
        }
    }
}
