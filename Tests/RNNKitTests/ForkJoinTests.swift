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

    @Test("Translations (greedy, beam 4, shortlist) are bit-identical with 1, 2 and 3 threads")
    func threadCountChangesNothing() async {
        await #expect(processExitsWith: .success) { ForkJoinChecks.threadCountChangesNothing() }
    }
}
