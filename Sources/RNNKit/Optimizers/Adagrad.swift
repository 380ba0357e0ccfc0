/// Adagrad — `torch.optim.Adagrad` (γ learning rate, η learning-rate decay, λ weight decay,
/// τ initial accumulator value, ε), at step t = 1, 2, …:
///
///     γ̃ ← γ / (1 + (t − 1)·η)
///     g ← ∇θ + λ·θ                         (when λ ≠ 0)
///     s ← s + g²                           (s starts at τ)
///     θ ← θ − γ̃·g / (√s + ε)
///
/// State: `<parameter>.step` and `<parameter>.sum`.
package final class Adagrad: Optimizer, CustomStringConvertible {
    package var learningRate: Float
    package let learningRateDecay: Float
    package let weightDecay: Float
    package let initialAccumulatorValue: Float
    package let eps: Float
    package var name: String { "Adagrad" }

    private var states = ParameterStates(bufferNames: ["sum"], tracksStep: true)

    package init(learningRate: Float = 0.01, learningRateDecay: Float = 0, weightDecay: Float = 0,
                initialAccumulatorValue: Float = 0, eps: Float = 1e-10) {
        precondition(learningRate >= 0 && learningRateDecay >= 0 && weightDecay >= 0
                     && initialAccumulatorValue >= 0 && eps >= 0,
                     "Adagrad: hyperparameters must be non-negative")
        self.learningRate = learningRate
        self.learningRateDecay = learningRateDecay
        self.weightDecay = weightDecay
        self.initialAccumulatorValue = initialAccumulatorValue
        self.eps = eps
    }

    package var description: String {
        "Adagrad(lr: \(learningRate), lr_decay: \(learningRateDecay), weight_decay: \(weightDecay), "
            + "initial_accumulator_value: \(initialAccumulatorValue), eps: \(eps))"
    }

    package func step(_ parameters: [Parameter]) {
        let wd = weightDecay, eps = eps
        for p in parameters {
            let (s, _) = states.state(for: p, initial: initialAccumulatorValue)
            s.step += 1
            // Python-side arithmetic in PyTorch: double, rounded to Float by `addcdiv_`.
            let clr = Double(learningRate) / (1 + Double(s.step - 1) * Double(learningRateDecay))
            let negClr = Float(-clr)
            let n = p.value.count, theta = p.value.data, grad = p.grad.data, sum = s.buffers[0].data
            for i in 0..<n {
                let th = theta[i]
                let g = wd != 0 ? grad[i] + wd * th : grad[i]
                let acc = sum[i] + g * g
                sum[i] = acc
                theta[i] = th + negClr * g / (vectorizableSquareRoot(acc) + eps)
            }
        }
    }

    package func stateTensors() -> [String: [Float]] { states.tensors(learningRate: learningRate) }

    package func loadState(_ state: [String: [Float]], parameters: [Parameter]) throws {
        learningRate = try states.load(state, parameters: parameters)
    }
}
