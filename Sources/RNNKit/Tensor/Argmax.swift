/// The index of the largest of `count` values (count ≥ 1): the first one on ties, and a NaN
/// never wins (`>` is false for it), so a row of NaNs gives 0.
@inline(__always)
package func argmax(_ x: UnsafePointer<Float>, count: Int) -> Int {
    var best = 0
    for k in 1..<max(count, 1) where x[k] > x[best] { best = k }
    return best
}

/// The index of the largest value of a non-empty array, as `argmax(_:count:)`.
package func argmax(_ x: [Float]) -> Int {
    x.withUnsafeBufferPointer { argmax($0.baseAddress!, count: $0.count) }
}
