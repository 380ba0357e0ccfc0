/// Accuracy, per-class precision / recall / F1, macro-F1 and the confusion matrix of a
/// classifier on labelled examples.
public struct ClassificationReport: Sendable, Equatable {
    public struct ClassScores: Sendable, Equatable {
        public var precision: Double
        public var recall: Double
        public var f1: Double
        /// Examples whose true label is this class.
        public var support: Int
    }

    public var labels: [String]
    /// confusion[true][predicted]: counts.
    public var confusion: [[Int]]
    public var loss: Double

    public init(labels: [String], confusion: [[Int]], loss: Double) {
        self.labels = labels
        self.confusion = confusion
        self.loss = loss
    }

    public var count: Int { confusion.reduce(0) { $0 + $1.reduce(0, +) } }

    public var accuracy: Double {
        let correct = labels.indices.reduce(0) { $0 + confusion[$1][$1] }
        return count == 0 ? 0 : Double(correct) / Double(count)
    }

    /// Scores per class; a class never predicted (or never present) scores 0 where undefined,
    /// as scikit-learn's `zero_division=0`.
    public var classes: [ClassScores] {
        labels.indices.map { k in
            let tp = confusion[k][k]
            let predicted = labels.indices.reduce(0) { $0 + confusion[$1][k] }
            let support = confusion[k].reduce(0, +)
            let precision = predicted == 0 ? 0 : Double(tp) / Double(predicted)
            let recall = support == 0 ? 0 : Double(tp) / Double(support)
            let f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall)
            return ClassScores(precision: precision, recall: recall, f1: f1, support: support)
        }
    }

    /// The unweighted mean of the per-class F1 scores.
    public var macroF1: Double {
        let c = classes
        return c.isEmpty ? 0 : c.reduce(0) { $0 + $1.f1 } / Double(c.count)
    }
}

extension SequenceClassifier {
    /// The full report on `examples` (labels are class indices into `labels`).
    public func report(on examples: [EncodedExample], labels: [String], batchSize: Int = 64) -> ClassificationReport {
        let O = numClasses
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: O), count: O)
        var loss = 0.0
        var start = 0
        while start < examples.count {
            let chunk = Array(examples[start..<min(start + batchSize, examples.count)])
            let batch = PackedBatch(examples: chunk)
            let out = logits(batch, targets: chunk.map(\.label))
            for (example, scores) in zip(chunk, out.logits) {
                confusion[example.label][argmax(scores)] += 1
            }
            loss += (out.loss ?? 0) * Double(chunk.count)
            start += batchSize
        }
        return ClassificationReport(labels: labels, confusion: confusion, loss: examples.isEmpty ? 0 : loss / Double(examples.count))
    }
}
