/// Labelled texts turned into what the trainer consumes: a vocabulary from the training texts,
/// labels in sorted order (so `negative`, `positive` gives index 1 = positive, as in the tutorial),
/// and every text as word ids.
public struct ClassifierData: Sendable {
    public var vocabulary: Vocabulary
    public var labels: [String]
    public var tokenizer: Tokenizer
    public var train: [EncodedExample]
    public var test: [EncodedExample]?
    /// Test words not in the (training) vocabulary, skipped.
    public var unknownTestWords = 0
    /// Test texts left out because none of their words is in the vocabulary.
    public var droppedTestTexts = 0

    /// - Throws: `DataFileError` for a test label that training never saw, or a training set with
    ///   fewer than two labels.
    public init(train: [LabeledText], test: [LabeledText]?, tokenizer: Tokenizer = .spaces,
                trainSource: String = "training data", testSource: String = "test data") throws {
        let tokenized = train.map { tokenizer.tokens($0.text) }
        vocabulary = Vocabulary(firstAppearanceIn: tokenized)
        labels = Set(train.map(\.label)).sorted()
        guard labels.count >= 2 else {
            throw DataFileError(path: trainSource, problem: "every example has the label `\(labels.first ?? "")`; a classifier needs at least two labels.")
        }
        self.tokenizer = tokenizer
        let labelIndex = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, $0) })
        let vocabulary = self.vocabulary
        self.train = zip(train, tokenized).map { row, words in
            EncodedExample(tokens: words.map { vocabulary.id(of: $0)! }, label: labelIndex[row.label]!)
        }
        if let test {
            var encoded: [EncodedExample] = []
            for row in test {
                guard let label = labelIndex[row.label] else {
                    throw DataFileError(path: testSource, line: row.line > 0 ? row.line : nil,
                                        problem: "the label `\(row.label)` never occurs in the training data (labels: \(labels.joined(separator: ", "))).")
                }
                let e = vocabulary.encode(row.text, tokenizer: tokenizer)
                unknownTestWords += e.unknown.count
                if e.ids.isEmpty { droppedTestTexts += 1; continue }
                encoded.append(EncodedExample(tokens: e.ids, label: label))
            }
            self.test = encoded
        }
    }

    /// The tutorial's 58/20 sentences.
    public static func tutorial() -> ClassifierData {
        try! ClassifierData(train: TutorialDataset.train, test: TutorialDataset.test)
    }
}
