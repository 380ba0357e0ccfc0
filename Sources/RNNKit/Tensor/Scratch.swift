/// A Float32 work buffer that grows to the largest size asked of it and is then reused, so that
/// training loops allocate nothing per batch.
final class Scratch: @unchecked Sendable {
    private(set) var pointer: UnsafeMutablePointer<Float>
    private(set) var capacity: Int

    init(_ count: Int = 0) {
        capacity = max(count, 1)
        pointer = .allocate(capacity: capacity)
        pointer.initialize(repeating: 0, count: capacity)
    }

    deinit { pointer.deallocate() }

    /// At least `count` floats; contents are kept only while the buffer does not grow.
    @inline(__always)
    func get(_ count: Int) -> UnsafeMutablePointer<Float> {
        if count > capacity {
            pointer.deallocate()
            capacity = max(count, capacity * 2)
            pointer = .allocate(capacity: capacity)
            pointer.initialize(repeating: 0, count: capacity)
        }
        return pointer
    }

    /// At least `count` floats, all zero.
    @inline(__always)
    func zeroed(_ count: Int) -> UnsafeMutablePointer<Float> {
        let p = get(count)
        p.update(repeating: 0, count: count)
        return p
    }
}

/// The `Int` twin of `Scratch`: targets and indices reused across batches.
final class IndexScratch: @unchecked Sendable {
    private(set) var pointer: UnsafeMutablePointer<Int>
    private(set) var capacity: Int

    init() {
        capacity = 1
        pointer = .allocate(capacity: 1)
        pointer.initialize(to: 0)
    }

    deinit { pointer.deallocate() }

    @inline(__always)
    func get(_ count: Int) -> UnsafeMutablePointer<Int> {
        if count > capacity {
            pointer.deallocate()
            capacity = max(count, capacity * 2)
            pointer = .allocate(capacity: capacity)
            pointer.initialize(repeating: 0, count: capacity)
        }
        return pointer
    }
}
