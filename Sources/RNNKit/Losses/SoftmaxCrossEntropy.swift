#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Dimension letters: B rows, O classes.

/// Softmax and cross-entropy, with one shared backward.
///
///     p = softmax(y),  p_k = exp(y_k − max y) / Σ_j exp(y_j − max y)   (shifted: never overflows)
///     L = −log p_target,  averaged over the rows whose target is not `ignoreIndex` (−100, PyTorch's)
///     dL/dy = (p − onehot(target)) / count
///
/// Shapes: logits y (B, O), probabilities p (B, O), targets (B).
public enum SoftmaxCrossEntropy {
    public static let ignoreIndex = -100

    /// p = softmax(y) for one row, computed after subtracting max y.
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

    /// Writes p for every row; returns the summed loss (Double) and the number of counted rows.
    public static func forward(_ logits: UnsafePointer<Float>, rows B: Int, classes O: Int, targets: UnsafePointer<Int>,
                               probabilities p: UnsafeMutablePointer<Float>) -> (sum: Double, count: Int) {
        var sum = 0.0, count = 0
        for r in 0..<B {
            softmax(logits + r * O, count: O, into: p + r * O)
            let t = targets[r]
            if t == ignoreIndex { continue }
            sum -= Double(logf(max(p[r * O + t], .leastNormalMagnitude)))
            count += 1
        }
        return (sum, count)
    }

    /// dy += (p − onehot(target)) · scale for every counted row (scale = 1/count for the mean).
    public static func backward(probabilities p: UnsafePointer<Float>, rows B: Int, classes O: Int,
                                targets: UnsafePointer<Int>, scale: Float, _ dy: UnsafeMutablePointer<Float>) {
        for r in 0..<B {
            let t = targets[r]
            if t == ignoreIndex { continue }
            for k in 0..<O { dy[r * O + k] += (p[r * O + k] - (k == t ? 1 : 0)) * scale }
        }
    }
}
