import ArgumentParser
import RNNKit

/// The defaults a command shows for the shared network and optimizer options: each command
/// takes its defaults from its library recipe, and says so in its help.
protocol RecipeDefaults {
    static var cell: String { get }
    static var layers: String { get }
    static var hiddenSize: String { get }
    static var embeddingSize: String { get }
    static var dropout: String { get }
    static var optimizer: String { get }
    static var learningRate: String { get }
    static var clipNorm: String { get }
}

/// The network: shared by `train` and `train-lm`. An option not given keeps the recipe's value.
struct NetworkOptions<Defaults: RecipeDefaults>: ParsableArguments {
    @Option(help: "Recurrent cell: rnn, lstm or gru. (default: \(Defaults.cell))")
    var cell: CellChoice?

    @Option(help: "The vanilla RNN's activation: tanh or relu. (default: tanh)")
    var nonlinearity: Nonlinearity?

    @Option(help: "Stacked recurrent layers. (default: \(Defaults.layers))")
    var layers: Int?

    @Option(help: "Size of each layer's hidden state. (default: \(Defaults.hiddenSize))")
    var hiddenSize: Int?

    @Option(help: "Size of the token embeddings. (default: \(Defaults.embeddingSize))")
    var embeddingSize: Int?

    @Option(help: "Dropout on the embeddings, between layers and before the output layer. (default: \(Defaults.dropout))")
    var dropout: Float?

    func validate() throws {
        for (name, value, limit) in [("--layers", layers, ModelLimits.maxLayers),
                                     ("--hidden-size", hiddenSize, ModelLimits.maxWidth),
                                     ("--embedding-size", embeddingSize, ModelLimits.maxWidth)] {
            if let value, !(1...limit).contains(value) {
                throw ValidationError("\(name) must be between 1 and \(limit) (got \(value)).")
            }
        }
        if let dropout, !(dropout.isFinite && (0..<1).contains(dropout)) {
            throw ValidationError("--dropout must be in [0, 1) (got \(dropout)).")
        }
        if nonlinearity == .relu, let cell, cell != .rnn {
            throw ValidationError("--nonlinearity applies to --cell rnn only.")
        }
    }

    /// The cell these options choose, starting from `current`.
    func cellKind(from current: CellKind) -> CellKind {
        let choice = cell ?? CellChoice(current)
        let relu = nonlinearity.map { $0 == .relu } ?? (current == .rnnRelu)
        return choice.kind(nonlinearity: relu ? .relu : .tanh)
    }
}

/// The optimizer: shared by `train` and `train-lm`. An option not given keeps the recipe's value.
struct OptimizerOptions<Defaults: RecipeDefaults>: ParsableArguments {
    @Option(help: "sgd, momentum, nesterov, adagrad, rmsprop, adam or adamw. (default: \(Defaults.optimizer))")
    var optimizer: OptimizerKind?

    @Option(help: "Learning rate. (default: \(Defaults.learningRate))")
    var learningRate: Float?

    @Option(help: "Weight decay (decoupled for adamw, L2 otherwise). (default: 0, or 0.01 for adamw)")
    var weightDecay: Float?

    @Option(help: "Rescale the gradients to this global norm when above it; 0 turns it off. (default: \(Defaults.clipNorm))")
    var clipNorm: Float?

    @Option(help: "Seed for the initial weights, shuffles and dropout; the same seed, data and threads give the same model.")
    var seed: UInt64 = 1

    func validate() throws {
        if let learningRate, !(learningRate.isFinite && learningRate > 0) {
            throw ValidationError("--learning-rate must be a positive number (got \(learningRate)).")
        }
        if let weightDecay, !(weightDecay.isFinite && weightDecay >= 0) {
            throw ValidationError("--weight-decay must be 0 or positive (got \(weightDecay)).")
        }
        if let clipNorm, !(clipNorm.isFinite && clipNorm >= 0) {
            throw ValidationError("--clip-norm must be 0 (off) or positive (got \(clipNorm)).")
        }
    }
}

extension CellChoice {
    init(_ kind: CellKind) {
        switch kind {
        case .rnnTanh, .rnnRelu: self = .rnn
        case .lstm: self = .lstm
        case .gru: self = .gru
        }
    }
}
