/// Everything that decides how a translation model is made from sentence pairs: the words, the
/// network and how it is trained. The preset `notebook3` is bentrevett's pytorch-seq2seq notebook 3
/// (Bahdanau attention); start from it and change what you need.
public struct Seq2SeqRecipe: Codable, Sendable, Equatable {
    // Text
    /// Words seen fewer times than this in the training pairs (per side) become `<unk>`.
    public var minCount: Int
    /// How both sides are split into words; lowercasing here also lowercases BLEU (sacreBLEU `-lc`).
    public var tokenizer: Tokenizer

    // Network
    public var cell: CellKind
    public var attention: Seq2SeqAttention
    public var embeddingSize: Int
    public var encoderHiddenSize: Int
    public var encoderLayers: Int
    public var bidirectional: Bool
    public var decoderHiddenSize: Int
    /// The additive score's hidden size (nil: the decoder's hidden size).
    public var attentionSize: Int?
    public var dropout: Float

    // Training
    public var training: Seq2SeqTrainingOptions

    /// Notebook 3: bidirectional GRU encoder, additive attention, GRU decoder; embeddings 256,
    /// hidden 512, dropout 0.5, Adam 1e-3, clip 1, teacher forcing 0.5, batch 128, 10 epochs;
    /// words seen at least twice, lowercased.
    public static let notebook3 = Seq2SeqRecipe(
        minCount: 2, tokenizer: .words(lowercase: true), cell: .gru, attention: .additive, embeddingSize: 256,
        encoderHiddenSize: 512, encoderLayers: 1, bidirectional: true, decoderHiddenSize: 512, attentionSize: nil,
        dropout: 0.5, training: Seq2SeqTrainingOptions())

    public init(minCount: Int, tokenizer: Tokenizer, cell: CellKind, attention: Seq2SeqAttention, embeddingSize: Int,
                encoderHiddenSize: Int, encoderLayers: Int, bidirectional: Bool, decoderHiddenSize: Int, attentionSize: Int?,
                dropout: Float, training: Seq2SeqTrainingOptions) {
        self.minCount = minCount
        self.tokenizer = tokenizer
        self.cell = cell
        self.attention = attention
        self.embeddingSize = embeddingSize
        self.encoderHiddenSize = encoderHiddenSize
        self.encoderLayers = encoderLayers
        self.bidirectional = bidirectional
        self.decoderHiddenSize = decoderHiddenSize
        self.attentionSize = attentionSize
        self.dropout = dropout
        self.training = training
    }

    /// The network for vocabularies of these sizes.
    public func configuration(sourceVocabularySize: Int, targetVocabularySize: Int) -> Seq2SeqConfiguration {
        Seq2SeqConfiguration(cell: cell, attention: attention, sourceVocabularySize: sourceVocabularySize,
                             targetVocabularySize: targetVocabularySize, embeddingSize: embeddingSize,
                             encoderHiddenSize: encoderHiddenSize, encoderLayers: encoderLayers, bidirectional: bidirectional,
                             decoderHiddenSize: decoderHiddenSize, attentionSize: attentionSize, dropout: dropout)
    }

    /// Why this recipe cannot train a model, or nil. Names the recipe's fields; the whole
    /// network's size is checked once the vocabularies are known.
    public var problem: String? {
        if minCount < 1 { return "minCount must be at least 1 (got \(minCount))" }
        if tokenizer.kind == .characters { return "translation reads words, not characters" }
        if !(dropout.isFinite && (0..<1).contains(dropout)) { return "dropout must be in [0, 1) (got \(dropout))" }
        // Vocabulary sizes do not matter for these checks.
        if let p = configuration(sourceVocabularySize: 5, targetVocabularySize: 5).problem { return p }
        return training.problem
    }
}
