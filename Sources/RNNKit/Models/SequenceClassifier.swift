// Dimension letters: V vocabulary size, H hidden size, O classes, T steps.

/// What a classifier is made of; saved in every model file as `rnnkit.config`. The keys are the
/// ones the PyTorch fixtures use, so a configuration reads the same on both sides.
public struct ClassifierConfiguration: Codable, Sendable, Equatable {
    public enum Cell: String, Codable, Sendable { case rnnTanh = "rnn_tanh" }
    public enum Input: String, Codable, Sendable { case oneHot = "one_hot" }

    public var task = "classify"
    public var cell: Cell = .rnnTanh
    public var input: Input = .oneHot
    public var vocabularySize: Int
    public var hiddenSize: Int
    public var numClasses: Int
    public var numLayers = 1
    public var bidirectional = false

    public init(vocabularySize: Int, hiddenSize: Int = 64, numClasses: Int = 2) {
        self.vocabularySize = vocabularySize
        self.hiddenSize = hiddenSize
        self.numClasses = numClasses
    }

    enum CodingKeys: String, CodingKey {
        case task, cell, input, bidirectional
        case vocabularySize = "vocab_size", hiddenSize = "hidden_size", numClasses = "num_classes"
        case numLayers = "num_layers"
    }
}

/// Many-to-one sequence classifier, the tutorial's model:
///
///     h_T = RNN(x_1 … x_T)          (see `OneHotRNN`)
///     y   = Why·h_T + by            (`fc`, O logits)
///     p   = softmax(y),  L = −log p_target
///
/// Shapes: tokens (T) → logits (O). Parameters in PyTorch order: `rnn.*`, then `fc.*`.
public final class SequenceClassifier: @unchecked Sendable {
    public let configuration: ClassifierConfiguration
    public let rnn: OneHotRNN
    public let fc: Linear
    public let parameters: [Parameter]

    private let cache: OneHotRNN.Cache
    private let logits: Tensor   // (O)
    private let probs: Tensor    // (O)
    private let dlogits: Tensor  // (O)
    private let dh: Tensor       // (H)
    private var hT: UnsafeMutablePointer<Float>

    /// A model with all parameters zero; load weights or call `initializeTutorial`.
    public init(_ configuration: ClassifierConfiguration) {
        self.configuration = configuration
        let (V, H, O) = (configuration.vocabularySize, configuration.hiddenSize, configuration.numClasses)
        rnn = OneHotRNN(vocabularySize: V, hiddenSize: H)
        fc = Linear(inputSize: H, outputSize: O)
        parameters = rnn.parameters + fc.parameters
        cache = rnn.makeCache()
        logits = Tensor(shape: [O]); probs = Tensor(shape: [O]); dlogits = Tensor(shape: [O])
        dh = Tensor(shape: [H])
        hT = dh.data
    }

    /// A model with the tutorial's initial weights drawn from `seed`.
    public convenience init(_ configuration: ClassifierConfiguration, seed: UInt64) {
        self.init(configuration)
        var rng = SeededGenerator(seed: seed)
        initializeTutorial(using: &rng)
    }

    public func initializeTutorial(using rng: inout SeededGenerator) {
        rnn.initializeTutorial(using: &rng)
        fc.initializeTutorial(using: &rng)
    }

    public var numClasses: Int { configuration.numClasses }

    /// Forward pass: logits into `logits`, probabilities into `probs`; returns the loss for `target`.
    @discardableResult
    private func forward(_ tokens: [Int], target: Int) -> Float {
        hT = rnn.forward(tokens, cache: cache)
        fc.forward(hT, logits.data)
        return SoftmaxCrossEntropy.forward(logits.data, count: numClasses, target: target, probabilities: probs.data)
    }

    /// Backward pass: the forward in reverse, one line per layer, adding into every gradient.
    private func backward(target: Int) {
        dlogits.zero(); dh.zero()
        SoftmaxCrossEntropy.backward(probabilities: probs.data, count: numClasses, target: target, dlogits.data)
        fc.backward(dlogits.data, hT, dh.data)
        rnn.backward(dh.data, cache: cache)
    }

    private var predictedClass: Int {
        var best = 0
        for k in 1..<numClasses where probs[k] > probs[best] { best = k }
        return best
    }

    /// Loss and correctness for one example, without touching gradients.
    public func evaluate(_ tokens: [Int], target: Int) -> (loss: Float, correct: Bool) {
        let loss = forward(tokens, target: target)
        return (loss, predictedClass == target)
    }

    /// Forward and backward for one example: adds its gradients; returns its loss and correctness
    /// (both from before any update).
    public func accumulateGradients(_ tokens: [Int], target: Int) -> (loss: Float, correct: Bool) {
        let loss = forward(tokens, target: target)
        let correct = predictedClass == target
        backward(target: target)
        return (loss, correct)
    }

    /// Class probabilities for a sequence of word ids.
    public func probabilities(_ tokens: [Int]) -> [Float] {
        forward(tokens, target: 0)
        return Array(UnsafeBufferPointer(start: probs.data, count: numClasses))
    }

    /// Raw scores (before softmax) for a sequence of word ids.
    public func logits(_ tokens: [Int]) -> [Float] {
        forward(tokens, target: 0)
        return Array(UnsafeBufferPointer(start: logits.data, count: numClasses))
    }

    /// The last hidden state h_T of the most recent forward pass.
    public var finalHidden: [Float] { Array(UnsafeBufferPointer(start: hT, count: configuration.hiddenSize)) }
}
