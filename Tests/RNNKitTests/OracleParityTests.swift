import Foundation
import Testing
import RNNKit

// Oracle parity: every `*.json` in the seed fixture folder holds what the tutorial's own numpy code
// computes (each file's `about` says how). The check is chosen by the file's fields, so more fixtures
// of the same form are picked up without code changes:
//   - "step" fixtures (`cases`): forward outputs, then the weights after one backprop + clip + SGD step;
//   - "trajectory" fixtures (`orders`): a few epochs in a given example order, metrics and final weights.

/// One fixture file, shown by name in the test report.
struct FixtureFile: Sendable, CustomTestStringConvertible {
    var url: URL
    var testDescription: String { url.lastPathComponent }
}

/// The seed fixture files. Throws (failing every test that uses it) when there are none.
func seedFixtureFiles() throws -> [FixtureFile] {
    try Fixtures.jsonFiles(in: "seed").map(FixtureFile.init)
}

/// A seed fixture file, decoded.
struct SeedFixture {
    struct StepCase {
        var text: String
        var indices: [Int]
        var target: Int
        var logits: [Double]
        var finalHidden: [Double]
        var probs: [Double]
        var loss: Double
        var weightsAfterStep: [ReferenceParameter: NumericArray]
        /// The same case computed by plain float32 numpy on float32-rounded weights, when the
        /// fixture has it: what float32 arithmetic itself can reach on this case.
        var float32: Float32Case?
    }

    /// A step case's `float32` object.
    struct Float32Case {
        var logits: [Double]
        var finalHidden: [Double]
        var probs: [Double]
        var loss: Double?
        var weightsAfterStep: [ReferenceParameter: NumericArray]?
    }

    struct Trajectory {
        var train: [(text: String, label: Any)]
        var test: [(text: String, label: Any)]
        var orders: [[Int]]
        var trainLoss, trainAccuracy, testLoss, testAccuracy: [Double]
        var finalWeights: [ReferenceParameter: NumericArray]
    }

    enum Form {
        case step([StepCase])
        case trajectory(Trajectory)
    }

    var name: String
    var vocab: [String]
    var hiddenSize: Int
    var outputSize: Int
    var learningRate: Double
    var weights: [ReferenceParameter: NumericArray]
    var form: Form

    /// The tutorial clips every gradient element to [−1, 1] (the fixtures' `about` says so).
    static let clipValue = 1.0

    init(url: URL) throws {
        let file = url.lastPathComponent
        let o = try Fixtures.object(at: url)
        name = file
        vocab = try o.field("vocab", as: [String].self, in: file)
        hiddenSize = try o.int("hidden_size", in: file)
        outputSize = try o.int("output_size", in: file)
        learningRate = try o.double("learn_rate", in: file)
        let V = vocab.count, H = hiddenSize, O = outputSize
        let shapes: [ReferenceParameter: [Int]] = [.wxh: [H, V], .whh: [H, H], .bh: [H], .why: [O, H], .by: [O]]

        func weightSet(_ key: String, in object: [String: Any]) throws -> [ReferenceParameter: NumericArray] {
            let w = try object.field(key, as: [String: Any].self, in: file)
            var out: [ReferenceParameter: NumericArray] = [:]
            for p in ReferenceParameter.allCases {
                var a = try w.numbers(p.rawValue, in: "\(file) \(key)")
                // Biases may be stored as numpy column vectors, (H, 1).
                if a.values.count == shapes[p]!.reduce(1, *) { a.shape = shapes[p]! }
                guard a.shape == shapes[p]! else {
                    throw Fixtures.Missing(description: "\(file): \(key).\(p.rawValue) has shape \(a.shape), expected \(shapes[p]!).")
                }
                out[p] = a
            }
            return out
        }
        weights = try weightSet("weights", in: o)

        if o["cases"] != nil {
            let cases = try o.field("cases", as: [[String: Any]].self, in: file)
            form = .step(try cases.enumerated().map { k, c in
                let where_ = "\(file) case \(k)"
                var float32: Float32Case?
                if c["float32"] != nil {
                    let f = try c.field("float32", as: [String: Any].self, in: where_)
                    let in32 = where_ + " float32"
                    float32 = Float32Case(
                        logits: try f.numbers("logits", in: in32).values,
                        finalHidden: try f.numbers("final_hidden", in: in32).values,
                        probs: try f.numbers("probs", in: in32).values,
                        loss: f["loss"] == nil ? nil : try f.double("loss", in: in32),
                        weightsAfterStep: f["weights_after_step"] == nil ? nil : try weightSet("weights_after_step", in: f))
                }
                return StepCase(
                    text: try c.field("text", in: where_),
                    indices: try c.numbers("indices", in: where_).values.map { Int($0) },
                    target: try c.int("target", in: where_),
                    logits: try c.numbers("logits", in: where_).values,
                    finalHidden: try c.numbers("final_hidden", in: where_).values,
                    probs: try c.numbers("probs", in: where_).values,
                    loss: try c.double("loss", in: where_),
                    weightsAfterStep: try weightSet("weights_after_step", in: c),
                    float32: float32)
            })
        } else if o["orders"] != nil {
            func pairs(_ key: String) throws -> [(text: String, label: Any)] {
                try o.field(key, as: [[Any]].self, in: file).map { pair in
                    guard pair.count == 2, let text = pair[0] as? String else {
                        throw Fixtures.Missing(description: "\(file): `\(key)` items must be [text, label].")
                    }
                    return (text, pair[1])
                }
            }
            form = .trajectory(Trajectory(
                train: try pairs("train"), test: try pairs("test"),
                orders: try o.field("orders", as: [[Any]].self, in: file).map { order in
                    try order.map { i in
                        guard let n = i as? NSNumber else { throw Fixtures.Missing(description: "\(file): `orders` holds a non-number.") }
                        return n.intValue
                    }
                },
                trainLoss: try o.numbers("train_loss", in: file).values,
                trainAccuracy: try o.numbers("train_accuracy", in: file).values,
                testLoss: try o.numbers("test_loss", in: file).values,
                testAccuracy: try o.numbers("test_accuracy", in: file).values,
                finalWeights: try weightSet("final_weights", in: o)))
        } else {
            throw Fixtures.Missing(description: "\(file): neither `cases` (a step fixture) nor `orders` (a trajectory fixture); unknown fixture form.")
        }
    }

    /// The tutorial's model with the published code's backward rule (dh_{t−1} = Whh·g), which is
    /// what the oracle computed; the exact rule is checked against it separately below.
    var configuration: ClassifierConfiguration {
        var c = ClassifierConfiguration.tutorial(vocabularySize: vocab.count, hiddenSize: hiddenSize, numClasses: outputSize)
        c.backward = .tutorial
        return c
    }

    /// The naive reference holding a weight set.
    func reference<S: ReferenceScalar>(_ set: [ReferenceParameter: NumericArray], as: S.Type = S.self) -> ReferenceRNNClassifier<S> {
        var r = ReferenceRNNClassifier<S>(vocabularySize: vocab.count, hiddenSize: hiddenSize, numClasses: outputSize)
        for p in ReferenceParameter.allCases { r[p] = set[p]!.values.map { S($0) } }
        return r
    }

    /// An optimized model holding the fixture's starting weights.
    func model() -> SequenceClassifier {
        let m = SequenceClassifier(configuration)
        reference(weights, as: Double.self).copy(into: m)
        return m
    }

    /// Word ids of a text, split on spaces as the tutorial does; nil if a word is not in `vocab`.
    func encode(_ text: String) -> [Int]? {
        let vocabulary = Vocabulary(tokens: vocab)!
        let e = vocabulary.encode(text, tokenizer: .spaces)
        return e.unknown.isEmpty ? e.ids : nil
    }

    /// Class index of a trajectory label: an integer as is, a string by its rank among the sorted labels.
    func encodeLabel(_ label: Any, labels: [String]) -> Int? {
        if let n = label as? NSNumber { return n.intValue }
        if let s = label as? String { return labels.firstIndex(of: s) }
        return nil
    }

    func examples(_ pairs: [(text: String, label: Any)], labels: [String]) throws -> [EncodedExample] {
        try pairs.map { pair in
            let tokens = try #require(encode(pair.text), "\(name): a word of \"\(pair.text)\" is not in the fixture's vocab")
            let label = try #require(encodeLabel(pair.label, labels: labels), "\(name): bad label \(pair.label)")
            return EncodedExample(tokens: tokens, label: label)
        }
    }

    func stringLabels(_ t: Trajectory) -> [String] {
        Set((t.train + t.test).compactMap { $0.label as? String }).sorted()
    }
}

/// Tolerances the issue sets: step fixtures 1e-5, trajectories 1e-4; relative for values above 1.
private let stepTolerance = 1e-5
private let trajectoryTolerance = 1e-4
/// The final hidden state (which the issue does not list) gets 1e-4 in cases without a `float32`
/// record: no Float32 implementation can hold it to 1e-5 on seed_step_clipping. Its 10-word case runs
/// a recurrence with |Whh| up to 2.6, which amplifies rounding about a hundredfold: numpy's own
/// float32 forward misses h_T by 7e-6 there, and by 2e-4 on seed_step_illconditioned's 23-word case.
private let hiddenTolerance = 1e-4

/// Cases with a `float32` record (plain float32 numpy on float32-rounded weights) are held to what
/// float32 arithmetic reaches on them: per quantity, error(ours) ≤ max(3 · error(float32 numpy),
/// 2 float32 ulps), and ≤ 1e-5 wherever float32 numpy is within 1e-5. The error is `expectClose`'s
/// measure: max |a − e| / max(1, |e|) against the float64 oracle.
enum Float32Parity {
    static let factor = 3.0
    static let floor = 2 * Double(Float.ulpOfOne)

    static func error<A: BinaryFloatingPoint>(_ actual: [A], _ expected: [Double]) -> Double {
        zip(actual, expected).reduce(0.0) { worst, pair in
            let e = abs(Double(pair.0) - pair.1) / max(1, abs(pair.1))
            return e.isNaN ? .infinity : max(worst, e)
        }
    }

    /// How a quantity is held to float32 numpy's error `e32`.
    enum Rule {
        /// The optimized model: max(3·e32, 2 ulps), and 1e-5 where e32 ≤ 1e-5.
        case optimized
        /// The naive Float reference, a plain float32 loop like numpy's but summing in a different
        /// order (so its rounding is a different draw): the fixed tolerance, or 3·e32 where float32
        /// numpy itself misses that.
        case plainFloat(fixed: Double)
    }

    static func tolerance(float32Error e32: Double, rule: Rule = .optimized) -> Double {
        switch rule {
        case .optimized:
            let t = max(factor * e32, floor)
            return e32 <= stepTolerance ? min(t, stepTolerance) : t
        case .plainFloat(let fixed):
            return max(fixed, factor * e32)
        }
    }

    /// Checks one quantity against the oracle within the tolerance float32 numpy's error gives.
    static func expect<A: BinaryFloatingPoint>(_ actual: [A], oracle: [Double], float32: [Double], rule: Rule = .optimized,
                                               _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(actual.count == oracle.count && float32.count == oracle.count, "\(what): sizes", sourceLocation: sourceLocation)
        let ours = error(actual, oracle), theirs = error(float32, oracle)
        let tolerance = tolerance(float32Error: theirs, rule: rule)
        if !(ours <= tolerance) {
            Issue.record("\(what): error \(ours) against the oracle, float32 numpy's \(theirs), tolerance \(tolerance)",
                         sourceLocation: sourceLocation)
        }
    }
}

@Suite("Oracle parity with the seed fixtures")
struct OracleParityTests {
    @Test("The seed fixture folder is found and holds fixtures")
    func fixturesAreDiscovered() throws {
        let files = try seedFixtureFiles()
        #expect(!files.isEmpty)
        for f in files {
            // Every file must be of a known form; decoding checks fields and shapes.
            _ = try SeedFixture(url: f.url)
        }
    }

    @Test("Optimized Float32 model matches the oracle", arguments: try seedFixtureFiles())
    func optimizedModel(_ file: FixtureFile) throws {
        let fixture = try SeedFixture(url: file.url)
        switch fixture.form {
        case .step(let cases):
            #expect(!cases.isEmpty, "\(fixture.name) has no cases")
            for (k, c) in cases.enumerated() { try checkStep(fixture, c, number: k) }
        case .trajectory(let t):
            try checkTrajectory(fixture, t)
        }
    }

    @Test("Optimized model at every kernel level: within 3× of float32 numpy's error (1e-5 where it is), or the fixed tolerances")
    func optimizedModelAtEveryLevel() async {
        // In a child process: the level is process-wide, and other suites compare bits in parallel.
        await #expect(processExitsWith: .success) { try OracleParityTests.checkEveryLevel() }
    }

    /// Every step case at every level this CPU runs: held to float32 numpy's error where the case has a
    /// `float32` record, else to the fixed tolerances. Fails when there is no step case.
    static func checkEveryLevel() throws {
        let levels = Kernels.availableLevels
        defer { Kernels.setLevel(levels.last!) }
        var checked = 0
        for level in levels {
            Kernels.setLevel(level)
            for file in try seedFixtureFiles() {
                let fixture = try SeedFixture(url: file.url)
                guard case .step(let cases) = fixture.form else { continue }
                for (k, c) in cases.enumerated() {
                    try OracleParityTests().checkStep(fixture, c, number: k, level: level)
                    checked += 1
                }
            }
        }
        #expect(checked > 0, "the seed fixtures hold no step case")
    }

    @Test("Naive reference (Float and Double, published tutorial rule) matches the oracle",
          arguments: try seedFixtureFiles())
    func referenceModel(_ file: FixtureFile) throws {
        let fixture = try SeedFixture(url: file.url)
        switch fixture.form {
        case .step(let cases):
            for (k, c) in cases.enumerated() {
                checkReferenceStep(fixture, c, number: k, as: Double.self)
                checkReferenceStep(fixture, c, number: k, as: Float.self)
            }
        case .trajectory(let t):
            // The Double reference follows the whole trajectory; Float would only repeat it slower.
            try checkReferenceTrajectory(fixture, t, as: Double.self)
        }
    }

    // MARK: Step fixtures

    /// One step case at the current kernel level (`level` only names it in messages).
    func checkStep(_ fixture: SeedFixture, _ c: SeedFixture.StepCase, number k: Int, level: Int? = nil) throws {
        let label = "\(fixture.name) case \(k) \"\(c.text)\"" + (level.map { " at kernel level \($0)" } ?? "")
        #expect(fixture.encode(c.text) == c.indices, "\(label): the text does not encode to its indices with the fixture's vocab")
        let model = fixture.model()

        let logits = model.logits(c.indices), probs = model.probabilities(c.indices), hidden = model.finalHidden
        let evaluated = model.evaluate(c.indices, target: c.target)
        // One step: backprop, clip each element to [−1, 1], SGD.
        model.parameters.zeroGradients()
        let result = model.accumulateGradients(c.indices, target: c.target)
        GradientClipping.value(Float(SeedFixture.clipValue)).apply(to: model.parameters)
        SGD(learningRate: Float(fixture.learningRate)).step(model.parameters)
        let after = ReferenceRNNClassifier<Double>(from: model)

        checkStepOutputs(fixture, c, label: label, logits: logits, probs: probs, hidden: hidden,
                         losses: [("loss", evaluated.loss), ("loss from accumulateGradients", result.loss)],
                         after: { after[$0] })
    }

    /// The checks of a step case's outputs: against float32 numpy's error when the case has a
    /// `float32` record, else at the fixed tolerances.
    private func checkStepOutputs<S: BinaryFloatingPoint>(
        _ fixture: SeedFixture, _ c: SeedFixture.StepCase, label: String, logits: [S], probs: [S], hidden: [S],
        losses: [(String, S)], after: (ReferenceParameter) -> [Double], plainFloat: Bool = false
    ) {
        if let f = c.float32 {
            func rule(_ fixed: Double) -> Float32Parity.Rule { plainFloat ? .plainFloat(fixed: fixed) : .optimized }
            Float32Parity.expect(logits, oracle: c.logits, float32: f.logits, rule: rule(stepTolerance), "\(label): logits")
            Float32Parity.expect(probs, oracle: c.probs, float32: f.probs, rule: rule(stepTolerance), "\(label): probabilities")
            Float32Parity.expect(hidden, oracle: c.finalHidden, float32: f.finalHidden, rule: rule(hiddenTolerance),
                                 "\(label): final hidden state")
            for (name, loss) in losses {
                if let l = f.loss {
                    Float32Parity.expect([loss], oracle: [c.loss], float32: [l], rule: rule(stepTolerance), "\(label): \(name)")
                } else {
                    expectClose(loss, c.loss, tolerance: stepTolerance, "\(label): \(name)")
                }
            }
            for p in ReferenceParameter.allCases {
                let expected = c.weightsAfterStep[p]!, what = "\(label): \(p.rawValue) after one step"
                if let w = f.weightsAfterStep?[p] {
                    Float32Parity.expect(after(p), oracle: expected.values, float32: w.values, rule: rule(stepTolerance), what)
                } else {
                    expectClose(after(p), expected.values, tolerance: stepTolerance, shape: expected.shape, what)
                }
            }
        } else {
            expectClose(logits, c.logits, tolerance: stepTolerance, "\(label): logits")
            expectClose(probs, c.probs, tolerance: stepTolerance, "\(label): probabilities")
            expectClose(hidden, c.finalHidden, tolerance: hiddenTolerance, "\(label): final hidden state")
            for (name, loss) in losses { expectClose(loss, c.loss, tolerance: stepTolerance, "\(label): \(name)") }
            for p in ReferenceParameter.allCases {
                let expected = c.weightsAfterStep[p]!, mine = after(p)
                expectClose(mine, expected.values, tolerance: stepTolerance, shape: expected.shape,
                            "\(label): \(p.rawValue) after one step" + diagnosis(fixture, c, parameter: p, optimized: mine))
            }
        }
    }

    /// When the weights after a step disagree: which backprop rule the oracle and the optimized model
    /// each follow, from the Double reference run both ways.
    private func diagnosis(_ fixture: SeedFixture, _ c: SeedFixture.StepCase, parameter p: ReferenceParameter,
                           optimized: [Double]) -> String {
        func stepped(_ rule: BackwardRule) -> [Double] {
            var r = fixture.reference(fixture.weights, as: Double.self)
            r.trainStep(tokens: c.indices, target: c.target, learningRate: fixture.learningRate,
                        clip: SeedFixture.clipValue, rule: rule)
            return r[p]
        }
        let exact = stepped(.exact), published = stepped(.tutorial)
        let expected = c.weightsAfterStep[p]!.values
        let oracleVsPublished = largestDifference(published, expected)?.error ?? 0
        let oracleVsExact = largestDifference(exact, expected)?.error ?? 0
        let optimizedVsExact = largestDifference(optimized, exact)?.error ?? 0
        return ". Diagnosis from the Double reference: the oracle differs from the published-tutorial rule "
            + "dh_{t-1} = Whh·g by \(oracleVsPublished) and from the exact gradient dh_{t-1} = Whhᵀ·g by "
            + "\(oracleVsExact); the optimized model differs from the exact rule by \(optimizedVsExact)"
    }

    private func checkReferenceStep<S: ReferenceScalar>(_ fixture: SeedFixture, _ c: SeedFixture.StepCase,
                                                         number k: Int, as: S.Type) {
        let label = "\(fixture.name) case \(k) \"\(c.text)\" (reference \(S.self))"
        var r = fixture.reference(fixture.weights, as: S.self)
        let f = r.forward(tokens: c.indices)
        let loss = r.loss(tokens: c.indices, target: c.target)
        r.trainStep(tokens: c.indices, target: c.target, learningRate: S(fixture.learningRate),
                    clip: S(SeedFixture.clipValue), rule: .tutorial)
        if S.self == Double.self {
            // In Double every quantity, the final hidden state included, meets 1e-5.
            expectClose(f.logits, c.logits, tolerance: stepTolerance, "\(label): logits")
            expectClose(f.probs, c.probs, tolerance: stepTolerance, "\(label): probabilities")
            expectClose(f.hT, c.finalHidden, tolerance: stepTolerance, "\(label): final hidden state")
            expectClose(loss, c.loss, tolerance: stepTolerance, "\(label): loss")
            for p in ReferenceParameter.allCases {
                let expected = c.weightsAfterStep[p]!
                expectClose(r[p], expected.values, tolerance: stepTolerance, shape: expected.shape,
                            "\(label): \(p.rawValue) after one step")
            }
        } else {
            checkStepOutputs(fixture, c, label: label, logits: f.logits, probs: f.probs, hidden: f.hT,
                             losses: [("loss", loss)], after: { r[$0].map { Double($0) } }, plainFloat: true)
        }
    }

    // MARK: Trajectory fixtures

    private func checkTrajectory(_ fixture: SeedFixture, _ t: SeedFixture.Trajectory) throws {
        let labels = fixture.stringLabels(t)
        let train = try fixture.examples(t.train, labels: labels)
        let test = try fixture.examples(t.test, labels: labels)
        try #require(t.orders.count == t.trainLoss.count && t.orders.count == t.testAccuracy.count,
                     "\(fixture.name): \(t.orders.count) orders but \(t.trainLoss.count) epochs of metrics")

        let model = fixture.model()
        var options = TrainingOptions()
        options.epochs = t.orders.count
        options.learningRate = Float(fixture.learningRate)
        options.clipValue = Float(SeedFixture.clipValue)
        let trainer = try ClassifierTrainer(model: model, options: options)
        for (e, order) in t.orders.enumerated() {
            let label = "\(fixture.name) epoch \(e + 1)"
            let trained = trainer.trainEpoch(train, order: order)
            let tested = trainer.evaluate(test)
            expectClose(trained.loss, t.trainLoss[e], tolerance: trajectoryTolerance, "\(label): train loss")
            expectClose(trained.accuracy ?? .nan, t.trainAccuracy[e], tolerance: trajectoryTolerance, "\(label): train accuracy")
            expectClose(tested.loss, t.testLoss[e], tolerance: trajectoryTolerance, "\(label): test loss")
            expectClose(tested.accuracy ?? .nan, t.testAccuracy[e], tolerance: trajectoryTolerance, "\(label): test accuracy")
        }
        let final = ReferenceRNNClassifier<Double>(from: model)
        for p in ReferenceParameter.allCases {
            let expected = t.finalWeights[p]!
            expectClose(final[p], expected.values, tolerance: trajectoryTolerance, shape: expected.shape,
                        "\(fixture.name): final \(p.rawValue)")
        }
    }

    private func checkReferenceTrajectory<S: ReferenceScalar>(_ fixture: SeedFixture, _ t: SeedFixture.Trajectory,
                                                               as: S.Type) throws {
        let labels = fixture.stringLabels(t)
        let train = try fixture.examples(t.train, labels: labels)
        let test = try fixture.examples(t.test, labels: labels)
        var r = fixture.reference(fixture.weights, as: S.self)
        func metrics(_ examples: [EncodedExample], order: [Int], learn: Bool) -> (loss: Double, accuracy: Double) {
            var loss = 0.0, correct = 0
            for i in order {
                let e = examples[i]
                let p = r.forward(tokens: e.tokens).probs
                correct += p.indices.max { p[$0] < p[$1] } == e.label ? 1 : 0
                if learn {
                    loss += Double(r.trainStep(tokens: e.tokens, target: e.label, learningRate: S(fixture.learningRate),
                                               clip: S(SeedFixture.clipValue), rule: .tutorial))
                } else {
                    loss += Double(r.loss(tokens: e.tokens, target: e.label))
                }
            }
            return (loss / Double(order.count), Double(correct) / Double(order.count))
        }
        for (e, order) in t.orders.enumerated() {
            let label = "\(fixture.name) epoch \(e + 1) (reference \(S.self))"
            let trained = metrics(train, order: order, learn: true)
            let tested = metrics(test, order: Array(test.indices), learn: false)
            expectClose(trained.loss, t.trainLoss[e], tolerance: trajectoryTolerance, "\(label): train loss")
            expectClose(trained.accuracy, t.trainAccuracy[e], tolerance: trajectoryTolerance, "\(label): train accuracy")
            expectClose(tested.loss, t.testLoss[e], tolerance: trajectoryTolerance, "\(label): test loss")
            expectClose(tested.accuracy, t.testAccuracy[e], tolerance: trajectoryTolerance, "\(label): test accuracy")
        }
        for p in ReferenceParameter.allCases {
            let expected = t.finalWeights[p]!
            expectClose(r[p], expected.values, tolerance: trajectoryTolerance, shape: expected.shape,
                        "\(fixture.name): final \(p.rawValue) (reference \(S.self))")
        }
    }
}
