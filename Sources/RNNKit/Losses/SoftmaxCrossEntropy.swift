#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Dimension letters: O classes.

/// Softmax and cross-entropy, with one shared backward.
///
///     p = softmax(y),  p_k = exp(y_k − max y) / Σ_j exp(y_j − max y)   (shifted: never overflows)
///     L = −log p_target
///     dL/dy = p − onehot(target)
///
/// Shapes: logits y (O), probabilities p (O).
public enum SoftmaxCrossEntropy {
    /// Writes p = softmax(y) and returns −log p[target].
    @discardableResult
    public static func forward(_ logits: UnsafePointer<Float>, count O: Int, target: Int,
                               probabilities p: UnsafeMutablePointer<Float>) -> Float {
        softmax(logits, count: O, into: p)
        return -logf(max(p[target], .leastNormalMagnitude))
    }

    /// p = softmax(y), computed after subtracting max y.
    public static func softmax(_ y: UnsafePointer<Float>, count O: Int, into p: UnsafeMutablePointer<Float>) {
        var m = y[0]
        for k in 1..<O where y[k] > m { m = y[k] }
        var sum: Float = 0
        for k in 0..<O {
            p[k] = expf(y[k] - m)
            sum += p[k]
        }
        let inv = 1 / sum
        for k in 0..<O { p[k] *= inv }
    }

    /// dy += (p − onehot(target)) · scale  (scale = 1/B for a batch mean).
    public static func backward(probabilities p: UnsafePointer<Float>, count O: Int, target: Int,
                                scale: Float = 1, _ dy: UnsafeMutablePointer<Float>) {
        for k in 0..<O { dy[k] += (p[k] - (k == target ? 1 : 0)) * scale }
    }
}
