#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Contiguous, row-major Float32 storage with a shape.
///
/// A reference type on purpose: layers, optimizers and model files share one parameter's storage,
/// and hot loops read `data` directly. Storage is 64-byte aligned (one AVX-512 vector, one cache line).
package final class Tensor: @unchecked Sendable {
    package let shape: [Int]
    package let count: Int
    package let data: UnsafeMutablePointer<Float>

    /// A zero-filled tensor.
    package init(shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        self.shape = shape
        self.count = shape.reduce(1, *)
        var raw: UnsafeMutableRawPointer?
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        guard posix_memalign(&raw, 64, (bytes + 63) & ~63) == 0, let raw else {
            fatalError("RNNKit: out of memory allocating a tensor of shape \(shape)")
        }
        data = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        data.initialize(repeating: 0, count: max(count, 1))
    }

    package convenience init(shape: [Int], values: [Float]) {
        precondition(values.count == shape.reduce(1, *), "\(values.count) values for shape \(shape)")
        self.init(shape: shape)
        values.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: count) }
    }

    deinit { free(data) }

    package var array: [Float] { Array(UnsafeBufferPointer(start: data, count: count)) }

    package subscript(i: Int) -> Float {
        get { data[i] }
        set { data[i] = newValue }
    }

    /// Element (row, column) of a 2-D tensor.
    package subscript(row: Int, column: Int) -> Float {
        get { data[row * shape[1] + column] }
        set { data[row * shape[1] + column] = newValue }
    }

    package func zero() { data.update(repeating: 0, count: count) }

    package func copy(from other: Tensor) {
        precondition(other.count == count, "copying \(other.shape) into \(shape)")
        data.update(from: other.data, count: count)
    }

    package func clone() -> Tensor {
        let t = Tensor(shape: shape)
        t.copy(from: self)
        return t
    }

    /// Pointer to row `r` of a 2-D (or higher) tensor.
    @inline(__always) package func row(_ r: Int) -> UnsafeMutablePointer<Float> {
        data + r * (count / max(shape[0], 1))
    }
}

/// A trainable tensor, its gradient, and the name PyTorch's `state_dict()` gives it.
package final class Parameter: @unchecked Sendable {
    package let name: String
    package let value: Tensor
    package let grad: Tensor

    package init(name: String, shape: [Int]) {
        self.name = name
        value = Tensor(shape: shape)
        grad = Tensor(shape: shape)
    }
}
