import Foundation
import Testing
@testable import RNNKit

/// Sizes a configuration or recipe may ask for, model files read header first, non-finite
/// weights, and configuration JSON errors in the configuration's own words.
@Suite("Model limits and hostile model files")
struct ModelLimitsTests {
    private static func classifier(hidden: Int = 64, layers: Int = 1, vocabulary: Int = 18) -> ClassifierConfiguration {
        var c = ClassifierConfiguration(cell: .lstm, input: .embedding, vocabularySize: vocabulary, embeddingSize: 16,
                                        hiddenSize: hidden, numClasses: 2, numLayers: layers)
        c.pooling = .max
        return c
    }

    private static func scratch() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("rnnkit-limits-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The tutorial's 18 words, a one-hot tanh RNN of 8 with random weights, as a file.
    private static func savedClassifier(in folder: URL, edit: (inout Safetensors) -> Void = { _ in }) throws -> String {
        let config = ClassifierConfiguration.tutorial(vocabularySize: 18, hiddenSize: 8)
        let model = SequenceClassifier(config, seed: 3, initialization: .tutorial)
        let classifier = TextClassifier(model: model, vocabulary: Vocabulary(tokens: (0..<18).map { "w\($0)" })!,
                                        labels: ["a", "b"], tokenizer: .spaces)
        var file = classifier.safetensors()
        edit(&file)
        let path = folder.appendingPathComponent("m.safetensors").path
        try file.write(to: path)
        return path
    }

    @Test("Configurations: sizes past ModelLimits are problems, named by key, and no size overflows")
    func configurationLimits() {
        #expect(Self.classifier().problem == nil)
        #expect(Self.classifier(hidden: 1_000_000_000_000).problem == "hidden_size must be between 1 and 65536 (got 1000000000000)")
        #expect(Self.classifier(layers: 1_000_000_000).problem == "num_layers must be between 1 and 256 (got 1000000000)")
        #expect(Self.classifier(hidden: 65536).problem?.hasPrefix("the network would have") == true)
        // Two LSTM layers of 4096 (202 M weights) are within the limit, three (336 M) are not.
        #expect(Self.classifier(hidden: 4096, layers: 2).problem == nil)
        #expect(Self.classifier(hidden: 4096, layers: 3).problem?.hasPrefix("the network would have 335913250 parameters") == true)
        // Products that overflow Int are still a problem, not a trap.
        #expect(Self.classifier(vocabulary: Int.max).problem?.hasPrefix("the network would have") == true)
        var lm = LanguageModelConfiguration(cell: .gru, vocabularySize: 100, embeddingSize: 1_000_000_000_000, hiddenSize: 8,
                                            numLayers: 1)
        #expect(lm.problem == "embedding_size must be between 1 and 65536 (got 1000000000000)")
        lm.embeddingSize = 8
        lm.numLayers = 1_000_000
        #expect(lm.problem == "num_layers must be between 1 and 256 (got 1000000)")
        lm.numLayers = 2
        #expect(lm.problem == nil)
        // The count is PyTorch's: nn.LSTM(16, 64) has 4·64·(16 + 64 + 2) weights.
        #expect(Self.classifier().parameterCount == Double(18 * 16 + 4 * 64 * (16 + 64 + 2) + 2 * 65))
    }

    @Test("Recipes: the same limits, in the recipe's field names; the whole network checked before allocation")
    func recipeLimits() throws {
        var recipe = ClassifierRecipe.standard
        recipe.numLayers = 1_000_000_000
        #expect(recipe.problem == "numLayers must be between 1 and 256 (got 1000000000)")
        recipe.numLayers = 1
        recipe.embeddingSize = 1_000_000_000_000
        #expect(recipe.problem == "embeddingSize must be between 1 and 65536 (got 1000000000000)")
        var lm = LanguageModelRecipe.charRNN
        lm.hiddenSize = 70_000
        #expect(lm.problem == "hiddenSize must be between 1 and 65536 (got 70000)")

        var tutorial = ClassifierRecipe.tutorial
        tutorial.hiddenSize = 65536
        #expect(tutorial.problem == nil)
        #expect { try ClassifierTraining(train: TutorialDataset.train, recipe: tutorial) } throws: {
            guard case .invalidRecipe(let problem)? = $0 as? TrainingError else { return false }
            return problem.hasPrefix("the network would have") && problem.contains("268435456")
        }
    }

    @Test("A model file's header is checked before its data is read: sizes, limits, the tensors' size")
    func headerFirst() throws {
        let folder = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        let good = try Self.savedClassifier(in: folder)
        var seen: (metadata: [String: String], values: Int)?
        _ = try Safetensors.read(path: good) { seen = ($0, $1) }
        #expect(seen?.metadata["rnnkit.config"] != nil)
        #expect(seen?.values == 2 * 8 + 2 + 8 * 8 + 8 + 8 + 18 * 8)  // fc, W_hh, b_ih, b_hh (zeros), W_ih: 242
        struct Stop: Error {}
        #expect(throws: Stop.self) { try Safetensors.read(path: good) { _, _ in throw Stop() } }
        #expect(try TextClassifier.load(from: good).labels == ["a", "b"])

        func editConfig(_ from: String, _ to: String) -> (inout Safetensors) -> Void {
            { $0.metadata["rnnkit.config"] = $0.metadata["rnnkit.config"]!.replacingOccurrences(of: from, with: to) }
        }
        let tooWide = try Self.savedClassifier(in: folder, edit: editConfig("\"hidden_size\":8", "\"hidden_size\":1000000000000"))
        #expect { try TextClassifier.load(from: tooWide) } throws: {
            ($0 as? ModelFileError)?.kind == .inconsistent && "\($0)".contains("hidden_size must be between 1 and 65536")
        }
        let unfilled = try Self.savedClassifier(in: folder, edit: editConfig("\"hidden_size\":8", "\"hidden_size\":16000"))
        #expect { try TextClassifier.load(from: unfilled) } throws: {
            "\($0)".contains("the tensors hold 242 values but the configuration's network has")
        }

        // The header length runs past the end; a file with data no tensor owns.
        let short = folder.appendingPathComponent("short.safetensors").path
        try Data([0xFF, 0xFF, 0, 0, 0, 0, 0, 0] + Array("{}".utf8)).write(to: URL(fileURLWithPath: short))
        #expect { try Safetensors.read(path: short) } throws: { ($0 as? SafetensorsError)?.kind == .headerPastEnd }
        let padded = folder.appendingPathComponent("padded.safetensors").path
        try Data([2, 0, 0, 0, 0, 0, 0, 0] + Array("{}".utf8) + [UInt8](repeating: 0, count: 100)).write(to: URL(fileURLWithPath: padded))
        #expect { try Safetensors.read(path: padded) } throws: { ($0 as? SafetensorsError)?.kind == .offsetsOutOfRange }

        // A FIFO: refused without opening it (opening would wait for a writer).
        let fifo = folder.appendingPathComponent("fifo").path
        try #require(mkfifo(fifo, 0o644) == 0)
        #expect { try Safetensors.read(path: fifo) } throws: {
            ($0 as? SafetensorsError)?.kind == .unreadable && "\($0)".contains("it must be a regular file")
        }
    }

    @Test("Non-finite weights are refused at load and at import, naming the tensor and how many")
    func nonFiniteWeights() throws {
        let folder = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = try Self.savedClassifier(in: folder) { file in
            file.tensors["rnn.weight_hh_l0"]!.values[3] = .nan
            file.tensors["rnn.weight_hh_l0"]!.values[5] = .infinity
            file.tensors["rnn.weight_hh_l0"]!.values[7] = -.infinity
        }
        #expect { try TextClassifier.load(from: path) } throws: {
            ($0 as? ModelFileError)?.kind == .nonFinite(tensor: "rnn.weight_hh_l0", count: 3)
                && "\($0)".contains("holds 3 values that are not a finite number")
        }
        var config = ClassifierConfiguration.tutorial(vocabularySize: 18, hiddenSize: 8)
        config.recurrentBias = true
        #expect {
            try TextClassifier.importPyTorch(weightsAt: path, configuration: config,
                                             vocabulary: Vocabulary(tokens: (0..<18).map { "w\($0)" })!,
                                             labels: ["a", "b"], tokenizer: .spaces)
        } throws: { ($0 as? ModelFileError)?.kind == .nonFinite(tensor: "rnn.weight_hh_l0", count: 3) }
    }

    @Test("Finite weights so large that the outputs overflow: an error, never NaN probabilities")
    func overflowingOutputs() throws {
        let model = SequenceClassifier(.tutorial(vocabularySize: 18, hiddenSize: 8))
        for i in 0..<model.rnn.layers[0][0].weightIH.value.count { model.rnn.layers[0][0].weightIH.value[i] = 1 }
        for i in 0..<model.fc.weight.value.count { model.fc.weight.value[i] = 3e38 }
        let classifier = TextClassifier(model: model, vocabulary: Vocabulary(tokens: (0..<18).map { "w\($0)" })!,
                                        labels: ["a", "b"], tokenizer: .spaces)
        #expect(throws: TextClassifier.PredictionError.notANumber(text: "w1 w2")) { try classifier.predict("w1 w2") }
    }

    @Test("Configuration JSON that is wrong is named by key, with what it must be", arguments: [
        (#"{"cell":"foo","input":"one_hot","vocab_size":18,"hidden_size":8,"num_classes":2}"#,
         "c.json: configuration key `cell` is `foo`; expected one of rnn_tanh, rnn_relu, lstm, gru."),
        (#"{"cell":"lstm","input":"one_hot","vocab_size":18,"hidden_size":1e400,"num_classes":2}"#,
         "c.json: configuration key `hidden_size` is `1e400`; expected a whole number."),
        (#"{"cell":"lstm","input":"one_hot","vocab_size":18,"hidden_size":8.5,"num_classes":2}"#,
         "c.json: configuration key `hidden_size` is `8.5`; expected a whole number."),
        (#"{"cell":"lstm","input":"sparse","vocab_size":18,"hidden_size":8,"num_classes":2}"#,
         "c.json: configuration key `input` is `sparse`; expected one of embedding, one_hot."),
        (#"{"cell":"lstm","input":"one_hot","vocab_size":18,"hidden_size":8,"num_classes":2,"pooling":[1]}"#,
         "c.json: configuration key `pooling` is an array; expected one of last, max, mean."),
        (#"{"cell":"lstm","input":"one_hot","hidden_size":8,"num_classes":2}"#,
         "c.json: configuration key `vocab_size` is missing."),
        (#"{"cell":"lstm","input":"one_hot","vocab_size":18,"hidden_size":8,"num_classes":2,"dropout":"x"}"#,
         "c.json: configuration key `dropout` is `x`; expected a number in [0, 1)."),
        (#"["lstm"]"#, "c.json: the configuration is a JSON array, not an object of keys."),
        (#"{"cell": lstm}"#, "c.json: the configuration is not JSON: "),
    ])
    func configurationMessages(json: String, message: String) {
        #expect { try ClassifierConfiguration(json: json, path: "c.json") } throws: { error in
            let text = "\(error)"
            #expect(text.hasPrefix(message), "\(text)")
            return error is ModelFileError && !text.contains("DecodingError") && !text.contains("Cannot initialize")
        }
    }
}
