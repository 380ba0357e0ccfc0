import Foundation
import Testing
@testable import RNNKit

/// The built-in baseline: tf-idf features as scikit-learn makes them, the logistic regression's
/// gradient against central differences, L-BFGS, and the classifier end to end (file round trip,
/// the movie sentences).
@Suite("Bag-of-n-grams classifier")
struct BagOfNgramsTests {
    @Test("tf-idf: n-grams, smoothed idf, sublinear tf, unit rows — scikit-learn's numbers")
    func features() {
        let texts = [["a", "b", "a"], ["b", "c"]]
        let f = NgramFeatures(fitting: texts, maxN: 2, minCount: 1)
        #expect(f.ngrams == ["a", "b", "a b", "b a", "c", "b c"])
        // idf = ln((1 + 2) / (1 + df)) + 1.
        let expected = [1.0, 0, 1, 1, 1, 1].map { $0 == 0 ? 1.0 : log(3.0 / 2) + 1 }
        for (a, b) in zip(f.idf, expected) { #expect(abs(a - b) < 1e-12) }
        // Text 1: a ×2 (tf 1 + ln 2), b, "a b", "b a"; normalised.
        let x = f.vector(["a", "b", "a"])
        #expect(x.features == [0, 1, 2, 3])
        let raw = [(1 + log(2.0)) * f.idf[0], f.idf[1], f.idf[2], f.idf[3]]
        let norm = raw.reduce(0) { $0 + $1 * $1 }.squareRoot()
        for (a, b) in zip(x.values, raw.map { $0 / norm }) { #expect(abs(a - b) < 1e-12) }
        #expect(f.vector(["z", "y"]).isEmpty)
        // minCount counts texts: only "b" is in both.
        #expect(NgramFeatures(fitting: texts, maxN: 2, minCount: 2).ngrams == ["b"])
        #expect(NgramFeatures.ngrams(of: ["x", "y", "z"], maxN: 3) == ["x", "y", "z", "x y", "y z", "x y z"])
    }

    @Test("Fitting numbers n-grams as integers: the same vocabulary, order, idf and vectors as looking each n-gram string up")
    func fittedCountsMatchLookups() {
        var rng = SeededGenerator(seed: 11)
        let words = ["a", "b", "c", "d", "ab"]  // "ab" is a word of its own, not the pair "a b"
        let texts = (0..<40).map { _ in (0..<Int(rng.nextUniform() * 9)).map { _ in words[Int(rng.nextUniform() * 5) % 5] } }
        for (maxN, minCount) in [(1, 1), (2, 1), (3, 2), (4, 3)] {
            let (f, counts) = NgramFeatures.fitted(texts, maxN: maxN, minCount: minCount)
            // The vocabulary by strings: every n-gram in at least minCount texts, in the order first met.
            var df: [String: Int] = [:], order: [String] = []
            for t in texts { for g in Set(NgramFeatures.ngrams(of: t, maxN: maxN)) { df[g, default: 0] += 1 } }
            for t in texts { for g in NgramFeatures.ngrams(of: t, maxN: maxN) where df[g]! >= minCount && !order.contains(g) { order.append(g) } }
            #expect(f.ngrams == order, "maxN \(maxN), minCount \(minCount)")
            #expect(f.idf == order.map { log(41.0 / (1 + Double(df[$0]!))) + 1 })
            for (t, c) in zip(texts, counts) { #expect(f.vector(counts: c) == f.vector(t)) }
        }
    }

    @Test("Naive Bayes weighting: idf times |r|, r the log-count ratio with α = 1 — numbers by hand")
    func naiveBayesByHand() {
        let texts = [["a", "b"], ["a", "c"], ["c"]], labels = [0, 1, 1]
        let f = NgramFeatures.fitted(texts, maxN: 1, minCount: 1, weighting: .naiveBayes, labels: labels, classes: 2).features
        #expect(f.ngrams == ["a", "b", "c"])
        // Label 0 against 1: p = 1 + (texts of label 0 holding j) = (2, 2, 1), ‖p‖₁ = 5;
        // q = 1 + (texts of label 1 holding j) = (2, 1, 3), ‖q‖₁ = 6. Label 1 against 0 is −r.
        let r = [log((2.0 / 5) / (2.0 / 6)), log((2.0 / 5) / (1.0 / 6)), log((1.0 / 5) / (3.0 / 6))]
        let idf = [log(4.0 / 3) + 1, log(4.0 / 2) + 1, log(4.0 / 3) + 1]
        for j in 0..<3 { #expect(abs(f.idf[j] - idf[j] * abs(r[j])) < 1e-12, "feature \(j)") }
        // Vectors are still of unit length.
        let x = f.vector(["a", "b", "b"])
        #expect(abs(x.values.reduce(0) { $0 + $1 * $1 } - 1) < 1e-12)
        // Weighting never changes which n-grams are kept.
        #expect(NgramFeatures(fitting: texts, maxN: 1, minCount: 1).ngrams == f.ngrams)
    }

    @Test("Naive Bayes weighting with two labels and three: one label against the rest, the largest |r|, as a direct count",
          arguments: [2, 3])
    func naiveBayesMatchesDirectCount(classes K: Int) {
        var rng = SeededGenerator(seed: 17)
        let words = ["a", "b", "c", "d", "e"]
        let texts = (0..<50).map { _ in (0..<(1 + Int(rng.nextUniform() * 6))).map { _ in words[Int(rng.nextUniform() * 5) % 5] } }
        let labels = texts.indices.map { ($0 * 7 + $0 / 3) % K }
        let f = NgramFeatures.fitted(texts, maxN: 2, minCount: 2, weighting: .naiveBayes, labels: labels, classes: K).features
        let plain = NgramFeatures.fitted(texts, maxN: 2, minCount: 2).features
        #expect(f.ngrams == plain.ngrams)
        let holding = texts.map { Set(NgramFeatures.ngrams(of: $0, maxN: 2)) }
        for (j, g) in f.ngrams.enumerated() {
            var best = 0.0
            for k in 0..<K {
                func smoothed(_ inClass: Bool, _ h: String) -> Double {
                    1 + Double(zip(holding, labels).filter { ($0.1 == k) == inClass && $0.0.contains(h) }.count)
                }
                let pNorm = f.ngrams.reduce(0) { $0 + smoothed(true, $1) }, qNorm = f.ngrams.reduce(0) { $0 + smoothed(false, $1) }
                best = max(best, abs(log(smoothed(true, g) / pNorm) - log(smoothed(false, g) / qNorm)))
            }
            #expect(abs(f.idf[j] - plain.idf[j] * best) < 1e-9, "\(g)")
        }
    }

    @Test("Recipes saved before n-gram weighting existed read as tf-idf; a saved weighting reads back")
    func weightingDecoding() throws {
        func withoutKey<T: Codable>(_ value: T, _ key: String) throws -> Data {
            var object = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(value)) as? [String: Any])
            #expect(object.removeValue(forKey: key) != nil)
            return try JSONSerialization.data(withJSONObject: object)
        }
        let hybrid = WideAndDeepRecipe.standard
        #expect(hybrid.ngramWeighting == .naiveBayes && BagOfNgramsRecipe.standard.weighting == .tfidf)
        #expect(try JSONDecoder().decode(WideAndDeepRecipe.self, from: JSONEncoder().encode(hybrid)) == hybrid)
        #expect(try JSONDecoder().decode(WideAndDeepRecipe.self, from: withoutKey(hybrid, "ngramWeighting")).ngramWeighting == .tfidf)
        let baseline = BagOfNgramsRecipe(weighting: .naiveBayes)
        #expect(try JSONDecoder().decode(BagOfNgramsRecipe.self, from: JSONEncoder().encode(baseline)) == baseline)
        #expect(try JSONDecoder().decode(BagOfNgramsRecipe.self, from: withoutKey(baseline, "weighting")).weighting == .tfidf)
    }

    @Test("The objective's gradient against central differences, two classes and three", arguments: [2, 3])
    func gradient(classes: Int) {
        var rng = SeededGenerator(seed: 5)
        let d = 7
        let rows = (0..<9).map { _ in
            let features = (0..<d).filter { _ in rng.nextUniform() < 0.5 }
            return SparseRow(features: features, values: features.map { _ in rng.nextUniform() * 2 - 1 })
        }
        let labels = (0..<9).map { $0 % classes }
        let R = classes == 2 ? 1 : classes
        let p = (0..<(R * d + R)).map { _ in rng.nextUniform() - 0.5 }
        var g = [Double](repeating: 0, count: p.count), scratch = g
        _ = LogisticRegression.objective(p, gradient: &g, rows: SparseMatrix(rows), labels: labels, classes: classes, features: d, C: 1.7)
        var worst = 0.0
        for j in p.indices {
            var up = p, down = p
            up[j] += 1e-6
            down[j] -= 1e-6
            let numeric = (LogisticRegression.objective(up, gradient: &scratch, rows: SparseMatrix(rows), labels: labels, classes: classes, features: d, C: 1.7)
                - LogisticRegression.objective(down, gradient: &scratch, rows: SparseMatrix(rows), labels: labels, classes: classes, features: d, C: 1.7)) / 2e-6
            worst = max(worst, relativeError(g[j], numeric, floor: 1e-6))
        }
        #expect(worst < 1e-6, "largest relative error \(worst)")
    }

    @Test("L-BFGS finds the minimum of Rosenbrock's function")
    func lbfgs() {
        let result = LBFGS().minimize(from: [-1.2, 1]) { x, g in
            let (a, b) = (x[0], x[1])
            g[0] = -2 * (1 - a) - 400 * a * (b - a * a)
            g[1] = 200 * (b - a * a)
            return (1 - a) * (1 - a) + 100 * (b - a * a) * (b - a * a)
        }
        #expect(result.converged && abs(result.x[0] - 1) < 1e-3 && abs(result.x[1] - 1) < 1e-3, "\(result.x) after \(result.iterations)")
    }

    @Test("Trains, predicts, scores, and the file round trip gives the same model and the same bytes")
    func endToEnd() throws {
        let rows = ["a good film", "good and fun", "very good", "a bad film", "bad and dull", "very bad", "not good at all"]
            .enumerated().map { LabeledText(text: $1, label: $0 < 3 ? "positive" : "negative", line: $0 + 2) }
        let model = try BagOfNgramsClassifier.train(on: rows)
        #expect(model.labels == ["negative", "positive"])
        #expect(model.converged == true)
        #expect(try model.predict("good fun").label == "positive")
        #expect(try model.predict("dull and bad").label == "negative")
        #expect(try model.predict("good zzz").unknownWords == ["zzz"])
        #expect(throws: TextClassifier.PredictionError.self) { try model.predict("zzz qqq") }
        let p = try model.predict("a film")
        #expect(abs(p.probabilities.reduce(0, +) - 1) < 1e-6)
        let evaluation = try model.evaluate(on: rows, source: "rows")
        #expect(evaluation.report.accuracy == 1 && evaluation.report.count == 7)
        #expect(throws: DataFileError.self) { try model.evaluate(on: [LabeledText(text: "good", label: "neutral", line: 3)], source: "x") }

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bow-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("bow.safetensors").path
        try model.save(to: path)
        let loaded = try BagOfNgramsClassifier.load(from: path)
        for text in ["good fun", "a bad film", "very dull"] { #expect(try loaded.predict(text) == (try model.predict(text))) }
        #expect(loaded.recipe == model.recipe && loaded.configuration == model.configuration)
        let again = dir.appendingPathComponent("again.safetensors").path
        try loaded.save(to: again)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(contentsOf: URL(fileURLWithPath: again)))
        // Either kind of classifier loads through one call; the other loaders name the kind.
        #expect(try ClassifierFile.load(from: path) is BagOfNgramsClassifier)
        #expect(throws: ModelFileError.self) { try TextClassifier.load(from: path) }
        do { _ = try TextClassifier.load(from: path) } catch let e as ModelFileError {
            #expect(e.kind == .wrongTask(found: .bagOfNgrams))
        }
        // Three labels: the multinomial fit.
        let three = rows + ["it was fine", "fine I guess", "a fine film"].enumerated().map { LabeledText(text: $1, label: "neutral", line: $0 + 20) }
        let multi = try BagOfNgramsClassifier.train(on: three)
        #expect(multi.labels == ["negative", "neutral", "positive"])
        #expect(try multi.predict("fine").label == "neutral")
    }

    @Test("Bad recipes and data: clear errors")
    func refusals() {
        #expect(throws: TrainingError.self) { try BagOfNgramsClassifier.train(on: [], recipe: BagOfNgramsRecipe(maxN: 0)) }
        #expect(throws: TrainingError.self) { try BagOfNgramsClassifier.train(on: [], recipe: BagOfNgramsRecipe(inverseRegularization: .nan)) }
        #expect(throws: DataFileError.self) { try BagOfNgramsClassifier.train(on: [LabeledText(text: "a", label: "x")]) }
    }

    @Test("The movie sentences: the baseline's accuracy (scikit-learn's on its own tokens: 0.797)")
    func movie() throws {
        let root = Fixtures.packageRoot.appendingPathComponent("data/movie").path
        let source = { (name: String) in LabeledTextSource.file("\(root)/\(name).tsv", label: "score", threshold: 0) }
        let model = try BagOfNgramsClassifier.train(on: source("train").load())
        let test = try model.evaluate(on: source("test")).report.accuracy
        #expect(model.converged == true)
        #expect(test > 0.78, "test accuracy \(test)")
    }

    @Test("The movie sentences with Naive Bayes weighting: ahead of tf-idf on dev")
    func movieNaiveBayes() throws {
        let root = Fixtures.packageRoot.appendingPathComponent("data/movie").path
        let source = { (name: String) in LabeledTextSource.file("\(root)/\(name).tsv", label: "score", threshold: 0) }
        let train = try source("train").load()
        let plain = try BagOfNgramsClassifier.train(on: train)
        let weighted = try BagOfNgramsClassifier.train(on: train, recipe: BagOfNgramsRecipe(weighting: .naiveBayes))
        let (a, b) = (try plain.evaluate(on: source("dev")).report.accuracy, try weighted.evaluate(on: source("dev")).report.accuracy)
        #expect(weighted.converged == true)
        #expect(b > a + 0.005, "dev accuracy \(b) with Naive Bayes weighting, \(a) without")
    }
}
