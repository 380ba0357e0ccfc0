/// The optimizers by name, for command lines and configuration files, with learning rates chosen
/// for this library's recurrent text classifiers rather than PyTorch's class defaults:
///
/// | kind       | optimizer                                   | default learning rate |
/// |------------|---------------------------------------------|-----------------------|
/// | `sgd`      | `SGD`                                       | 0.02                  |
/// | `momentum` | `SGD(momentum: 0.9)`                        | 0.002                 |
/// | `nesterov` | `SGD(momentum: 0.9, nesterov: true)`        | 0.002                 |
/// | `adagrad`  | `Adagrad`                                   | 0.01                  |
/// | `rmsprop`  | `RMSprop`                                   | 0.001                 |
/// | `adam`     | `Adam`                                      | 0.002                 |
/// | `adamw`    | `AdamW`                                     | 0.002                 |
///
/// Why these: 0.02 is the tutorial's per-example SGD rate (`TrainingOptions`' default). Momentum
/// 0.9 multiplies the long-run step by 1/(1 − 0.9) = 10, so momentum SGD takes a tenth of it to
/// move as fast. Adagrad keeps PyTorch's 0.01. RMSprop's PyTorch default 0.01 is aggressive for
/// recurrent nets; 0.001 is the usual choice (and Keras' default). Adam and AdamW at 2e-3 train
/// small RNN classifiers faster than PyTorch's 1e-3 without becoming unstable; the classes keep
/// PyTorch's 1e-3 so that `Adam()` means what it means in PyTorch.
public enum OptimizerKind: String, Codable, CaseIterable, Sendable {
    case sgd, momentum, nesterov, adagrad, rmsprop, adam, adamw

    /// The momentum coefficient of `.momentum` and `.nesterov`.
    public static let sgdMomentum: Float = 0.9

    public var defaultLearningRate: Float {
        switch self {
        case .sgd: 0.02
        case .momentum, .nesterov: 0.002
        case .adagrad: 0.01
        case .rmsprop: 0.001
        case .adam, .adamw: 0.002
        }
    }

    /// PyTorch's default: 0.01 for AdamW (decoupled decay is the point of it), 0 for the others.
    public var defaultWeightDecay: Float { self == .adamw ? 0.01 : 0 }

    /// A fresh optimizer of this kind; `learningRate` nil means `defaultLearningRate`. Weight
    /// decay is decoupled for `.adamw` and an L2 term added to the gradient for the others.
    /// Every other hyperparameter is PyTorch's default.
    package func make(learningRate: Float?, weightDecay: Float) -> any Optimizer {
        let lr = learningRate ?? defaultLearningRate
        switch self {
        case .sgd: return SGD(learningRate: lr, weightDecay: weightDecay)
        case .momentum: return SGD(learningRate: lr, momentum: Self.sgdMomentum, weightDecay: weightDecay)
        case .nesterov:
            return SGD(learningRate: lr, momentum: Self.sgdMomentum, nesterov: true, weightDecay: weightDecay)
        case .adagrad: return Adagrad(learningRate: lr, weightDecay: weightDecay)
        case .rmsprop: return RMSprop(learningRate: lr, weightDecay: weightDecay)
        case .adam: return Adam(learningRate: lr, weightDecay: weightDecay)
        case .adamw: return AdamW(learningRate: lr, weightDecay: weightDecay)
        }
    }
}
