/// The number format of the weights a translation's matrix products read (`TranslationOptions`).
public enum WeightPrecision: String, Sendable, Equatable, CaseIterable, Codable {
    /// The model's own 32-bit floats: the exact decoding, and the default.
    case float
    /// bfloat16 copies (8 bits of mantissa) of the large matrices read at every word — the
    /// encoder's and decoder's recurrent and input weights and the output layer — widened to
    /// float as they are read; activations and sums stay in float. Half the bytes a step streams
    /// from memory, so faster decoding, at a small cost in accuracy: translations can differ from
    /// the float ones. The copies are made from the weights the first time a model translates with
    /// this precision, kept with the model, and never saved.
    case bfloat16
}
