import Testing
@testable import RNNKit

// The thread count is process-wide, and other suites compare results bit for bit while they run;
// so the checks that change it run in child processes (exit tests), as the kernel-level checks do.

/// Bit patterns of a model's loss and every gradient after one forward and backward pass.
private func gradientBits(_ parameters: [Parameter], loss: Double) -> [[UInt32]] {
    [[UInt32(truncatingIfNeeded: loss.bitPattern), UInt32(truncatingIfNeeded: loss.bitPattern >> 32)]]
        + parameters.map { $0.grad.array.map(\.bitPattern) }
}

enum ParallelChecks {
    /// A 2-layer LSTM language model on 12 streams of 30 steps (every step of every sequence
    /// running: the language-model shape).
    static func languageModelGradients(threads: Int) -> [[UInt32]] {
        Parallel.threads = threads
        let model = LanguageModel(LanguageModelConfiguration(cell: .lstm, vocabularySize: 40, embeddingSize: 32,
                                                             hiddenSize: 64, numLayers: 2), seed: 5)
        var rng = SeededGenerator(seed: 9)
        let sequences = (0..<12).map { _ in (0..<31).map { _ in Int(rng.next() % 40) } }
        let batch = PackedBatch(sequences.map { Array($0.dropLast()) })
        model.parameters.zeroGradients()
        let loss = model.accumulateGradients(batch, targets: sequences.map { Array($0.dropFirst()) })
        return gradientBits(model.parameters, loss: loss.lossSum)
    }

    /// A 2-layer bidirectional GRU classifier, max pooling, on 20 sequences of lengths 1…58 (rows
    /// end at different steps in both directions).
    static func classifierGradients(threads: Int) -> [[UInt32]] {
        Parallel.threads = threads
        var config = ClassifierConfiguration(cell: .gru, vocabularySize: 50, embeddingSize: 24, hiddenSize: 48,
                                             numClasses: 3, numLayers: 2, bidirectional: true)
        config.pooling = .max
        let model = SequenceClassifier(config, seed: 3)
        var rng = SeededGenerator(seed: 11)
        let sequences = (0..<20).map { k in (0..<(1 + (k * 37) % 58)).map { _ in Int(rng.next() % 50) } }
        let batch = PackedBatch(sequences)
        model.parameters.zeroGradients()
        let loss = model.accumulateGradients(batch, targets: sequences.indices.map { $0 % 3 })
        return gradientBits(model.parameters, loss: loss.lossSum)
    }

    static func threadCountChangesNothing() {
        let lm = languageModelGradients(threads: 1), classifier = classifierGradients(threads: 1)
        for threads in [2, 3] {
            #expect(languageModelGradients(threads: threads) == lm, "language model with \(threads) threads")
            #expect(classifierGradients(threads: threads) == classifier, "classifier with \(threads) threads")
        }
        // The checks above would pass trivially if nothing were split: these shapes are split.
        #expect(Parallel.chunks(work: 12 * 30 * 256 * 64, rows: 12) == 6)
    }
}

@Suite("Parallel")
struct ParallelTests {
    @Test("Gradients are bit-identical with 1, 2 and 3 threads (LSTM LM; bidirectional GRU classifier)")
    func threadCountChangesNothing() async {
        await #expect(processExitsWith: .success) { ParallelChecks.threadCountChangesNothing() }
    }

    @Test("Rows are split into non-empty parts of nearly equal work")
    func rowBounds() {
        let equal = PackedBatch([[Int]](repeating: [1, 2, 3], count: 50))
        #expect(RecurrentLayer.rowBounds(equal, parts: 2) == [0, 25, 50])
        #expect(RecurrentLayer.rowBounds(equal, parts: 3) == [0, 16, 33, 50])
        #expect(RecurrentLayer.rowBounds(equal, parts: 1) == [0, 50])
        // Lengths 40, 10, 10, 10, 10: the long sequence alone is about half the work.
        let skewed = PackedBatch([[Int](repeating: 1, count: 40)] + [[Int]](repeating: [Int](repeating: 1, count: 10), count: 4))
        #expect(RecurrentLayer.rowBounds(skewed, parts: 2) == [0, 1, 5])
        // As many parts as rows: one row each, even when one row holds nearly all the work.
        let lopsided = PackedBatch([[Int](repeating: 1, count: 100), [1], [1]])
        #expect(RecurrentLayer.rowBounds(lopsided, parts: 3) == [0, 1, 2, 3])
        for parts in 1...4 {
            let bounds = RecurrentLayer.rowBounds(skewed, parts: parts)
            #expect(bounds.first == 0 && bounds.last == 5 && zip(bounds, bounds.dropFirst()).allSatisfy { $0 < $1 },
                    "\(parts) parts: \(bounds)")
        }
    }

    @Test("Parts cover the range exactly, in order, sizes differing by at most one")
    func ranges() {
        for count in [0, 1, 7, 100] {
            for parts in 1...5 {
                let ranges = (0..<parts).map { Parallel.range($0, of: parts, count: count) }
                #expect(ranges.first?.lowerBound == 0 && ranges.last?.upperBound == count)
                #expect(zip(ranges, ranges.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
                let sizes = ranges.map(\.count)
                #expect(sizes.max()! - sizes.min()! <= 1)
            }
        }
    }
}
