/// What a translation (sequence-to-sequence) model is made of; saved as `rnnkit.config`, with the
/// keys of the PyTorch fixtures (`scripts/fixtures/seq2seq_fixtures.py`).
///
/// Letters used in the shapes of this room: Vs and Vt the source and target vocabularies, E the
/// embedding size (both sides), He the encoder's hidden size, D its directions (2 when
/// bidirectional), Hk = D·He the size of one encoder output (an attention key), Hd the decoder's
/// hidden size, A the additive attention's size.
public struct Seq2SeqConfiguration: Codable, Sendable, Equatable {
    public var task = "translation"
    /// The cell of the encoder and of the decoder.
    public var cell: CellKind
    public var attention: Seq2SeqAttention
    public var sourceVocabularySize: Int
    public var targetVocabularySize: Int
    public var embeddingSize: Int
    public var encoderHiddenSize: Int
    public var encoderLayers: Int
    public var bidirectional: Bool
    public var decoderHiddenSize: Int
    /// A, the hidden size of the additive score; 0 for the other kinds.
    public var attentionSize: Int
    /// Dropout on both sides' embeddings and between encoder layers, in training.
    public var dropout: Float

    public init(cell: CellKind = .gru, attention: Seq2SeqAttention = .additive, sourceVocabularySize: Int,
                targetVocabularySize: Int, embeddingSize: Int = 256, encoderHiddenSize: Int = 512,
                encoderLayers: Int = 1, bidirectional: Bool = true, decoderHiddenSize: Int = 512,
                attentionSize: Int? = nil, dropout: Float = 0.5) {
        self.cell = cell
        self.attention = attention
        self.sourceVocabularySize = sourceVocabularySize
        self.targetVocabularySize = targetVocabularySize
        self.embeddingSize = embeddingSize
        self.encoderHiddenSize = encoderHiddenSize
        self.encoderLayers = encoderLayers
        self.bidirectional = bidirectional
        self.decoderHiddenSize = decoderHiddenSize
        self.attentionSize = attention == .additive ? (attentionSize ?? decoderHiddenSize) : 0
        self.dropout = dropout
    }

    enum CodingKeys: String, CodingKey {
        case task, cell, attention, bidirectional, dropout
        case sourceVocabularySize = "source_vocab_size", targetVocabularySize = "target_vocab_size"
        case embeddingSize = "embedding_size", encoderHiddenSize = "encoder_hidden_size"
        case encoderLayers = "encoder_layers", decoderHiddenSize = "decoder_hidden_size"
        case attentionSize = "attention_size"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        task = try c.decodeIfPresent(String.self, forKey: .task) ?? "translation"
        cell = try c.decode(CellKind.self, forKey: .cell)
        attention = try c.decode(Seq2SeqAttention.self, forKey: .attention)
        sourceVocabularySize = try c.decode(Int.self, forKey: .sourceVocabularySize)
        targetVocabularySize = try c.decode(Int.self, forKey: .targetVocabularySize)
        embeddingSize = try c.decode(Int.self, forKey: .embeddingSize)
        encoderHiddenSize = try c.decode(Int.self, forKey: .encoderHiddenSize)
        encoderLayers = try c.decodeIfPresent(Int.self, forKey: .encoderLayers) ?? 1
        bidirectional = try c.decodeIfPresent(Bool.self, forKey: .bidirectional) ?? false
        decoderHiddenSize = try c.decode(Int.self, forKey: .decoderHiddenSize)
        attentionSize = try c.decodeIfPresent(Int.self, forKey: .attentionSize) ?? 0
        dropout = try c.decodeIfPresent(Float.self, forKey: .dropout) ?? 0
    }

    /// Hk: the size of one encoder output, D·He.
    public var keySize: Int { (bidirectional ? 2 : 1) * encoderHiddenSize }

    /// Why this configuration cannot make a model, or nil when it can; sizes are checked against
    /// `ModelLimits` before anything is allocated.
    public var problem: String? {
        if task != "translation" { return "the task is `\(task)`, not translation" }
        if sourceVocabularySize < 5 { return "the source vocabulary needs at least its four special tokens and a word" }
        if targetVocabularySize < 5 { return "the target vocabulary needs at least its four special tokens and a word" }
        for (name, value, limit) in [("source_vocab_size", sourceVocabularySize, ModelLimits.maxParameters),
                                     ("target_vocab_size", targetVocabularySize, ModelLimits.maxParameters),
                                     ("embedding_size", embeddingSize, ModelLimits.maxWidth),
                                     ("encoder_hidden_size", encoderHiddenSize, ModelLimits.maxWidth),
                                     ("decoder_hidden_size", decoderHiddenSize, ModelLimits.maxWidth),
                                     ("encoder_layers", encoderLayers, ModelLimits.maxLayers)] {
            if let p = ModelLimits.sizeProblem(name, value, limit: limit) { return p }
        }
        switch attention {
        case .additive:
            if let p = ModelLimits.sizeProblem("attention_size", attentionSize, limit: ModelLimits.maxWidth) { return p }
        case .dot:
            if decoderHiddenSize != keySize {
                return "dot attention needs decoder_hidden_size equal to the encoder's output size \(keySize) "
                    + "(encoder_hidden_size \(encoderHiddenSize)\(bidirectional ? " × 2 directions" : "")), got \(decoderHiddenSize)"
            }
        case .none, .general: break
        }
        if let p = ModelLimits.parameterProblem(parameterCount) { return p }
        if !(0..<1).contains(dropout) { return "dropout must be in [0, 1)" }
        return nil
    }

    /// The number of weights, in floating point so that hostile sizes cannot overflow it.
    var parameterCount: Double {
        let (e, hk, hd) = (Double(embeddingSize), Double(keySize), Double(decoderHiddenSize))
        let vs = Double(sourceVocabularySize), vt = Double(targetVocabularySize)
        let encoder = vs * e + ModelLimits.recurrentParameters(cell: cell, inputSize: embeddingSize, hiddenSize: encoderHiddenSize,
                                                               layers: encoderLayers, directions: bidirectional ? 2 : 1,
                                                               twoBiases: true) + hd * (hk + 1)
        let gh = Double(cell.gateCount) * hd
        let attentionWeights: Double
        switch attention {
        case .additive: attentionWeights = Double(attentionSize) * (hd + hk + 2)
        case .general: attentionWeights = hd * hk
        case .dot, .none: attentionWeights = 0
        }
        let decoder = vt * e + gh * (e + hk) + gh * hd + 2 * gh + vt * (hd + hk + e + 1)
        return encoder + attentionWeights + decoder
    }
}
