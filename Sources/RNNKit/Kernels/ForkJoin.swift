import CRNNKernels

/// Fork-join for one sentence's work: pieces of 10–100 µs (a decoder step's products, an encoder
/// direction), where `DispatchQueue.concurrentPerform` costs as much as the piece. The pool's
/// workers (`rk_pool_run`) spin briefly between jobs, then park; a job starts in a few µs.
///
/// Used by decoding only; training keeps `Parallel`'s splits. Work cut by `ranges` is cut at
/// multiples of a granule that the kernels process whole, so every number is the same whatever
/// the thread count.
package enum ForkJoin {
    /// Below this many multiply-adds a product stays on one thread: starting a job and the
    /// second core's cache misses cost more than half the product saves.
    static let minimumWork = 1 << 17

    /// Ranges per thread in `ranges`.
    static let partsPerThread = 4

    /// Runs body(0) … body(parts − 1) on the calling thread and up to `Parallel.threads` − 1
    /// workers, each taking the next part as it comes free; returns when all are done. Inside a
    /// part, nested calls and `Parallel`'s splits run inline.
    static func run(_ parts: Int, _ body: (Int) -> Void) {
        if parts <= 1 {
            body(0)
            return
        }
        withoutActuallyEscaping(body) { body in
            var task = body
            withUnsafeMutablePointer(to: &task) { pointer in
                rk_pool_run(Int32(parts), Int32(max(Parallel.threads - 1, 1)), { context, part in
                    context!.assumingMemoryBound(to: ((Int) -> Void).self).pointee(Int(part))
                }, pointer)
            }
        }
    }

    /// Runs body on contiguous ranges covering 0..<count, each starting at a multiple of `granule`
    /// (the last takes the remainder): four per thread, taken as threads come free, so that a
    /// thread the system pauses (a busy machine) holds up a quarter of its share, not all of it;
    /// one range with one thread or below `minimumWork`.
    static func ranges(_ count: Int, granule: Int, work: Int, _ body: (Range<Int>) -> Void) {
        let parts = partCount(count, granule: granule, work: work)
        if parts <= 1 {
            body(0..<count)
            return
        }
        run(parts) { p in body(range(p, of: parts, count: count, granule: granule)) }
    }

    /// How many ranges `ranges` cuts `count` items into.
    static func partCount(_ count: Int, granule: Int, work: Int) -> Int {
        work < minimumWork || Parallel.threads <= 1 ? 1 : min(partsPerThread * Parallel.threads, max(count / granule, 1))
    }

    /// Range p of the `parts` that `ranges` cuts `count` items into.
    static func range(_ p: Int, of parts: Int, count: Int, granule: Int) -> Range<Int> {
        guard parts > 1 else { return 0..<count }
        let g = Parallel.range(p, of: parts, count: count / granule)
        return g.lowerBound * granule ..< (p == parts - 1 ? count : g.upperBound * granule)
    }

    /// Whether the calling thread runs a part of a job (nested work then runs inline).
    static var inPart: Bool { rk_pool_in_part() != 0 }
}
