// Dimension letters: I input size (V for one-hot input), H hidden size, G gates (1, 4, 3),
// B sequences, T steps, N packed rows (Σ lengths). Buffers are packed time-major (see PackedBatch).

/// One direction of one layer of a recurrent network (an `nn.RNN`/`nn.LSTM`/`nn.GRU` layer
/// direction), over packed batches.
///
/// Forward, for each step t (reverse direction: t = T−1 … 0), on the rows still running:
///     preX = x_t·W_ihᵀ + b_ih
///     preH = h_{t−1}·W_hhᵀ + b_hh
///     (h_t, c_t) = cell(preX, preH, h_{t−1}, c_{t−1})   — see `CellKind` for the gate math
/// Cells that only use preX + preH (RNN, LSTM) get it as one product per step,
/// [x_t h_{t−1}]·[W_ih W_hh]ᵀ + (b_ih + b_hh), from `Kernels.gemmPacked` on the weights packed once
/// per pass: the step's rows are in cache, and no per-call packing is paid as with a BLAS. A lone
/// sequence takes x·W_ihᵀ for all steps at once and a matrix-vector product per step; one-hot
/// input looks x_t·W_ihᵀ up as row x_t of W_ihᵀ (the tutorial's Wxh·x column).
///
/// The sequences of a batch are independent, so they are split across threads (`Parallel`), each
/// part running every step for its own rows; no row's numbers depend on the split.
///
/// Backward runs the steps in the opposite order (dx_t = dpreX_t·W_ih and dh_{t−1} = dpreH_t·W_hh
/// per step), then forms the weight gradients as single products over all N rows:
/// dW_hh += dpreHᵀ·h_prev, dW_ih += dpreXᵀ·x.
///
/// Parameters (PyTorch names, k = layer, suffix `_reverse` for the backward direction):
/// `weight_ih_l{k}` (G·H, I) — stored transposed (I, G·H) for one-hot input — `weight_hh_l{k}`
/// (G·H, H), `bias_ih_l{k}` (G·H), `bias_hh_l{k}` (G·H). The tutorial's model has one bias; then
/// `biasHH` is nil and `bias_hh` is written as zeros.
///
/// Init: U(−1/√H, 1/√H) for every weight and bias (PyTorch's), or the tutorial's N(0, 1)/1000.
package final class RecurrentLayer: @unchecked Sendable {
    package let cell: CellKind
    package let inputSize: Int
    package let hiddenSize: Int
    package let reverse: Bool
    package let oneHotInput: Bool
    package let weightIH: Parameter   // (G·H, I), or (I, G·H) when one-hot
    package let weightHH: Parameter   // (G·H, H)
    package let biasIH: Parameter     // (G·H)
    package let biasHH: Parameter?    // (G·H)
    /// How the gradient reaches h_{t−1}; `.tutorial` (vanilla RNN only) is the tutorial's
    /// published rule, Whh·g instead of the true Whhᵀ·g.
    package var backward: BackwardRule = .exact

    // Forward cache and backward work space, packed (N, ·) unless noted; reused across batches.
    let preX = Scratch(), hPrev = Scratch(), output = Scratch(), cPrev = Scratch(), cState = Scratch()
    let gates = Scratch(), extra = Scratch(), dPreX = Scratch(), dPreH = Scratch(), dOutput = Scratch()
    private let preH = Scratch(), dhStep = Scratch(), dhCarry = Scratch(), dcCarry = Scratch()  // (B, ·)
    private let biasSum = Scratch(), biasGrad = Scratch()                 // (G·H)
    private let zeroBias = Scratch()                                      // (G·H)
    private let quantizedRows = QuantizedRows()                           // x or h_{t−1} in int16, for int8 weights
    private let packedForward = Scratch(), packedHHBackward = Scratch(), packedIHBackward = Scratch()
    /// The packed row of the last forward whose h_{t−1} is zero (a lone sequence from h0 = 0): its
    /// terms of dW_hh are zero and are skipped.
    private var zeroInitialRow: Int?

    package init(cell: CellKind, inputSize: Int, hiddenSize: Int, layer: Int = 0, reverse: Bool = false,
                oneHotInput: Bool = false, separateRecurrentBias: Bool = true, name: String = "rnn") {
        self.cell = cell
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.reverse = reverse
        self.oneHotInput = oneHotInput
        let GH = cell.gateCount * hiddenSize
        let suffix = "_l\(layer)" + (reverse ? "_reverse" : "")
        weightIH = Parameter(name: "\(name).weight_ih" + suffix, shape: oneHotInput ? [inputSize, GH] : [GH, inputSize])
        weightHH = Parameter(name: "\(name).weight_hh" + suffix, shape: [GH, hiddenSize])
        biasIH = Parameter(name: "\(name).bias_ih" + suffix, shape: [GH])
        biasHH = separateRecurrentBias ? Parameter(name: "\(name).bias_hh" + suffix, shape: [GH]) : nil
    }

    package var parameters: [Parameter] { [weightIH, weightHH, biasIH] + (biasHH.map { [$0] } ?? []) }

    var gateWidth: Int { cell.gateCount * hiddenSize }

    /// PyTorch's init: every weight and bias U(−1/√H, 1/√H).
    package func initializePyTorch(using rng: inout SeededGenerator) {
        let bound = 1 / Double(hiddenSize).squareRoot()
        for p in parameters {
            for k in 0..<p.value.count { p.value[k] = Float((2 * rng.nextUniform() - 1) * bound) }
        }
    }

    /// The tutorial's init: weights N(0, 1)/1000 (W_ih drawn in its (G·H, I) order), biases 0.
    package func initializeTutorial(using rng: inout SeededGenerator) {
        let (GH, I) = (gateWidth, inputSize)
        for r in 0..<GH {
            for i in 0..<I {
                let v = Float(rng.nextNormal() / 1000)
                if oneHotInput { weightIH.value[i, r] = v } else { weightIH.value[r, i] = v }
            }
        }
        for k in 0..<weightHH.value.count { weightHH.value[k] = Float(rng.nextNormal() / 1000) }
        biasIH.value.zero()
        biasHH?.value.zero()
    }

    /// The packed outputs h of the last forward, (N, H).
    package var outputs: UnsafeMutablePointer<Float> { output.pointer }

    /// The packed cell states c of the last forward (LSTM), (N, H).
    package var cellStates: UnsafeMutablePointer<Float> { cState.pointer }

    /// Packed row holding the final state of sorted sequence r.
    @inline(__always)
    package func finalRow(_ batch: PackedBatch, sequence r: Int) -> Int {
        reverse ? r : batch.row(step: batch.lengths[r] - 1, sequence: r)
    }

    /// Runs the layer over `batch`.
    /// - Parameters:
    ///   - input: packed inputs (N, I); ignored with one-hot input, which reads `batch.tokens`.
    ///   - h0, c0: initial states (B, H) in sorted row order, or nil for zeros.
    ///   - reduced: for a lone sequence of vectors (translating one sentence), the products read
    ///     these reduced copies of W_ih and W_hh instead of the float weights.
    package func forward(_ batch: PackedBatch, input: UnsafePointer<Float>?, h0: UnsafePointer<Float>? = nil,
                        c0: UnsafePointer<Float>? = nil, reduced: ReducedLayerWeights? = nil) {
        let (I, H, GH, N, T) = (inputSize, hiddenSize, gateWidth, batch.rowCount, batch.steps)
        let B = batch.count
        precondition(reduced == nil || (B == 1 && !oneHotInput), "reduced weights serve a lone sequence of vectors")
        let preX = self.preX.get(N * GH), hPrev = self.hPrev.get(N * H), out = output.get(N * H)
        let gates = self.gates.get(N * GH), preH = self.preH.get(B * GH)
        let lstm = cell.hasCellState, gru = cell == .gru, separate = cell.separatesPreactivations
        let cPrev = lstm ? self.cPrev.get(N * H) : nil, c = lstm ? cState.get(N * H) : nil
        let extra = gru ? self.extra.get(N * H) : nil

        // Batches of several sequences take each step's products in the packed kernel, the input's
        // too: [x_t h_{t−1}]·[W_ih W_hh]ᵀ in one pass over rows already in cache. A lone sequence
        // (one row per step) and one-hot input take preX for all steps at once, then a
        // matrix-vector product per step.
        let fused = B > 1 && !oneHotInput
        if !fused {
            if oneHotInput {
                let tokens = batch.tokens
                for n in 0..<N { preX.advanced(by: n * GH).update(from: weightIH.value.row(tokens[n]), count: GH) }
            } else if let reduced {
                reduced.input.product(N, I, input!, lda: I, column: 0, preX, ldc: GH, accumulate: false, split: false,
                                      activations: quantizedRows)
            } else if N == 1 {
                // One step (a generated token): float sums as for longer inputs, not MatMul's
                // double one-row product (see the per-step product below).
                Kernels.gemmNT(1, GH, I, input!, lda: I, weightIH.value.data, ldb: I, preX, ldc: GH)
            } else {
                MatMul.nt(N, GH, I, input!, lda: I, weightIH.value.data, ldb: I, preX, ldc: GH, accumulate: false)
            }
        }
        let packed = B > 1 ? packForward(withInput: fused) : nil
        let packedRows = fused ? I + H : H, hRow0 = fused ? I : 0
        // Cells that use preX + preH take both biases at once; the GRU keeps b_hh with preH.
        let biasIH = UnsafePointer(self.biasIH.value.data)
        var biasHH = self.biasHH.map { UnsafePointer($0.value.data) }
        let xBias: UnsafePointer<Float>
        if separate {
            xBias = biasIH
            if biasHH == nil { biasHH = UnsafePointer(zeroBias.zeroed(GH)) }
        } else if let biasHH {
            let sum = biasSum.get(GH)
            for k in 0..<GH { sum[k] = biasIH[k] + biasHH[k] }
            xBias = UnsafePointer(sum)
        } else {
            xBias = biasIH
        }
        let weightHH = UnsafePointer(self.weightHH.value.data)
        let cell = self.cell, reverse = self.reverse
        let sizes = batch.batchSizes, offsets = batch.offsets
        zeroInitialRow = B == 1 && h0 == nil ? (reverse ? N - 1 : 0) : nil

        forEachStepOfEachPart(batch, backward: false) { _, t, lo, m, base in
            let hi = lo + m
            // h_{t−1} (c_{t−1}) for each running row: the previous step's output, or the
            // initial state for rows starting here (all at t = 0; in reverse, sequences
            // shorter than T).
            let prevStep = reverse ? t + 1 : t - 1
            let carried = (prevStep >= 0 && prevStep < T) ? sizes[prevStep] : 0
            let fromPrev = max(0, min(hi, carried) - lo)
            if fromPrev > 0 {
                let src = offsets[prevStep] + lo
                (hPrev + base * H).update(from: out + src * H, count: fromPrev * H)
                if lstm { (cPrev! + base * H).update(from: c! + src * H, count: fromPrev * H) }
            }
            if fromPrev < m {
                let count = (m - fromPrev) * H, at = (base + fromPrev) * H, first = (lo + fromPrev) * H
                if let h0 { (hPrev + at).update(from: h0 + first, count: count) } else { (hPrev + at).update(repeating: 0, count: count) }
                if lstm {
                    if let c0 { (cPrev! + at).update(from: c0 + first, count: count) } else { (cPrev! + at).update(repeating: 0, count: count) }
                }
            }
            // preX = x·W_ihᵀ + b_ih (+ b_hh), preH = h_{t−1}·W_hhᵀ (+ b_hh) — the second straight
            // into preX for cells that only use the sum.
            let px = preX + base * GH, ph = preH + lo * GH, h = hPrev + base * H
            if fused {
                let x = input! + base * I
                if separate {
                    Kernels.gemmPacked(m, GH, x, lda1: I, k1: I, packed: packed!, packedRows: packedRows, bias: xBias, px, ldc: GH)
                    Kernels.gemmPacked(m, GH, h, lda1: H, k1: H, packed: packed!, packedRows: packedRows, rowOffset: hRow0,
                                       bias: biasHH!, ph, ldc: GH)
                } else {
                    Kernels.gemmPacked(m, GH, x, lda1: I, k1: I, and: h, lda2: H, k2: H, packed: packed!, packedRows: packedRows,
                                       bias: xBias, px, ldc: GH)
                }
            } else {
                for r in 0..<m { Kernels.axpy(GH, 1, xBias, px + r * GH) }
                if separate { for r in 0..<m { (ph + r * GH).update(from: biasHH!, count: GH) } }
                let target = separate ? ph : px
                if let packed {
                    Kernels.gemmPacked(m, GH, h, lda1: H, k1: H, packed: packed, packedRows: packedRows, rowOffset: hRow0,
                                       bias: nil, target, ldc: GH)
                } else if fromPrev == 0 && h0 == nil {
                    // h_{t−1} = 0: W_hh·h_{t−1} is zero. Adding +0 keeps the one effect the product
                    // had (−0 becomes +0), so the result is the same bit for bit.
                    for k in 0..<m * GH { target[k] += 0 }
                } else if oneHotInput {
                    // The tutorial's network: its one row summed in double (MatMul's one-row
                    // product), which holds it to the float64 oracle however far its weights grow.
                    MatMul.nt(m, GH, H, h, lda: H, weightHH, ldb: H, target, ldc: GH, accumulate: true)
                } else {
                    // A lone sequence of vectors (predict, explain, generate): float sums, as a
                    // batch's rows get in the packed kernel — the precision these models train with,
                    // and a fifth of a 16-token prediction's time less than the double sums.
                    if let reduced {
                        reduced.recurrent.product(m, H, h, lda: H, column: 0, target, ldc: GH, accumulate: true, split: false,
                                          activations: quantizedRows)
                    } else {
                        Kernels.gemmNT(m, GH, H, h, lda: H, weightHH, ldb: H, target, ldc: GH, accumulate: true)
                    }
                }
            }
            cell.forwardStep(B: m, H: H, preX: px, preH: separate ? UnsafePointer(ph) : nil, hPrev: h,
                             cPrev: cPrev.map { $0 + base * H }, h: out + base * H, c: c.map { $0 + base * H },
                             gates: gates + base * GH, extra: extra.map { $0 + base * H })
        }
    }

    /// [W_ih W_hh]ᵀ (I + H, G·H), or W_hhᵀ (H, G·H) alone, packed for the forward's per-step
    /// products. Packed at every pass (a few µs), so it always matches the weights.
    private func packForward(withInput: Bool) -> UnsafePointer<Float> {
        let (I, H, GH) = (inputSize, hiddenSize, gateWidth)
        let rows = withInput ? I + H : H
        let buffer = packedForward.get(Kernels.packedSize(rows, GH))
        if withInput {
            Kernels.pack(I, GH, weightIH.value.data, ld: I, transposed: true, into: buffer, packedRows: rows)
        }
        Kernels.pack(H, GH, weightHH.value.data, ld: H, transposed: true, into: buffer, rowOffset: rows - H, packedRows: rows)
        return UnsafePointer(buffer)
    }

    /// W (G·H, K) packed as it is stored, for the backward's per-step dpre·W.
    private func packBackward(_ weight: Parameter, columns K: Int, into buffer: Scratch) -> UnsafePointer<Float> {
        let packed = buffer.get(Kernels.packedSize(gateWidth, K))
        Kernels.pack(gateWidth, K, weight.value.data, ld: K, transposed: false, into: packed)
        return UnsafePointer(packed)
    }

    /// Runs `body(s, t, lo, m, base)` for every step of every part of the batch: the sequences
    /// are split into parts of nearly equal work that run on separate threads (a sequence's steps
    /// depend only on its own earlier steps), and each part goes through the steps in order — s
    /// counts steps in processing order (0 … T−1, or T−1 … 0 `backward`), t is the time step
    /// (reversed for the reverse direction), and the part's m running rows are sorted rows
    /// lo ..< lo + m, at packed row `base`.
    @inline(__always)
    private func forEachStepOfEachPart(_ batch: PackedBatch, backward: Bool,
                                       _ body: (_ s: Int, _ t: Int, _ lo: Int, _ m: Int, _ base: Int) -> Void) {
        let T = batch.steps, sizes = batch.batchSizes, offsets = batch.offsets, reverse = self.reverse
        @inline(__always) func run(_ part: Range<Int>) {
            for k in 0..<T {
                let s = backward ? T - 1 - k : k
                let t = reverse ? T - 1 - s : s
                let hi = min(part.upperBound, sizes[t])
                if part.lowerBound < hi { body(s, t, part.lowerBound, hi - part.lowerBound, offsets[t] + part.lowerBound) }
            }
        }
        let chunks = Parallel.chunks(work: batch.rowCount * gateWidth * hiddenSize, rows: batch.count)
        if chunks == 1 {
            run(0..<batch.count)  // the one-example path: nothing to split, nothing to allocate
        } else {
            let bounds = RecurrentLayer.rowBounds(batch, parts: chunks)
            Parallel.run(chunks: chunks) { p in run(bounds[p]..<bounds[p + 1]) }
        }
    }

    /// Boundaries of `parts` blocks of sorted rows with nearly equal packed rows (work) each, (parts + 1).
    static func rowBounds(_ batch: PackedBatch, parts: Int) -> [Int] {
        let B = batch.count, N = batch.rowCount, lengths = batch.lengths
        var bounds = [Int](repeating: B, count: parts + 1)
        bounds[0] = 0
        var r = 0, prefix = 0
        for p in 1..<max(parts, 1) {
            let target = N * p / parts
            while r < B && prefix + lengths[r] <= target { prefix += lengths[r]; r += 1 }
            bounds[p] = min(max(r, bounds[p - 1] + 1), B - (parts - p))
        }
        return bounds
    }

    /// The gradient buffer for this layer's outputs, (N, H), zeroed: callers add dL/dh into it
    /// (from the layer above, or at `finalRow` from a classifier head) before `backward`.
    package func zeroedOutputGradient(_ batch: PackedBatch) -> UnsafeMutablePointer<Float> {
        dOutput.zeroed(batch.rowCount * hiddenSize)
    }

    /// Backpropagation through time from the gradient in `zeroedOutputGradient`'s buffer, or from
    /// `dOutput` (N, H) when given. Adds into the parameter gradients and, when `dInput` is given,
    /// into dL/dx (N, I).
    package func backward(_ batch: PackedBatch, input: UnsafePointer<Float>?, dInput: UnsafeMutablePointer<Float>?,
                         dOutput given: UnsafePointer<Float>? = nil) {
        let (H, GH, N, B) = (hiddenSize, gateWidth, batch.rowCount, batch.count)
        let dOut = given ?? UnsafePointer(dOutput.pointer), out = output.pointer, hPrev = self.hPrev.pointer, gates = self.gates.pointer
        let dPreX = self.dPreX.get(N * GH)
        // Cells that use preX + preH give both the same gradient: one buffer serves.
        let separate = cell.separatesPreactivations
        let dPreH = separate ? self.dPreH.get(N * GH) : dPreX
        let dh = dhStep.get(B * H), dhCarry = self.dhCarry.zeroed(B * H)
        let lstm = cell.hasCellState, gru = cell == .gru
        let dc = lstm ? dcCarry.zeroed(B * H) : nil
        let cPrev = lstm ? UnsafePointer(self.cPrev.pointer) : nil, c = lstm ? UnsafePointer(cState.pointer) : nil
        let extra = gru ? UnsafePointer(self.extra.pointer) : nil
        let tutorial = backward == .tutorial && GH == H
        let packed = B > 1 && !tutorial ? packBackward(self.weightHH, columns: H, into: packedHHBackward) : nil
        // As in the forward, batches take dx_t = dpreX_t·W_ih step by step, while dpreX is in cache.
        let I = inputSize, fused = B > 1 && !oneHotInput
        let packedIH = fused && dInput != nil ? packBackward(weightIH, columns: I, into: packedIHBackward) : nil
        let weightHH = UnsafePointer(self.weightHH.value.data)
        let cell = self.cell

        forEachStepOfEachPart(batch, backward: true) { s, t, lo, m, base in
            let dhRows = dh + lo * H, carry = dhCarry + lo * H
            // dL/dh_t = from above (or the head) + from step t+1 through W_hh (and GRU's z ⊙ dh).
            // One pass: dh = from above + carry, and the carry reset for this step's dh_{t−1}.
            let above = dOut + base * H
            for k in 0..<m * H {
                dhRows[k] = above[k] + carry[k]
                carry[k] = 0
            }
            cell.backwardStep(B: m, H: H, dh: dhRows, dc: dc.map { $0 + lo * H }, hPrev: hPrev + base * H,
                              cPrev: cPrev.map { $0 + base * H }, h: out + base * H, c: c.map { $0 + base * H },
                              gates: gates + base * GH, extra: extra.map { $0 + base * H },
                              dPreX: dPreX + base * GH, dPreH: dPreH + base * GH, dhPrev: carry)
            if let packedIH {
                Kernels.gemmPackedAccumulate(m, I, GH, dPreX + base * GH, lda: GH, packedIH, dInput! + base * I, ldc: I)
            }
            // The last step backward feeds only the initial state, which takes no gradient.
            if s == 0 { return }
            let g = dPreH + base * GH
            if tutorial {
                // The published tutorial's dh_{t−1} = Whh·g (not the gradient; see the property).
                MatMul.nt(m, H, H, g, lda: GH, weightHH, ldb: H, carry, ldc: H, accumulate: true)
            } else if let packed {
                // dh_{t−1} += g·W_hh, for the part's running rows at once: (m, G·H)·(G·H, H).
                Kernels.gemmPackedAccumulate(m, H, GH, g, lda: GH, packed, carry, ldc: H)
            } else {
                MatMul.nnAccumulate(m, H, GH, g, lda: GH, weightHH, ldb: H, carry, ldc: H)
            }
        }
        // Weight and bias gradients: one product over all N rows each, the W_hh and W_ih sides
        // side by side (each product is faster whole than split), with half the bias columns each.
        let dWhh = self.weightHH.grad.data, dBiasIH = self.biasIH.grad.data, dBiasHH = self.biasHH?.grad.data
        let dWih = self.weightIH.grad.data, weightIH = UnsafePointer(self.weightIH.value.data)
        // Cells whose two biases share one gradient sum it once.
        let sharedSum = !separate && dBiasHH != nil ? biasGrad.zeroed(GH) : nil
        @inline(__always) func biasGradients(_ lo: Int, _ hi: Int) {
            if separate {
                MatMul.columnSumAccumulate(N, hi - lo, dPreX + lo, lda: GH, dBiasIH + lo, split: false)
                if let dBiasHH { MatMul.columnSumAccumulate(N, hi - lo, dPreH + lo, lda: GH, dBiasHH + lo, split: false) }
            } else {
                MatMul.columnSumAccumulate(N, hi - lo, dPreX + lo, lda: GH, (sharedSum ?? dBiasIH) + lo, split: false)
            }
        }
        let half = GH / 32 * 16
        let oneHot = oneHotInput, zeroInitialRow = self.zeroInitialRow
        Parallel.both(work: N * GH * (H + I), {
            if let zero = zeroInitialRow {
                // dW_hh starts at +0 and never holds −0, so leaving out the row's ±0 terms changes nothing.
                let first = zero == 0 ? 1 : 0
                MatMul.tnAccumulate(GH, H, N - 1, dPreH + first * GH, lda: GH, hPrev + first * H, ldb: H, dWhh, ldc: H,
                                    split: false)
            } else {
                MatMul.tnAccumulate(GH, H, N, dPreH, lda: GH, hPrev, ldb: H, dWhh, ldc: H, split: false)
            }
            biasGradients(0, half)
        }, {
            if oneHot {
                let tokens = batch.tokens
                for n in 0..<N { Kernels.axpy(GH, 1, dPreX + n * GH, dWih + tokens[n] * GH) }
            } else {
                MatMul.tnAccumulate(GH, I, N, dPreX, lda: GH, input!, ldb: I, dWih, ldc: I, split: false)
                if let dInput, !fused {
                    MatMul.nnAccumulate(N, I, GH, dPreX, lda: GH, weightIH, ldb: I, dInput, ldc: I, split: false)
                }
            }
            biasGradients(half, GH)
        })
        if let sharedSum, let dBiasHH {
            Kernels.axpy(GH, 1, sharedSum, dBiasIH)
            Kernels.axpy(GH, 1, sharedSum, dBiasHH)
        }
    }
}
