import Foundation
import Testing
@testable import RNNKit

@Suite("LanguageModel")
struct LanguageModelTests {
    // MARK: Helpers

    private func smallModel(_ cell: CellKind, vocabulary: Int = 7, seed: UInt64 = 3) -> LanguageModel {
        LanguageModel(LanguageModelConfiguration(cell: cell, vocabularySize: vocabulary, embeddingSize: 5,
                                                 hiddenSize: 6, numLayers: 2), seed: seed)
    }

    /// Random token streams (B of them, `steps` long).
    private func streams(_ B: Int, _ steps: Int, vocabulary: Int, seed: UInt64) -> [[Int]] {
        var rng = SeededGenerator(seed: seed)
        return (0..<B).map { _ in (0..<steps).map { _ in rng.nextInt(below: vocabulary) } }
    }

    /// The packed logits of the last forward, per stream and step, for equal-length streams.
    private func logits(_ model: LanguageModel, _ batch: PackedBatch) -> [[[Float]]] {
        let V = model.vocabularySize
        return (0..<batch.count).map { r in
            (0..<batch.steps).map { t in
                Array(UnsafeBufferPointer(start: model.lastLogits + batch.row(step: t, sequence: r) * V, count: V))
            }
        }
    }

    private func gradients(_ model: LanguageModel) -> [[Float]] { model.parameters.map(\.grad.array) }

    private func noTargets(_ batch: [[Int]]) -> [[Int]] { batch.map { $0.map { _ in SoftmaxCrossEntropy.ignoreIndex } } }

    // MARK: State carry-over

    @Test("two chunks with carried state give the logits of one forward over both", arguments: [CellKind.lstm, .gru, .rnnTanh])
    func carriedStateMatchesConcatenation(cell: CellKind) {
        let model = smallModel(cell)
        let (B, T1, T2) = (3, 5, 4)
        let full = streams(B, T1 + T2, vocabulary: 7, seed: 11)
        let first = full.map { Array($0[..<T1]) }, second = full.map { Array($0[T1...]) }

        let fullBatch = PackedBatch(full)
        model.forward(fullBatch, targets: nil, h0: nil, c0: nil, training: false)
        let expected = logits(model, fullBatch).map { Array($0[T1...]) }

        let state = CarriedState(model: model, streams: B)
        _ = state.run(PackedBatch(first), targets: noTargets(first), training: false)
        let secondBatch = PackedBatch(second)
        _ = state.run(secondBatch, targets: noTargets(second), training: false)
        let actual = logits(model, secondBatch)

        for b in 0..<B {
            for t in 0..<T2 {
                for k in 0..<7 {
                    #expect(abs(actual[b][t][k] - expected[b][t][k]) <= 1e-5,
                            "stream \(b), step \(t), token \(k): \(actual[b][t][k]) vs \(expected[b][t][k])")
                }
            }
        }
    }

    @Test("gradients depend on the previous chunk only through the carried state", arguments: [CellKind.lstm, .gru])
    func gradientsStopAtTheBoundary(cell: CellKind) {
        let model = smallModel(cell)
        let B = 2
        let chunk1 = streams(B, 6, vocabulary: 7, seed: 21)
        let chunk1Changed = streams(B, 6, vocabulary: 7, seed: 22)
        let chunk2 = streams(B, 5, vocabulary: 7, seed: 23)
        let targets2 = streams(B, 5, vocabulary: 7, seed: 24)
        let state = CarriedState(model: model, streams: B)

        // Chunk 1, trained (its gradients are then discarded, as the trainer's zeroing does).
        _ = state.run(PackedBatch(chunk1), targets: chunk1.map { $0.map { ($0 + 1) % 7 } }, training: true)
        let h = Array(UnsafeBufferPointer(start: state.h, count: state.count))
        let c = state.c.map { Array(UnsafeBufferPointer(start: $0, count: state.count)) }
        model.parameters.zeroGradients()
        _ = state.run(PackedBatch(chunk2), targets: targets2, training: true)
        let carried = gradients(model)

        // Different chunk-1 tokens, then the same carried values put back: the same gradients.
        model.parameters.zeroGradients()
        _ = state.run(PackedBatch(chunk1Changed), targets: chunk1Changed, training: true)
        let hChanged = Array(UnsafeBufferPointer(start: state.h, count: state.count))
        #expect(hChanged != h, "the changed chunk must lead to a different state for this test to mean anything")
        state.h.update(from: h, count: state.count)
        if let c { state.c!.update(from: c, count: state.count) }
        model.parameters.zeroGradients()
        _ = state.run(PackedBatch(chunk2), targets: targets2, training: true)
        #expect(gradients(model) == carried)

        // And the carried values do matter: from a zero state the gradients differ.
        state.reset()
        model.parameters.zeroGradients()
        _ = state.run(PackedBatch(chunk2), targets: targets2, training: true)
        #expect(gradients(model) != carried)
    }

    @Test("streams are contiguous segments, batches consecutive steps, targets one token later")
    func streamLayout() {
        let tokens = Array(0..<23)
        let batches = StreamBatches(tokens, streams: 2, steps: 4, keepPartial: false)
        // S = ⌊22/2⌋ = 11 steps per stream; ⌊11/4⌋ = 2 full batches.
        #expect(batches.count == 2)
        #expect(batches.batches[0].tokens == [0, 11, 1, 12, 2, 13, 3, 14])  // packed time-major
        #expect(batches.targets[0] == [[1, 2, 3, 4], [12, 13, 14, 15]])
        #expect(batches.targets[1] == [[5, 6, 7, 8], [16, 17, 18, 19]])
        let evaluation = StreamBatches.forEvaluation(tokens, streams: 2, steps: 4)
        #expect(evaluation.count == 3)
        #expect(evaluation.targets[2] == [[9, 10, 11], [20, 21, 22]])
        #expect(StreamBatches.forEvaluation([4, 5, 6], streams: 50, steps: 10).streams == 2)
    }

    // MARK: Sampling

    private func randomLogits(_ V: Int, seed: UInt64, scale: Double = 3) -> [Float] {
        var rng = SeededGenerator(seed: seed)
        return (0..<V).map { _ in Float(rng.nextNormal() * scale) }
    }

    private func argmax(_ x: [Float]) -> Int { x.indices.max { (x[$0], $1) < (x[$1], $0) }! }

    @Test("temperature 0, and temperatures near 0, take the argmax")
    func greedy() {
        for seed in 0..<50 as Range<UInt64> {
            var logits = randomLogits(40, seed: seed)
            logits[argmax(logits)] += 0.05  // a margin, so that e^(−margin/τ) is negligible below
            var zero = TokenSampler(options: SamplingOptions(temperature: 0), seed: seed)
            #expect(zero.sample(logits) == argmax(logits))
            for temperature in [1e-3, 1e-5, 1e-8] {
                var cold = TokenSampler(options: SamplingOptions(temperature: temperature), seed: seed)
                for _ in 0..<5 { #expect(cold.sample(logits) == argmax(logits)) }
            }
        }
    }

    @Test("top-k never draws outside the k most likely tokens, and draws each of them")
    func topK() {
        let logits = randomLogits(30, seed: 5, scale: 0.5)
        let best = Set(logits.indices.sorted { logits[$0] > logits[$1] }.prefix(4))
        var sampler = TokenSampler(options: SamplingOptions(temperature: 1.5, topK: 4), seed: 9)
        var seen = Set<Int>()
        for _ in 0..<5000 {
            let k = sampler.sample(logits)
            #expect(best.contains(k))
            seen.insert(k)
        }
        #expect(seen == best)
    }

    @Test("top-p keeps the smallest most-likely set whose mass reaches p")
    func topP() {
        let p: [Double] = [0.1, 0.5, 0.15, 0.25]  // sorted: 1 (0.5), 3 (0.25), 2 (0.15), 0 (0.1)
        let logits = p.map { Float(log($0)) }
        func draws(_ topP: Double, _ n: Int = 4000) -> [Int: Int] {
            var sampler = TokenSampler(options: SamplingOptions(topP: topP), seed: 17)
            var counts: [Int: Int] = [:]
            for _ in 0..<n { counts[sampler.sample(logits), default: 0] += 1 }
            return counts
        }
        #expect(Set(draws(0.4).keys) == [1])
        #expect(Set(draws(0.7).keys) == [1, 3])      // 0.5 < 0.7 ≤ 0.75
        #expect(Set(draws(0.8).keys) == [1, 3, 2])   // 0.75 < 0.8 ≤ 0.9
        #expect(Set(draws(0.95).keys) == [1, 3, 2, 0])
        // Within the kept set, probabilities are renormalized: 0.5 : 0.25 = 2 : 1.
        let counts = draws(0.7, 6000)
        #expect(abs(Double(counts[1]!) / 6000 - 2.0 / 3) < 0.03)
        // After top-k the mass is renormalized over the k kept (as chained top-k and top-p
        // filters do elsewhere): top-2 leaves {0.5, 0.25} → {2/3, 1/3}, so p = 0.6 keeps token 1
        // alone, where top-p 0.6 without top-k keeps {1, 3} (0.5 < 0.6).
        func seen(_ options: SamplingOptions) -> Set<Int> {
            var sampler = TokenSampler(options: options, seed: 1)
            return Set((0..<2000).map { _ in sampler.sample(logits) })
        }
        #expect(seen(SamplingOptions(topK: 2, topP: 0.6)) == [1])
        #expect(seen(SamplingOptions(topP: 0.6)) == [1, 3])
        #expect(seen(SamplingOptions(topK: 2, topP: 0.7)) == [1, 3])
    }

    @Test("sampling without filters follows softmax(logits / τ)")
    func temperatureDistribution() {
        let logits: [Float] = [0, Float(log(3.0))]  // p = 1/4, 3/4 at τ = 1; at τ = 2: 1 : √3
        var sampler = TokenSampler(options: SamplingOptions(temperature: 2), seed: 4)
        var ones = 0
        let n = 20000
        for _ in 0..<n where sampler.sample(logits) == 1 { ones += 1 }
        let expected = 3.0.squareRoot() / (1 + 3.0.squareRoot())
        #expect(abs(Double(ones) / Double(n) - expected) < 0.015)
    }

    @Test("the excluded token (<unk>) is never drawn")
    func exclusion() {
        let logits: [Float] = [10, 0, 0]
        var sampler = TokenSampler(options: SamplingOptions(temperature: 1), seed: 2)
        for _ in 0..<500 { #expect(sampler.sample(logits, excluding: 0) != 0) }
        var greedy = TokenSampler(options: SamplingOptions(temperature: 0), seed: 2)
        #expect(greedy.sample(logits, excluding: 0) == 1)
    }

    @Test("the same seed gives the same draws; another seed, others")
    func samplerDeterminism() {
        let logits = randomLogits(50, seed: 8, scale: 1)
        let options = SamplingOptions(temperature: 0.9, topK: 20, topP: 0.95)
        func run(_ seed: UInt64) -> [Int] {
            var s = TokenSampler(options: options, seed: seed)
            return (0..<300).map { _ in s.sample(logits) }
        }
        #expect(run(3) == run(3))
        #expect(run(3) != run(4))
    }

    // MARK: Training and generation

    private func trainHelloWorld(seed: UInt64 = 1, steps epochs: Int = 15) throws -> TextLanguageModel {
        let corpus = LanguageModelCorpus(text: String(repeating: "hello world! ", count: 200), level: .char,
                                         validationFraction: 0)
        let config = LanguageModelConfiguration(cell: .lstm, vocabularySize: corpus.vocabulary.count,
                                                embeddingSize: 16, hiddenSize: 32, numLayers: 1)
        let model = LanguageModel(config, seed: seed)
        var options = LanguageModelTrainingOptions()
        options.batchSize = 8
        options.sequenceLength = 16
        options.learningRate = 0.01
        options.epochs = epochs  // 20 batches per epoch: 300 steps
        options.seed = seed
        try LanguageModelTrainer(model: model, options: options).fit(train: corpus.train)
        return TextLanguageModel(model: model, vocabulary: corpus.vocabulary, level: .char, training: options)
    }

    @Test("a tiny model trained on a repeated string reproduces it greedily")
    func learnsHelloWorld() throws {
        let lm = try trainHelloWorld()
        var text = ""
        let unknown = try lm.generate(prompt: "hello", options: GenerationOptions(length: 34, sampling: .init(temperature: 0))) {
            text += $0
        }
        #expect(unknown.isEmpty)
        #expect(text == " world! hello world! hello world! ")
    }

    @Test("generation is deterministic per seed; the stream API gives the same text")
    func generationDeterminism() async throws {
        let lm = try trainHelloWorld(steps: 2)
        func text(_ seed: UInt64) throws -> String {
            var s = ""
            try lm.generate(prompt: "he", options: GenerationOptions(length: 60, seed: seed)) { s += $0 }
            return s
        }
        let a = try text(7)
        #expect(a.unicodeScalars.count == 60)
        #expect(try text(7) == a)
        #expect(try text(8) != a)
        var streamed = ""
        for await piece in lm.generate(prompt: "he", options: GenerationOptions(length: 60, seed: 7)) { streamed += piece }
        #expect(streamed == a)
    }

    @Test("unknown prompt characters are reported and fed as <unk>")
    func unknownPrompt() throws {
        let lm = try trainHelloWorld(steps: 1)
        let generator = try TextGenerator(model: lm, prompt: "héllo→", sampling: SamplingOptions(), seed: 1)
        #expect(generator.unknownPromptTokens == ["é", "→"])
        #expect(throws: GenerationError.self) {
            try TextGenerator(model: lm, prompt: "", sampling: SamplingOptions(temperature: -1), seed: 1)
        }
    }

    @Test("Scores that overflow to infinity stop generation with an error, never a token drawn from NaN")
    func overflowingScores() throws {
        let lm = try trainHelloWorld(steps: 1)
        // Finite weights (a file with them loads) whose products overflow Float: the top layer's
        // biases saturate every state at +1, so each score is Σ 3e38·1 = +∞.
        let top = lm.model.rnn.layers[lm.model.rnn.numLayers - 1][0]
        for k in 0..<top.biasIH.value.count { top.biasIH.value[k] = 1e4 }
        let w = lm.model.fc.weight.value
        for k in 0..<w.count { w[k] = 3e38 }
        let generator = try TextGenerator(model: lm, prompt: "hello", sampling: SamplingOptions(), seed: 1)
        #expect(throws: GenerationError.notANumber(step: 1)) { try generator.nextToken() }
        var pieces: [String] = []
        #expect(throws: GenerationError.notANumber(step: 1)) {
            try lm.generate(prompt: "hello", options: GenerationOptions(length: 5)) { pieces.append($0) }
        }
        #expect(pieces.isEmpty)
    }

    @Test("word level: words, <unk> for rare ones, output joined with spaces")
    func wordLevel() throws {
        let text = String(repeating: "the cat sat on the mat. ", count: 40) + "zebra"
        let corpus = LanguageModelCorpus(text: text, level: .word, validationFraction: 0, minCount: 2)
        #expect(corpus.vocabulary.tokens.first == "<unk>")
        #expect(corpus.vocabulary.id(of: "zebra") == nil)
        #expect(corpus.unknownTrainTokens == 1)
        let model = LanguageModel(LanguageModelConfiguration(cell: .gru, vocabularySize: corpus.vocabulary.count,
                                                             embeddingSize: 8, hiddenSize: 16, numLayers: 1), seed: 2)
        var options = LanguageModelTrainingOptions()
        options.batchSize = 4
        options.sequenceLength = 8
        options.learningRate = 0.02
        options.epochs = 20
        try LanguageModelTrainer(model: model, options: options).fit(train: corpus.train)
        let lm = TextLanguageModel(model: model, vocabulary: corpus.vocabulary, level: .word)
        var out = ""
        try lm.generate(prompt: "the cat", options: GenerationOptions(length: 4, sampling: .init(temperature: 0))) { out += $0 }
        #expect(out == " sat on the mat")
        out = ""
        try lm.generate(prompt: "the cat ", options: GenerationOptions(length: 2, sampling: .init(temperature: 0))) { out += $0 }
        #expect(out == "sat on")
    }

    @Test("training and validation losses are reported each epoch; the best weights are kept")
    func reportsAndBestCheckpoint() throws {
        let text = String(repeating: "abcabd abcabe ", count: 60)
        let corpus = LanguageModelCorpus(text: text, level: .char, validationFraction: 0.2)
        #expect(corpus.validation.count == Int((Double(text.unicodeScalars.count) * 0.2).rounded()))
        let model = LanguageModel(LanguageModelConfiguration(cell: .rnnTanh, vocabularySize: corpus.vocabulary.count,
                                                             embeddingSize: 4, hiddenSize: 8, numLayers: 1), seed: 1)
        var options = LanguageModelTrainingOptions()
        options.batchSize = 4
        options.sequenceLength = 10
        options.epochs = 4
        options.learningRate = 0.5  // large on purpose, so some epoch is likely worse than an earlier one
        options.optimizer = .sgd
        let trainer = try LanguageModelTrainer(model: model, options: options)
        var evaluations: [EpochReport] = []
        var progress = 0
        let summary = try trainer.fit(train: corpus.train, validation: corpus.validation) { event in
            switch event {
            case .evaluated(let e): evaluations.append(e)
            case .batch: progress += 1
            default: break
            }
        }
        #expect(evaluations.count == 4)
        #expect(evaluations.last!.isFinal)
        #expect(progress == summary.steps)
        let best = evaluations.compactMap(\.validation).map(\.loss).min()!
        #expect(summary.bestValidation?.loss == best)
        // The model holds the best weights: evaluating it again gives the best loss.
        #expect(abs(trainer.evaluate(corpus.validation)!.loss - best) < 1e-9)
    }

    @Test("too little text is a clear error")
    func tooShort() throws {
        let model = smallModel(.lstm)
        let trainer = try LanguageModelTrainer(model: model, options: LanguageModelTrainingOptions())
        #expect(throws: TrainingError.trainingTextTooShort(tokens: 100, needed: 2501, batchSize: 50, sequenceLength: 50)) {
            try trainer.fit(train: Array(repeating: 1, count: 100))
        }
        let message = TrainingError.trainingTextTooShort(tokens: 100, needed: 2501, batchSize: 50,
                                                          sequenceLength: 50).description
        // The library names settings in words; flags are the command line's to add.
        #expect(message.contains("batch size") && message.contains("sequence length") && !message.contains("--"))
        #expect(throws: TrainingError.trainingTextTooShort(tokens: 0, needed: 2501, batchSize: 50, sequenceLength: 50)) {
            try trainer.fit(train: [])
        }
        // No text at all: more text is the remedy, not a smaller batch.
        let empty = TrainingError.trainingTextTooShort(tokens: 0, needed: 2501, batchSize: 50, sequenceLength: 50).description
        #expect(empty.contains("empty") && !empty.contains("batch"))
        #expect(throws: TrainingError.validationTextTooShort(tokens: 1)) {
            try trainer.fit(train: Array(repeating: 1, count: 3000), validation: [1])
        }
        #expect(!TrainingError.validationTextTooShort(tokens: 1).description.contains("--"))
        #expect(throws: TrainingError.self) {
            try trainer.fit(train: Array(repeating: 9, count: 3000))
        }
    }

    // MARK: Resume

    private func resumeCase(validation: Bool) -> (config: LanguageModelConfiguration, train: [Int], validation: [Int],
                                                  options: LanguageModelTrainingOptions) {
        let corpus = LanguageModelCorpus(text: String(repeating: "abcabd abcabe xyz ", count: 40), level: .char,
                                         validationFraction: validation ? 0.2 : 0)
        var config = LanguageModelConfiguration(cell: .lstm, vocabularySize: corpus.vocabulary.count, embeddingSize: 6,
                                                hiddenSize: 8, numLayers: 2)
        config.dropout = 0.2
        var options = LanguageModelTrainingOptions()
        options.batchSize = 4
        options.sequenceLength = 8
        options.learningRate = 0.01
        options.epochs = 3
        return (config, corpus.train, corpus.validation, options)
    }

    private func bits(_ model: LanguageModel) -> [[UInt32]] { model.parameters.map { $0.value.array.map(\.bitPattern) } }

    /// The evaluations, without wall-clock times.
    private func evaluations(_ reports: [EpochReport]) -> [String] {
        reports.map { "\($0.epoch) \($0.completeEpoch) \($0.train) \(String(describing: $0.validation)) \($0.isBest)" }
    }

    @Test("3 epochs straight, and 1 epoch then a resume to 3, give the same model file byte for byte")
    func resumeAtEpochEnd() throws {
        let directory = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let c = resumeCase(validation: true)
        func file(_ model: LanguageModel) -> [UInt8] {
            TextLanguageModel(model: model, vocabulary: Vocabulary(tokens: (0..<c.config.vocabularySize).map { "t\($0)" })!,
                              level: .char, training: c.options).safetensors().serialized()
        }
        let straight = LanguageModel(c.config, seed: 4)
        var straightReports: [EpochReport] = []
        let straightSummary = try LanguageModelTrainer(model: straight, options: c.options).fit(
            train: c.train, validation: c.validation) { if case .evaluated(let r) = $0 { straightReports.append(r) } }

        let path = directory.appendingPathComponent("checkpoint.safetensors").path
        var first = c.options
        first.epochs = 1
        try LanguageModelTrainer(model: LanguageModel(c.config, seed: 4), options: first)
            .fit(train: c.train, validation: c.validation, checkpoint: path)
        let resumed = LanguageModel(c.config, seed: 77)  // the checkpoint's weights must replace these
        var resumedReports: [EpochReport] = []
        var plan: TrainingPlan?
        let summary = try LanguageModelTrainer(model: resumed, options: c.options).fit(
            train: c.train, validation: c.validation, checkpoint: path, resume: true) { event in
            if case .started(let p) = event { plan = p }
            if case .evaluated(let r) = event { resumedReports.append(r) }
        }
        #expect(plan?.resumed?.epoch == 2 && plan?.resumed?.batch == 0)
        #expect(evaluations(resumedReports) == Array(evaluations(straightReports).suffix(2)))
        #expect(summary.bestEpoch == straightSummary.bestEpoch)
        #expect(summary.bestValidation == straightSummary.bestValidation)
        #expect(bits(resumed) == bits(straight))
        #expect(file(resumed) == file(straight))
        #expect(bits(straight) != bits(LanguageModel(c.config, seed: 4)))
    }

    /// A time budget stops the first run after its first batch, mid-epoch; the resumed run (no
    /// budget) carries on from that batch with the saved recurrent state, to the same weights.
    @Test("A run stopped by its time budget mid-epoch resumes to the weights of an uninterrupted run")
    func resumeMidEpoch() throws {
        let directory = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let c = resumeCase(validation: false)
        let straight = LanguageModel(c.config, seed: 4)
        try LanguageModelTrainer(model: straight, options: c.options).fit(train: c.train)

        let path = directory.appendingPathComponent("checkpoint.safetensors").path
        var timed = c.options
        timed.maxTime = 1e-9
        let stopped = try LanguageModelTrainer(model: LanguageModel(c.config, seed: 4), options: timed)
            .fit(train: c.train, checkpoint: path)
        #expect(stopped.stoppedByTime && stopped.steps == 1)
        #expect(stopped.lastReport?.completeEpoch == false)

        // The same budget again: nothing is left of it.
        let exhausted = try LanguageModelTrainer(model: LanguageModel(c.config, seed: 4), options: timed)
            .fit(train: c.train, checkpoint: path, resume: true)
        #expect(exhausted.steps == 0 && exhausted.stoppedByTime)

        let resumed = LanguageModel(c.config, seed: 9)
        var plan: TrainingPlan?
        let summary = try LanguageModelTrainer(model: resumed, options: c.options).fit(
            train: c.train, checkpoint: path, resume: true) { if case .started(let p) = $0 { plan = p } }
        #expect(plan?.resumed?.epoch == 1 && plan?.resumed?.batch == 1)
        #expect(summary.steps == 3 * plan!.batchesPerEpoch - 1)
        #expect(bits(resumed) == bits(straight))
    }

    @Test("a classifier checkpoint, or one of another text, is refused saying what differs")
    func checkpointMismatch() throws {
        let directory = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let c = resumeCase(validation: true)
        let path = directory.appendingPathComponent("checkpoint.safetensors").path
        var first = c.options
        first.epochs = 1
        try LanguageModelTrainer(model: LanguageModel(c.config, seed: 4), options: first)
            .fit(train: c.train, validation: c.validation, checkpoint: path)
        #expect { try LanguageModelTrainer(model: LanguageModel(c.config, seed: 4), options: c.options)
            .fit(train: Array(c.train.dropFirst()), validation: c.validation, checkpoint: path, resume: true)
        } throws: { "\($0)".contains("training data: \(c.train.count) tokens in the checkpoint, \(c.train.count - 1) here") }
        var options = c.options
        options.sequenceLength = 9
        #expect { try LanguageModelTrainer(model: LanguageModel(c.config, seed: 4), options: options)
            .fit(train: c.train, validation: c.validation, checkpoint: path, resume: true)
        } throws: { "\($0)".contains("sequence length is 8 in the checkpoint, 9 here") }

        let classifierPath = directory.appendingPathComponent("classifier.safetensors").path
        var classifierOptions = TrainingOptions.modern(epochs: 1)
        classifierOptions.batchSize = 2
        try ClassifierTrainer(model: SequenceClassifier(ClassifierConfiguration(vocabularySize: 4, embeddingSize: 2, hiddenSize: 3,
                                                                                numClasses: 2), seed: 1),
                              options: classifierOptions)
            .fit(train: [EncodedExample(tokens: [1, 2], label: 0), EncodedExample(tokens: [3], label: 1)],
                 checkpoint: classifierPath)
        #expect { try LanguageModelTrainer(model: LanguageModel(c.config, seed: 4), options: c.options)
            .fit(train: c.train, validation: c.validation, checkpoint: classifierPath, resume: true)
        } throws: { ($0 as? CheckpointError)?.kind == .otherTask && "\($0)".contains("classifier checkpoint") }
    }

    // MARK: Files

    @Test("same seed and data give a bit-identical model file; save and load round-trip")
    func fileDeterminismAndRoundTrip() throws {
        let a = try trainHelloWorld(seed: 5, steps: 2).safetensors().serialized()
        let b = try trainHelloWorld(seed: 5, steps: 2).safetensors().serialized()
        let c = try trainHelloWorld(seed: 6, steps: 2).safetensors().serialized()
        #expect(a == b)
        #expect(a != c)

        let lm = try trainHelloWorld(seed: 5, steps: 2)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("lm-\(UUID().uuidString).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try lm.save(to: path)
        let file = try Safetensors.read(path: path)
        #expect(Set(file.tensors.keys) == ["embedding.weight", "rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0",
                                           "rnn.bias_hh_l0", "fc.weight", "fc.bias"])
        #expect(file.metadata["format"] == "pt")
        #expect(file.metadata["rnnkit.version"] == rnnKitVersion)
        #expect(file.metadata["rnnkit.vocabulary"]?.hasPrefix("[\"<unk>\"") == true)
        let config = try JSONSerialization.jsonObject(with: Data(file.metadata["rnnkit.config"]!.utf8)) as! [String: Any]
        #expect(config["task"] as? String == "language_model")
        #expect(config["level"] as? String == "char")
        #expect(config["vocab_size"] as? Int == lm.vocabulary.count)

        let loaded = try TextLanguageModel.load(from: path)
        #expect(loaded.safetensors().serialized() == a)
        var x = "", y = ""
        let options = GenerationOptions(length: 40, seed: 3)
        try lm.generate(prompt: "wor", options: options) { x += $0 }
        try loaded.generate(prompt: "wor", options: options) { y += $0 }
        #expect(x == y)
    }

    @Test("loading something that is not a language model says what it is")
    func loaderErrors() throws {
        let lm = try trainHelloWorld(steps: 1)
        var file = lm.safetensors()
        file.metadata["rnnkit.config"] = #"{"task": "classify", "cell": "rnn_tanh", "vocab_size": 3, "hidden_size": 4, "num_classes": 2}"#
        #expect { try TextLanguageModel(safetensors: file, path: "m.safetensors") } throws: {
            // The library names no command: the CLI adds which one to use.
            ($0 as? ModelFileError)?.kind == .wrongTask(found: .classify) && "\($0)".contains("text classifier")
                && !"\($0)".contains("rnn ")
        }
        file = lm.safetensors()
        file.metadata.removeValue(forKey: "rnnkit.config")
        #expect { try TextLanguageModel(safetensors: file, path: "m.safetensors") } throws: {
            "\($0)".hasPrefix("m.safetensors: ") && "\($0)".contains("not an RNNKit model")
        }
        file = lm.safetensors()
        file.metadata["rnnkit.vocabulary"] = "[\"a\"]"
        #expect { try TextLanguageModel(safetensors: file) } throws: { "\($0)".contains("vocabulary has 1 token but") }
        file = lm.safetensors()
        file.tensors.removeValue(forKey: "fc.bias")
        #expect { try TextLanguageModel(safetensors: file) } throws: { "\($0)".contains("fc.bias") }
    }

    // MARK: Text input

    @Test("invalid UTF-8 is found at the first bad sequence", arguments: [
        ([0x61, 0x62, 0xFF], 2),                      // byte never valid
        ([0x61, 0x80], 1),                            // stray continuation
        ([0xC0, 0x80], 0),                            // overlong NUL
        ([0x61, 0xE0, 0x80, 0x80], 1),                // overlong three-byte
        ([0xED, 0xA0, 0x80], 0),                      // surrogate U+D800
        ([0xF4, 0x90, 0x80, 0x80], 0),                // above U+10FFFF
        ([0x61, 0xE2, 0x82], 1),                      // truncated at the end
        ([0xE2, 0x82, 0x41], 0),                      // continuation missing
        ([0x68, 0xC3, 0xA9, 0xF0, 0x9F, 0x98, 0x80, 0xC3], 7),  // valid é and 😀, then a lone lead byte
    ] as [([UInt8], Int)])
    func invalidUTF8(bytes: [UInt8], offset: Int) {
        #expect(UTF8Validation.firstInvalidOffset(bytes) == offset)
    }

    @Test("valid UTF-8 passes")
    func validUTF8() {
        #expect(UTF8Validation.firstInvalidOffset(Array("héllo wörld 😀 ∑ \u{10FFFF}".utf8)) == nil)
        #expect(UTF8Validation.firstInvalidOffset([UInt8]()) == nil)
    }

    @Test("a non-UTF-8 file is an error naming the file and the byte offset")
    func nonUTF8File() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("latin1-\(UUID().uuidString).txt").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        // "café " in UTF-8 (6 bytes), then Latin-1 "é" (0xE9) followed by ASCII.
        try Data(Array("café ".utf8) + [0xE9, 0x74, 0xE9]).write(to: URL(fileURLWithPath: path))
        do {
            _ = try LanguageModelText.read(path: path)
            Issue.record("expected an error")
        } catch let error as TextFileError {
            #expect(error.byteOffset == 6)
            #expect(error.description.hasPrefix(path + ": "))
            #expect(error.description.contains("byte offset 6"))
        }
        #expect(throws: TextFileError.self) { try LanguageModelText.decode([], path: "empty.txt") }
        #expect(try LanguageModelText.decode([0xEF, 0xBB, 0xBF, 0x61]) == "a")
        // A NUL byte (a binary file) is refused naming its line, as data files are; a lone CR is
        // only a character to a language model.
        let binary = try #require(throws: TextFileError.self) { try LanguageModelText.decode(Array("ab\ncd\0e".utf8), path: "z.bin") }
        #expect(binary.kind == .notText && binary.line == 2 && binary.description.contains("NUL"))
        #expect(try LanguageModelText.decode(Array("one\rtwo".utf8)) == "one\rtwo")
    }

    @Test("character tokens keep every character, newlines included")
    func characterTokens() {
        let corpus = LanguageModelCorpus(text: "ab\n\nb a\tc", level: .char, validationFraction: 0)
        #expect(corpus.train.count == 9)
        // Most frequent first, ties in order of first appearance.
        #expect(corpus.vocabulary.tokens == ["<unk>", "a", "b", "\n", " ", "\t", "c"])
        let split = LanguageModelCorpus(text: "aaaaaaaaxy", level: .char, validationFraction: 0.2)
        #expect(split.train == Array(repeating: 1, count: 8))
        #expect(split.validation == [0, 0])
        #expect(split.unknownValidationTokens == 2)
    }

    // MARK: Durations

    @Test("durations parse strictly", arguments: [
        ("300s", 300.0), ("5m", 300), ("1h", 3600), ("1.5h", 5400), ("0.5s", 0.5), ("90m", 5400), ("007s", 7),
    ])
    func durations(text: String, seconds: Double) throws {
        #expect(try TimeBudget.seconds(text) == seconds)
    }

    @Test("bad durations are rejected with an example of the format", arguments: [
        "", "5", "s", "m5", "5 m", " 5m", "5m ", "5min", "5M", "-5s", "+5s", "0s", "0.0m", "1h30m", "1e3s", ".5s",
        "5.s", "1..5s", "infs", "nans", "5d", "٥s",
    ])
    func badDurations(text: String) {
        #expect { try TimeBudget.seconds(text) } throws: {
            "\($0)".contains("300s, 5m or 1h") && "\($0)".contains("\"\(text)\"")
        }
    }
}
