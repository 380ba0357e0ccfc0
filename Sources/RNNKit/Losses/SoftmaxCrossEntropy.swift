// Dimension letters: B rows, O classes.

/// Softmax and cross-entropy, with one shared backward.
///
///     p = softmax(y),  p_k = exp(y_k − max y) / Σ_j exp(y_j − max y)   (shifted: never overflows)
///     L = −log p_target = log Σ_j exp(y_j) − y_target,  averaged over the rows whose target is
///         not `ignoreIndex` (−100, PyTorch's)
///     dL/dy = (p − onehot(target)) / count
///
/// Shapes: logits y (B, O), probabilities p (B, O), targets (B). Rows run in parallel when there
/// are many (a language model's every step); each row's loss is kept and the total summed in row
/// order, so it does not depend on the thread count.
package enum SoftmaxCrossEntropy {
    package static let ignoreIndex = -100

    /// Writes p for every row; returns the summed loss (Double) and the number of counted rows.
    package static func forward(_ logits: UnsafePointer<Float>, rows B: Int, classes O: Int, targets: UnsafePointer<Int>,
                               probabilities p: UnsafeMutablePointer<Float>) -> (sum: Double, count: Int) {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: B) { rowLoss in
            let losses = rowLoss.baseAddress!
            Parallel.rowRanges(B, work: B * O * 16) { rows in
                for r in rows {
                    let logSumExp = Kernels.softmax(O, logits + r * O, p + r * O)
                    let t = targets[r]
                    losses[r] = t == ignoreIndex ? 0 : logSumExp - logits[r * O + t]
                }
            }
            var sum = 0.0, count = 0
            for r in 0..<B where targets[r] != ignoreIndex {
                sum += Double(losses[r])
                count += 1
            }
            return (sum, count)
        }
    }

    /// dy += (p − onehot(target)) · scale for every counted row (scale = 1/count for the mean).
    package static func backward(probabilities p: UnsafePointer<Float>, rows B: Int, classes O: Int,
                                targets: UnsafePointer<Int>, scale: Float, _ dy: UnsafeMutablePointer<Float>) {
        Parallel.rowRanges(B, work: B * O * 16) { rows in
            for r in rows {
                let t = targets[r]
                if t == ignoreIndex { continue }
                Kernels.axpy(O, scale, p + r * O, dy + r * O)
                dy[r * O + t] -= scale
            }
        }
    }
}
