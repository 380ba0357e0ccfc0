/// The number format of the weights a translation's matrix products read (`TranslationOptions`).
public enum WeightPrecision: String, Sendable, Equatable, CaseIterable, Codable {
    /// The model's own 32-bit floats: the exact decoding, and the default.
    case float
    /// bfloat16 copies (8 bits of mantissa) of the large matrices — the encoder's and decoder's
    /// recurrent and input weights, the attention's weight and the output layer — widened to
    /// float as they are read; activations and sums stay in float. Half the bytes a step streams
    /// from memory, so faster decoding, at a small cost in accuracy: translations can differ from
    /// the float ones. The copies are made from the weights the first time a model translates with
    /// this precision, kept with the model, and never saved.
    case bfloat16
    /// int8 copies of the same matrices, each row with its own scale (max |w| / 127), read with
    /// the activations rounded to int16 (each row its own scale) and summed exactly in integers,
    /// each sum scaled once to float. A quarter of float's bytes, so that a step's weights stay in
    /// the processor's caches: the fastest decoding, at a cost in accuracy a little above
    /// bfloat16's. The integer sums make the int8 products' numbers the same at every instruction
    /// set and thread count. Made, kept and never saved like the bfloat16 copies.
    case int8
}
