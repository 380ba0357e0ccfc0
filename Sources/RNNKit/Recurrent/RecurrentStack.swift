// Dimension letters: I input size, H hidden size, D directions (1 or 2), L layers, B sequences,
// N packed rows. Buffers are packed time-major (see PackedBatch).

/// A multi-layer, optionally bidirectional recurrent network: PyTorch's `nn.RNN`, `nn.LSTM` and
/// `nn.GRU` modules, over packed batches.
///
/// Layer k reads the concatenated outputs [forward ‖ reverse] of layer k−1 (layer 0 reads the
/// input), with dropout between layers in training. Outputs: (N, D·H), forward direction first.
package final class RecurrentStack: @unchecked Sendable {
    package let cell: CellKind
    package let inputSize: Int
    package let hiddenSize: Int
    package let numLayers: Int
    package let directions: Int
    /// layers[k][d]: layer k, direction d (0 forward, 1 reverse).
    package let layers: [[RecurrentLayer]]
    private let dropouts: [Dropout]           // after layers 0..<L−1
    private let outputs: [Scratch]            // (N, D·H) per layer, when the layer's own won't do
    private var layerOutputs: [UnsafeMutablePointer<Float>]  // where each layer's (N, D·H) outputs are
    private let dOutputs: [Scratch]           // (N, D·H) per layer below the top
    private let states = Scratch()            // final states, (L·D, B, H)

    package init(cell: CellKind, inputSize: Int, hiddenSize: Int, numLayers: Int = 1, bidirectional: Bool = false,
                dropout: Float = 0, oneHotInput: Bool = false, separateRecurrentBias: Bool = true,
                name: String = "rnn") {
        self.cell = cell
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.numLayers = numLayers
        directions = bidirectional ? 2 : 1
        let D = directions
        layers = (0..<numLayers).map { k in
            (0..<D).map { d in
                RecurrentLayer(cell: cell, inputSize: k == 0 ? inputSize : D * hiddenSize, hiddenSize: hiddenSize,
                               layer: k, reverse: d == 1, oneHotInput: oneHotInput && k == 0,
                               separateRecurrentBias: separateRecurrentBias, name: name)
            }
        }
        dropouts = (0..<max(numLayers - 1, 0)).map { _ in Dropout(probability: dropout) }
        outputs = (0..<numLayers).map { _ in Scratch() }
        layerOutputs = outputs.map(\.pointer)
        dOutputs = (0..<numLayers).map { _ in Scratch() }
    }

    /// Parameters in PyTorch's `state_dict` order.
    package var parameters: [Parameter] { layers.flatMap { $0.flatMap(\.parameters) } }

    package var outputSize: Int { directions * hiddenSize }

    /// Runs every layer. `h0`/`c0`: initial states (L·D, B, H) in sorted row order, or nil for zeros.
    /// Returns the top layer's outputs (N, D·H), valid until the next forward.
    @discardableResult
    package func forward(_ batch: PackedBatch, input: UnsafePointer<Float>?, h0: UnsafePointer<Float>? = nil,
                        c0: UnsafePointer<Float>? = nil, training: Bool = false,
                        rng: inout SeededGenerator, reduced: [[ReducedLayerWeights]]? = nil) -> UnsafeMutablePointer<Float> {
        let (H, D, N, B) = (hiddenSize, directions, batch.rowCount, batch.count)
        var x = input
        for k in 0..<numLayers {
            let dropout = k < numLayers - 1 && training && dropouts[k].probability > 0
            // One direction and no dropout: the layer's own outputs serve as is, uncopied.
            let direct = D == 1 && !dropout
            let out = direct ? nil : outputs[k].get(N * D * H)
            let input = x
            func direction(_ d: Int) {
                let layer = layers[k][d], slot = (k * D + d) * B * H
                layer.forward(batch, input: input, h0: h0.map { $0 + slot }, c0: c0.map { $0 + slot }, reduced: reduced?[k][d])
                if let out { copyColumns(N, H, from: layer.outputs, ldFrom: H, to: out + d * H, ldTo: D * H) }
            }
            if B == 1 && D == 2 && !training && Parallel.threads >= 2 {
                // One sentence (translating): the directions are independent recurrences, each too
                // narrow to split, so they run side by side; each writes its own columns.
                ForkJoin.run(2) { direction($0) }
            } else {
                for d in 0..<D { direction(d) }
            }
            if k < numLayers - 1 { dropouts[k].forward(out ?? layers[k][0].outputs, count: N * D * H, training: dropout, rng: &rng) }
            layerOutputs[k] = out ?? layers[k][0].outputs
            x = UnsafePointer(layerOutputs[k])
        }
        return layerOutputs[numLayers - 1]
    }

    /// Final states after the last forward, (L·D, B, H) in sorted row order: h, or c with
    /// `cellState` (LSTM). Forward direction: each sequence's own last step; reverse: step 0.
    package func finalStates(_ batch: PackedBatch, cellState: Bool = false) -> UnsafeMutablePointer<Float> {
        let (H, D, B) = (hiddenSize, directions, batch.count)
        let s = states.get(numLayers * D * B * H)
        for k in 0..<numLayers {
            for d in 0..<D {
                let layer = layers[k][d]
                let source = cellState ? layer.cellStates : layer.outputs
                for r in 0..<B {
                    (s + ((k * D + d) * B + r) * H).update(from: source + layer.finalRow(batch, sequence: r) * H, count: H)
                }
            }
        }
        return s
    }

    /// Backpropagation through all layers.
    /// - Parameters:
    ///   - dTop: dL/d(top outputs) (N, D·H), or nil.
    ///   - dFinal: dL/d(top layer's final states) (B, D·H) in sorted order, or nil.
    ///   - input, dInput: the stack's input (N, I) and, when given, where dL/dinput is added.
    package func backward(_ batch: PackedBatch, dTop: UnsafePointer<Float>?, dFinal: UnsafePointer<Float>?,
                         input: UnsafePointer<Float>?, dInput: UnsafeMutablePointer<Float>?) {
        let (H, D, N, B) = (hiddenSize, directions, batch.rowCount, batch.count)
        var dAbove: UnsafePointer<Float>? = dTop
        for k in stride(from: numLayers - 1, through: 0, by: -1) {
            // One direction with nothing added at final rows reads the gradient from above in place.
            let direct = D == 1 && !(k == numLayers - 1 && dFinal != nil) ? dAbove : nil
            for d in 0..<D where direct == nil {
                let layer = layers[k][d]
                let dOut = layer.zeroedOutputGradient(batch)
                if let dAbove { addColumns(N, H, from: dAbove + d * H, ldFrom: D * H, to: dOut, ldTo: H) }
                if k == numLayers - 1, let dFinal {
                    for r in 0..<B {
                        Kernels.axpy(H, 1, dFinal + r * D * H + d * H, dOut + layer.finalRow(batch, sequence: r) * H)
                    }
                }
            }
            let layerInput: UnsafePointer<Float>? = k == 0 ? input : UnsafePointer(layerOutputs[k - 1])
            let dLayerInput: UnsafeMutablePointer<Float>? = k == 0 ? dInput : dOutputs[k - 1].zeroed(N * D * H)
            for d in 0..<D { layers[k][d].backward(batch, input: layerInput, dInput: dLayerInput, dOutput: direct) }
            if k > 0 {
                dropouts[k - 1].backward(dLayerInput!, count: N * D * H)
                dAbove = UnsafePointer(dLayerInput!)
            }
        }
    }

    /// PyTorch's init for every layer.
    package func initializePyTorch(using rng: inout SeededGenerator) {
        for row in layers { for layer in row { layer.initializePyTorch(using: &rng) } }
    }
}

@inline(__always)
func copyColumns(_ rows: Int, _ width: Int, from: UnsafePointer<Float>, ldFrom: Int, to: UnsafeMutablePointer<Float>, ldTo: Int) {
    if ldFrom == width && ldTo == width {
        to.update(from: from, count: rows * width)
    } else {
        for r in 0..<rows { (to + r * ldTo).update(from: from + r * ldFrom, count: width) }
    }
}

@inline(__always)
func addColumns(_ rows: Int, _ width: Int, from: UnsafePointer<Float>, ldFrom: Int, to: UnsafeMutablePointer<Float>, ldTo: Int) {
    if ldFrom == width && ldTo == width {
        Kernels.axpy(rows * width, 1, from, to)
    } else {
        for r in 0..<rows { Kernels.axpy(width, 1, from + r * ldFrom, to + r * ldTo) }
    }
}
