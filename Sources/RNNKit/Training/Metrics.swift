import Foundation

/// Mean loss over a set of examples (classifier) or of next-token targets (language model), and
/// the classifier's accuracy.
public struct Metrics: Sendable, Equatable {
    /// Mean cross-entropy, in nats: −log p(label), or −log p(next token).
    public var loss: Double
    /// Share of examples classified correctly; nil for language models.
    public var accuracy: Double?
    /// Examples or targets scored.
    public var count: Int

    public init(loss: Double, accuracy: Double? = nil, count: Int) {
        self.loss = loss
        self.accuracy = accuracy
        self.count = count
    }

    /// exp(loss): the effective number of equally likely choices per token.
    public var perplexity: Double { exp(loss) }
    /// loss / ln 2: bits per token (bits per character at the character level).
    public var bitsPerToken: Double { loss / log(2.0) }
}

/// Running sums of a loss over batches, turned into `Metrics` at the end.
struct MetricsSum: Equatable {
    var lossSum = 0.0
    /// Examples or targets.
    var count = 0
    /// Correct predictions; nil when the task has no accuracy.
    var correct: Int?

    mutating func add(_ r: BatchResult) {
        lossSum += r.lossSum
        count += r.count
        if let c = r.correct { correct = (correct ?? 0) + c }
    }

    var metrics: Metrics {
        let n = Double(max(count, 1))
        return Metrics(loss: lossSum / n, accuracy: correct.map { Double($0) / n }, count: count)
    }
}

extension SequenceClassifier {
    /// Mean loss and accuracy on `examples`, without updates.
    public func metrics(on examples: [EncodedExample], batchSize: Int = 64) -> Metrics {
        var loss = 0.0, correct = 0
        var start = 0
        while start < examples.count {
            let chunk = examples[start..<min(start + batchSize, examples.count)]
            let r = evaluate(PackedBatch(examples: chunk), targets: chunk.map(\.label))
            loss += r.lossSum
            correct += r.correct
            start += batchSize
        }
        let n = max(examples.count, 1)
        return Metrics(loss: loss / Double(n), accuracy: Double(correct) / Double(n), count: examples.count)
    }
}
