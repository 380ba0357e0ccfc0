import Foundation
import Synchronization
import Testing
@testable import RNNKit

// Checks that change the thread count, or need the pool to themselves, run in child processes
// (exit tests): the thread count is process-wide, and other suites decode while these run.

enum ForkJoinChecks {
    /// A small translation model whose decoder products are large enough to be split (W_hh is
    /// 768 × 256; fc_out 600 rows), untrained: its words are arbitrary, its numbers exact.
    static func model() -> Seq2SeqNetwork {
        let c = Seq2SeqConfiguration(cell: .gru, attention: .additive, sourceVocabularySize: 40, targetVocabularySize: 600,
                                     embeddingSize: 64, encoderHiddenSize: 96, encoderLayers: 1, bidirectional: true,
                                     decoderHiddenSize: 256, attentionSize: 64, dropout: 0)
        let net = Seq2SeqNetwork(c)
        var rng = SeededGenerator(seed: 21)
        net.initializePyTorch(using: &rng)
        return net
    }

    static let sources = [[2, 5, 9, 14, 6, 3], [2, 7, 3], [2] + (0..<23).map { 4 + ($0 * 7) % 36 } + [3]]

    /// Every sentence decoded greedily, with beam 4, greedily over a shortlist, and with bfloat16
    /// and int8 weights (greedy, the int8 one over the shortlist too).
    static func decodings(_ net: Seq2SeqNetwork, threads: Int) -> [DecodedSequence] {
        Parallel.threads = threads
        let search = BeamSearch(net)
        let shortlist = [0, 1, 2, 3] + (0..<150).map { 4 + $0 * 3 }
        let bf16 = ReducedSeq2SeqWeights(net, precision: .bfloat16), int8 = ReducedSeq2SeqWeights(net, precision: .int8)
        return sources.flatMap { s in
            [search.decode(s, beam: 1, maxLength: 15), search.decode(s, beam: 4, maxLength: 15),
             search.decode(s, beam: 1, maxLength: 15, targets: shortlist),
             search.decode(s, beam: 1, maxLength: 15, reduced: bf16), search.decode(s, beam: 1, maxLength: 15, reduced: int8),
             search.decode(s, beam: 4, maxLength: 15, targets: shortlist, reduced: int8)]
        }
    }

    static func threadCountChangesNothing() {
        let net = model()
        let one = decodings(net, threads: 1)
        #expect(one.allSatisfy { !$0.tokens.isEmpty && $0.logProbability.isFinite })
        for threads in [2, 3] {
            let many = decodings(net, threads: threads)
            #expect(many == one, "\(threads) threads")
            for (a, b) in zip(many, one) {
                #expect(a.logProbability.bitPattern == b.logProbability.bitPattern)
                #expect(a.attention.map { $0.map(\.bitPattern) } == b.attention.map { $0.map(\.bitPattern) })
            }
        }
        // Splitting must happen for the comparison to mean anything: W_hh's product is over the line.
        #expect(768 * 256 >= ForkJoin.minimumWork && 96 * 288 < 768 * 256)
    }

    /// Products of each weight format run together in one job equal the same products run one by
    /// one and whole on one thread, bit for bit, at 1 to 3 threads; every output column is written.
    static func productsTogether() {
        var rng = SeededGenerator(seed: 31)
        let (K, N) = (96, 3000)  // 288,000 multiply-adds a row: over the line, so split
        let A = randomFloats(3 * K, &rng), W = randomFloats(N * K, &rng)
        let bf16 = ReducedMatrix(.bfloat16, rows: N, columns: K, W), int8 = ReducedMatrix(.int8, rows: N, columns: K, W)
        let rowsA = QuantizedRows(), rowsB = QuantizedRows()
        func outputs(threads: Int, together: Bool) -> [[Float]] {
            Parallel.threads = threads
            var c0 = [Float](repeating: .nan, count: 3 * N), c1 = c0, c2 = c0
            var c3 = [Float](repeating: 1, count: 3 * N)  // accumulated onto
            c0.withUnsafeMutableBufferPointer { c0 in
                c1.withUnsafeMutableBufferPointer { c1 in
                    c2.withUnsafeMutableBufferPointer { c2 in
                        c3.withUnsafeMutableBufferPointer { c3 in
                            // Operands hold pointers: A and W stay pinned while they are read.
                            A.withUnsafeBufferPointer { a in
                                W.withUnsafeBufferPointer { w in
                                    let (a, w) = (a.baseAddress!, w.baseAddress!)
                                    let products = [
                                        SentenceProduct(3, N, K, a, lda: K, .float(w), ldb: K, c0.baseAddress!, ldc: N, accumulate: false),
                                        bf16.operand(1, K, a, lda: K, column: 0, c1.baseAddress!, ldc: N, accumulate: false,
                                                     activations: rowsA),
                                        int8.operand(3, K, a, lda: K, column: 0, c2.baseAddress!, ldc: N, accumulate: false,
                                                     activations: rowsA),
                                        int8.operand(2, K - 5, a, lda: K, column: 5, c3.baseAddress!, ldc: N, accumulate: true,
                                                     activations: rowsB),
                                    ]
                                    if together {
                                        products.withUnsafeBufferPointer { SentenceProducts.together($0) }
                                    } else {
                                        Parallel.threads = 1
                                        for p in products { SentenceProducts.run(p) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            return [c0, c1, c2, c3]
        }
        let alone = outputs(threads: 1, together: false)
        #expect(alone[0].allSatisfy(\.isFinite) && alone[1][..<N].allSatisfy(\.isFinite) && alone[2].allSatisfy(\.isFinite)
                    && alone[3][..<(2 * N)].allSatisfy(\.isFinite))
        for threads in 1...3 {
            let joint = outputs(threads: threads, together: true)
            for (a, b) in zip(joint, alone) {
                #expect(a.map(\.bitPattern) == b.map(\.bitPattern), "\(threads) threads")
            }
        }
    }

    /// Whether each of two parts has started.
    final class Started: Sendable {
        private let first = Atomic<Bool>(false), second = Atomic<Bool>(false)
        func mark(_ p: Int) {
            if p == 0 { first.store(true, ordering: .releasing) } else { second.store(true, ordering: .releasing) }
        }
        func has(_ p: Int) -> Bool { p == 0 ? first.load(ordering: .acquiring) : second.load(ordering: .acquiring) }
    }

    /// Two parts of one job run at the same time on two threads: each waits for the other to start.
    static func partsRunConcurrently() {
        for _ in 0..<50 {
            let started = Started()
            var met = [false, false]
            var threads = [pthread_t?](repeating: nil, count: 2)
            met.withUnsafeMutableBufferPointer { met in
                threads.withUnsafeMutableBufferPointer { threads in
                    ForkJoin.run(2) { p in
                        threads[p] = pthread_self()
                        started.mark(p)
                        let deadline = Date().addingTimeInterval(5)
                        while !started.has(1 - p) && Date() < deadline {}
                        met[p] = started.has(1 - p)
                    }
                }
            }
            #expect(met == [true, true])
            #expect(threads[0].map { t in threads[1].map { pthread_equal(t, $0) == 0 } ?? false } ?? false)
        }
    }

    /// Ranges start at multiples of the granule, cover the count in order, number four per thread
    /// (one with one thread), and stay whole below the minimum work.
    static func rangesFollowTheThreadCount() {
        for threads in [1, 2, 3] {
            Parallel.threads = threads
            for count in [0, 5, 64, 130, 1536] {
                for granule in [1, 4, 64] {
                    var seen: [Range<Int>] = []
                    let lock = NSLock()
                    ForkJoin.ranges(count, granule: granule, work: ForkJoin.minimumWork) { r in
                        lock.withLock { seen.append(r) }
                    }
                    seen.sort { $0.lowerBound < $1.lowerBound }
                    let name = "\(threads) threads, \(count) by \(granule)"
                    #expect(seen.first?.lowerBound == 0 && seen.last?.upperBound == count, "\(name): \(seen)")
                    #expect(zip(seen, seen.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound }, "\(name): \(seen)")
                    #expect(seen.dropFirst().allSatisfy { $0.lowerBound % granule == 0 }, "\(name): \(seen)")
                    #expect(seen.count == (threads == 1 ? 1 : min(ForkJoin.partsPerThread * threads, max(count / granule, 1))),
                            "\(name): \(seen)")
                    var whole = 0
                    ForkJoin.ranges(count, granule: granule, work: ForkJoin.minimumWork - 1) { _ in whole += 1 }
                    #expect(whole == 1, "\(name)")
                }
            }
        }
    }
}

@Suite("Fork-join: one sentence on several threads")
struct ForkJoinTests {
    @Test("Every part of every job runs exactly once, for 1 to 8 parts, job after job")
    func everyPartOnce() {
        for parts in 1...8 {
            var counts = [Int](repeating: 0, count: parts)
            counts.withUnsafeMutableBufferPointer { counts in
                for _ in 0..<300 { ForkJoin.run(parts) { counts[$0] += 1 } }
            }
            #expect(counts == [Int](repeating: 300, count: parts), "\(parts) parts")
        }
    }

    @Test("A job started inside a part runs inline, in order, on that part's thread")
    func nestedJobsRunInline() {
        var inner = [[Int]](repeating: [], count: 2)
        var sameThread = [true, true]
        #expect(!ForkJoin.inPart)
        inner.withUnsafeMutableBufferPointer { inner in
            sameThread.withUnsafeMutableBufferPointer { same in
                ForkJoin.run(2) { p in
                    let outer = pthread_self()
                    ForkJoin.run(3) { q in
                        inner[p].append(q)
                        if pthread_equal(pthread_self(), outer) == 0 || !ForkJoin.inPart { same[p] = false }
                    }
                }
            }
        }
        #expect(inner == [[0, 1, 2], [0, 1, 2]])
        #expect(sameThread == [true, true])
        #expect(!ForkJoin.inPart)
    }

    @Test("Two parts run side by side on two threads")
    func partsRunConcurrently() async {
        await #expect(processExitsWith: .success) { ForkJoinChecks.partsRunConcurrently() }
    }

    @Test("Ranges: granule-aligned cuts, four per thread, whole below the minimum work")
    func ranges() async {
        await #expect(processExitsWith: .success) { ForkJoinChecks.rangesFollowTheThreadCount() }
    }

    @Test("Products run together in one job equal the same products run one by one, bit for bit")
    func productsTogether() async {
        await #expect(processExitsWith: .success) { ForkJoinChecks.productsTogether() }
    }

    @Test("Translations (greedy, beam 4, shortlist; bfloat16 and int8) are bit-identical with 1, 2 and 3 threads")
    func threadCountChangesNothing() async {
        await #expect(processExitsWith: .success) { ForkJoinChecks.threadCountChangesNothing() }
    }
}
