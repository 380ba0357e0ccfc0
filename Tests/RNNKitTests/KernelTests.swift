import Foundation
import Testing
@testable import RNNKit

// Every optimized kernel against its naive twin in `ReferenceKernels`, at every instruction-set level
// this CPU runs, on odd sizes and padded strides, with guard elements around every output.
//
// The level is process-wide state, and other suites run in parallel and compare results bit for bit
// (determinism, save/load round trips). So each level-switching check runs in a child process (an
// exit test): its expectations are reported here as usual, and this process never leaves its best
// level. The suite is also serialized, and each check puts the best level back when done. More
// checks of this kind: ActivationAccuracyTests, KernelTwinTests, OracleParityTests (every level).

/// Sizes that hit every vector-width remainder (4, 8, 16 lanes) and the unrolled blocks.
let kernelTestSizes = [1, 3, 7, 17, 33, 64, 65, 100]
/// Value written around outputs; a kernel that writes out of bounds changes it.
let sentinel: Float = -12345.5

func randomFloats(_ n: Int, _ rng: inout SeededGenerator, scale: Double = 1) -> [Float] {
    (0..<n).map { _ in Float(rng.nextNormal() * scale) }
}

/// The largest |kernel − reference| / max(1, scale) over an output, where `scale` is the sum of the
/// magnitudes of the terms (so long sums with cancellation are judged by their condition).
func expectKernelClose(_ actual: [Float], _ expected: [Double], scale: [Double], tolerance: Double = 1e-5,
                               _ what: @autoclosure () -> String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.count == expected.count, sourceLocation: sourceLocation)
    var worst = (error: 0.0, index: -1)
    for k in actual.indices {
        let e = abs(Double(actual[k]) - expected[k]) / max(1, scale[k])
        if !(e <= worst.error) { worst = (e.isNaN ? .infinity : e, k) }
    }
    if worst.error > tolerance {
        Issue.record("\(what()): largest scaled difference \(worst.error) at [\(worst.index)]: kernel \(actual[worst.index]), reference \(expected[worst.index]) (tolerance \(tolerance))",
                     sourceLocation: sourceLocation)
    }
}

/// Runs `body` with a buffer laid out as `[guard × pad][values][guard × pad]`, pointing at the values;
/// afterwards checks both guards and returns the values. The offset of one float also makes the
/// values unaligned, which the kernels must accept.
func withGuarded<R>(_ values: [Float], pad: Int = 5, _ what: String, sourceLocation: SourceLocation = #_sourceLocation,
                            _ body: (UnsafeMutablePointer<Float>) -> R) -> (values: [Float], result: R) {
    var buffer = [Float](repeating: sentinel, count: pad) + values + [Float](repeating: sentinel, count: pad)
    let result = buffer.withUnsafeMutableBufferPointer { body($0.baseAddress! + pad) }
    let front = buffer[..<pad], back = buffer[(pad + values.count)...]
    #expect(front.allSatisfy { $0 == sentinel } && back.allSatisfy { $0 == sentinel },
            "\(what): wrote outside its output", sourceLocation: sourceLocation)
    return (Array(buffer[pad..<(pad + values.count)]), result)
}

/// A (rows, columns) matrix stored with row stride `ld` ≥ columns; padding holds `fill`.
func strided<T>(_ dense: [T], rows: Int, columns: Int, ld: Int, fill: T) -> [T] {
    var out = [T](repeating: fill, count: rows * ld)
    for r in 0..<rows { for c in 0..<columns { out[r * ld + c] = dense[r * columns + c] } }
    return out
}

func strided(_ dense: [Float], rows: Int, columns: Int, ld: Int) -> [Float] {
    strided(dense, rows: rows, columns: columns, ld: ld, fill: sentinel)
}

/// The (rows, columns) values of a matrix stored with row stride `ld`.
func unstrided<T>(_ storage: [T], rows: Int, columns: Int, ld: Int) -> [T] {
    var out: [T] = []
    out.reserveCapacity(rows * columns)
    for r in 0..<rows { for c in 0..<columns { out.append(storage[r * ld + c]) } }
    return out
}

func doubles(_ x: [Float]) -> [Double] { x.map(Double.init) }

/// The level-switching checks, run by `KernelTests` in child processes.
enum KernelChecks {
    /// Runs `body` once per available level, then restores the best one.
    static func forEachLevel(_ body: (Int) throws -> Void) rethrows {
        let levels = Kernels.availableLevels
        defer { Kernels.setLevel(levels.last!) }
        for level in levels {
            #expect(Kernels.setLevel(level) == level)
            try body(level)
        }
    }

    /// Levels: portable is always available; switching reports the level in use
    static func levels() {
        let levels = Kernels.availableLevels
        #expect(levels.first == 0)
        #expect(levels == Array(0..<levels.count))
        let names = ["portable", "avx2", "avx512"]
        forEachLevel { level in
            #expect(Kernels.instructionSet == names[level])
        }
        #expect(Kernels.instructionSet == names[levels.last!])
        // Asking for more than the CPU has gives the best it has; less than 0 gives portable.
        #expect(Kernels.setLevel(99) == levels.last!)
        #expect(Kernels.setLevel(-1) == 0)
        Kernels.setLevel(levels.last!)
    }

    /// gemv: y = A·x and y += A·x, odd sizes, lda > N
    static func gemv() {
        forEachLevel { level in
            var rng = SeededGenerator(seed: 100)
            for M in kernelTestSizes {
                for N in kernelTestSizes {
                    let lda = N + (M + N) % 5  // sometimes equal to N, mostly larger
                    let A = randomFloats(M * N, &rng), x = randomFloats(N, &rng), y0 = randomFloats(M, &rng)
                    let storage = strided(A, rows: M, columns: N, ld: lda)
                    for accumulate in [false, true] {
                        var expected = doubles(y0)
                        ReferenceKernels.gemv(M, N, doubles(A), doubles(x), &expected, accumulate: accumulate)
                        var scale = accumulate ? doubles(y0).map(abs) : [Double](repeating: 0, count: M)
                        ReferenceKernels.gemv(M, N, doubles(A).map(abs), doubles(x).map(abs), &scale, accumulate: true)
                        // Without accumulate the old contents must not matter: start from NaN.
                        let start = accumulate ? y0 : [Float](repeating: .nan, count: M)
                        let what = "gemv level \(level) M \(M) N \(N) lda \(lda) accumulate \(accumulate)"
                        let y = withGuarded(start, what) { yp in
                            Kernels.gemv(M, N, storage, lda: lda, x, yp, accumulate: accumulate)
                        }.values
                        expectKernelClose(y, expected, scale: scale, what)
                    }
                }
            }
        }
    }

    /// gemmNT: C = A·Bᵀ and C += A·Bᵀ, odd sizes, padded strides
    static func gemmNT() {
        forEachLevel { level in
            var rng = SeededGenerator(seed: 150)
            for M in [1, 2, 5, 16, 17] {
                for N in kernelTestSizes {
                    for K in [1, 7, 33, 64, 100] {
                        let lda = K + M % 3, ldb = K + N % 4, ldc = N + 2
                        let A = randomFloats(M * K, &rng), B = randomFloats(N * K, &rng), C0 = randomFloats(M * N, &rng)
                        for accumulate in [false, true] {
                            var expected = accumulate ? doubles(C0) : [Double](repeating: 0, count: M * N)
                            ReferenceKernels.gemm(transA: false, transB: true, M, N, K, alpha: 1, doubles(A), lda: K,
                                                  doubles(B), ldb: K, beta: accumulate ? 1 : 0, &expected, ldc: N)
                            var scale = accumulate ? doubles(C0).map(abs) : [Double](repeating: 0, count: M * N)
                            ReferenceKernels.gemm(transA: false, transB: true, M, N, K, alpha: 1, doubles(A).map(abs), lda: K,
                                                  doubles(B).map(abs), ldb: K, beta: 1, &scale, ldc: N)
                            let start = accumulate ? C0 : [Float](repeating: .nan, count: M * N)
                            var c = strided(start, rows: M, columns: N, ld: ldc)
                            let a = strided(A, rows: M, columns: K, ld: lda), b = strided(B, rows: N, columns: K, ld: ldb)
                            Kernels.gemmNT(M, N, K, a, lda: lda, b, ldb: ldb, &c, ldc: ldc, accumulate: accumulate)
                            expectKernelClose(unstrided(c, rows: M, columns: N, ld: ldc), expected, scale: scale,
                                              "gemmNT level \(level) M \(M) N \(N) K \(K) accumulate \(accumulate)")
                        }
                    }
                }
            }
        }
    }

    /// gemmNTBFloat16 against its twin (bfloat16 weights widened, Double sums), odd sizes, padded strides.
    static func gemmNTBFloat16() {
        forEachLevel { level in
            var rng = SeededGenerator(seed: 155)
            for M in [1, 2, 5, 17] {
                for N in kernelTestSizes {
                    for K in [1, 7, 33, 64, 100] {
                        let lda = K + M % 3, ldb = K + N % 4, ldc = N + 2
                        let A = randomFloats(M * K, &rng), C0 = randomFloats(M * N, &rng)
                        let B = randomFloats(N * K, &rng).map(ReferenceKernels.bfloat16)
                        for accumulate in [false, true] {
                            var expected = accumulate ? doubles(C0) : [Double](repeating: 0, count: M * N)
                            ReferenceKernels.gemmNTBFloat16(M, N, K, doubles(A), B, &expected, accumulate: accumulate)
                            var scale = accumulate ? doubles(C0).map(abs) : [Double](repeating: 0, count: M * N)
                            ReferenceKernels.gemmNTBFloat16(M, N, K, doubles(A).map(abs), B.map { $0 & 0x7fff }, &scale,
                                                            accumulate: true)
                            let start = accumulate ? C0 : [Float](repeating: .nan, count: M * N)
                            var c = strided(start, rows: M, columns: N, ld: ldc)
                            let a = strided(A, rows: M, columns: K, ld: lda), b = strided(B, rows: N, columns: K, ld: ldb, fill: 0x7fc0)
                            Kernels.gemmNTBFloat16(M, N, K, a, lda: lda, b, ldb: ldb, &c, ldc: ldc, accumulate: accumulate)
                            expectKernelClose(unstrided(c, rows: M, columns: N, ld: ldc), expected, scale: scale,
                                              "gemmNTBFloat16 level \(level) M \(M) N \(N) K \(K) accumulate \(accumulate)")
                        }
                    }
                }
            }
        }
    }

    /// quantizeInt16 against its twin, bit for bit: rows of every magnitude (the double path for the
    /// tiniest), ties, zero rows, rows with NaN or ±inf, padded strides.
    static func quantizeInt16() {
        forEachLevel { level in
            var rng = SeededGenerator(seed: 157)
            for K in [1, 7, 33, 64, 100, 1024, 1100] {
                let M = 9
                var A = randomFloats(M * K, &rng)
                for k in 0..<K {
                    A[1 * K + k] *= 1e-30          // L/m still a float
                    A[2 * K + k] *= 1e-38          // L/m overflows: the double path
                    A[3 * K + k] = 0               // a zero row
                    A[4 * K + k] = Float(k % 5) - 2  // ties: m = 2, so a·L/2 has halves when L is odd
                    A[5 * K + k] *= 1e30
                }
                A[6 * K + K / 2] = .nan
                A[7 * K] = -.infinity
                A[8 * K + K - 1] = .leastNonzeroMagnitude
                let (expected, expectedScales) = ReferenceKernels.quantizeInt16(M, K, A)
                let lda = K + 3, ldq = K + 1
                let a = strided(A, rows: M, columns: K, ld: lda)
                var q = [Int16](repeating: 7777, count: M * ldq), scales = [Float](repeating: sentinel, count: M)
                Kernels.quantizeInt16(M, K, a, lda: lda, &q, ldq: ldq, scales: &scales)
                let values = unstrided(q, rows: M, columns: K, ld: ldq)
                #expect(values == expected, "quantizeInt16 level \(level) K \(K)")
                for r in 0..<M {
                    #expect(scales[r].bitPattern == expectedScales[r].bitPattern || (scales[r].isNaN && expectedScales[r].isNaN),
                            "quantizeInt16 level \(level) K \(K) row \(r): scale \(scales[r]) vs \(expectedScales[r])")
                    #expect(q[r * ldq + K] == 7777, "quantizeInt16 wrote past row \(r)")
                }
                #expect(scales[6].isNaN && scales[7].isNaN && scales[3] == 0 && scales[1] > 0 && scales[2] > 0)
                // Each finite row is its scale times its values, to half a step (and the rounding of
                // L/m and m/L in float: L·2⁻²³ of a step at most).
                for r in [0, 1, 4, 5] {
                    for k in 0..<K {
                        let back = Double(values[r * K + k]) * Double(scales[r])
                        #expect(abs(back - Double(A[r * K + k])) <= 0.505 * Double(scales[r]), "row \(r) k \(k)")
                    }
                }
                #expect(values[0 ..< K].map { abs(Int($0)) }.max() == ReferenceKernels.int16Limit(K))
            }
        }
    }

    /// gemmNTInt8 against its twin, bit for bit (integer sums): odd sizes, padded strides, sums at
    /// the int32 bound, a NaN scale.
    static func gemmNTInt8() {
        #expect(Kernels.int16Limit(1) == 32767 && Kernels.int16Limit(516) == 32767 && Kernels.int16Limit(517) == 32706)
        for K in [1, 100, 517, 1024, 70_000] { #expect(Kernels.int16Limit(K) == ReferenceKernels.int16Limit(K)) }
        forEachLevel { level in
            var rng = SeededGenerator(seed: 158)
            for M in [1, 2, 5, 17] {
                for N in kernelTestSizes {
                    for K in [1, 7, 33, 64, 100, 1030] {
                        let L = ReferenceKernels.int16Limit(K)
                        var A = (0..<M * K).map { _ in Int16(Int(rng.next() % UInt64(2 * L + 1)) - L) }
                        var B = (0..<N * K).map { _ in Int8(Int(rng.next() % 255) - 127) }
                        if M >= 2 && N >= 2 {
                            // The largest sums the bound allows, both signs.
                            for k in 0..<K { (A[k], B[k], A[K + k], B[K + k]) = (Int16(L), 127, Int16(-L), 127) }
                        }
                        var sa = randomFloats(M, &rng).map { abs($0) * 1e-4 }, sb = randomFloats(N, &rng).map { abs($0) * 1e-2 }
                        if M >= 5 { sa[4] = .nan }
                        if M >= 2 { sa[1] = 0 }
                        let C0 = randomFloats(M * N, &rng)
                        let lda = K + M % 3, ldb = K + N % 4, ldc = N + 2
                        for accumulate in [false, true] {
                            var expected = accumulate ? C0 : [Float](repeating: 0, count: M * N)
                            ReferenceKernels.gemmNTInt8(M, N, K, A, sa, B, sb, &expected, accumulate: accumulate)
                            let start = accumulate ? C0 : [Float](repeating: .nan, count: M * N)
                            var c = strided(start, rows: M, columns: N, ld: ldc)
                            let a = strided(A, rows: M, columns: K, ld: lda, fill: Int16.max)
                            let b = strided(B, rows: N, columns: K, ld: ldb, fill: Int8.max)
                            Kernels.gemmNTInt8(M, N, K, a, lda: lda, scales: sa, b, ldb: ldb, scales: sb, &c, ldc: ldc,
                                               accumulate: accumulate)
                            let actual = unstrided(c, rows: M, columns: N, ld: ldc)
                            let same = zip(actual, expected).allSatisfy { $0.bitPattern == $1.bitPattern || ($0.isNaN && $1.isNaN) }
                            #expect(same, "gemmNTInt8 level \(level) M \(M) N \(N) K \(K) accumulate \(accumulate)")
                            for r in 0..<M { #expect(c[r * ldc + N] == sentinel, "gemmNTInt8 wrote past row \(r)") }
                        }
                        if M >= 5 && N >= 2 {
                            // The bound's sums are exact: K·127·L, which a float sum would round.
                            var one = [Float](repeating: 0, count: 1)
                            Kernels.gemmNTInt8(1, 1, K, A, lda: K, scales: [1], B, ldb: K, scales: [1], &one, ldc: 1)
                            #expect(one[0] == Float(K * 127 * L), "level \(level) K \(K)")
                        }
                    }
                }
            }
        }
    }

    /// toBFloat16 against its twin: random floats of every magnitude, ties, the largest floats,
    /// subnormals, ±0, ±∞ and NaN.
    static func toBFloat16() {
        var rng = SeededGenerator(seed: 156)
        var x: [Float] = (0..<4000).map { _ in Float(bitPattern: UInt32(truncatingIfNeeded: rng.next())) }.filter { !$0.isNaN }
        x += [0, -0, 1, -1, .infinity, -.infinity, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
              .leastNonzeroMagnitude, .leastNormalMagnitude, Float(bitPattern: 0x3f80_8000), Float(bitPattern: 0x3f81_8000),
              Float(bitPattern: 0x7f7f_8000), Float(bitPattern: 0x7f7f_7fff)]
        var y = [UInt16](repeating: 0, count: x.count)
        Kernels.toBFloat16(x.count, x, &y)
        for (v, h) in zip(x, y) {
            #expect(h == ReferenceKernels.bfloat16(v), "toBFloat16(\(v)) = \(h) vs \(ReferenceKernels.bfloat16(v))")
            #expect(ReferenceKernels.widen(h).isFinite == v.isFinite, "toBFloat16(\(v)) = \(h)")
        }
        for nan in [Float.nan, Float(bitPattern: 0x7f80_0001), Float(bitPattern: 0xff80_0100)] {
            var h: UInt16 = 0
            Kernels.toBFloat16(1, [nan], &h)
            #expect(ReferenceKernels.widen(h).isNaN, "toBFloat16(\(nan.bitPattern)) = \(h)")
        }
    }

    /// sumOfSquares, allFinite and scale against plain loops.
    static func reductions() {
        forEachLevel { level in
            var rng = SeededGenerator(seed: 170)
            for n in kernelTestSizes + [0, 16, 256, 257, 1000] {
                let x = randomFloats(n, &rng, scale: 3)
                let exact = x.reduce(0.0) { $0 + Double($1) * Double($1) }
                let got = Kernels.sumOfSquares(n, x)
                #expect(abs(got - exact) <= 1e-6 * max(exact, 1), "sumOfSquares level \(level) n \(n): \(got) vs \(exact)")
                #expect(Kernels.allFinite(n, x), "allFinite level \(level) n \(n) on finite data")
                for bad in [Float.nan, .infinity, -.infinity] where n > 0 {
                    for position in Set([0, n / 2, n - 1]) {
                        var y = x
                        y[position] = bad
                        #expect(!Kernels.allFinite(n, y), "allFinite level \(level) n \(n): \(bad) at \(position) missed")
                    }
                }
                var scaled = x
                Kernels.scale(n, 0.37, &scaled)
                #expect(scaled == x.map { $0 * 0.37 }, "scale level \(level) n \(n)")
            }
        }
    }

    /// gemvTransposedAccumulate: y += Aᵀ·x, odd sizes, lda > N
    static func gemvTransposed() {
        forEachLevel { level in
            var rng = SeededGenerator(seed: 200)
            for M in kernelTestSizes {
                for N in kernelTestSizes {
                    let lda = N + (2 * M + N) % 7
                    let A = randomFloats(M * N, &rng), x = randomFloats(M, &rng), y0 = randomFloats(N, &rng)
                    let storage = strided(A, rows: M, columns: N, ld: lda)
                    var expected = doubles(y0)
                    ReferenceKernels.gemvTransposedAccumulate(M, N, doubles(A), doubles(x), &expected)
                    var scale = doubles(y0).map(abs)
                    ReferenceKernels.gemvTransposedAccumulate(M, N, doubles(A).map(abs), doubles(x).map(abs), &scale)
                    let what = "gemvTransposedAccumulate level \(level) M \(M) N \(N) lda \(lda)"
                    let y = withGuarded(y0, what) { yp in
                        Kernels.gemvTransposedAccumulate(M, N, storage, lda: lda, x, yp)
                    }.values
                    expectKernelClose(y, expected, scale: scale, what)
                }
            }
        }
    }

    /// gemmTNAccumulate: W += Gᵀ·X, odd sizes, padded strides
    static func gemmTN() {
        forEachLevel { level in
            var rng = SeededGenerator(seed: 300)
            for T in [1, 2, 5, 17] {
                for M in kernelTestSizes {
                    for N in kernelTestSizes where (M + N + T) % 2 == 0 || M == N {
                        let ldg = M + T % 3, ldx = N + (M + T) % 4, ldw = N + (N + T) % 5
                        let G = randomFloats(T * M, &rng), X = randomFloats(T * N, &rng), W0 = randomFloats(M * N, &rng)
                        var expected = doubles(W0)
                        ReferenceKernels.gemmTNAccumulate(T, M, N, doubles(G), doubles(X), &expected)
                        var scale = doubles(W0).map(abs)
                        ReferenceKernels.gemmTNAccumulate(T, M, N, doubles(G).map(abs), doubles(X).map(abs), &scale)
                        let what = "gemmTNAccumulate level \(level) T \(T) M \(M) N \(N) ldg \(ldg) ldx \(ldx) ldw \(ldw)"
                        let wStorage = withGuarded(strided(W0, rows: M, columns: N, ld: ldw), what) { wp in
                            Kernels.gemmTNAccumulate(T, M, N, strided(G, rows: T, columns: M, ld: ldg), ldg: ldg,
                                                     strided(X, rows: T, columns: N, ld: ldx), ldx: ldx, wp, ldw: ldw)
                        }.values
                        // Padding between rows of W must be untouched too.
                        for r in 0..<M {
                            #expect(wStorage[(r * ldw + N)..<(r * ldw + ldw)].allSatisfy { $0 == sentinel },
                                    "\(what): wrote into the row padding of W")
                        }
                        expectKernelClose(unstrided(wStorage, rows: M, columns: N, ld: ldw), expected, scale: scale, what)
                    }
                }
            }
        }
    }

    /// sgdOuter: W −= lr·clamp(Gᵀ·X, −c, c) against the reference, and bit for bit what
    /// gemmTNAccumulate into a zero gradient then sgdClipZero leave (what the fused step relies on)
    static func sgdOuter() {
        forEachLevel { level in
            var rng = SeededGenerator(seed: 470)
            for T in [1, 2, 5, 17] {
                for M in kernelTestSizes {
                    for N in kernelTestSizes where (M + N + T) % 2 == 0 || M == N {
                        for clip in [Float(0.05), .infinity] {
                            let ldg = M + T % 3, ldx = N + (M + T) % 4, ldw = N + (N + T) % 5, lr: Float = 0.02
                            let G = randomFloats(T * M, &rng), X = randomFloats(T * N, &rng), W0 = randomFloats(M * N, &rng)
                            var expected = doubles(W0)
                            ReferenceKernels.sgdOuter(T, M, N, doubles(G), doubles(X), &expected, learningRate: Double(lr),
                                                      clip: Double(clip))
                            var magnitude = [Double](repeating: 0, count: M * N)
                            ReferenceKernels.gemmTNAccumulate(T, M, N, doubles(G).map(abs), doubles(X).map(abs), &magnitude)
                            let scale = zip(W0, magnitude).map { Double(abs($0)) + Double(lr) * min($1, Double(clip)) }
                            let what = "sgdOuter level \(level) T \(T) M \(M) N \(N) clip \(clip)"
                            let g = strided(G, rows: T, columns: M, ld: ldg), x = strided(X, rows: T, columns: N, ld: ldx)
                            let wStorage = withGuarded(strided(W0, rows: M, columns: N, ld: ldw), what) { wp in
                                Kernels.sgdOuter(T, M, N, g, ldg: ldg, x, ldx: ldx, wp, ldw: ldw, learningRate: lr, clip: clip)
                            }.values
                            for r in 0..<M {
                                #expect(wStorage[(r * ldw + N)..<(r * ldw + ldw)].allSatisfy { $0 == sentinel },
                                        "\(what): wrote into the row padding of W")
                            }
                            let w = unstrided(wStorage, rows: M, columns: N, ld: ldw)
                            expectKernelClose(w, expected, scale: scale, tolerance: 1e-6, what)
                            var gradient = [Float](repeating: 0, count: M * N), twoKernels = W0
                            Kernels.gemmTNAccumulate(T, M, N, g, ldg: ldg, x, ldx: ldx, &gradient, ldw: N)
                            Kernels.sgdClipZero(M * N, learningRate: lr, clip: clip, gradient: &gradient, weight: &twoKernels)
                            #expect(w.map(\.bitPattern) == twoKernels.map(\.bitPattern),
                                    "\(what): not bit for bit gemmTNAccumulate then sgdClipZero")
                        }
                    }
                }
            }
        }
    }

    /// maxAbs: max |x| (0 for none), NaN when an element is NaN or ±∞ wherever it is
    static func maxAbs() {
        forEachLevel { level in
            var rng = SeededGenerator(seed: 480)
            for n in kernelTestSizes + [0, 2, 16, 32, 129] {
                let x = randomFloats(n, &rng, scale: 3)
                let what = "maxAbs level \(level) n \(n)"
                #expect(Kernels.maxAbs(n, x) == ReferenceKernels.maxAbs(x), "\(what)")
                for bad in [Float.nan, .infinity, -.infinity] where n > 0 {
                    for at in Set([0, n / 2, n - 1]) {
                        var y = x
                        y[at] = bad
                        #expect(Kernels.maxAbs(n, y).isNaN, "\(what): \(bad) at \(at) not reported")
                    }
                }
            }
            #expect(Kernels.maxAbs(3, [-0.0, 0, -0.0]) == 0)
            #expect(Kernels.maxAbs(20, [Float](repeating: -2.5, count: 19) + [1]) == 2.5)
            #expect(Kernels.maxAbs(1, [-.greatestFiniteMagnitude]) == .greatestFiniteMagnitude)
        }
    }

    /// gemmPackedAccumulate: C += A·B with B packed (as stored and from its transpose), odd sizes,
    /// padded strides; each row bit-identical however the rows are grouped
    static func gemmPacked() {
        forEachLevel { level in
            var rng = SeededGenerator(seed: 400)
            for M in [1, 2, 5, 11, 12, 13, 25, 50] {
                for N in [1, 7, 31, 32, 33, 64, 100, 512] {
                    for K in [1, 3, 17, 64, 128] where (M + N + K) % 3 != 1 || N == 512 {
                        let lda = K + M % 3, ldc = N + (N + K) % 4, transposed = (M + K) % 2 == 0
                        let A = randomFloats(M * K, &rng), B = randomFloats(K * N, &rng), C0 = randomFloats(M * N, &rng)
                        var expected = doubles(C0)
                        ReferenceKernels.gemmNNAccumulate(M, N, K, doubles(A), doubles(B), &expected)
                        var scale = doubles(C0).map(abs)
                        ReferenceKernels.gemmNNAccumulate(M, N, K, doubles(A).map(abs), doubles(B).map(abs), &scale)
                        // B given as stored (K, N), or as its transpose (N, K) with a padded stride.
                        let ldSource = transposed ? K + 2 : N + 1
                        var source = [Float](repeating: .nan, count: (transposed ? N : K) * ldSource)
                        for k in 0..<K { for j in 0..<N { source[transposed ? j * ldSource + k : k * ldSource + j] = B[k * N + j] } }
                        let packed = withGuarded([Float](repeating: 0, count: Kernels.packedSize(K, N)), "pack") { out in
                            Kernels.pack(K, N, source, ld: ldSource, transposed: transposed, into: out)
                        }.values
                        let what = "gemmPackedAccumulate level \(level) M \(M) N \(N) K \(K) lda \(lda) ldc \(ldc) transposed \(transposed)"
                        let aStorage = strided(A, rows: M, columns: K, ld: lda)
                        let cStorage = withGuarded(strided(C0, rows: M, columns: N, ld: ldc), what) { cp in
                            Kernels.gemmPackedAccumulate(M, N, K, aStorage, lda: lda, packed, cp, ldc: ldc)
                        }.values
                        for r in 0..<M {
                            #expect(cStorage[(r * ldc + N)..<(r * ldc + ldc)].allSatisfy { $0 == sentinel },
                                    "\(what): wrote into the row padding of C")
                        }
                        let C = unstrided(cStorage, rows: M, columns: N, ld: ldc)
                        expectKernelClose(C, expected, scale: scale, what)
                        // One row at a time gives the same bits as all rows at once.
                        var single = C0
                        aStorage.withUnsafeBufferPointer { a in
                            single.withUnsafeMutableBufferPointer { c in
                                for r in 0..<M {
                                    Kernels.gemmPackedAccumulate(1, N, K, a.baseAddress! + r * lda, lda: lda, packed,
                                                                 c.baseAddress! + r * N, ldc: N)
                                }
                            }
                        }
                        #expect(single == C, "\(what): rows computed one at a time differ from the block")
                    }
                }
            }
        }
    }

    /// axpy, tanhBackward and clamp match their references
    static func elementwise() {
        forEachLevel { level in
            var rng = SeededGenerator(seed: 400)
            for n in kernelTestSizes + [0, 2, 15, 16, 31, 32, 129] {
                let x = randomFloats(n, &rng), y0 = randomFloats(n, &rng)
                let a = Float(rng.nextNormal())

                var expected = doubles(y0)
                ReferenceKernels.axpy(Double(a), doubles(x), &expected)
                let scale = zip(x, y0).map { Double(abs(a * $0)) + Double(abs($1)) }
                let y = withGuarded(y0, "axpy n \(n)") { Kernels.axpy(n, a, x, $0) }.values
                expectKernelClose(y, expected, scale: scale, tolerance: 1e-6, "axpy level \(level) n \(n)")

                // tanhBackward, into a separate output and in place (g aliasing dh).
                let h = x.map { Float(Foundation.tanh(Double($0))) }, dh = y0
                let expectedG = ReferenceKernels.tanhBackward(doubles(h), doubles(dh))
                let gScale = zip(h, dh).map { (1 + Double($0 * $0)) * Double(abs($1)) }
                let g = withGuarded([Float](repeating: .nan, count: n), "tanhBackward n \(n)") { Kernels.tanhBackward(n, h, dh, $0) }.values
                expectKernelClose(g, expectedG, scale: gScale, tolerance: 1e-6, "tanhBackward level \(level) n \(n)")
                let inPlace = withGuarded(dh, "tanhBackward in place n \(n)") { Kernels.tanhBackward(n, h, $0, $0) }.values
                expectKernelClose(inPlace, expectedG, scale: gScale, tolerance: 1e-6, "tanhBackward in place level \(level) n \(n)")

                // clamp is exact: values below, inside, at and above the bounds.
                var values = x.map { $0 * 2 }
                if n >= 3 { values[0] = -1; values[1] = 1; values[2] = -.infinity }
                if n >= 4 { values[3] = .infinity }
                var expectedClamp = values
                ReferenceKernels.clamp(-1, 1, &expectedClamp)
                let clamped = withGuarded(values, "clamp n \(n)") { Kernels.clamp(n, -1, 1, $0) }.values
                #expect(clamped == expectedClamp, "clamp level \(level) n \(n)")
                #expect(clamped.allSatisfy { (-1...1).contains($0) })
            }
        }
    }

    /// tanh against Double-precision tanh on a dense grid over [−10, 10] (step 1e-3, which crosses
    /// the switch between its two formulas at ±0.55 and the saturation at ±9), plus tiny, subnormal
    /// and huge values, at every tail length; exactly odd, and in place. (The ulp sweep over every
    /// binade is in ActivationAccuracyTests.)
    /// tanh matches Double tanh over [−10, 10], tiny and huge values
    static func tanh() {
        var xs: [Float] = (-10_000...10_000).map { Float($0) * 1e-3 }
        let tiny: [Float] = [0, 1e-38, .leastNonzeroMagnitude, .leastNormalMagnitude, 1e-30, 1e-10, 1e-8, 1e-6,
                             1e-4, 3.99e-4, 4e-4, 4.01e-4, 5e-4, 1e-3, 0.01, 0.1]
        let huge: [Float] = [7.9, 7.905311, 7.9054, 8, 9, 10, 15, 20, 50, 100, 1e4, 1e10, 1e30,
                             .greatestFiniteMagnitude, .infinity]
        xs += tiny + tiny.map { -$0 } + huge + huge.map { -$0 }
        // Random values, including every remainder position in the vector tail.
        var rng = SeededGenerator(seed: 500)
        xs += randomFloats(1001, &rng, scale: 3)
        forEachLevel { level in
            for n in [xs.count, 1, 3, 7, 17] {  // different tails
                let input = Array(xs.prefix(n))
                let y = withGuarded([Float](repeating: .nan, count: n), "tanh n \(n)") { Kernels.tanh(n, input, $0) }.values
                var worstAbs = (error: 0.0, x: Float(0)), worstUlps = (ulps: 0.0, x: Float(0))
                for (x, t) in zip(input, y) {
                    let exact = Foundation.tanh(Double(x))
                    let e = abs(Double(t) - exact)
                    if !(e <= worstAbs.error) { worstAbs = (e.isNaN ? .infinity : e, x) }
                    if abs(x) < 1 {
                        let ulps = e / Double(Float(exact).ulp == 0 ? Float.leastNonzeroMagnitude : Float(exact).ulp)
                        if !(ulps <= worstUlps.ulps) { worstUlps = (ulps.isNaN ? .infinity : ulps, x) }
                    }
                    #expect(t.sign == x.sign, "tanh(\(x)) = \(t) has the wrong sign")
                    #expect(abs(t) <= 1, "tanh(\(x)) = \(t)")
                }
                #expect(worstAbs.error < 2e-7, "tanh level \(level): largest error \(worstAbs.error) at x = \(worstAbs.x)")
                #expect(worstUlps.ulps <= ActivationBounds.tanh, "tanh level \(level): \(worstUlps.ulps) ulps at x = \(worstUlps.x)")
            }
            // Odd symmetry holds exactly, and ±∞ give ±1.
            let positive = xs.filter { $0 > 0 }
            let yp = withGuarded([Float](repeating: 0, count: positive.count), "tanh +") { Kernels.tanh(positive.count, positive, $0) }.values
            let yn = withGuarded([Float](repeating: 0, count: positive.count), "tanh −") { Kernels.tanh(positive.count, positive.map { -$0 }, $0) }.values
            #expect(yp == yn.map { -$0 }, "tanh level \(level) is not exactly odd")
            // In place (y aliasing x), as the RNN forward uses it.
            var inPlace: [Float] = [-.infinity, -3, -0.0, 0.5, .infinity, 2, 1e-5]
            inPlace.withUnsafeMutableBufferPointer { Kernels.tanh($0.count, $0.baseAddress!, $0.baseAddress!) }
            #expect(inPlace[0] == -1 && inPlace[4] == 1, "tanh(±∞) = \(inPlace[0]), \(inPlace[4])")
            #expect(inPlace[2] == 0 && inPlace[2].sign == .minus, "tanh(−0) = \(inPlace[2])")
            #expect(inPlace[6] == 1e-5, "tanh(1e-5) = \(inPlace[6])")
            #expect(abs(Double(inPlace[1]) - Foundation.tanh(-3.0)) < 2e-6)
            #expect(abs(Double(inPlace[3]) - Foundation.tanh(0.5)) < 2e-6)
        }
    }

    /// sgdClipZero: w −= lr·clamp(g, −c, c), g = 0, with and without clipping
    static func sgdClipZero() {
        forEachLevel { level in
            var rng = SeededGenerator(seed: 450)
            for n in kernelTestSizes + [0, 16, 129] {
                for clip in [Float(1), 0.25, .infinity] {
                    let g0 = randomFloats(n, &rng, scale: 2), w0 = randomFloats(n, &rng)
                    let lr: Float = 0.02
                    var expectedG = doubles(g0), expectedW = doubles(w0)
                    ReferenceKernels.sgdClipZero(learningRate: Double(lr), clip: Double(clip), gradient: &expectedG, weight: &expectedW)
                    let what = "sgdClipZero level \(level) n \(n) clip \(clip)"
                    var g = g0
                    let w = withGuarded(w0, what) { wp in
                        withGuarded(g0, what + " (gradient)") { gp in
                            Kernels.sgdClipZero(n, learningRate: lr, clip: clip, gradient: gp, weight: wp)
                        }.values
                    }
                    g = w.result
                    #expect(g.allSatisfy { $0 == 0 }, "\(what): gradient not reset to zero")
                    #expect(expectedG.allSatisfy { $0 == 0 })
                    let scale = zip(w0, g0).map { Double(abs($0)) + Double(lr) * Double(min(abs($1), clip)) }
                    expectKernelClose(w.values, expectedW, scale: scale, tolerance: 1e-6, what)
                }
            }
            // Blocks of +0 gradient (W_ih's rows for absent words) leave w as it was, bit for bit,
            // −0 included; a −0 or any other gradient in a block still steps it.
            var g0 = randomFloats(100, &rng, scale: 2), w0 = randomFloats(100, &rng)
            for i in 0..<48 { g0[i] = 0 }
            g0[40] = -0.0
            w0[3] = -0.0
            w0[20] = 0
            var expectedG = doubles(g0), expectedW = doubles(w0)
            ReferenceKernels.sgdClipZero(learningRate: 0.02, clip: 1, gradient: &expectedG, weight: &expectedW)
            let what = "sgdClipZero level \(level) zero blocks"
            let w = withGuarded(w0, what) { wp in
                withGuarded(g0, what + " (gradient)") { gp in
                    Kernels.sgdClipZero(100, learningRate: 0.02, clip: 1, gradient: gp, weight: wp)
                }.values
            }
            #expect(w.result.allSatisfy { $0 == 0 }, "\(what): gradient not reset to zero")
            for i in 0..<48 where i != 40 {
                #expect(w.values[i].bitPattern == w0[i].bitPattern, "\(what): weight \(i) changed by a zero gradient")
            }
            let scale = zip(w0, g0).map { Double(abs($0)) + 0.02 * Double(min(abs($1), 1)) }
            expectKernelClose(w.values, expectedW, scale: scale, tolerance: 1e-6, what)
        }
    }

    /// A NaN (a diverged weight, a 0·∞ in a gradient) must stay visible, as it does in the naive
    /// twins (libm's tanh, Swift's min/max), in PyTorch and in numpy: a kernel that turns it into a
    /// finite number lets training carry on silently on garbage. Every position is tried, so both the
    /// vector body and the scalar tail are covered.
    /// softmax: probabilities and log-sum-exp against Double, any length, −∞ entries, NaN
    static func softmax() {
        forEachLevel { level in
            var rng = SeededGenerator(seed: 500)
            for n in [1, 2, 3, 15, 16, 17, 33, 66, 100] {
                for spread in [0.1, 5.0, 40.0] {
                    var y = randomFloats(n, &rng, scale: spread)
                    if n > 2 { y[n / 2] = -.infinity }
                    let (expected, logSumExp) = ReferenceKernels.softmax(doubles(y))
                    var p = [Float](repeating: .nan, count: n)
                    let result = Kernels.softmax(n, y, &p)
                    let what = "softmax level \(level) n \(n) spread \(spread)"
                    expectKernelClose(p, expected, scale: [Double](repeating: 1, count: n), tolerance: 1e-6, what)
                    #expect(abs(Double(result) - logSumExp) <= 2e-6 * max(1, abs(logSumExp)), "\(what): log-sum-exp \(result) vs \(logSumExp)")
                    if n > 2 { #expect(p[n / 2] == 0, "\(what): exp(−∞) is 0") }
                }
            }
            // A huge gap underflows cleanly to 0 and 1.
            var p = [Float](repeating: .nan, count: 2)
            #expect(Kernels.softmax(2, [0, -200], &p) == 0 && p == [1, 0], "level \(level): underflow")
            // NaN anywhere, or no finite maximum, gives NaN everywhere.
            for bad: [Float] in [[1, .nan, 2], [.nan, .nan], [.infinity, 1], [-.infinity, -.infinity]] {
                var q = [Float](repeating: 0, count: bad.count)
                #expect(Kernels.softmax(bad.count, bad, &q).isNaN, "level \(level): \(bad)")
                #expect(q.contains { $0.isNaN }, "level \(level): \(bad) gives \(q)")
            }
        }
    }

    /// NaN propagates through tanh and clamp as in the references
    static func nanPropagation() {
        let n = 37
        forEachLevel { level in
            var tanhLeaks: [Int] = [], clampLeaks: [Int] = []
            for position in 0..<n {
                var x = (0..<n).map { Float($0 % 7) * 0.5 - 1.5 }
                x[position] = .nan
                #expect(ReferenceKernels.tanh([x[position]])[0].isNaN)
                var referenceClamped = x
                ReferenceKernels.clamp(-1, 1, &referenceClamped)
                #expect(referenceClamped[position].isNaN)

                var y = [Float](repeating: 0, count: n)
                Kernels.tanh(n, x, &y)
                if !y[position].isNaN { tanhLeaks.append(position) }
                var clamped = x
                Kernels.clamp(n, -1, 1, &clamped)
                if !clamped[position].isNaN { clampLeaks.append(position) }
            }
            #expect(tanhLeaks.isEmpty, "level \(level): tanh(NaN) is not NaN at positions \(tanhLeaks) of \(n)")
            #expect(clampLeaks.isEmpty, "level \(level): clamp(NaN) is not NaN at positions \(clampLeaks) of \(n)")
        }
    }

    /// The optimized RNN gives the same results at every level
    static func modelAcrossLevels() {
        let (model, r) = twins(randomReference(V: 18, H: 64, O: 2, sigma: 0.2, seed: 77))
        let tokens = [3, 17, 0, 5, 5, 9, 12, 1, 4]
        let expected = r.forward(tokens: tokens).logits
        let expectedGradients = r.gradients(tokens: tokens, target: 1)
        forEachLevel { level in
            expectClose(model.logits(tokens), expected, tolerance: 1e-5, "logits at level \(level)")
            model.parameters.zeroGradients()
            _ = model.accumulateGradients(tokens, target: 1)
            let g = ReferenceRNNClassifier<Double>.Gradients(gradientsOf: model)
            for p in ReferenceParameter.allCases {
                expectClose(g[p], expectedGradients[p], tolerance: 1e-4, "d\(p.rawValue) at level \(level)")
            }
        }
    }
}

@Suite("Kernels at every instruction-set level", .serialized)
struct KernelTests {
    @Test("This process runs at the best level the CPU has (the checks switch levels only in children)")
    func bestLevelByDefault() {
        let names = ["portable", "avx2", "avx512"]
        #expect(Kernels.instructionSet == names[Kernels.availableLevels.last!])
    }

    @Test("Levels: portable is always available; switching reports the level in use")
    func levels() async {
        await #expect(processExitsWith: .success) { KernelChecks.levels() }
    }

    @Test("gemv: y = A·x and y += A·x, odd sizes, lda > N")
    func gemv() async {
        await #expect(processExitsWith: .success) { KernelChecks.gemv() }
    }

    @Test("gemmNT: C = A·Bᵀ and C += A·Bᵀ, odd sizes, padded strides")
    func gemmNT() async {
        await #expect(processExitsWith: .success) { KernelChecks.gemmNT() }
    }

    @Test("gemmNTBFloat16: C = A·Bᵀ and C += A·Bᵀ with bfloat16 B, odd sizes, padded strides")
    func gemmNTBFloat16() async {
        await #expect(processExitsWith: .success) { KernelChecks.gemmNTBFloat16() }
    }

    @Test("quantizeInt16: each row to int16 with its own scale, bit for bit with the twin; zero, NaN, ±inf and tiny rows")
    func quantizeInt16() async {
        await #expect(processExitsWith: .success) { KernelChecks.quantizeInt16() }
    }

    @Test("gemmNTInt8: exact integer sums of int16 × int8, bit for bit with the twin at every level, up to the int32 bound")
    func gemmNTInt8() async {
        await #expect(processExitsWith: .success) { KernelChecks.gemmNTInt8() }
    }

    @Test("toBFloat16 rounds to nearest, ties to even; finite stays finite, NaN stays NaN")
    func toBFloat16() { KernelChecks.toBFloat16() }

    @Test("gemmPackedAccumulate: C += A·B from packed B, odd sizes, padded strides; rows independent of grouping")
    func gemmPacked() async {
        await #expect(processExitsWith: .success) { KernelChecks.gemmPacked() }
    }

    @Test("softmax: probabilities and log-sum-exp against Double, any length, −∞ entries, NaN")
    func softmax() async {
        await #expect(processExitsWith: .success) { KernelChecks.softmax() }
    }

    @Test("sumOfSquares, allFinite and scale match plain loops")
    func reductions() async {
        await #expect(processExitsWith: .success) { KernelChecks.reductions() }
    }

    @Test("gemvTransposedAccumulate: y += Aᵀ·x, odd sizes, lda > N")
    func gemvTransposed() async {
        await #expect(processExitsWith: .success) { KernelChecks.gemvTransposed() }
    }

    @Test("gemmTNAccumulate: W += Gᵀ·X, odd sizes, padded strides")
    func gemmTN() async {
        await #expect(processExitsWith: .success) { KernelChecks.gemmTN() }
    }

    @Test("sgdOuter: W −= lr·clamp(Gᵀ·X), bit for bit gemmTNAccumulate then sgdClipZero")
    func sgdOuter() async {
        await #expect(processExitsWith: .success) { KernelChecks.sgdOuter() }
    }

    @Test("maxAbs: max |x|, NaN for a NaN or infinite element anywhere")
    func maxAbs() async {
        await #expect(processExitsWith: .success) { KernelChecks.maxAbs() }
    }

    @Test("axpy, tanhBackward and clamp match their references")
    func elementwise() async {
        await #expect(processExitsWith: .success) { KernelChecks.elementwise() }
    }

    @Test("tanh matches Double tanh over [−10, 10], tiny and huge values")
    func tanh() async {
        await #expect(processExitsWith: .success) { KernelChecks.tanh() }
    }

    @Test("sgdClipZero: w −= lr·clamp(g, −c, c), g = 0, with and without clipping")
    func sgdClipZero() async {
        await #expect(processExitsWith: .success) { KernelChecks.sgdClipZero() }
    }

    @Test("NaN propagates through tanh and clamp as in the references")
    func nanPropagation() async {
        await #expect(processExitsWith: .success) { KernelChecks.nanPropagation() }
    }

    @Test("The optimized RNN gives the same results at every level")
    func modelAcrossLevels() async {
        await #expect(processExitsWith: .success) { KernelChecks.modelAcrossLevels() }
    }
}

@Suite("BLAS sgemm")
struct BLASTests {
    /// C = α·op(A)·op(B) + β·C for every transpose combination, odd sizes and padded strides, for the
    /// platform BLAS (`shared`: OpenBLAS, Accelerate, or the built-in kernels when none is found) and
    /// the built-in kernels.
    @Test("sgemm matches the reference for all transposes", arguments: ["shared", "builtIn"])
    func sgemm(which: String) {
        let blas = which == "shared" ? BLAS.shared : BLAS.builtIn
        if which == "builtIn" { #expect(blas.backend == .builtIn) }
        var rng = SeededGenerator(seed: 600)
        let shapes = [(1, 1, 1), (3, 7, 17), (17, 3, 7), (33, 65, 7), (64, 1, 100), (7, 100, 33), (65, 17, 64), (1, 33, 3)]
        for (M, N, K) in shapes {
            for transA in [BLAS.Transpose.none, .transpose] {
                for transB in [BLAS.Transpose.none, .transpose] {
                    for (alpha, beta) in [(Float(1), Float(0)), (0.5, 1), (-2, 0.25)] {
                        // op(A) is (M, K): stored (M, K) or, transposed, (K, M); likewise B.
                        let (aRows, aCols) = transA == .none ? (M, K) : (K, M)
                        let (bRows, bCols) = transB == .none ? (K, N) : (N, K)
                        let lda = aCols + 3, ldb = bCols + 1, ldc = N + 2
                        let A = strided(randomFloats(aRows * aCols, &rng), rows: aRows, columns: aCols, ld: lda)
                        let B = strided(randomFloats(bRows * bCols, &rng), rows: bRows, columns: bCols, ld: ldb)
                        // With β = 0 the old C must not matter (BLAS semantics): start from NaN there.
                        let c0 = randomFloats(M * N, &rng)
                        let C0 = strided(beta == 0 ? [Float](repeating: .nan, count: M * N) : c0, rows: M, columns: N, ld: ldc)
                        // Reference in Double, on the same strided storage (padding never read).
                        let dA = doubles(A), dB = doubles(B)
                        var expected = strided(beta == 0 ? [Double](repeating: 0, count: M * N) : doubles(c0),
                                               rows: M, columns: N, ld: ldc, fill: 0)
                        ReferenceKernels.gemm(transA: transA == .transpose, transB: transB == .transpose, M, N, K,
                                              alpha: Double(alpha), dA, lda: lda, dB, ldb: ldb, beta: Double(beta), &expected, ldc: ldc)
                        var scale = strided(doubles(c0).map { abs($0 * Double(beta)) }, rows: M, columns: N, ld: ldc, fill: 0)
                        ReferenceKernels.gemm(transA: transA == .transpose, transB: transB == .transpose, M, N, K,
                                              alpha: abs(Double(alpha)), dA.map(abs), lda: lda, dB.map(abs), ldb: ldb, beta: 1, &scale, ldc: ldc)
                        let what = "\(which) sgemm \(transA) \(transB) M \(M) N \(N) K \(K) α \(alpha) β \(beta)"
                        let C = withGuarded(C0, what) { cp in
                            blas.sgemm(transA, transB, M, N, K, alpha: alpha, A, lda: lda, B, ldb: ldb, beta: beta, cp, ldc: ldc)
                        }.values
                        for r in 0..<M {
                            #expect(C[(r * ldc + N)..<(r * ldc + ldc)].allSatisfy { $0 == sentinel }, "\(what): wrote into C's row padding")
                        }
                        expectKernelClose(unstrided(C, rows: M, columns: N, ld: ldc), unstrided(expected, rows: M, columns: N, ld: ldc),
                                          scale: unstrided(scale, rows: M, columns: N, ld: ldc), what)
                    }
                }
            }
        }
    }
}
