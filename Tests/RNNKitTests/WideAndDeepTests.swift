import Foundation
import Testing
@testable import RNNKit

/// The wide-and-deep classifier: its head's gradient against Double central differences, the
/// wide part's lazy sparse SGD against dense SGD, its start from the baseline, determinism, and
/// the file round trip through `ClassifierFile`.
@Suite("Wide-and-deep classifier")
struct WideAndDeepTests {
    typealias Stack = StackGradientCheckTests
    static let d = 6

    /// n-gram vectors for `Stack.sequences`; n-gram 5 is in no text, so its row has no gradient.
    static let rows = [SparseRow(features: [0, 2, 3], values: [0.5, -0.25, 0.75]),
                       SparseRow(features: [1], values: [1]),
                       SparseRow(features: [0, 4], values: [0.6, 0.8])]

    static func head(seed: UInt64, learningRate: Float = 0, l2: Float = 0) -> WideHead {
        let features = NgramFeatures(ngrams: (0..<d).map { "g\($0)" }, idf: [Double](repeating: 1, count: d), maxN: 1)
        let head = WideHead(features: features, classes: Stack.O, learningRate: learningRate, l2: l2)
        Stack.randomize([head.weight], seed: seed)
        return head
    }

    /// W_wide (K, d), PyTorch's layout, from the head's (d, K).
    static func pytorchLayout(_ t: Tensor) -> [Float] {
        let (d, K) = (t.shape[0], t.shape[1])
        return (0..<(K * d)).map { t[$0 % d, $0 / d] }
    }

    @Test("The head's gradient — deep part, fc and wide.weight — against Double central differences",
          arguments: [CellKind.lstm, .gru, .rnnTanh])
    func gradient(cell: CellKind) {
        let model = Stack.classifier(cell, pooling: .max, seed: Stack.seed)
        let head = Self.head(seed: 11)
        model.wide = head
        model.parameters.zeroGradients()
        head.weight.grad.zero()
        let result = model.accumulateGradients(PackedBatch(Stack.sequences, ngrams: Self.rows), targets: Stack.targets)

        var entries = StateDict.entries(parameters: model.parameters, stack: model.rnn)
        entries["wide.weight"] = .init(shape: [Stack.O, Self.d], values: Self.pytorchLayout(head.weight.value))
        let reference = ReferenceStack(cell: cell, input: .embedding, head: .classifier(.max), vocabularySize: Stack.V,
                                       hiddenSize: Stack.H, numLayers: 2, directions: 2, entries: entries)
        // y = fc(pool(…)) + W_wide·x, written from the equations, in Double.
        func loss(_ r: ReferenceStack) -> Double {
            let w = r.parameters["wide.weight"]!
            var sum = 0.0
            for ((tokens, target), x) in zip(zip(Stack.sequences, Stack.targets), Self.rows) {
                var y = r.classifierLogits(tokens)
                for k in 0..<Stack.O {
                    for (j, v) in zip(x.features, x.values) { y[k] += w[k * Self.d + j] * Double(Float(v)) }
                }
                sum += ReferenceStack.crossEntropy(y, target: target)
            }
            return sum / Double(Stack.sequences.count)
        }
        expectClose(result.lossSum / Double(Stack.sequences.count), loss(reference), tolerance: 1e-5, "\(cell): loss")
        let numeric = reference.finiteDifferences(loss)
        var analytic = StateDict.entries(parameters: model.parameters, stack: model.rnn, gradients: true)
        analytic["wide.weight"] = .init(shape: [Stack.O, Self.d], values: Self.pytorchLayout(head.weight.grad))
        Stack.compare(analytic: analytic, numeric: numeric, reference: reference, what: "\(cell) wide and deep")
        // The n-gram in no text: no gradient, on both sides.
        for k in 0..<Stack.O {
            #expect(numeric["wide.weight"]![k * Self.d + 5] == 0)
            #expect(head.weight.grad[5, k] == 0)
        }
    }

    @Test("Lazy sparse SGD with L2 gives dense SGD's weights, bit for bit")
    func sparseStepIsDenseStep() {
        let (eta, lambda): (Float, Float) = (0.3, 0.05)
        let sparse = Self.head(seed: 2, learningRate: eta, l2: lambda)
        let dense = sparse.weight.value.array
        var w = dense
        let K = Stack.O
        var rng = SeededGenerator(seed: 9)
        for step in 0..<12 {
            // Batches of two texts over n-grams 0…4; some steps skipped (not taken).
            let batch = [Self.rows[step % 3], Self.rows[(step + 1) % 3]]
            let order = step % 2 == 0 ? [0, 1] : [1, 0]
            let dy = (0..<(2 * K)).map { _ in Float(rng.nextUniform() - 0.5) }
            let taken = step % 5 != 3
            sparse.backward(batch, order: order, dy)
            sparse.step(taken: taken)
            guard taken else { continue }
            var g = [Float](repeating: 0, count: Self.d * K)
            for (r, i) in order.enumerated() {
                for (j, v) in zip(batch[i].features, batch[i].values) { for k in 0..<K { g[j * K + k] += dy[r * K + k] * Float(v) } }
            }
            for n in w.indices { w[n] -= eta * (g[n] + lambda * w[n]) }
        }
        sparse.settleAll()
        #expect(sparse.weight.value.array == w)
        #expect(sparse.weight.grad.array.allSatisfy { $0 == 0 })
        // Row 5 was never in a batch: it only shrank.
        #expect(w[5 * K] != dense[5 * K])
    }

    static let texts: [LabeledText] = {
        let good = ["good", "great", "fine", "lovely", "superb"], bad = ["bad", "awful", "dull", "boring", "poor"]
        return (0..<30).flatMap { k in
            [LabeledText(text: "a \(good[k % 5]) film , \(good[(k + 2) % 5]) acting", label: "positive", line: 2 * k + 2),
             LabeledText(text: "a \(bad[k % 5]) film , \(bad[(k + 3) % 5]) plot", label: "negative", line: 2 * k + 3)]
        }
    }()

    static func recipe(start: WideAndDeepRecipe.WideStart, learningRate: Double) -> WideAndDeepRecipe {
        var deep = ClassifierRecipe.standard
        deep.embeddingSize = 8
        deep.hiddenSize = 8
        deep.vocabulary = .frequency(minCount: 1, maxSize: nil)
        deep.training.epochs = 3
        deep.validationFraction = 0.2
        return WideAndDeepRecipe(deep: deep, wideStart: start, wideLearningRate: learningRate)
    }

    @Test("Starts as the fitted baseline; a learning rate of 0 keeps the wide part there")
    func startsAsBaseline() throws {
        let run = try WideAndDeepTraining(train: Self.texts, recipe: Self.recipe(start: .baseline, learningRate: 0))
        let baseline = try #require(run.baseline)
        let wide = run.classifier.wide
        #expect(wide.features.ngrams == baseline.ngrams)
        let start = Self.pytorchLayout(wide.weight.value)
        #expect(start == baseline.weight)
        // Trained on the 48 texts the split leaves for training, as the deep part is.
        #expect(run.deep.data.train.count == 48 && run.deep.data.train.allSatisfy { $0.ngrams != nil })
        try run.fit()
        #expect(Self.pytorchLayout(wide.weight.value) == start)
    }

    @Test("Same seed, same data: the same file, bit for bit; trains, predicts, and loads through ClassifierFile")
    func determinismAndFile() throws {
        let recipe = Self.recipe(start: .zero, learningRate: 2)
        let a = try WideAndDeepClassifier.train(on: Self.texts, recipe: recipe)
        let b = try WideAndDeepClassifier.train(on: Self.texts, recipe: recipe)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wide-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let (pa, pb) = (dir.appendingPathComponent("a.safetensors").path, dir.appendingPathComponent("b.safetensors").path)
        try a.save(to: pa)
        try b.save(to: pb)
        #expect(try Data(contentsOf: URL(fileURLWithPath: pa)) == Data(contentsOf: URL(fileURLWithPath: pb)))
        // The wide part moved from zero.
        #expect(a.wide.weight.value.array.contains { $0 != 0 })

        let loaded = try #require(try ClassifierFile.load(from: pa) as? WideAndDeepClassifier)
        #expect(loaded.configuration == a.configuration && loaded.recipe == a.recipe && loaded.ngrams == a.ngrams)
        for text in ["a superb film", "a dull plot", "great acting zzz"] {
            #expect(try loaded.predict(text) == (try a.predict(text)))
        }
        #expect(try a.predict("a superb film , lovely acting").label == "positive")
        #expect(throws: TextClassifier.PredictionError.self) { try a.predict("zzz qqq") }
        let evaluation = try loaded.evaluate(on: Self.texts, source: "texts")
        #expect(evaluation.report.count == 60 && evaluation.report.accuracy > 0.9)
        #expect(throws: DataFileError.self) { try loaded.evaluate(on: [LabeledText(text: "good", label: "neutral", line: 3)], source: "x") }
        let file = try Safetensors.read(path: pa)
        #expect(file.tensors["wide.weight"]?.shape == [2, a.ngrams.count] && file.tensors["idf"]?.shape == [a.ngrams.count])
        #expect(file.tensors["fc.weight"]?.shape == [2, 8])
        do { _ = try TextClassifier.load(from: pa); Issue.record("a plain classifier loaded a wide-and-deep file") } catch let e as ModelFileError {
            #expect(e.kind == .wrongTask(found: .wideAndDeep))
        }
        // A file whose n-gram list is gone says so.
        var damaged = file
        damaged.metadata["rnnkit.ngrams"] = nil
        #expect(throws: ModelFileError.self) { try WideAndDeepClassifier(safetensors: damaged, path: "damaged") }
        damaged.metadata["rnnkit.ngrams"] = "[\"a\"]"
        #expect(throws: ModelFileError.self) { try WideAndDeepClassifier(safetensors: damaged, path: "damaged") }
    }

    @Test("Bad recipes: clear errors")
    func refusals() {
        var recipe = WideAndDeepRecipe.standard
        recipe.wideLearningRate = -1
        #expect(throws: TrainingError.self) { try WideAndDeepTraining(train: Self.texts, recipe: recipe) }
        recipe = .standard
        recipe.maxN = 0
        #expect(throws: TrainingError.self) { try WideAndDeepTraining(train: Self.texts, recipe: recipe) }
    }
}
