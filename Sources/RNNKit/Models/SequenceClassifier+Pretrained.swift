/// Starting a classifier from a language model's embedding and recurrent layers.
extension SequenceClassifier {
    /// Copies `lm`'s recurrent weights and, word by word, its embedding rows into this network,
    /// whose vocabulary is `vocabulary`: a word the language model knows gets the model's row,
    /// any other (and `<pad>`) keeps the row it has (`.fresh`) or gets the mean of the model's
    /// rows (`.mean`). Returns, for each of this vocabulary's ids, the language model's id copied
    /// into it, or nil. The head (`fc`) keeps its own initialization.
    ///
    /// The shapes must agree (`ClassifierRecipe.languageModelConflict` checks the settings first).
    package func copyPretrained(from lm: LanguageModel, lmVocabulary: Vocabulary, vocabulary: Vocabulary,
                                newWordRows: FineTuning.NewWordRows) -> [Int?] {
        guard let embedding else { preconditionFailure("a one-hot classifier has no embedding to take") }
        let E = embedding.embeddingSize
        precondition(E == lm.embedding.embeddingSize && rnn.parameters.count == lm.rnn.parameters.count)
        for (mine, theirs) in zip(rnn.parameters, lm.rnn.parameters) {
            precondition(mine.value.shape == theirs.value.shape, "\(mine.name): \(mine.value.shape) vs \(theirs.value.shape)")
            mine.value.data.update(from: theirs.value.data, count: mine.value.count)
        }
        let source = lm.embedding.weight.value.data, table = embedding.weight.value.data
        var mean = [Double](repeating: 0, count: E)
        if newWordRows == .mean {
            let V = lm.embedding.vocabularySize
            for v in 0..<V { for e in 0..<E { mean[e] += Double(source[v * E + e]) } }
            for e in 0..<E { mean[e] /= Double(V) }
        }
        var copied: [Int?] = []
        copied.reserveCapacity(vocabulary.count)
        for (id, word) in vocabulary.tokens.enumerated() {
            if let lmID = lmVocabulary.id(of: word) {
                (table + id * E).update(from: source + lmID * E, count: E)
                copied.append(lmID)
            } else {
                if newWordRows == .mean { for e in 0..<E { table[id * E + e] = Float(mean[e]) } }
                copied.append(nil)
            }
        }
        return copied
    }
}
