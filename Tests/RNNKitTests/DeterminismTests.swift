import Testing
import RNNKit

@Suite("Determinism")
struct DeterminismTests {
    /// Trains the tutorial model for a few epochs; returns every parameter's bit patterns (in
    /// `parameters` order) and the losses reported along the way.
    private func train(seed: UInt64, epochs: Int = 30) throws -> (weights: [[UInt32]], losses: [Double]) {
        let data = ClassifierData.tutorial()
        let config = ClassifierConfiguration.tutorial(vocabularySize: data.vocabulary.count, hiddenSize: 64,
                                                      numClasses: data.labels.count)
        let model = SequenceClassifier(config, seed: seed, initialization: .tutorial)
        var options = TrainingOptions()
        options.epochs = epochs
        options.seed = seed
        options.reportEvery = 10
        var losses: [Double] = []
        let summary = try ClassifierTrainer(model: model, options: options).fit(
            train: data.train, test: data.test,
            event: { event in
                guard case .evaluated(let r) = event else { return }
                losses.append(r.train.loss)
                losses.append(r.test!.loss)
            })
        #expect(summary.epochs == epochs)
        #expect(losses.count == 2 * (epochs / 10))
        return (model.parameters.map { $0.value.array.map(\.bitPattern) }, losses)
    }

    @Test("The same seed gives bit-identical weights and losses")
    func sameSeed() throws {
        let a = try train(seed: 1), b = try train(seed: 1)
        #expect(a.weights.count == 5)
        for (k, (x, y)) in zip(a.weights, b.weights).enumerated() {
            #expect(x == y, "parameter \(k) differs between two runs with seed 1")
        }
        #expect(a.losses.map(\.bitPattern) == b.losses.map(\.bitPattern))
        // Training did something: the weights moved from their initial values.
        let initial = SequenceClassifier(.tutorial(vocabularySize: 18), seed: 1, initialization: .tutorial)
        #expect(initial.parameters.map { $0.value.array.map(\.bitPattern) } != a.weights)
    }

    @Test("Different seeds give different weights")
    func differentSeeds() throws {
        let a = try train(seed: 1), b = try train(seed: 2)
        for (k, (x, y)) in zip(a.weights, b.weights).enumerated() {
            #expect(x != y, "parameter \(k) is identical for seeds 1 and 2")
        }
    }

    @Test("Initial weights depend only on the seed, and follow the tutorial's N(0, 1)/1000")
    func initialization() {
        let config = ClassifierConfiguration.tutorial(vocabularySize: 18)
        let a = SequenceClassifier(config, seed: 7, initialization: .tutorial)
        let b = SequenceClassifier(config, seed: 7, initialization: .tutorial)
        #expect(a.parameters.map { $0.value.array } == b.parameters.map { $0.value.array })
        let c = SequenceClassifier(config, seed: 8, initialization: .tutorial)
        #expect(a.parameters.map { $0.value.array } != c.parameters.map { $0.value.array })
        let weights = ReferenceRNNClassifier<Double>(from: a)
        #expect(weights.bh.allSatisfy { $0 == 0 })
        #expect(weights.by.allSatisfy { $0 == 0 })
        for p in [ReferenceParameter.wxh, .whh, .why] {
            let v = weights[p]
            let mean = v.reduce(0, +) / Double(v.count)
            let std = (v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(v.count)).squareRoot()
            // Standard deviation 1e-3 within sampling error (≥ 128 samples: ±20 % is > 3σ).
            #expect(abs(std - 1e-3) < 2e-4, "\(p.rawValue): standard deviation \(std)")
            #expect(abs(mean) < 3e-4, "\(p.rawValue): mean \(mean)")
        }
    }

    @Test("SeededGenerator streams and shuffles are reproducible")
    func generator() {
        var g1 = SeededGenerator(seed: 42), g2 = SeededGenerator(seed: 42), g3 = SeededGenerator(seed: 43)
        let a = (0..<100).map { _ in g1.next() }, b = (0..<100).map { _ in g2.next() }
        let c = (0..<100).map { _ in g3.next() }
        #expect(a == b)
        #expect(a != c)
        var items = Array(0..<50), again = Array(0..<50)
        var s1 = SeededGenerator(seed: 5), s2 = SeededGenerator(seed: 5)
        s1.shuffle(&items)
        s2.shuffle(&again)
        #expect(items == again)
        #expect(items.sorted() == Array(0..<50))
        #expect(items != Array(0..<50))
        var u = SeededGenerator(seed: 9)
        for _ in 0..<1000 {
            let x = u.nextUniform()
            #expect(x >= 0 && x < 1)
            let n = u.nextInt(below: 7)
            #expect((0..<7).contains(n))
        }
    }
}
