import Testing
@testable import RNNKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Two small parameters with fixed values and a fixed gradient sequence, all exactly representable
/// in Float32 (quarters and eighths) so that Swift, the Double references below and PyTorch start
/// from identical numbers.
private enum Fixture {
    static let count = 9
    /// Element k of the flattened ["fc.weight" (2×3), "fc.bias" (3)] pair.
    static let initial: [Double] = (0..<count).map { k in Double((5 * k + 3) % 13 - 6) / 4 }

    /// The gradient at step t = 1, 2, …
    static func gradient(step t: Int) -> [Double] {
        (0..<count).map { k in Double((7 * k + 3 * t) % 11 - 5) / 8 }
    }

    static func parameters() -> [Parameter] {
        let w = Parameter(name: "fc.weight", shape: [2, 3]), b = Parameter(name: "fc.bias", shape: [3])
        for k in 0..<6 { w.value[k] = Float(initial[k]) }
        for k in 0..<3 { b.value[k] = Float(initial[6 + k]) }
        return [w, b]
    }

    static func setGradients(_ parameters: [Parameter], step t: Int) {
        let g = gradient(step: t)
        for k in 0..<6 { parameters[0].grad[k] = Float(g[k]) }
        for k in 0..<3 { parameters[1].grad[k] = Float(g[6 + k]) }
    }

    static func values(_ parameters: [Parameter]) -> [Float] { parameters.flatMap(\.value.array) }

    static func copy(_ parameters: [Parameter]) -> [Parameter] {
        parameters.map { p in
            let c = Parameter(name: p.name, shape: p.value.shape)
            c.value.copy(from: p.value)
            c.grad.copy(from: p.grad)
            return c
        }
    }

    /// Runs steps `range` (gradients of those step numbers) on `parameters`.
    static func run(_ optimizer: any Optimizer, _ parameters: [Parameter], steps range: ClosedRange<Int>) {
        for t in range {
            setGradients(parameters, step: t)
            optimizer.step(parameters)
        }
    }
}

// MARK: - Naive Double references, transcribed from the pseudo-code in PyTorch's torch.optim docs

/// A documented update rule on flat Double arrays: the parameters after each step, and the final
/// state keyed by PyTorch's state names (flattened over both parameters).
private typealias Reference = @Sendable (_ theta0: [Double], _ gradients: [[Double]]) -> (trajectory: [[Double]], state: [String: [Double]])

private enum References {
    static func sgd(lr: Float, momentum: Float = 0, dampening: Float = 0, nesterov: Bool = false,
                    weightDecay: Float = 0) -> Reference {
        let (gamma, mu, tau, lambda) = (Double(lr), Double(momentum), Double(dampening), Double(weightDecay))
        return { theta0, gradients in
            var theta = theta0, b = [Double](repeating: 0, count: theta0.count), trajectory: [[Double]] = []
            for (t0, grad) in gradients.enumerated() {
                for i in theta.indices {
                    var g = grad[i]
                    if lambda != 0 { g += lambda * theta[i] }
                    if mu != 0 {
                        b[i] = t0 > 0 ? mu * b[i] + (1 - tau) * g : g
                        g = nesterov ? g + mu * b[i] : b[i]
                    }
                    theta[i] -= gamma * g
                }
                trajectory.append(theta)
            }
            return (trajectory, mu != 0 ? ["momentum_buffer": b] : [:])
        }
    }

    static func adagrad(lr: Float = 0.01, lrDecay: Float = 0, weightDecay: Float = 0, initialAccumulator: Float = 0,
                        eps: Float = 1e-10) -> Reference {
        let (gamma, eta, lambda, tau, epsilon) = (Double(lr), Double(lrDecay), Double(weightDecay),
                                                  Double(initialAccumulator), Double(eps))
        return { theta0, gradients in
            var theta = theta0, sum = [Double](repeating: tau, count: theta0.count), trajectory: [[Double]] = []
            for (t0, grad) in gradients.enumerated() {
                let gammaT = gamma / (1 + Double(t0) * eta)
                for i in theta.indices {
                    var g = grad[i]
                    if lambda != 0 { g += lambda * theta[i] }
                    sum[i] += g * g
                    theta[i] -= gammaT * g / (sum[i].squareRoot() + epsilon)
                }
                trajectory.append(theta)
            }
            return (trajectory, ["sum": sum, "step": [Double(gradients.count)]])
        }
    }

    static func rmsprop(lr: Float = 0.01, alpha: Float = 0.99, eps: Float = 1e-8, weightDecay: Float = 0,
                        momentum: Float = 0, centered: Bool = false) -> Reference {
        let (gamma, a, epsilon, lambda, mu) = (Double(lr), Double(alpha), Double(eps), Double(weightDecay),
                                               Double(momentum))
        return { theta0, gradients in
            let n = theta0.count
            var theta = theta0, trajectory: [[Double]] = []
            var v = [Double](repeating: 0, count: n), b = v, gAve = v
            for grad in gradients {
                for i in theta.indices {
                    var g = grad[i]
                    if lambda != 0 { g += lambda * theta[i] }
                    v[i] = a * v[i] + (1 - a) * g * g
                    var vTilde = v[i]
                    if centered {
                        gAve[i] = a * gAve[i] + (1 - a) * g
                        vTilde -= gAve[i] * gAve[i]
                    }
                    if mu > 0 {
                        b[i] = mu * b[i] + g / (vTilde.squareRoot() + epsilon)
                        theta[i] -= gamma * b[i]
                    } else {
                        theta[i] -= gamma * g / (vTilde.squareRoot() + epsilon)
                    }
                }
                trajectory.append(theta)
            }
            var state = ["square_avg": v, "step": [Double(gradients.count)]]
            if mu > 0 { state["momentum_buffer"] = b }
            if centered { state["grad_avg"] = gAve }
            return (trajectory, state)
        }
    }

    /// Adam, or AdamW when `decoupled`.
    static func adam(lr: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8,
                     weightDecay: Float = 0, amsgrad: Bool = false, decoupled: Bool = false) -> Reference {
        let (gamma, b1, b2, epsilon, lambda) = (Double(lr), Double(beta1), Double(beta2), Double(eps),
                                                Double(weightDecay))
        return { theta0, gradients in
            let n = theta0.count
            var theta = theta0, trajectory: [[Double]] = []
            var m = [Double](repeating: 0, count: n), v = m, vMax = m
            for (t0, grad) in gradients.enumerated() {
                let t = Double(t0 + 1)
                for i in theta.indices {
                    var g = grad[i]
                    if lambda != 0 {
                        if decoupled { theta[i] -= gamma * lambda * theta[i] } else { g += lambda * theta[i] }
                    }
                    m[i] = b1 * m[i] + (1 - b1) * g
                    v[i] = b2 * v[i] + (1 - b2) * g * g
                    let mHat = m[i] / (1 - pow(b1, t))
                    vMax[i] = max(vMax[i], v[i])
                    let vHat = (amsgrad ? vMax[i] : v[i]) / (1 - pow(b2, t))
                    theta[i] -= gamma * mHat / (vHat.squareRoot() + epsilon)
                }
                trajectory.append(theta)
            }
            var state = ["exp_avg": m, "exp_avg_sq": v, "step": [Double(gradients.count)]]
            if amsgrad { state["max_exp_avg_sq"] = vMax }
            return (trajectory, state)
        }
    }
}

/// One optimizer configuration, with its Double reference.
struct OptimizerCase: Sendable, CustomTestStringConvertible {
    let label: String
    fileprivate let make: @Sendable () -> any Optimizer
    fileprivate let reference: Reference
    var testDescription: String { label }

    static let all: [OptimizerCase] = [
        .init(label: "SGD", make: { SGD(learningRate: 0.1) }, reference: References.sgd(lr: 0.1)),
        .init(label: "SGD weight decay", make: { SGD(learningRate: 0.1, weightDecay: 0.05) },
              reference: References.sgd(lr: 0.1, weightDecay: 0.05)),
        .init(label: "SGD momentum dampening", make: { SGD(learningRate: 0.1, momentum: 0.9, dampening: 0.25) },
              reference: References.sgd(lr: 0.1, momentum: 0.9, dampening: 0.25)),
        .init(label: "SGD Nesterov weight decay",
              make: { SGD(learningRate: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.05) },
              reference: References.sgd(lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.05)),
        .init(label: "Adagrad", make: { Adagrad(learningRate: 0.1) }, reference: References.adagrad(lr: 0.1)),
        .init(label: "Adagrad decay accumulator",
              make: { Adagrad(learningRate: 0.1, learningRateDecay: 0.1, weightDecay: 0.05, initialAccumulatorValue: 0.2) },
              reference: References.adagrad(lr: 0.1, lrDecay: 0.1, weightDecay: 0.05, initialAccumulator: 0.2)),
        .init(label: "RMSprop", make: { RMSprop(learningRate: 0.01) }, reference: References.rmsprop(lr: 0.01)),
        .init(label: "RMSprop centered", make: { RMSprop(learningRate: 0.01, alpha: 0.9, centered: true) },
              reference: References.rmsprop(lr: 0.01, alpha: 0.9, centered: true)),
        .init(label: "RMSprop momentum weight decay",
              make: { RMSprop(learningRate: 0.01, weightDecay: 0.05, momentum: 0.5) },
              reference: References.rmsprop(lr: 0.01, weightDecay: 0.05, momentum: 0.5)),
        .init(label: "RMSprop centered momentum",
              make: { RMSprop(learningRate: 0.01, alpha: 0.9, momentum: 0.5, centered: true) },
              reference: References.rmsprop(lr: 0.01, alpha: 0.9, momentum: 0.5, centered: true)),
        .init(label: "Adam", make: { Adam(learningRate: 0.05) }, reference: References.adam(lr: 0.05)),
        .init(label: "Adam L2", make: { Adam(learningRate: 0.05, weightDecay: 0.1) },
              reference: References.adam(lr: 0.05, weightDecay: 0.1)),
        .init(label: "Adam AMSGrad", make: { Adam(learningRate: 0.05, beta1: 0.8, beta2: 0.99, amsgrad: true) },
              reference: References.adam(lr: 0.05, beta1: 0.8, beta2: 0.99, amsgrad: true)),
        .init(label: "AdamW", make: { AdamW(learningRate: 0.05, weightDecay: 0.1) },
              reference: References.adam(lr: 0.05, weightDecay: 0.1, decoupled: true)),
        .init(label: "AdamW AMSGrad", make: { AdamW(learningRate: 0.05, amsgrad: true) },
              reference: References.adam(lr: 0.05, weightDecay: 0.01, amsgrad: true, decoupled: true)),
    ]
}

/// |a − b| ≤ tolerance · max(|b|, floor): relative, except near zero where it becomes absolute.
private func close(_ a: [Float], _ b: [Double], tolerance: Double = 1e-6, floor: Double = 1) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { abs(Double($0) - $1) <= tolerance * max(abs($1), floor) }
}

@Suite("Optimizers")
struct OptimizerTests {
    // MARK: Update rules

    @Test("Five steps match the documented update rule computed in Double", arguments: OptimizerCase.all)
    func matchesReference(_ c: OptimizerCase) {
        let optimizer = c.make()
        let parameters = Fixture.parameters()
        let gradients = (1...5).map { Fixture.gradient(step: $0) }
        let expected = c.reference(Fixture.initial, gradients)
        for t in 1...5 {
            Fixture.setGradients(parameters, step: t)
            optimizer.step(parameters)
            let got = Fixture.values(parameters)
            #expect(close(got, expected.trajectory[t - 1]), "step \(t): \(got) vs \(expected.trajectory[t - 1])")
            // The gradients are inputs only: neither changed nor zeroed.
            #expect(parameters.flatMap(\.grad.array) == Fixture.gradient(step: t).map { Float($0) })
        }
        let state = optimizer.stateTensors()
        #expect(state["lr"] == [optimizer.learningRate])
        for (suffix, values) in expected.state {
            if suffix == "step" {
                #expect(state["fc.weight.step"] == [5] && state["fc.bias.step"] == [5])
                continue
            }
            let got = (state["fc.weight." + suffix] ?? []) + (state["fc.bias." + suffix] ?? [])
            // Normwise: a running mean of gradients of both signs cancels, and Float keeps only
            // the absolute accuracy of the terms it summed.
            let scale = values.map(abs).max() ?? 1
            #expect(close(got, values, floor: scale), "\(suffix): \(got) vs \(values)")
        }
        let perParameter = expected.state.count
        #expect(state.count == 1 + 2 * perParameter, "unexpected keys: \(state.keys.sorted())")
    }

    /// Expected parameters after each of five steps, from PyTorch 2.x's CPU (single-tensor) code
    /// path. Regenerate with:
    ///
    ///     import numpy as np, torch
    ///     f = lambda x: float(np.float32(x))  # hyperparameters as the Float32 values Swift holds
    ///     init = [((5 * k + 3) % 13 - 6) / 4 for k in range(9)]
    ///     grad = lambda t: [((7 * k + 3 * t) % 11 - 5) / 8 for k in range(9)]
    ///     configs = {
    ///         "adam": lambda ps: torch.optim.Adam(ps, lr=f(0.05)),
    ///         "adamL2Amsgrad": lambda ps: torch.optim.Adam(ps, lr=f(0.05), weight_decay=f(0.1), amsgrad=True),
    ///         "adamW": lambda ps: torch.optim.AdamW(ps, lr=f(0.05), weight_decay=f(0.1)),
    ///         "rmsprop": lambda ps: torch.optim.RMSprop(ps, lr=f(0.01)),
    ///         "rmspropCenteredMomentum": lambda ps: torch.optim.RMSprop(
    ///             ps, lr=f(0.01), alpha=f(0.9), momentum=f(0.5), centered=True, weight_decay=f(0.1)),
    ///         "adagrad": lambda ps: torch.optim.Adagrad(
    ///             ps, lr=f(0.1), lr_decay=f(0.05), weight_decay=f(0.1), initial_accumulator_value=f(0.1)),
    ///         "sgdNesterov": lambda ps: torch.optim.SGD(ps, lr=f(0.1), momentum=f(0.9), nesterov=True, weight_decay=f(0.1)),
    ///     }
    ///     for name, make in configs.items():
    ///         w = torch.tensor(init[:6], dtype=torch.float32).reshape(2, 3).requires_grad_()
    ///         b = torch.tensor(init[6:], dtype=torch.float32).requires_grad_()
    ///         opt = make([w, b])
    ///         rows = []
    ///         for t in range(1, 6):
    ///             g = torch.tensor(grad(t), dtype=torch.float32)
    ///             w.grad, b.grad = g[:6].reshape(2, 3).clone(), g[6:].clone()
    ///             opt.step()
    ///             rows.append(", ".join(str(np.float32(x)) for x in torch.cat([w.detach().flatten(), b.detach()]).tolist()))
    ///         print(f'"{name}": [\n' + "".join(f"    [{r}],\n" for r in rows) + "],")
    ///
    /// (Run with torch 2.15.0. Hyperparameters go through `f` because PyTorch computes 1 − β and
    /// friends in double from what it is given; handing it 0.999 instead of Float(0.999) would
    /// shift those by 10⁻⁸ absolute, 10⁻⁵ relative.)
    static let torchExpected: [String: [[Float]]] = [
        "adam": [
            [-0.7, 0.45, -1.55, -0.2, 0.95, -1.0, 0.29999998, 1.45, -0.45000002],
            [-0.6866831, 0.4404251, -1.5942187, -0.16649708, 0.9526316, -1.0372069, 0.34152985, 1.4646782, -0.4683052],
            [-0.7095497, 0.43302366, -1.596499, -0.17079046, 0.96019894, -1.0246063, 0.35645744, 1.4857787, -0.50323963],
            [-0.70454156, 0.41432652, -1.5933522, -0.15089996, 0.9564881, -1.0054113, 0.3432803, 1.4981818, -0.5143695],
            [-0.69593626, 0.418321, -1.5996956, -0.12685706, 0.9367308, -0.99376875, 0.34413943, 1.4922789, -0.52377677],
        ],
        "adamL2Amsgrad": [
            [-0.7, 0.45, -1.45, -0.2, 0.95, -0.95, 0.29999998, 1.45, -0.45000002],
            [-0.6731785, 0.43625262, -1.4847627, -0.16467997, 0.94305885, -0.97377795, 0.34015203, 1.4503925, -0.4565583],
            [-0.6860392, 0.42379066, -1.4696814, -0.16566285, 0.9390524, -0.9512313, 0.3507531, 1.4553585, -0.48765904],
            [-0.67231303, 0.40075937, -1.448055, -0.14389771, 0.92361534, -0.9225914, 0.33423284, 1.448922, -0.49281976],
            [-0.65456504, 0.40001544, -1.433549, -0.11813471, 0.8956978, -0.89944786, 0.33125415, 1.4272059, -0.49542162],
        ],
        "adamW": [
            [-0.69625, 0.4475, -1.5425, -0.19875, 0.945, -0.995, 0.29874998, 1.4425001, -0.44750002],
            [-0.6794519, 0.4356876, -1.5790063, -0.16425334, 0.9429066, -1.0272318, 0.3387861, 1.4499657, -0.4635677],
            [-0.6989212, 0.42610773, -1.5733916, -0.16772546, 0.9457594, -1.0094951, 0.35201976, 1.4638164, -0.4961843],
            [-0.6904184, 0.40528005, -1.5623778, -0.14699633, 0.93731976, -0.9852526, 0.3370825, 1.4689004, -0.5048332],
            [-0.67836106, 0.40724814, -1.5609093, -0.12221844, 0.9128759, -0.96868384, 0.33625624, 1.4556531, -0.51171637],
        ],
        "rmsprop": [
            [-0.65000004, 0.40000004, -1.5999999, -0.15000004, 0.90000004, -1.0, 0.34999996, 1.4, -0.4000001],
            [-0.69490135, 0.4516398, -1.6970427, -0.15000004, 0.97088814, -1.1, 0.37436846, 1.485863, -0.48953235],
            [-0.7823753, 0.4516398, -1.6272211, -0.22106513, 0.98842347, -1.014137, 0.33037958, 1.518492, -0.5809107],
            [-0.71634865, 0.40539193, -1.6099416, -0.14449707, 0.9551807, -0.981508, 0.25622603, 1.5023113, -0.5326494],
            [-0.6999825, 0.46663332, -1.6427518, -0.11507775, 0.8910752, -0.99768865, 0.297047, 1.4477838, -0.5326494],
        ],
        "rmspropCenteredMomentum": [
            [-0.7166667, 0.46666667, -1.4666667, -0.21666667, 0.9666667, -0.9666667, 0.28333333, 1.4666667, -0.46666667],
            [-0.7055548, 0.46453783, -1.4830259, -0.198099, 0.96831805, -0.98056537, 0.30710837, 1.4719046, -0.4745324],
            [-0.7262337, 0.461306, -1.4627994, -0.21100722, 0.9704898, -0.95722896, 0.3017946, 1.4794327, -0.50902003],
            [-0.71234846, 0.44175395, -1.4407784, -0.19125018, 0.95600325, -0.93131393, 0.2734172, 1.470569, -0.50786245],
            [-0.6968449, 0.45160115, -1.4345456, -0.1702436, 0.9241868, -0.9197251, 0.27213922, 1.4429256, -0.5049795],
        ],
        "adagrad": [
            [-0.6783287, 0.4094449, -1.4921188, -0.17155355, 0.91153485, -0.9698489, 0.3332405, 1.4143392, -0.45158],
            [-0.690241, 0.44839382, -1.5627578, -0.16835113, 0.96070296, -1.0310302, 0.34834737, 1.4733312, -0.49853995],
            [-0.7526092, 0.44341096, -1.4890047, -0.22058499, 0.9640217, -0.9528833, 0.30815974, 1.4851846, -0.572235],
            [-0.6938831, 0.40374464, -1.461117, -0.15796128, 0.9291931, -0.9200578, 0.24613138, 1.4566511, -0.52699476],
            [-0.6753423, 0.44846407, -1.4711797, -0.13432154, 0.87596697, -0.9230618, 0.27580857, 1.4056202, -0.5217192],
        ],
        "sgdNesterov": [
            [-0.68825, 0.37175, -1.49525, -0.174, 0.886, -0.981, 0.34025, 1.40025, -0.46675],
            [-0.67259824, 0.38126174, -1.5598153, -0.138294, 0.91556597, -1.025511, 0.39601022, 1.4498702, -0.49120674],
            [-0.7356765, 0.35217407, -1.4617448, -0.17634702, 0.9115036, -0.9024152, 0.3829825, 1.4708332, -0.60433567],
            [-0.64452255, 0.25148526, -1.3809965, -0.05598879, 0.840019, -0.7924627, 0.27129498, 1.4285529, -0.5715901],
            [-0.57810915, 0.31175667, -1.3539898, 0.04306028, 0.67167604, -0.7328204, 0.29656845, 1.2928455, -0.570448],
        ],
    ]

    @Test("Five steps match PyTorch's own numbers", arguments: [
        "adam", "adamL2Amsgrad", "adamW", "rmsprop", "rmspropCenteredMomentum", "adagrad", "sgdNesterov",
    ])
    func matchesPyTorch(_ name: String) throws {
        let optimizer: any Optimizer = switch name {
        case "adam": Adam(learningRate: 0.05)
        case "adamL2Amsgrad": Adam(learningRate: 0.05, weightDecay: 0.1, amsgrad: true)
        case "adamW": AdamW(learningRate: 0.05, weightDecay: 0.1)
        case "rmsprop": RMSprop(learningRate: 0.01)
        case "rmspropCenteredMomentum":
            RMSprop(learningRate: 0.01, alpha: 0.9, weightDecay: 0.1, momentum: 0.5, centered: true)
        case "adagrad": Adagrad(learningRate: 0.1, learningRateDecay: 0.05, weightDecay: 0.1, initialAccumulatorValue: 0.1)
        default: SGD(learningRate: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.1)
        }
        let expected = try #require(Self.torchExpected[name])
        let parameters = Fixture.parameters()
        for t in 1...5 {
            Fixture.setGradients(parameters, step: t)
            optimizer.step(parameters)
            let got = Fixture.values(parameters)
            // Agreement is within 1.2e-7 (a few ulps), not bit for bit: PyTorch's AVX2 kernels fuse
            // the multiply-adds of `add_(alpha:)` and `lerp_` into FMAs, which Swift's baseline
            // x86-64 target cannot emit without a libm call per element.
            #expect(close(got, expected[t - 1].map(Double.init)), "step \(t): \(got) vs \(expected[t - 1])")
        }
    }

    // MARK: Checkpoints

    @Test("Resuming from saved state continues bit-identically", arguments: OptimizerCase.all)
    func stateRoundTrip(_ c: OptimizerCase) throws {
        let original = c.make()
        let parameters = Fixture.parameters()
        Fixture.run(original, parameters, steps: 1...3)
        original.learningRate *= 0.5  // as a schedule would; the state must carry it
        let saved = original.stateTensors()
        let resumedParameters = Fixture.copy(parameters)
        Fixture.run(original, parameters, steps: 4...5)

        let resumed = c.make()
        try resumed.loadState(saved, parameters: resumedParameters)
        #expect(resumed.learningRate == original.learningRate)
        Fixture.run(resumed, resumedParameters, steps: 4...5)

        #expect(Fixture.values(resumedParameters).map(\.bitPattern) == Fixture.values(parameters).map(\.bitPattern))
        let a = original.stateTensors(), b = resumed.stateTensors()
        #expect(a.mapValues { $0.map(\.bitPattern) } == b.mapValues { $0.map(\.bitPattern) })
    }

    @Test("Loading a bad state throws a clear error and changes nothing")
    func badState() throws {
        let optimizer = Adam(learningRate: 0.01)
        let parameters = Fixture.parameters()
        Fixture.run(optimizer, parameters, steps: 1...3)
        let good = optimizer.stateTensors()
        #expect(good.keys.sorted() == [
            "fc.bias.exp_avg", "fc.bias.exp_avg_sq", "fc.bias.step",
            "fc.weight.exp_avg", "fc.weight.exp_avg_sq", "fc.weight.step", "lr",
        ])

        func failure(_ state: [String: [Float]], into target: (any Optimizer)? = nil) -> OptimizerStateError? {
            do {
                try (target ?? optimizer).loadState(state, parameters: parameters)
                return nil
            } catch {
                return error as? OptimizerStateError
            }
        }

        var missing = good
        missing["fc.weight.exp_avg"] = nil
        let e1 = try #require(failure(missing))
        #expect(e1.kind == .missingKey && e1.key == "fc.weight.exp_avg")
        #expect(e1.description.contains("fc.weight.exp_avg") && e1.description.contains("missing"))

        var short = good
        short["fc.bias.exp_avg_sq"] = [1, 2]
        let e2 = try #require(failure(short))
        #expect(e2.kind == .wrongSize && e2.key == "fc.bias.exp_avg_sq")
        #expect(e2.description.contains("2 elements") && e2.description.contains("3"))

        var noLR = good
        noLR["lr"] = nil
        #expect(failure(noLR)?.kind == .missingKey)

        var extra = good
        extra["fc.other.exp_avg"] = [0]
        let e3 = try #require(failure(extra))
        #expect(e3.kind == .unexpectedKey && e3.key == "fc.other.exp_avg")

        var fractionalStep = good
        fractionalStep["fc.bias.step"] = [2.5]
        #expect(failure(fractionalStep)?.kind == .badValue)

        // Adam's moments are not RMSprop's: nothing of it may load silently.
        let e4 = try #require(failure(good, into: RMSprop()))
        #expect(e4.kind == .unexpectedKey || e4.kind == .missingKey)

        // Every failure above left the optimizer as it was.
        #expect(optimizer.stateTensors() == good)

        // A state saved before any step is just the learning rate, and loads into a fresh optimizer.
        let fresh = Adam()
        #expect(fresh.stateTensors() == ["lr": [0.001]])
        try Adam(learningRate: 0.5).loadState(fresh.stateTensors(), parameters: parameters)
    }

    @Test("Step counts past 2^24 survive the Float encoding")
    func largeStepCounts() throws {
        for step in [0, 1, 16_777_215, 16_777_216, 16_777_217, 123_456_789_012] {
            let encoded = ParameterStates.encode(step: step)
            #expect(encoded.count == (step < 1 << 24 ? 1 : 2))
            #expect(try ParameterStates.decode(step: encoded, key: "x.step") == step)
        }
        #expect(throws: OptimizerStateError.self) { try ParameterStates.decode(step: [-1], key: "x.step") }
        #expect(throws: OptimizerStateError.self) { try ParameterStates.decode(step: [], key: "x.step") }
    }

    // MARK: SGD compatibility

    @Test("Fused stepAndZero equals clip, step and zero done separately")
    func fusedSGD() {
        for clip: Float? in [nil, 0.3] {
            let fused = Fixture.parameters(), separate = Fixture.parameters()
            Fixture.setGradients(fused, step: 1)
            Fixture.setGradients(separate, step: 1)
            SGD(learningRate: 0.02).stepAndZero(fused, clipValue: clip)
            if let clip { GradientClipping.value(clip).apply(to: separate) }
            SGD(learningRate: 0.02).step(separate)
            #expect(close(Fixture.values(fused), Fixture.values(separate).map(Double.init), tolerance: 1e-7))
            #expect(fused.allSatisfy { $0.grad.array.allSatisfy { $0 == 0 } })
        }

        // With momentum there is no fused kernel; the fallback must still clip, step and zero.
        let fused = Fixture.parameters(), separate = Fixture.parameters()
        let a = SGD(learningRate: 0.1, momentum: 0.9, weightDecay: 0.01)
        let b = SGD(learningRate: 0.1, momentum: 0.9, weightDecay: 0.01)
        for t in 1...3 {
            Fixture.setGradients(fused, step: t)
            Fixture.setGradients(separate, step: t)
            a.stepAndZero(fused, clipValue: 0.3)
            GradientClipping.value(0.3).apply(to: separate)
            b.step(separate)
            #expect(fused.allSatisfy { $0.grad.array.allSatisfy { $0 == 0 } })
        }
        #expect(Fixture.values(fused) == Fixture.values(separate))
    }

    // MARK: Clipping

    private static func parameters(_ weight: [Float], _ bias: [Float]) -> [Parameter] {
        let w = Parameter(name: "w", shape: [weight.count]), b = Parameter(name: "b", shape: [bias.count])
        for (i, g) in weight.enumerated() { w.grad[i] = g }
        for (i, g) in bias.enumerated() { b.grad[i] = g }
        return [w, b]
    }

    @Test("Clipping by value clamps each element and returns the norm from before")
    func clipValue() {
        let ps = Self.parameters([3, -0.5, -2, 0.25], [1.5])
        let norm = GradientClipping.value(1).apply(to: ps)
        #expect(norm == (9 + 0.25 + 4 + 0.0625 + 2.25).squareRoot())
        #expect(ps[0].grad.array == [1, -0.5, -1, 0.25] && ps[1].grad.array == [1])

        let untouched = Self.parameters([3, -4], [])
        #expect(GradientClipping.none.apply(to: untouched) == 5)
        #expect(untouched[0].grad.array == [3, -4])
    }

    @Test("Clipping by norm scales all gradients together, only above the threshold")
    func clipNorm() {
        let below = Self.parameters([3, 0], [-4])
        #expect(GradientClipping.norm(5.5).apply(to: below) == 5)
        #expect(below[0].grad.array == [3, 0] && below[1].grad.array == [-4])

        let above = Self.parameters([3, 0], [-4])
        #expect(GradientClipping.norm(1).apply(to: above) == 5)
        let c = Float(1 / (5 + 1e-6))
        #expect(above[0].grad.array == [3 * c, 0] && above[1].grad.array == [-4 * c])
        let after = GradientClipping.globalNorm(above)
        #expect(after < 1 && abs(after - 1) < 1e-6)

        // Large tensors: the partial sums and their tails must cover every element.
        let big = Self.parameters((0..<1003).map { Float($0 % 7) - 3 }, [2, 2, 2])
        let exact = (0..<1003).reduce(0.0) { $0 + pow(Double($1 % 7) - 3, 2) } + 12
        #expect(abs(GradientClipping.none.apply(to: big) - exact.squareRoot()) < 1e-12 * exact)
    }

    @Test("NaN and infinite gradients are detected")
    func nonFinite() {
        #expect(gradientsAreFinite(Self.parameters([1, -2, .greatestFiniteMagnitude, -.leastNonzeroMagnitude], [0])))
        #expect(gradientsAreFinite([]))
        for bad: Float in [.nan, .infinity, -.infinity, -.nan] {
            for position in [0, 7, 1000] {
                var weight = [Float](repeating: 0.5, count: 1001)
                weight[position] = bad
                let ps = Self.parameters(weight, [1])
                #expect(!gradientsAreFinite(ps), "\(bad) at \(position)")
                let norm = GradientClipping.norm(1).apply(to: ps)
                #expect(!norm.isFinite)
                // Left untouched for the caller to inspect; only finite gradients are rescaled.
                #expect(ps[1].grad[0] == 1 && ps[0].grad[(position + 1) % 1001] == 0.5)
            }
        }
    }

    // MARK: Factory

    @Test("The factory builds each kind with its documented defaults")
    func factory() throws {
        for kind in OptimizerKind.allCases {
            let o = kind.make(learningRate: nil, weightDecay: kind.defaultWeightDecay)
            #expect(o.learningRate == kind.defaultLearningRate)
            let expectedName = switch kind {
            case .sgd, .momentum, .nesterov: "SGD"
            case .adagrad: "Adagrad"
            case .rmsprop: "RMSprop"
            case .adam: "Adam"
            case .adamw: "AdamW"
            }
            #expect(o.name == expectedName)
            #expect(kind.make(learningRate: 0.25, weightDecay: 0).learningRate == 0.25)
        }
        let momentum = try #require(OptimizerKind.momentum.make(learningRate: nil, weightDecay: 0) as? SGD)
        #expect(momentum.momentum == 0.9 && !momentum.nesterov)
        let nesterov = try #require(OptimizerKind.nesterov.make(learningRate: nil, weightDecay: 0.1) as? SGD)
        #expect(nesterov.momentum == 0.9 && nesterov.nesterov && nesterov.weightDecay == 0.1)
        let adamw = try #require(OptimizerKind.adamw.make(learningRate: nil, weightDecay: 0.01) as? AdamW)
        #expect(adamw.weightDecay == 0.01 && adamw.learningRate == 0.002)
        #expect(OptimizerKind(rawValue: "adamw") == .adamw)

        // PyTorch's class defaults, for the classes built directly.
        let adam = Adam()
        #expect(adam.learningRate == 1e-3 && adam.beta1 == 0.9 && adam.beta2 == 0.999 && adam.eps == 1e-8
                && adam.weightDecay == 0 && !adam.amsgrad)
        #expect(AdamW().weightDecay == 0.01)
        let rms = RMSprop()
        #expect(rms.learningRate == 0.01 && rms.alpha == 0.99 && rms.eps == 1e-8 && rms.momentum == 0 && !rms.centered)
        let ada = Adagrad()
        #expect(ada.learningRate == 0.01 && ada.eps == 1e-10 && ada.initialAccumulatorValue == 0)
    }
}
