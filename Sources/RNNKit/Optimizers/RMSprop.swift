/// RMSprop — `torch.optim.RMSprop` (γ learning rate, α smoothing constant, λ weight decay,
/// μ momentum, ε):
///
///     g ← ∇θ + λ·θ                         (when λ ≠ 0)
///     v ← α·v + (1 − α)·g²
///     ṽ ← v                                 or, centered:  ḡ ← α·ḡ + (1 − α)·g;  ṽ ← v − ḡ²
///     b ← μ·b + g / (√ṽ + ε);  θ ← θ − γ·b  (when μ > 0)
///     θ ← θ − γ·g / (√ṽ + ε)                (otherwise)
///
/// v, ḡ and b start at zero. Note ε is added outside the square root, unlike TensorFlow/Keras.
/// State: `<parameter>.step`, `<parameter>.square_avg`, and `<parameter>.momentum_buffer` when
/// μ > 0, `<parameter>.grad_avg` when centered. (PyTorch counts steps but RMSprop never uses the count.)
package final class RMSprop: Optimizer, CustomStringConvertible {
    package var learningRate: Float
    package let alpha: Float
    package let eps: Float
    package let weightDecay: Float
    package let momentum: Float
    package let centered: Bool
    package var name: String { "RMSprop" }

    private var states: ParameterStates
    // Positions in `ParameterState.buffers`; −1 when the option is off.
    private let momentumIndex: Int
    private let gradAvgIndex: Int

    package init(learningRate: Float = 0.01, alpha: Float = 0.99, eps: Float = 1e-8, weightDecay: Float = 0,
                momentum: Float = 0, centered: Bool = false) {
        precondition(learningRate >= 0 && alpha >= 0 && eps >= 0 && weightDecay >= 0 && momentum >= 0,
                     "RMSprop: hyperparameters must be non-negative")
        self.learningRate = learningRate
        self.alpha = alpha
        self.eps = eps
        self.weightDecay = weightDecay
        self.momentum = momentum
        self.centered = centered
        var names = ["square_avg"]
        momentumIndex = momentum > 0 ? names.count : -1
        if momentum > 0 { names.append("momentum_buffer") }
        gradAvgIndex = centered ? names.count : -1
        if centered { names.append("grad_avg") }
        states = ParameterStates(bufferNames: names, tracksStep: true)
    }

    package var description: String {
        "RMSprop(lr: \(learningRate), alpha: \(alpha), eps: \(eps), weight_decay: \(weightDecay), "
            + "momentum: \(momentum), centered: \(centered))"
    }

    package func step(_ parameters: [Parameter]) {
        let wd = weightDecay, eps = eps, alpha = alpha, mu = momentum, lr = learningRate
        // 1 − α is computed in double by PyTorch and rounded once when it reaches the kernel.
        let oneMinusAlpha = Float(1 - Double(alpha))
        for p in parameters {
            let (s, _) = states.state(for: p)
            s.step += 1
            let n = p.value.count, theta = p.value.data, grad = p.grad.data
            let squareAvg = s.buffers[0].data
            // One loop body, instantiated per combination of optional buffers, so that no copy
            // has a conditional store in it and all of them vectorize.
            @inline(__always) func update(_ buf: UnsafeMutablePointer<Float>?, _ gradAvg: UnsafeMutablePointer<Float>?) {
                for i in 0..<n {
                    let th = theta[i]
                    let g = wd != 0 ? grad[i] + wd * th : grad[i]
                    let v = squareAvg[i] * alpha + oneMinusAlpha * g * g
                    squareAvg[i] = v
                    var avg: Float
                    if let gradAvg {
                        let m = lerp(gradAvg[i], g, oneMinusAlpha)
                        gradAvg[i] = m
                        avg = vectorizableSquareRoot(v - m * m)
                    } else {
                        avg = vectorizableSquareRoot(v)
                    }
                    avg += eps
                    if let buf {
                        let b = buf[i] * mu + g / avg
                        buf[i] = b
                        theta[i] = th - lr * b
                    } else {
                        theta[i] = th - lr * g / avg
                    }
                }
            }
            let buf = momentumIndex >= 0 ? s.buffers[momentumIndex].data : nil
            let gradAvg = gradAvgIndex >= 0 ? s.buffers[gradAvgIndex].data : nil
            switch (buf, gradAvg) {
            case (nil, nil): update(nil, nil)
            case (let b?, nil): update(b, nil)
            case (nil, let a?): update(nil, a)
            case (let b?, let a?): update(b, a)
            }
        }
    }

    package func stateTensors() -> [String: [Float]] { states.tensors(learningRate: learningRate) }

    package func loadState(_ state: [String: [Float]], parameters: [Parameter]) throws {
        learningRate = try states.load(state, parameters: parameters)
    }
}
