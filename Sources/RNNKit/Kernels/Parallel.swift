import CRNNKernels
import Dispatch
import Foundation

/// How RNNKit spreads work over the cores: work is cut into contiguous blocks of rows, fixed by
/// the thread count alone, which threads take as they come free; a block's numbers do not depend
/// on which thread computes it, so a given thread count always produces the same numbers.
///
/// What is split: the recurrence itself (each block of sequences runs every step on its own;
/// sequences never interact), the large products over all steps (blocks of output rows, each a
/// single-threaded BLAS call), row-wise work (softmax, embedding lookup) and column blocks of
/// reductions over rows (bias and embedding gradients). RNNKit keeps the BLAS itself on one
/// thread: OpenBLAS's own workers spin between calls and would compete with ours.
package enum Parallel {
    /// Threads used for training and evaluation: `RNNKIT_THREADS` or, by default, every core.
    /// Same seed, data and thread count give a bit-identical model. Set it before training; it is
    /// read at the start of each parallel region.
    nonisolated(unsafe) package static var threads: Int = defaultThreads

    /// `RNNKIT_THREADS` if set to a positive number, else the active cores.
    package static var defaultThreads: Int {
        if let raw = getenv("RNNKIT_THREADS"), let n = Int(String(cString: raw)), n > 0 { return n }
        return max(ProcessInfo.processInfo.activeProcessorCount, 1)
    }

    /// Runs body(0) … body(parts − 1), concurrently when parts > 1; returns when all are done.
    @inline(__always)
    static func run(_ parts: Int, _ body: (Int) -> Void) {
        if parts <= 1 {
            body(0)
        } else if ForkJoin.inPart {
            // Inside a fork-join part (one sentence's encoder direction) the other cores are busy
            // already: the same parts, in order, on this thread.
            for p in 0..<parts { body(p) }
        } else {
            // The parts touch disjoint rows of shared buffers, which the type system cannot see.
            withoutActuallyEscaping(body) { body in
                let shared = UncheckedSendable(value: body)
                DispatchQueue.concurrentPerform(iterations: parts) { shared.value($0) }
            }
        }
    }

    private struct UncheckedSendable<Value>: @unchecked Sendable { let value: Value }

    /// Runs body(0) … body(chunks − 1) on up to `threads` threads, each thread taking the next
    /// chunk when it finishes one: a thread slowed down (a busy neighbour on a virtual machine)
    /// takes fewer chunks instead of holding the others up. Which thread runs a chunk changes
    /// nothing: chunks write disjoint rows.
    static func run(chunks: Int, _ body: (Int) -> Void) {
        let workers = min(threads, chunks)
        if workers <= 1 {
            for c in 0..<chunks { body(c) }
            return
        }
        var counter: Int32 = 0
        withUnsafeMutablePointer(to: &counter) { next in
            run(workers) { _ in
                while true {
                    let c = Int(rk_next_index(next))
                    if c >= chunks { break }
                    body(c)
                }
            }
        }
    }

    /// How many chunks to cut work of `work` multiply-adds over `rows` rows into: two per thread
    /// (room to rebalance), or one below `minimum`, where waking a second thread costs more than
    /// it saves.
    @inline(__always)
    static func chunks(work: Int, minimum: Int = 1 << 20, rows: Int) -> Int {
        work < minimum || threads <= 1 ? 1 : max(1, min(2 * threads, rows))
    }

    /// Runs two independent tasks side by side, each whole on one thread, when their total `work`
    /// in multiply-adds is worth a second thread; otherwise one after the other. A task's result is
    /// the same either way: the backward's weight-gradient products go this way, since each is
    /// faster whole than split.
    @inline(__always)
    static func both(work: Int, _ first: () -> Void, _ second: () -> Void) {
        if chunks(work: work, rows: 2) < 2 {
            first()
            second()
        } else {
            run(2) { p in if p == 0 { first() } else { second() } }
        }
    }

    /// Runs body on contiguous ranges of `count` rows, at least `minimumRows` each, cut into
    /// `chunks` of them and taken as threads come free; all rows at once, inline, below `minimum`
    /// multiply-adds of `work` or without `split`. Row-wise work goes this way: a row's result
    /// does not depend on the range it falls in.
    @inline(__always)
    static func rowRanges(_ count: Int, work: Int, minimum: Int = 1 << 20, minimumRows: Int = 1, split: Bool = true,
                          _ body: (Range<Int>) -> Void) {
        let chunks = split ? Parallel.chunks(work: work, minimum: minimum, rows: count / minimumRows) : 1
        run(chunks: chunks) { c in body(range(c, of: chunks, count: count)) }
    }

    /// Runs body(lo, hi) on blocks of whole 16-column groups of N columns, for reductions over
    /// rows (bias and embedding gradients): each block adds every row in order into its own
    /// columns, so the sums do not depend on the thread count.
    @inline(__always)
    static func columnBlocks(_ N: Int, work: Int, split: Bool = true, _ body: (_ lo: Int, _ hi: Int) -> Void) {
        rowRanges(N / 16, work: work, split: split) { groups in
            body(groups.lowerBound * 16, groups.upperBound == N / 16 ? N : groups.upperBound * 16)
        }
    }

    /// Part p of `count` items split into `parts` nearly equal contiguous ranges.
    @inline(__always)
    static func range(_ p: Int, of parts: Int, count: Int) -> Range<Int> {
        let base = count / parts, extra = count % parts
        let lo = p * base + min(p, extra)
        return lo..<(lo + base + (p < extra ? 1 : 0))
    }
}
