import Foundation
import Testing
@testable import RNNKit

/// Starting a classifier from a language model and fine-tuning it: which rows are copied (by
/// word), that the classifier starts from the model's weights, the schedule's values, that
/// frozen groups do not move, that a fine-tuning run resumes bit-identically, and the errors.
@Suite("Fine-tuning from a language model")
struct FineTuningTests {
    static let lmWords = ["<unk>", "<eos>", "good", "bad", "film", "plot"]

    /// A word-level language model over `lmWords` with seeded weights.
    static func languageModel(cell: CellKind = .lstm, layers: Int = 2, lowercase: Bool = true) -> TextLanguageModel {
        let c = LanguageModelConfiguration(cell: cell, vocabularySize: lmWords.count, embeddingSize: 4, hiddenSize: 5,
                                           numLayers: layers)
        return TextLanguageModel(model: LanguageModel(c, seed: 11), vocabulary: Vocabulary(tokens: lmWords)!, level: .word,
                                 tokenizer: .words(lowercase: lowercase))
    }

    static func rows(_ count: Int) -> [LabeledText] {
        (0..<count).map { k in
            k % 2 == 0 ? LabeledText(text: "a good film , good acting", label: "pos")
                : LabeledText(text: "a bad film , bad plot", label: "neg")
        }
    }

    static func recipe(for lm: TextLanguageModel) -> ClassifierRecipe {
        var r = ClassifierRecipe.standard.adopting(lm)
        r.vocabulary = .frequency(minCount: 1, maxSize: nil)
        r.validationFraction = nil
        r.training.epochs = 3
        r.training.batchSize = 4
        r.dropout = 0
        return r
    }

    @Test("The slanted triangular schedule at given steps; constant is 1 throughout")
    func schedule() {
        let f = FineTuning.ulmfit  // cut 0.1, ratio 32
        // T = 100: cut = 10; a rise from 1/32 to 1 over steps 0…10, then a fall over 90 steps.
        let lowest: Double = 1.0 / 32, halfway: Double = 16.5 / 32, last: Double = (1 + 31.0 / 90) / 32
        let atStart = f.scheduleFactor(step: 0, totalSteps: 100), rising = f.scheduleFactor(step: 5, totalSteps: 100)
        let peak = f.scheduleFactor(step: 10, totalSteps: 100), falling = f.scheduleFactor(step: 55, totalSteps: 100)
        let atEnd = f.scheduleFactor(step: 99, totalSteps: 100)
        #expect(atStart == lowest)
        #expect(rising == halfway)
        #expect(peak == 1)
        #expect(abs(falling - halfway) < 1e-15)
        #expect(abs(atEnd - last) < 1e-15)
        var constant = f
        constant.schedule = .constant
        #expect([0, 10, 99].map { constant.scheduleFactor(step: $0, totalSteps: 100) } == [1, 1, 1])
    }

    @Test("Group factors: 1/2.6 per group down; with gradual unfreezing one more group per epoch")
    func groupFactors() {
        let f = FineTuning.ulmfit
        #expect(f.groupFactor(group: 0, epoch: 1) == 1)
        #expect(f.groupFactor(group: 1, epoch: 1) == 0)
        #expect(abs(f.groupFactor(group: 1, epoch: 2) - 1 / 2.6) < 1e-6)
        #expect(f.groupFactor(group: 2, epoch: 2) == 0)
        #expect(abs(f.groupFactor(group: 2, epoch: 3) - 1 / (2.6 * 2.6)) < 1e-6)
        var all = f
        all.gradualUnfreezing = false
        all.layerDecay = 1
        #expect((0..<4).map { all.groupFactor(group: $0, epoch: 1) } == [1, 1, 1, 1])
    }

    @Test("Vocabulary reconciliation: known words take the model's rows, by word; new words fresh or the mean row", arguments: [FineTuning.NewWordRows.fresh, .mean])
    func reconciliation(newWordRows: FineTuning.NewWordRows) throws {
        let lm = Self.languageModel()
        let vocabulary = Vocabulary(tokens: ["<pad>", "<unk>", "film", "great", "good"])!
        var config = ClassifierConfiguration(cell: .lstm, input: .embedding, vocabularySize: 5, embeddingSize: 4,
                                             hiddenSize: 5, numClasses: 2, numLayers: 2)
        config.pooling = .max
        let classifier = SequenceClassifier(config, seed: 3)
        let before = classifier.embedding!.weight.value.array
        let copied = classifier.copyPretrained(from: lm.model, lmVocabulary: lm.vocabulary, vocabulary: vocabulary,
                                               newWordRows: newWordRows)
        #expect(copied == [nil, 0, 4, nil, 2])
        let E = 4, table = classifier.embedding!.weight.value.array, source = lm.model.embedding.weight.value.array
        func row(_ t: [Float], _ k: Int) -> [Float] { Array(t[(k * E)..<((k + 1) * E)]) }
        for (id, lmID) in copied.enumerated() {
            if let lmID {
                #expect(row(table, id) == row(source, lmID), "\(vocabulary.tokens[id])")
            } else if newWordRows == .fresh {
                #expect(row(table, id) == row(before, id), "\(vocabulary.tokens[id]) keeps its own row")
            } else {
                let mean = (0..<E).map { e in Float((0..<Self.lmWords.count).reduce(0.0) { $0 + Double(source[$1 * E + e]) } / Double(Self.lmWords.count)) }
                #expect(row(table, id) == mean, "\(vocabulary.tokens[id]) gets the mean row")
            }
        }
        for (mine, theirs) in zip(classifier.rnn.parameters, lm.model.rnn.parameters) {
            #expect(mine.value.array == theirs.value.array, "\(mine.name)")
        }
    }

    @Test("A classifier run started from a language model holds its weights before training")
    func startsFromTheLanguageModel() throws {
        let lm = Self.languageModel()
        let run = try ClassifierTraining(train: Self.rows(8), recipe: Self.recipe(for: lm), languageModel: lm)
        let model = run.classifier.model
        #expect(model.configuration.cell == .lstm && model.configuration.numLayers == 2 && model.configuration.hiddenSize == 5)
        for (mine, theirs) in zip(model.rnn.parameters, lm.model.rnn.parameters) {
            #expect(mine.value.array == theirs.value.array, "\(mine.name)")
        }
        let good = run.data.vocabulary.id(of: "good")!, lmGood = lm.vocabulary.id(of: "good")!
        #expect(run.rowsFromLanguageModel?[good] == lmGood)
        #expect(run.rowsFromLanguageModel?[run.data.vocabulary.id(of: "acting")!] == .some(nil))
        #expect(Array(model.embedding!.weight.value.array[(good * 4)..<(good * 4 + 4)])
                == Array(lm.model.embedding.weight.value.array[(lmGood * 4)..<(lmGood * 4 + 4)]))
    }

    @Test("Gradual unfreezing: epoch 1 moves the head alone, epoch 2 the top layer too, the embedding last")
    func freezing() throws {
        let lm = Self.languageModel()
        func trained(epochs: Int) throws -> (before: [[Float]], after: [[Float]], groups: [[String]]) {
            var recipe = Self.recipe(for: lm)
            recipe.training.epochs = epochs
            recipe.fineTuning = .ulmfit
            let run = try ClassifierTraining(train: Self.rows(8), recipe: recipe, languageModel: lm)
            let before = run.classifier.model.parameters.map(\.value.array)
            try run.fit()
            let trainer = try ClassifierTrainer(model: run.classifier.model, options: recipe.training, fineTuning: .ulmfit)
            return (before, run.classifier.model.parameters.map(\.value.array), trainer.layerGroups.map { $0.map(\.name) })
        }
        let one = try trained(epochs: 1)
        #expect(one.groups == [["fc.weight", "fc.bias"],
                               ["rnn.weight_ih_l1", "rnn.weight_hh_l1", "rnn.bias_ih_l1", "rnn.bias_hh_l1"],
                               ["rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0"],
                               ["embedding.weight"]])
        let names = try ClassifierTraining(train: Self.rows(8), recipe: Self.recipe(for: lm), languageModel: lm)
            .classifier.model.parameters.map(\.name)
        func moved(_ r: (before: [[Float]], after: [[Float]], groups: [[String]])) -> Set<String> {
            Set(names.indices.filter { r.before[$0] != r.after[$0] }.map { names[$0] })
        }
        #expect(moved(one) == ["fc.weight", "fc.bias"])
        #expect(moved(try trained(epochs: 2)) == Set(one.groups[0] + one.groups[1]))
        #expect(moved(try trained(epochs: 4)) == Set(names))
    }

    @Test("A fine-tuning run (schedule, layer rates, unfreezing) resumes from its checkpoint bit-identically")
    func resume() throws {
        let directory = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let lm = Self.languageModel()
        var recipe = Self.recipe(for: lm)
        recipe.training.epochs = 4
        recipe.dropout = 0.2
        recipe.fineTuning = .ulmfit
        let rows = Self.rows(14), validation = Self.rows(6)
        let straight = try ClassifierTraining(train: rows, validation: validation, recipe: recipe, languageModel: lm)
        try straight.fit(checkpoint: directory.appendingPathComponent("straight.safetensors").path)

        struct Stop: Error {}
        let path = directory.appendingPathComponent("stopped.safetensors").path
        let stopped = try ClassifierTraining(train: rows, validation: validation, recipe: recipe, languageModel: lm)
        #expect(throws: Stop.self) {
            try stopped.fit(checkpoint: path) { event in
                if case .batch(let p) = event, p.epoch == 3, p.batch == 2 { throw Stop() }
            }
        }
        let resumed = try ClassifierTraining(train: rows, validation: validation, recipe: recipe, languageModel: lm)
        let summary = try resumed.fit(checkpoint: path, resume: true)
        #expect(summary.epochs == 4)
        #expect(resumed.classifier.safetensors().serialized() == straight.classifier.safetensors().serialized())

        // The schedule spans the run's epochs, so resuming with another count is refused.
        var longer = recipe
        longer.training.epochs = 6
        let other = try ClassifierTraining(train: rows, validation: validation, recipe: longer, languageModel: lm)
        let error = #expect(throws: CheckpointError.self) { try other.fit(checkpoint: path, resume: true) }
        #expect(error?.description.contains("schedule epochs is 4 in the checkpoint, 6 here") == true, "\(String(describing: error))")
    }

    @Test("A character-level model, another size or cell, or another word splitter cannot start the classifier")
    func conflicts() throws {
        let lm = Self.languageModel()
        var recipe = Self.recipe(for: lm)
        recipe.hiddenSize = 7
        #expect(recipe.languageModelConflict(lm) == "the recipe's hiddenSize is 7, the language model's 5")
        #expect(throws: TrainingError.unusableLanguageModel("the recipe's hiddenSize is 7, the language model's 5")) {
            try ClassifierTraining(train: Self.rows(4), recipe: recipe, languageModel: lm)
        }
        recipe = Self.recipe(for: lm)
        recipe.cell = .gru
        #expect(recipe.languageModelConflict(lm) == "the recipe's cell is gru, the language model's lstm")
        recipe = Self.recipe(for: lm)
        recipe.bidirectional = true
        #expect(recipe.languageModelConflict(lm)?.contains("one direction") == true)
        recipe = Self.recipe(for: lm)
        recipe.tokenizer = .words(lowercase: false)
        #expect(recipe.languageModelConflict(lm)?.contains("splits words as") == true)

        let charConfig = LanguageModelConfiguration(cell: .lstm, vocabularySize: 3, embeddingSize: 4, hiddenSize: 5, numLayers: 2)
        let chars = TextLanguageModel(model: LanguageModel(charConfig, seed: 1), vocabulary: Vocabulary(tokens: ["<unk>", "a", "b"])!,
                                      level: .char)
        #expect(Self.recipe(for: lm).languageModelConflict(chars)?.contains("character-level") == true)
    }

    @Test("A corpus of separate texts: <eos> after each, the vocabulary <unk>, <eos>, then by frequency")
    func segments() {
        let corpus = LanguageModelCorpus(segments: ["Good film.", "bad film"], level: .word, validationFraction: 0,
                                         tokenizer: .words(lowercase: true))
        #expect(corpus.vocabulary.tokens == ["<unk>", "<eos>", "film", "good", ".", "bad"])
        let ids = corpus.train.map { corpus.vocabulary.tokens[$0] }
        #expect(ids == ["good", "film", ".", "<eos>", "bad", "film", "<eos>"])
    }

    @Test("Pretraining reads the training texts left after the validation share, never validation or test texts")
    func pretrainingTexts() throws {
        let rows = (0..<20).map { LabeledText(text: "text \($0)", label: $0 % 2 == 0 ? "a" : "b") }
        var recipe = ClassifierRecipe.pretrained
        recipe.validationFraction = 0.2
        let held = ClassifierData.stratifiedSplit(rows, fraction: 0.2, seed: recipe.training.seed)
        let texts = ClassifierTraining.pretrainingTexts(train: rows, validationGiven: false, recipe: recipe, unlabeled: ["more"])
        #expect(texts == held.train.map(\.text) + ["more"])
        #expect(Set(texts).isDisjoint(with: held.validation.map(\.text)))
        #expect(ClassifierTraining.pretrainingTexts(train: rows, validationGiven: true, recipe: recipe) == rows.map(\.text))
    }
}
