/// Labelled texts turned into what the trainer consumes: a vocabulary from the training texts,
/// labels in sorted order (so `negative`, `positive` gives index 1 = positive, as in the tutorial),
/// and every text as word ids.
public struct ClassifierData: Sendable {
    /// How the vocabulary is made from the training texts.
    public enum VocabularyPolicy: Codable, Sendable, Equatable {
        /// Every word, in order of first appearance, no specials (the tutorial's).
        case firstAppearance
        /// `<pad>`, `<unk>`, then words seen at least `minCount` times, most frequent first, up to
        /// `maxSize` entries in all; other words become `<unk>`.
        case frequency(minCount: Int, maxSize: Int?)
    }

    public var vocabulary: Vocabulary
    public var labels: [String]
    public var tokenizer: Tokenizer
    public var train: [EncodedExample]
    public var validation: [EncodedExample]?
    public var test: [EncodedExample]?
    /// Validation and test words not in the vocabulary (mapped to `<unk>`, or skipped without one).
    public var unknownWords = 0
    /// Texts left out because they have no token the model can read.
    public var droppedTexts = 0

    /// - Throws: `DataFileError` for a validation or test label that training never saw, or a
    ///   training set with fewer than two labels.
    public init(train: [LabeledText], validation: [LabeledText]? = nil, test: [LabeledText]?,
                tokenizer: Tokenizer = .spaces, vocabulary policy: VocabularyPolicy = .firstAppearance,
                trainSource: String = "training data", validationSource: String = "validation data",
                testSource: String = "test data") throws {
        let tokenized = train.map { tokenizer.tokens($0.text) }
        switch policy {
        case .firstAppearance: vocabulary = Vocabulary(firstAppearanceIn: tokenized)
        case .frequency(let minCount, let maxSize):
            vocabulary = Vocabulary.build(from: tokenized, minCount: minCount, maxSize: maxSize)
        }
        labels = Set(train.map(\.label)).sorted()
        guard labels.count >= 2 else {
            throw DataFileError(.tooFewLabels, path: trainSource, detail: "every example has the label `\(labels.first ?? "")`; a classifier needs at least two labels.")
        }
        self.tokenizer = tokenizer
        let labelIndex = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, $0) })
        var encodedTrain: [EncodedExample] = []
        for (row, words) in zip(train, tokenized) {
            let ids = vocabulary.encode(tokens: words).ids
            if ids.isEmpty { droppedTexts += 1; continue }
            encodedTrain.append(EncodedExample(tokens: ids, label: labelIndex[row.label]!))
        }
        self.train = encodedTrain
        let labels = labels, vocabulary = vocabulary
        func encode(_ rows: [LabeledText], source: String) throws -> [EncodedExample] {
            let encoded = try Self.encode(rows, labels: labels, vocabulary: vocabulary, tokenizer: tokenizer, source: source) {
                Self.unseenLabel($0, labels: labels)
            }
            unknownWords += encoded.unknownWords
            droppedTexts += encoded.droppedTexts
            return encoded.examples
        }
        self.validation = try validation.map { try encode($0, source: validationSource) }
        self.test = try test.map { try encode($0, source: testSource) }
    }

    /// Why a held-out text's label cannot be scored: training never saw it.
    static func unseenLabel(_ label: String, labels: [String]) -> String {
        "the label `\(label)` never occurs in the training data (labels: \(labels.joined(separator: ", "))). Fix the label or add examples of it to the training data."
    }

    /// Checks that every row's label is one of the training rows' before a model is fitted on
    /// them, so that a held-out set's bad label is told before the work, not after.
    /// - Throws: `DataFileError` (`.unknownLabel`, naming the row's line).
    package static func checkLabels(_ rows: [LabeledText], trainedOn train: [LabeledText], source: String) throws {
        let labels = Set(train.map(\.label))
        guard let row = rows.first(where: { !labels.contains($0.label) }) else { return }
        throw DataFileError(.unknownLabel, path: source, line: row.line > 0 ? row.line : nil,
                            detail: unseenLabel(row.label, labels: labels.sorted()))
    }

    /// Labelled texts as token ids and label indexes; a text with no token the vocabulary knows
    /// is left out (and counted).
    /// - Throws: `DataFileError` (`.unknownLabel`, with the row's line) for a label not in
    ///   `labels`, its detail from `unknownLabel`.
    package static func encode(_ rows: [LabeledText], labels: [String], vocabulary: Vocabulary, tokenizer: Tokenizer,
                               source: String, unknownLabel: (String) -> String)
        throws -> (examples: [EncodedExample], unknownWords: Int, droppedTexts: Int) {
        let labelIndex = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, $0) })
        var examples: [EncodedExample] = [], unknownWords = 0, dropped = 0
        for row in rows {
            guard let label = labelIndex[row.label] else {
                throw DataFileError(.unknownLabel, path: source, line: row.line > 0 ? row.line : nil,
                                    detail: unknownLabel(row.label))
            }
            let e = vocabulary.encode(row.text, tokenizer: tokenizer)
            unknownWords += e.unknown.count
            if e.ids.isEmpty { dropped += 1; continue }
            examples.append(EncodedExample(tokens: e.ids, label: label))
        }
        return (examples, unknownWords, dropped)
    }

    /// The tutorial's 58/20 sentences.
    public static func tutorial() -> ClassifierData {
        try! ClassifierData(train: TutorialDataset.train, test: TutorialDataset.test)
    }

    /// A seeded, stratified split: `fraction` of each label's examples (at least one when the
    /// label has two or more) go to validation, the rest stay for training, both in file order.
    public static func stratifiedSplit(_ rows: [LabeledText], fraction: Double, seed: UInt64)
        -> (train: [LabeledText], validation: [LabeledText]) {
        var rng = SeededGenerator(seed: seed ^ 0x5B11_7000)
        var byLabel: [String: [Int]] = [:]
        for (i, row) in rows.enumerated() { byLabel[row.label, default: []].append(i) }
        var chosen = Set<Int>()
        for label in byLabel.keys.sorted() {
            var indices = byLabel[label]!
            guard indices.count >= 2 else { continue }
            rng.shuffle(&indices)
            let n = min(max(Int((Double(indices.count) * fraction).rounded()), 1), indices.count - 1)
            chosen.formUnion(indices.prefix(n))
        }
        var train: [LabeledText] = [], validation: [LabeledText] = []
        for (i, row) in rows.enumerated() {
            if chosen.contains(i) { validation.append(row) } else { train.append(row) }
        }
        return (train, validation)
    }
}
