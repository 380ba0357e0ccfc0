// Dimension letters: B rows, I inputs, O outputs.

/// Fully connected layer, PyTorch `nn.Linear(I, O)`: y = x·Wᵀ + b.
///
/// Shapes: x (B, I), y (B, O). Parameters: `fc.weight` W (O, I), `fc.bias` b (O).
/// Init: U(−1/√I, 1/√I) for both (PyTorch's), or the tutorial's W ~ N(0, 1)/1000, b = 0.
package final class Linear: @unchecked Sendable {
    package let inputSize: Int
    package let outputSize: Int
    package let weight: Parameter  // (O, I)
    package let bias: Parameter    // (O)

    package init(inputSize: Int, outputSize: Int, name: String = "fc") {
        self.inputSize = inputSize
        self.outputSize = outputSize
        weight = Parameter(name: "\(name).weight", shape: [outputSize, inputSize])
        bias = Parameter(name: "\(name).bias", shape: [outputSize])
    }

    package var parameters: [Parameter] { [weight, bias] }

    package func initializeTutorial(using rng: inout SeededGenerator) {
        for k in 0..<weight.value.count { weight.value[k] = Float(rng.nextNormal() / 1000) }
        bias.value.zero()
    }

    package func initializePyTorch(using rng: inout SeededGenerator) {
        let bound = 1 / Double(inputSize).squareRoot()
        for p in parameters {
            for k in 0..<p.value.count { p.value[k] = Float((2 * rng.nextUniform() - 1) * bound) }
        }
    }

    /// y = x·Wᵀ + b; one row is summed in double unless `exactOneRow` is false (see `MatMul.nt`).
    package func forward(_ B: Int, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, exactOneRow: Bool = true) {
        for r in 0..<B { (y + r * outputSize).update(from: bias.value.data, count: outputSize) }
        MatMul.nt(B, outputSize, inputSize, x, lda: inputSize, weight.value.data, ldb: inputSize, y, ldc: outputSize,
                  accumulate: true, exactOneRow: exactOneRow)
    }

    /// dW += dyᵀ·x, db += Σ dy, dx += dy·W.
    package func backward(_ B: Int, _ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>) {
        let (I, O) = (inputSize, outputSize)
        // Two independent products, each faster whole than split: side by side.
        Parallel.both(work: 2 * B * I * O, {
            MatMul.tnAccumulate(O, I, B, dy, lda: O, x, ldb: I, self.weight.grad.data, ldc: I, split: false)
            MatMul.columnSumAccumulate(B, O, dy, lda: O, self.bias.grad.data, split: false)
        }, {
            MatMul.nnAccumulate(B, I, O, dy, lda: O, self.weight.value.data, ldb: I, dx, ldc: I, split: false)
        })
    }
}
