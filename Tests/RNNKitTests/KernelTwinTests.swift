import CRNNKernels
import Foundation
import Testing
@testable import RNNKit

// The remaining fast kernels against their plain twins in `ReferenceKernels` (libm's tanh and exp,
// Double), and whole batched LSTM and GRU models, at every instruction-set level (in child
// processes, as in KernelTests).

/// Float's unit roundoff, 2⁻²⁴: one rounded operation is off by at most u of its result.
private let u = Double(Float.ulpOfOne) / 2
/// An activation is off by at most this much, relative (3 ulps; see ActivationBounds).
private let a = ActivationBounds.relative

/// |actual − expected| ≤ bound, element by element.
private func expectWithin(_ actual: [Float], _ expected: [Double], bound: [Double], _ what: String,
                          sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.count == expected.count && bound.count == expected.count, sourceLocation: sourceLocation)
    var worst = (ratio: 0.0, index: -1)
    for k in actual.indices {
        let e = abs(Double(actual[k]) - expected[k]), r = e == 0 ? 0 : e / bound[k]
        if !(r <= worst.ratio) { worst = (r.isNaN ? .infinity : r, k) }
    }
    if worst.ratio > 1 {
        let k = worst.index
        Issue.record("\(what): [\(k)] kernel \(actual[k]), reference \(expected[k]), difference \(abs(Double(actual[k]) - expected[k])) > bound \(bound[k])",
                     sourceLocation: sourceLocation)
    }
}

private func uniform(_ n: Int, _ scale: Double, _ rng: inout SeededGenerator) -> [Float] {
    (0..<n).map { _ in Float((2 * rng.nextUniform() - 1) * scale) }
}

extension KernelChecks {
    /// LSTM gate kernels against the plain formulas with libm's tanh/exp in Double. The bounds follow
    /// from the activations' 3 ulps (a) and u per rounded operation:
    ///     gates  a·|v|
    ///     c      (2a + 3u)·(|f·c_prev| + |i·g|)
    ///     h      (2a + u)·|h| + |o|·(1 − tanh²c)·bound_c
    /// and for the backward, whose only approximation is tanh(c) (a·|tanh c|), with dct the total
    /// gradient of c, its bound (2a·tanh²c·|dh·o| + 6u·(|dc| + |dh·o|·(1 + tanh²c))) carried
    /// through each product plus 6u of its own magnitude.
    static func lstmGates() {
        forEachLevel { level in
            for H in [1, 5, 8, 16, 17, 40, 128] {
                var rng = SeededGenerator(seed: UInt64(300 + H))
                let B = 3, G = 4 * H
                let pre = uniform(B * G, 6, &rng), cPrev = uniform(B * H, 2, &rng)
                let dh = uniform(B * H, 1, &rng), dc0 = uniform(B * H, 1, &rng)
                let what = "LSTM level \(level) H \(H)"

                var c = [Float](repeating: .nan, count: B * H), h = c, gates = [Float](repeating: .nan, count: B * G)
                Kernels.lstmForward(B, H, pre: pre, cPrev: cPrev, c: &c, h: &h, gates: &gates)
                let r = ReferenceKernels.lstmForward(B, H, pre: doubles(pre), cPrev: doubles(cPrev))
                expectWithin(gates, r.gates, bound: r.gates.map { a * abs($0) }, "\(what): gates")
                var boundC = [Double](repeating: 0, count: B * H), boundH = boundC
                for b in 0..<B {
                    for k in 0..<H {
                        let p = b * G + k, q = b * H + k
                        let i = r.gates[p], f = r.gates[p + H], g = r.gates[p + 2 * H], o = r.gates[p + 3 * H]
                        boundC[q] = (2 * a + 3 * u) * (abs(f * Double(cPrev[q])) + abs(i * g))
                        let t = Foundation.tanh(r.c[q])
                        boundH[q] = (2 * a + u) * abs(r.h[q]) + abs(o) * (1 - t * t) * boundC[q]
                    }
                }
                expectWithin(c, r.c, bound: boundC, "\(what): c")
                expectWithin(h, r.h, bound: boundH, "\(what): h")

                // Backward from the kernel's own forward (the same inputs for both sides).
                var dc = dc0, dPre = [Float](repeating: .nan, count: B * G)
                Kernels.lstmBackward(B, H, dh: dh, dc: &dc, cPrev: cPrev, c: c, gates: gates, dPre: &dPre)
                let rb = ReferenceKernels.lstmBackward(B, H, dh: doubles(dh), dc: doubles(dc0), cPrev: doubles(cPrev),
                                                       c: doubles(c), gates: doubles(gates))
                var boundPre = [Double](repeating: 0, count: B * G), boundPrev = [Double](repeating: 0, count: B * H)
                for b in 0..<B {
                    for k in 0..<H {
                        let p = b * G + k, q = b * H + k
                        let i = Double(gates[p]), f = Double(gates[p + H]), g = Double(gates[p + 2 * H]), o = Double(gates[p + 3 * H])
                        let t = Foundation.tanh(Double(c[q])), dhq = Double(dh[q]), dcq = Double(dc0[q])
                        let dct = abs(dcq + dhq * o * (1 - t * t))
                        let bDct = 2 * a * t * t * abs(dhq * o) + 6 * u * (abs(dcq) + abs(dhq * o) * (1 + t * t))
                        boundPre[p] = abs(g * i * (1 - i)) * bDct + 6 * u * dct * abs(g * i * (1 - i))
                        boundPre[p + H] = abs(Double(cPrev[q]) * f * (1 - f)) * bDct + 6 * u * dct * abs(Double(cPrev[q]) * f * (1 - f))
                        boundPre[p + 2 * H] = abs(i * (1 - g * g)) * bDct + 6 * u * dct * abs(i) * (1 + g * g)
                        boundPre[p + 3 * H] = (a + 6 * u) * abs(dhq * t * o * (1 - o))
                        boundPrev[q] = abs(f) * bDct + 2 * u * dct * abs(f)
                    }
                }
                expectWithin(dPre, rb.dPre, bound: boundPre, "\(what): dPre")
                expectWithin(dc, rb.dcPrev, bound: boundPrev, "\(what): dc_prev")
            }
        }
    }

    /// GRU gate math (`GRUCell`, on the fast σ and tanh) against the plain formulas with libm in
    /// Double. Bounds: r, z: a·|v| plus σ′ times the rounding of the summed pre-activation,
    /// u·(|preX| + |preH|); n: a·|n| plus (1 − n²) times its argument's error (|hn|·bound_r and
    /// 2u of its terms); h: the products' errors plus 4u of their magnitudes. The backward is plain
    /// Float arithmetic on given gates: 8u of each product's magnitude.
    static func gruGates() {
        forEachLevel { level in
            for H in [1, 5, 16, 17, 40] {
                var rng = SeededGenerator(seed: UInt64(700 + H))
                let B = 3, G = 3 * H
                let preX = uniform(B * G, 3, &rng), preH = uniform(B * G, 3, &rng), hPrev = uniform(B * H, 1, &rng)
                let what = "GRU level \(level) H \(H)"
                var px = preX, h = [Float](repeating: .nan, count: B * H), hn = h, gates = [Float](repeating: .nan, count: B * G)
                GRUCell.forward(B: B, H: H, preX: &px, preH: preH, hPrev: hPrev, h: &h, gates: &gates, hn: &hn)
                let r = ReferenceKernels.gruForward(B, H, preX: doubles(preX), preH: doubles(preH), hPrev: doubles(hPrev))
                var bound = [Double](repeating: 0, count: B * G), boundH = [Double](repeating: 0, count: B * H)
                for b in 0..<B {
                    for k in 0..<H {
                        let p = b * G + k, q = b * H + k
                        for gate in [p, p + H] {
                            let s = r.gates[gate]
                            bound[gate] = a * s + s * (1 - s) * u * (abs(Double(preX[gate])) + abs(Double(preH[gate])))
                        }
                        let rr = r.gates[p], z = r.gates[p + H], n = r.gates[p + 2 * H], hnq = Double(preH[p + 2 * H])
                        let argError = abs(hnq) * bound[p] + 2 * u * (abs(Double(preX[p + 2 * H])) + abs(rr * hnq))
                        bound[p + 2 * H] = a * abs(n) + (1 - n * n) * argError
                        let hp = Double(hPrev[q])
                        let propagated: Double = (abs(n) + abs(hp)) * bound[p + H] + abs(1 - z) * bound[p + 2 * H]
                        let rounding: Double = 4 * u * (abs((1 - z) * n) + abs(z * hp))
                        boundH[q] = propagated + rounding
                    }
                }
                expectWithin(gates, r.gates, bound: bound, "\(what): gates")
                expectWithin(h, r.h, bound: boundH, "\(what): h")
                var expectedHn: [Float] = []
                for b in 0..<B { expectedHn += preH[(b * G + 2 * H)..<(b * G + 3 * H)] }
                #expect(hn == expectedHn, "\(what): hn keeps W_hn·h + b_hn")

                let dh = uniform(B * H, 1, &rng)
                var dPreX = [Float](repeating: .nan, count: B * G), dPreH = dPreX, dhPrev = [Float](repeating: 0, count: B * H)
                GRUCell.backward(B: B, H: H, dh: dh, hPrev: hPrev, gates: gates, hn: hn, dPreX: &dPreX, dPreH: &dPreH, dhPrev: &dhPrev)
                let rb = ReferenceKernels.gruBackward(B, H, dh: doubles(dh), hPrev: doubles(hPrev), gates: doubles(gates), hn: doubles(hn))
                var scaleX = [Double](repeating: 0, count: B * G), scaleH = scaleX, scalePrev = [Double](repeating: 0, count: B * H)
                for b in 0..<B {
                    for k in 0..<H {
                        let p = b * G + k, q = b * H + k
                        let rr = Double(gates[p]), z = Double(gates[p + H]), n = Double(gates[p + 2 * H]), d = abs(Double(dh[q]))
                        let dn = d * abs(1 - z) * (1 + n * n)
                        let dz = d * (abs(Double(hPrev[q])) + abs(n)) * abs(z * (1 - z))
                        let dr = dn * abs(Double(hn[q]) * rr * (1 - rr))
                        scaleX[p] = dr; scaleH[p] = dr
                        scaleX[p + H] = dz; scaleH[p + H] = dz
                        scaleX[p + 2 * H] = dn; scaleH[p + 2 * H] = dn * abs(rr)
                        scalePrev[q] = d * abs(z)
                    }
                }
                expectWithin(dPreX, rb.dPreX, bound: scaleX.map { 8 * u * $0 }, "\(what): dPreX")
                expectWithin(dPreH, rb.dPreH, bound: scaleH.map { 8 * u * $0 }, "\(what): dPreH")
                expectWithin(dhPrev, rb.dhPrev, bound: scalePrev.map { 2 * u * $0 }, "\(what): dh_prev")
            }
        }
    }

    /// gemmPacked in the batched forward's form: C = bias + [A1 A2]·B, B stacked from two matrices
    /// packed from their transposes ([W_ih W_hh]ᵀ), and the recurrent half alone from a row offset;
    /// each row bit-identical however many rows are computed together
    static func gemmPackedTwoInputs() {
        forEachLevel { level in
            var rng = SeededGenerator(seed: 800)
            for M in [1, 3, 6, 7, 13, 14, 26, 50] {
                for (K1, K2, N) in [(1, 1, 1), (5, 7, 31), (16, 16, 32), (17, 33, 64), (10, 40, 160), (64, 64, 100), (3, 128, 512)] {
                    let A1 = randomFloats(M * K1, &rng), A2 = randomFloats(M * K2, &rng)
                    let W1 = randomFloats(N * K1, &rng), W2 = randomFloats(N * K2, &rng), bias = randomFloats(N, &rng)
                    // B = [W1 W2]ᵀ, (K1 + K2, N).
                    var B = [Float](repeating: 0, count: (K1 + K2) * N)
                    for j in 0..<N {
                        for k in 0..<K1 { B[k * N + j] = W1[j * K1 + k] }
                        for k in 0..<K2 { B[(K1 + k) * N + j] = W2[j * K2 + k] }
                    }
                    let Kp = K1 + K2
                    var packed = [Float](repeating: .nan, count: Kernels.packedSize(Kp, N))
                    Kernels.pack(K1, N, W1, ld: K1, transposed: true, into: &packed, packedRows: Kp)
                    Kernels.pack(K2, N, W2, ld: K2, transposed: true, into: &packed, rowOffset: K1, packedRows: Kp)
                    #expect(!packed.contains { $0.isNaN }, "pack left holes")
                    let expected = ReferenceKernels.gemmNNBias(M, N, K1, doubles(A1), K2, doubles(A2), doubles(B), bias: doubles(bias))
                    let scale = ReferenceKernels.gemmNNBias(M, N, K1, doubles(A1).map(abs), K2, doubles(A2).map(abs),
                                                            doubles(B).map(abs), bias: doubles(bias).map(abs))
                    let lda1 = K1 + 1, lda2 = K2 + 2, ldc = N + 3
                    let a1 = strided(A1, rows: M, columns: K1, ld: lda1), a2 = strided(A2, rows: M, columns: K2, ld: lda2)
                    let what = "gemmPacked two inputs + bias level \(level) M \(M) K1 \(K1) K2 \(K2) N \(N)"
                    // Start from NaN: with a bias the old contents must not matter.
                    let cStorage = withGuarded(strided([Float](repeating: .nan, count: M * N), rows: M, columns: N, ld: ldc), what) { cp in
                        Kernels.gemmPacked(M, N, a1, lda1: lda1, k1: K1, and: a2, lda2: lda2, k2: K2, packed: packed,
                                           packedRows: Kp, bias: bias, cp, ldc: ldc)
                    }.values
                    for r in 0..<M {
                        #expect(cStorage[(r * ldc + N)..<(r * ldc + ldc)].allSatisfy { $0 == sentinel }, "\(what): wrote into C's row padding")
                    }
                    let C = unstrided(cStorage, rows: M, columns: N, ld: ldc)
                    expectKernelClose(C, expected, scale: scale, what)
                    // Row by row gives the same bits.
                    var single = [Float](repeating: .nan, count: M * N)
                    a1.withUnsafeBufferPointer { p1 in
                        a2.withUnsafeBufferPointer { p2 in
                            single.withUnsafeMutableBufferPointer { c in
                                for r in 0..<M {
                                    Kernels.gemmPacked(1, N, p1.baseAddress! + r * lda1, lda1: lda1, k1: K1, and: p2.baseAddress! + r * lda2,
                                                       lda2: lda2, k2: K2, packed: packed, packedRows: Kp, bias: bias,
                                                       c.baseAddress! + r * N, ldc: N)
                                }
                            }
                        }
                    }
                    #expect(single == C, "\(what): rows one at a time differ from the block")
                    // The recurrent half alone, accumulated onto C0, from row K1 of the packed matrix.
                    let C0 = randomFloats(M * N, &rng)
                    var accumulated = C0
                    Kernels.gemmPacked(M, N, A2, lda1: K2, k1: K2, packed: packed, packedRows: Kp, rowOffset: K1, bias: nil,
                                       &accumulated, ldc: N)
                    var expectedHalf = doubles(C0), scaleHalf = doubles(C0).map(abs)
                    let W2T = Array(B[(K1 * N)...])
                    ReferenceKernels.gemmNNAccumulate(M, N, K2, doubles(A2), doubles(W2T), &expectedHalf)
                    ReferenceKernels.gemmNNAccumulate(M, N, K2, doubles(A2).map(abs), doubles(W2T).map(abs), &scaleHalf)
                    expectKernelClose(accumulated, expectedHalf, scale: scaleHalf, "\(what): recurrent half from row offset")
                }
            }
        }
    }

    /// Adam: the vectorized step equals its plain twin bit for bit, at sizes through the 8- and
    /// 16-wide bodies and every tail, with and without L2 and decoupled decay
    static func adam() {
        forEachLevel { level in
            var rng = SeededGenerator(seed: 900)
            for n in Array(1...40) + [127, 1000] {
                for (l2, shrink) in [(Float(0), false), (0.01, false), (0, true)] {
                    var w = randomFloats(n, &rng), m = randomFloats(n, &rng, scale: 0.1)
                    var v = randomFloats(n, &rng, scale: 0.1).map { $0 * $0 }
                    let g = randomFloats(n, &rng)
                    var wR = w, mR = m, vR = v
                    let args = (mWeight: Float(0.1), beta2: Float(0.999), vScale: Float(1 - 0.999), decay: Float(0.9999),
                                bc2Sqrt: Float(0.0316), negStep: Float(-0.01), eps: Float(1e-8))
                    let what = "adam level \(level) n \(n) l2 \(l2) shrink \(shrink)"
                    let wOut = withGuarded(w, what) { wp in
                        Kernels.adam(n, weight: wp, gradient: g, m: &m, v: &v, mWeight: args.mWeight, beta2: args.beta2,
                                     vScale: args.vScale, l2: l2, shrink: shrink, decay: args.decay, bc2Sqrt: args.bc2Sqrt,
                                     negStep: args.negStep, eps: args.eps)
                    }.values
                    w = wOut
                    ReferenceKernels.adam(weight: &wR, gradient: g, m: &mR, v: &vR, mWeight: args.mWeight, beta2: args.beta2,
                                          vScale: args.vScale, l2: l2, shrink: shrink, decay: args.decay, bc2Sqrt: args.bc2Sqrt,
                                          negStep: args.negStep, eps: args.eps)
                    #expect(w == wR, "\(what): weights")
                    #expect(m == mR, "\(what): first moment")
                    #expect(v == vR, "\(what): second moment")
                }
            }
        }
    }

    /// Batched LSTM and GRU models (2-layer bidirectional classifiers, 2-layer language models, with
    /// sizes that leave vector tails) at every level: the loss and logits against ReferenceStack's
    /// plain Double forward, and the gradients of every parameter against the portable level's,
    /// within 1e-4 of the tensor's largest gradient (Float rounding through 2 layers and ~6 steps,
    /// with activations a few ulps apart between levels, stays orders of magnitude below).
    static func batchedModels() {
        let sequences = [[0, 3, 1, 4, 2, 7, 8], [4, 1], [2, 2, 0, 3, 9], [5], [6, 1, 3, 3, 8, 0]]
        for cell in [CellKind.lstm, .gru] {
            var classifierConfig = ClassifierConfiguration(cell: cell, input: .embedding, vocabularySize: 10, embeddingSize: 9,
                                                           hiddenSize: 21, numClasses: 3, numLayers: 2, bidirectional: true)
            classifierConfig.pooling = .max
            let classifier = SequenceClassifier(classifierConfig)
            StackGradientCheckTests.randomize(classifier.parameters, seed: 31)
            let reference = ReferenceStack(classifier)
            let targets = [2, 0, 1, 1, 0]
            let lm = LanguageModel(LanguageModelConfiguration(cell: cell, vocabularySize: 10, embeddingSize: 8, hiddenSize: 19, numLayers: 2))
            StackGradientCheckTests.randomize(lm.parameters, seed: 32)
            let lmReference = ReferenceStack(lm)
            let lmTargets = sequences.map { s in s.indices.map { $0 + 1 < s.count ? s[$0 + 1] : -100 } }

            var portable: [String: [Float]] = [:]
            forEachLevel { level in
                let what = "\(cell.rawValue) level \(level)"
                let (logits, loss) = classifier.logits(PackedBatch(sequences), targets: targets)
                for (s, row) in zip(sequences, logits) {
                    expectClose(row, reference.classifierLogits(s), tolerance: 1e-5, "\(what): classifier logits")
                }
                expectClose(loss ?? .nan, reference.classifierLoss(sequences, targets: targets), tolerance: 1e-5, "\(what): classifier loss")
                classifier.parameters.zeroGradients()
                _ = classifier.accumulateGradients(PackedBatch(sequences), targets: targets)
                lm.parameters.zeroGradients()
                let lmResult = lm.accumulateGradients(PackedBatch(sequences), targets: lmTargets)
                expectClose(lmResult.lossSum / Double(lmResult.count), lmReference.languageModelLoss(sequences, targets: lmTargets),
                            tolerance: 1e-5, "\(what): language model loss")
                var gradients: [String: [Float]] = [:]
                for (name, e) in StateDict.entries(parameters: classifier.parameters, stack: classifier.rnn, gradients: true) {
                    gradients["classifier " + name] = e.values
                }
                for (name, e) in StateDict.entries(parameters: lm.parameters, stack: lm.rnn, gradients: true) {
                    gradients["lm " + name] = e.values
                }
                if level == 0 {
                    portable = gradients
                    #expect(gradients.values.allSatisfy { g in g.contains { $0 != 0 } }, "\(what): an all-zero gradient proves nothing")
                } else {
                    for (name, g) in gradients.sorted(by: { $0.key < $1.key }) {
                        let base = portable[name]!, largest = Double(base.map(abs).max()!)
                        expectClose(g.map { Double($0) / largest }, base.map { Double($0) / largest }, tolerance: 1e-4,
                                    "\(what): gradient of \(name) against the portable level's")
                    }
                }
            }
        }
    }
}

@Suite("Kernel twins and batched models at every instruction-set level", .serialized)
struct KernelTwinTests {
    @Test("LSTM gate kernels match the plain formulas (libm tanh/exp) within bounds derived from the ulp bounds")
    func lstmGates() async {
        await #expect(processExitsWith: .success) { KernelChecks.lstmGates() }
    }

    @Test("GRU gate math matches the plain formulas (libm tanh/exp) within bounds derived from the ulp bounds")
    func gruGates() async {
        await #expect(processExitsWith: .success) { KernelChecks.gruGates() }
    }

    @Test("gemmPacked: C = bias + [A1 A2]·B from two stacked packed matrices, and the recurrent half from a row offset")
    func gemmPackedTwoInputs() async {
        await #expect(processExitsWith: .success) { KernelChecks.gemmPackedTwoInputs() }
    }

    @Test("Adam kernel equals its plain twin bit for bit at sizes 1…40, 127, 1000")
    func adam() async {
        await #expect(processExitsWith: .success) { KernelChecks.adam() }
    }

    @Test("Batched LSTM and GRU classifiers and language models agree with ReferenceStack and across levels")
    func batchedModels() async {
        await #expect(processExitsWith: .success) { KernelChecks.batchedModels() }
    }
}
