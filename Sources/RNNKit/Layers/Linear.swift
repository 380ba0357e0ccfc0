// Dimension letters: I inputs, O outputs.

/// Fully connected layer: y = W·x + b.
///
/// Shapes: x (I), y (O). Parameters (PyTorch `nn.Linear(I, O)` names): `fc.weight` W (O, I),
/// `fc.bias` b (O). Init (the tutorial's): W ~ N(0, 1)/1000, b = 0.
public final class Linear: @unchecked Sendable {
    public let inputSize: Int
    public let outputSize: Int
    public let weight: Parameter  // (O, I)
    public let bias: Parameter    // (O)

    public init(inputSize: Int, outputSize: Int, name: String = "fc") {
        self.inputSize = inputSize
        self.outputSize = outputSize
        weight = Parameter(name: "\(name).weight", shape: [outputSize, inputSize])
        bias = Parameter(name: "\(name).bias", shape: [outputSize])
    }

    public var parameters: [Parameter] { [weight, bias] }

    public func initializeTutorial(using rng: inout SeededGenerator) {
        for k in 0..<weight.value.count { weight.value[k] = Float(rng.nextNormal() / 1000) }
        bias.value.zero()
    }

    /// y = W·x + b.
    public func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
        y.update(from: bias.value.data, count: outputSize)
        Kernels.gemv(outputSize, inputSize, weight.value.data, lda: inputSize, x, y, accumulate: true)
    }

    /// dW += dy ⊗ x, db += dy, dx += Wᵀ·dy.
    public func backward(_ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>) {
        Kernels.gemmTNAccumulate(1, outputSize, inputSize, dy, ldg: outputSize, x, ldx: inputSize,
                                 weight.grad.data, ldw: inputSize)
        Kernels.axpy(outputSize, 1, dy, bias.grad.data)
        Kernels.gemvTransposedAccumulate(outputSize, inputSize, weight.value.data, lda: inputSize, dy, dx)
    }
}
