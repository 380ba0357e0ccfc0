import Foundation
import Testing
import RNNKit

/// The public surface, used as a Swift developer uses it: recipes, training in one call,
/// evaluation, files, generation.
@Suite("Public API")
struct APITests {
    @Test("Recipes are Codable values that round-trip exactly")
    func recipesRoundTrip() throws {
        var custom = ClassifierRecipe.standard
        custom.cell = .gru
        custom.vocabulary = .frequency(minCount: 3, maxSize: 500)
        custom.training.patience = nil
        for recipe in [ClassifierRecipe.tutorial, .standard, custom] {
            let data = try JSONEncoder().encode(recipe)
            #expect(try JSONDecoder().decode(ClassifierRecipe.self, from: data) == recipe)
        }
        var lm = LanguageModelRecipe.charRNN
        lm.training.maxTime = 30
        lm.training.epochs = nil
        for recipe in [LanguageModelRecipe.charRNN, lm] {
            let data = try JSONEncoder().encode(recipe)
            #expect(try JSONDecoder().decode(LanguageModelRecipe.self, from: data) == recipe)
        }
    }

    @Test("The tutorial recipe trains the tutorial's model: 100% on its test set, deterministic, saved and loaded alike")
    func tutorialThroughTheAPI() throws {
        let model = try TextClassifier.train(on: .tutorialTrain, recipe: .tutorial)
        #expect(model.configuration.hiddenSize == 64 && model.configuration.input == .oneHot)
        #expect(model.configuration.recurrentBias == false, "the tutorial's model keeps one bias")
        let evaluation = try model.evaluate(on: .tutorialTest)
        #expect(evaluation.report.accuracy == 1, "\(evaluation.report)")
        #expect(try model.predict("i am very good").label == "positive")
        #expect(try model.predict("this is not happy").label == "negative")

        let again = try TextClassifier.train(on: .tutorialTrain, recipe: .tutorial)
        #expect(again.safetensors().serialized() == model.safetensors().serialized(), "same recipe and data, same bytes")

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rnnkit-api-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("m.safetensors").path
        try model.save(to: path)
        let loaded = try TextClassifier.load(from: path)
        #expect(loaded.configuration == model.configuration && loaded.labels == model.labels)
        #expect(try loaded.predict("i am very good") == model.predict("i am very good"))
    }

    @Test("A recipe that cannot train says which field is wrong, before any work")
    func invalidRecipe() throws {
        var recipe = ClassifierRecipe.standard
        recipe.hiddenSize = 0
        #expect { try TextClassifier.train(on: .tutorialTrain, recipe: recipe) } throws: {
            guard case .invalidRecipe(let problem)? = $0 as? TrainingError else { return false }
            return problem.contains("hiddenSize")
        }
        recipe = .standard
        recipe.training.learningRate = .nan
        #expect(throws: TrainingError.self) { try TextClassifier.train(on: .tutorialTrain, recipe: recipe) }
        var lm = LanguageModelRecipe.charRNN
        lm.validationFraction = 1
        #expect { try TextLanguageModel.train(onText: "abc", recipe: lm) } throws: {
            "\($0)".contains("validationFraction")
        }
    }

    @Test("Evaluating on a label the model does not know names the line")
    func evaluateUnknownLabel() throws {
        let model = try TextClassifier.train(on: .tutorialTrain, recipe: .tutorial)
        let rows = [LabeledText(text: "i am good", label: "positive", line: 2),
                    LabeledText(text: "i am bad", label: "neutral", line: 3)]
        #expect { try model.evaluate(on: rows, source: "x.tsv") } throws: {
            guard let e = $0 as? DataFileError else { return false }
            return e.kind == .unknownLabel && e.line == 3 && "\(e)".hasPrefix("x.tsv:3")
        }
    }

    @Test("A language model trains from a text and generates the same text for the same seed")
    func languageModel() throws {
        var recipe = LanguageModelRecipe.charRNN
        recipe.hiddenSize = 16
        recipe.embeddingSize = 8
        recipe.numLayers = 1
        recipe.training.batchSize = 4
        recipe.training.sequenceLength = 16
        recipe.training.epochs = 2
        let text = String(repeating: "hello world, hello rnn. ", count: 40)
        let lm = try TextLanguageModel.train(onText: text, recipe: recipe)
        #expect(lm.configuration.hiddenSize == 16 && lm.level == .char)
        func sample(_ seed: UInt64) throws -> String {
            var out = ""
            try lm.generate(prompt: "hello", options: GenerationOptions(length: 30, seed: seed)) { out += $0 }
            return out
        }
        let first = try sample(7)
        #expect(first.unicodeScalars.count == 30)
        #expect(try sample(7) == first)
    }
}
