/// The largest networks RNNKit makes, trains or loads.
///
/// A model file or a configuration is data, and data can be hostile: `hidden_size` 10¹² or
/// `num_layers` 10⁹ must be refused with a message before anything is allocated, not end in an
/// out-of-memory trap. The limits are far above what a CPU trains in reasonable time, so no real
/// network meets them:
/// - `maxWidth` for `hidden_size` and `embedding_size`: 65 536, the CLI's bound since its start;
/// - `maxLayers` for `num_layers`: 256 (deep recurrent stacks stop helping long before);
/// - `maxParameters` for all weights together: 2²⁸ (268 435 456 Float32 values, 1 GiB; training
///   with Adam holds four times that).
///
/// Every configuration's and recipe's `problem` checks them.
public enum ModelLimits {
    /// The largest `hidden_size` and `embedding_size`.
    public static let maxWidth = 65_536
    /// The most stacked recurrent layers (`num_layers`).
    public static let maxLayers = 256
    /// The most weights of one network, all tensors together.
    public static let maxParameters = 1 << 28

    /// Why `value` of `name` is out of `1...limit`, or nil.
    static func sizeProblem(_ name: String, _ value: Int, limit: Int) -> String? {
        (1...limit).contains(value) ? nil : "\(name) must be between 1 and \(limit) (got \(value))"
    }

    /// Why a network of `count` parameters is too large, or nil. `count` is a Double so that no
    /// product of hostile sizes overflows on the way.
    static func parameterProblem(_ count: Double) -> String? {
        guard count > Double(maxParameters) else { return nil }
        let shown = count < 0x1p53 ? "\(Int(count))" : String(describing: count)
        return "the network would have \(shown) parameters, more than RNNKit's limit of \(maxParameters) (1 GiB of weights); make it smaller"
    }

    /// Parameters of a recurrent stack as PyTorch counts them (both biases when `twoBiases`).
    static func recurrentParameters(cell: CellKind, inputSize: Int, hiddenSize: Int, layers: Int, directions: Int,
                                    twoBiases: Bool) -> Double {
        let gh = Double(cell.gateCount) * Double(hiddenSize), h = Double(hiddenSize), d = Double(directions)
        func layer(_ input: Double) -> Double { gh * input + gh * h + gh * (twoBiases ? 2 : 1) }
        return d * (layer(Double(inputSize)) + Double(max(layers - 1, 0)) * layer(d * h))
    }
}
