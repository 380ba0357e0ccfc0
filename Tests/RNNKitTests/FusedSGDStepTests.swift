import Testing
@testable import RNNKit

// The tutorial's one-pass step (`FusedSGDStep`) against the general path it replaces
// (`SequenceClassifier.accumulateGradients`, then `ParameterUpdate.apply`): the same model bit for
// bit, step after step, at every instruction-set level (in a child process, as `KernelTests`).

enum FusedStepChecks {
    struct Case {
        var cell: CellKind = .rnnTanh
        var hiddenSize = 64
        var recurrentBias = false
        var rule: BackwardRule = .exact
        var clipping: GradientClipping = .value(1)
        var learningRate: Float = 0.02
    }

    static let cases = [
        Case(),
        Case(hiddenSize: 13, recurrentBias: true, rule: .tutorial, clipping: .none, learningRate: 0.05),
        Case(cell: .rnnRelu, hiddenSize: 24, clipping: .value(0.5), learningRate: 0.01),
    ]

    static func bits(_ model: SequenceClassifier) -> [[UInt32]] {
        model.parameters.map { $0.value.array.map(\.bitPattern) }
    }

    /// Two epochs of the tutorial's sentences, one 40-word sentence (beyond the fused step's
    /// length: the general path takes it) and one whose last word's W_ih row is NaN (a NaN loss:
    /// the step is skipped), each model trained one way; after every step the weights, the loss,
    /// the prediction and whether the step was taken agree, and the fused step leaves every
    /// gradient zero.
    static func matchesGeneralPath(_ c: Case, overflowBound: Double, level: Int) {
        let data = ClassifierData.tutorial()
        let V = data.vocabulary.count + 1, poisoned = V - 1
        var config = ClassifierConfiguration.tutorial(vocabularySize: V, hiddenSize: c.hiddenSize, numClasses: 2)
        config.cell = c.cell
        config.recurrentBias = c.recurrentBias
        config.backward = c.rule
        let fusedModel = SequenceClassifier(config, seed: 5, initialization: .tutorial)
        let generalModel = SequenceClassifier(config, seed: 5, initialization: .tutorial)
        for model in [fusedModel, generalModel] {
            for j in 0..<c.hiddenSize { model.rnn.layers[0][0].weightIH.value[poisoned, j] = .nan }
        }
        func update(_ model: SequenceClassifier) -> ParameterUpdate {
            ParameterUpdate(parameters: model.parameters, optimizer: SGD(learningRate: c.learningRate),
                            clipping: c.clipping, fuseSGD: true)
        }
        let fusedUpdate = update(fusedModel), generalUpdate = update(generalModel)
        let what = "level \(level) \(c) bound \(overflowBound)"
        guard let fused = FusedSGDStep(model: fusedModel, update: fusedUpdate, batchSize: 1, overflowBound: overflowBound) else {
            Issue.record("\(what): the tutorial's kind of model was not fused")
            return
        }
        let long = EncodedExample(tokens: (0..<40).map { $0 % (V - 1) }, label: 1)
        let examples = data.train + [long, EncodedExample(tokens: [3, 0, poisoned], label: 0)]
        var fusedSteps = 0, skipped = 0
        for epoch in 0..<2 {
            for (k, e) in examples.enumerated() {
                let general = generalModel.accumulateGradients(e.tokens, target: e.label)
                let generalTaken = generalUpdate.apply(lossIsFinite: general.loss.isFinite)
                let result: (loss: Float, correct: Bool, taken: Bool)
                if let r = fused.step(tokens: e.tokens, target: e.label) {
                    result = (Float(r.loss), r.correct, r.taken)
                    fusedSteps += 1
                } else {
                    let r = fusedModel.accumulateGradients(e.tokens, target: e.label)
                    result = (r.loss, r.correct, fusedUpdate.apply(lossIsFinite: r.loss.isFinite))
                }
                let at = "\(what) epoch \(epoch) example \(k)"
                #expect(result.taken == generalTaken, "\(at): taken \(result.taken), general \(generalTaken)")
                #expect(result.loss.bitPattern == general.loss.bitPattern || (result.loss.isNaN && general.loss.isNaN),
                        "\(at): loss \(result.loss), general \(general.loss)")
                #expect(result.correct == general.correct, "\(at): prediction differs")
                #expect(bits(fusedModel) == bits(generalModel), "\(at): the weights differ")
                #expect(fusedModel.parameters.allSatisfy { $0.grad.array.allSatisfy { $0 == 0 } }, "\(at): a gradient was left")
                if !generalTaken { skipped += 1 }
                if !(bits(fusedModel) == bits(generalModel)) { return }
            }
        }
        #expect(fusedSteps == 2 * data.train.count + 2, "\(what): \(fusedSteps) fused steps")
        #expect(skipped == 2, "\(what): \(skipped) skipped steps")
    }
}

@Suite("Fused SGD step", .serialized)
struct FusedSGDStepTests {
    @Test("The fused step trains the same model as the general path, bit for bit, at every level")
    func matchesGeneralPath() async {
        await #expect(processExitsWith: .success) {
            KernelChecks.forEachLevel { level in
                for c in FusedStepChecks.cases {
                    FusedStepChecks.matchesGeneralPath(c, overflowBound: Double(Float.greatestFiniteMagnitude), level: level)
                    // A bound of 0 sends W_hh's gradient through the stored-and-checked branch.
                    FusedStepChecks.matchesGeneralPath(c, overflowBound: 0, level: level)
                }
            }
        }
    }

    @Test("The trainer fuses the tutorial's steps, and the model and reports are those of the general path")
    func trainerUsesIt() throws {
        let data = ClassifierData.tutorial()
        var options = TrainingOptions()
        options.epochs = 20
        options.reportEvery = 5
        func train(fused: Bool) throws -> (trainer: ClassifierTrainer, bits: [[UInt32]], losses: [UInt64]) {
            let model = SequenceClassifier(.tutorial(vocabularySize: data.vocabulary.count), seed: 2, initialization: .tutorial)
            let trainer = try ClassifierTrainer(model: model, options: options, fusesSteps: fused)
            var losses: [UInt64] = []
            try trainer.fit(train: data.train, test: data.test, event: { event in
                if case .evaluated(let r) = event { losses += [r.train.loss.bitPattern, r.test!.loss.bitPattern] }
            })
            return (trainer, FusedStepChecks.bits(model), losses)
        }
        let fused = try train(fused: true), general = try train(fused: false)
        #expect(fused.trainer.task.fused != nil && general.trainer.task.fused == nil)
        #expect(fused.bits == general.bits)
        #expect(fused.losses == general.losses && fused.losses.count == 8)
    }

    @Test("Only the tutorial's kind of network and optimizer is fused")
    func eligibility() {
        let tutorial = ClassifierConfiguration.tutorial(vocabularySize: 10, hiddenSize: 8)
        func fuses(_ config: ClassifierConfiguration, optimizer: any Optimizer = SGD(learningRate: 0.02),
                   clipping: GradientClipping = .value(1), batchSize: Int = 1) -> Bool {
            let model = SequenceClassifier(config, seed: 1)
            let update = ParameterUpdate(parameters: model.parameters, optimizer: optimizer, clipping: clipping, fuseSGD: true)
            return FusedSGDStep(model: model, update: update, batchSize: batchSize) != nil
        }
        #expect(fuses(tutorial))
        #expect(fuses(tutorial, clipping: .none))
        #expect(!fuses(tutorial, clipping: .norm(5)))
        #expect(!fuses(tutorial, batchSize: 2))
        #expect(!fuses(tutorial, optimizer: SGD(learningRate: 0.02, momentum: 0.9)))
        #expect(!fuses(tutorial, optimizer: Adam(learningRate: 0.01)))
        var other = tutorial
        other.cell = .lstm
        #expect(!fuses(other))
        other = tutorial
        other.numLayers = 2
        #expect(!fuses(other))
        other = tutorial
        other.pooling = .max
        #expect(!fuses(other))
        other = tutorial
        other.bidirectional = true
        #expect(!fuses(other))
        other = tutorial
        other.input = .embedding
        other.embeddingSize = 4
        #expect(!fuses(other))
    }
}
