// Dimension letters: d n-grams, K classes, B sequences in a batch.

/// The wide part of a wide-and-deep classifier (Cheng et al. 2016): a linear map of a text's
/// tf-idf n-gram vector x (`NgramFeatures`) added to the deep network's logits,
///
///     y = W_deep·f + b + W_wide·x          (W_wide: `wide.weight`, PyTorch layout (K, d))
///
/// Stored here as (d, K) — one row per n-gram — so that a text's few n-grams are a few
/// contiguous rows: the forward pass, the gradient and the update touch only the rows of the
/// n-grams in the batch, never the whole matrix (d is ~10⁵ for a few thousand texts).
///
/// The dense optimizer of the deep part never sees this weight (`SequenceClassifier.parameters`
/// leaves it out): a wide part under Adam overfits within an epoch. It moves by plain SGD on the
/// batch-mean loss with an L2 penalty ½λ‖W_wide‖², applied lazily: a row not in a batch gets
/// only the penalty's shrink (1 − ηλ), and those shrinks are owed until the row is next read
/// (`settle`), as (1 − ηλ)^steps — the same weights as dense SGD, for a cost that follows the
/// batch's n-grams.
package final class WideHead: @unchecked Sendable {
    package let features: NgramFeatures
    package let classes: Int
    /// (d, K): row j is n-gram j's contribution to each logit. Named as PyTorch names the
    /// (K, d) tensor it transposes.
    package let weight: Parameter
    /// η of the SGD step.
    package var learningRate: Float
    /// λ of the L2 penalty on the batch-mean loss.
    package var l2: Float
    /// Steps taken; a row's weights are up to date with `steps` when `settledAt[j] == steps`.
    private(set) var steps = 0
    private var settledAt: [Int]
    /// Rows with a gradient since the last step, each once, and whether each row is listed.
    private var touched: [Int] = []
    private var isTouched: [Bool]

    package init(features: NgramFeatures, classes: Int, learningRate: Float = 0, l2: Float = 0) {
        self.features = features
        self.classes = classes
        self.learningRate = learningRate
        self.l2 = l2
        let d = features.ngrams.count
        weight = Parameter(name: "wide.weight", shape: [d, classes])
        settledAt = [Int](repeating: 0, count: d)
        isTouched = [Bool](repeating: false, count: d)
    }

    package var ngramCount: Int { features.ngrams.count }

    /// Row j brought up to date: the shrinks of the steps since it was last settled.
    @inline(__always) private func settle(_ j: Int) {
        let owed = steps - settledAt[j]
        guard owed > 0 else { return }
        settledAt[j] = steps
        let (eta, lambda) = (learningRate, l2)
        guard eta * lambda != 0 else { return }
        // Step by step, as dense SGD computes w − η(g + λw) with g = 0: the same bits.
        let w = weight.value.data + j * classes
        for _ in 0..<owed { for k in 0..<classes { w[k] -= eta * (lambda * w[k]) } }
    }

    /// Every row brought up to date: before the weights are read whole (evaluation, early
    /// stopping's copy, a checkpoint, a saved file).
    package func settleAll() {
        for j in 0..<ngramCount { settle(j) }
    }

    /// y[r] += W_wide·x of the sequence in sorted row r (`order[r]` is its index in `rows`).
    package func addLogits(_ rows: [SparseRow], order: [Int], _ y: UnsafeMutablePointer<Float>) {
        let K = classes, w = weight.value.data
        for (r, i) in order.enumerated() {
            let x = rows[i], out = y + r * K
            for (j, v) in zip(x.features, x.values) {
                settle(j)
                let value = Float(v)
                for k in 0..<K { out[k] += w[j * K + k] * value }
            }
        }
    }

    /// grad W_wide[j] += x_j · dy[r] for the n-grams of each sequence; the rows are remembered
    /// for `step`.
    package func backward(_ rows: [SparseRow], order: [Int], _ dy: UnsafePointer<Float>) {
        let K = classes, g = weight.grad.data
        for (r, i) in order.enumerated() {
            let x = rows[i], d = dy + r * K
            for (j, v) in zip(x.features, x.values) {
                if !isTouched[j] { isTouched[j] = true; touched.append(j) }
                let value = Float(v)
                for k in 0..<K { g[j * K + k] += d[k] * value }
            }
        }
    }

    /// The SGD step on the rows with a gradient (when `taken`; otherwise their gradient is
    /// dropped, as the deep part's is), then their gradient is zero again.
    package func step(taken: Bool) {
        let K = classes, w = weight.value.data, g = weight.grad.data
        if taken {
            for j in touched { settle(j) }
            steps += 1
            let (eta, lambda) = (learningRate, l2)
            for j in touched {
                settledAt[j] = steps
                for k in 0..<K { w[j * K + k] -= eta * (g[j * K + k] + lambda * w[j * K + k]) }
            }
        }
        for j in touched {
            for k in 0..<K { g[j * K + k] = 0 }
            isTouched[j] = false
        }
        touched.removeAll(keepingCapacity: true)
    }
}
