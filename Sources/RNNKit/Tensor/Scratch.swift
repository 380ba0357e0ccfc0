/// A work buffer that grows to the largest size asked of it and is then reused, so that training
/// loops allocate nothing per batch.
final class ScratchBuffer<Element: Numeric>: @unchecked Sendable {
    private(set) var pointer: UnsafeMutablePointer<Element>
    private(set) var capacity: Int

    init(_ count: Int = 0) {
        capacity = max(count, 1)
        pointer = .allocate(capacity: capacity)
        pointer.initialize(repeating: .zero, count: capacity)
    }

    deinit { pointer.deallocate() }

    /// At least `count` elements; contents are kept only while the buffer does not grow.
    @inline(__always)
    func get(_ count: Int) -> UnsafeMutablePointer<Element> {
        if count > capacity {
            pointer.deallocate()
            capacity = max(count, capacity * 2)
            pointer = .allocate(capacity: capacity)
            pointer.initialize(repeating: .zero, count: capacity)
        }
        return pointer
    }

    /// At least `count` elements, all zero.
    @inline(__always)
    func zeroed(_ count: Int) -> UnsafeMutablePointer<Element> {
        let p = get(count)
        p.update(repeating: .zero, count: count)
        return p
    }
}

/// Float32 activations and gradients.
typealias Scratch = ScratchBuffer<Float>
/// Targets and indices.
typealias IndexScratch = ScratchBuffer<Int>
