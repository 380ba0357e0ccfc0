/// Reduced copies (bfloat16 or int8, `ReducedMatrix`) of the weights a translation multiplies:
/// each encoder layer's W_ih (once per sentence) and W_hh (at every source word), the attention's
/// weight (its key columns once per sentence, its query columns at every target word), and the
/// decoder's W_ih, W_hh and fc_out (at every target word, and once per sentence for the source's
/// share). Everything else — embeddings, biases, v, the per-sentence products' results, every sum
/// — stays in float. Made from the weights at the time (they do not follow later changes) and
/// never saved: `WeightPrecision` of `TranslationOptions`.
package final class ReducedSeq2SeqWeights: @unchecked Sendable {
    /// [layer][direction].
    let encoder: [[ReducedLayerWeights]]
    /// The attention's `weight` (additive: (A, Hq + Hk), general: (Hq, Hk)); nil for dot.
    let attention: ReducedMatrix?
    let decoderIH: ReducedMatrix   // (GH, E + Hk)
    let decoderHH: ReducedMatrix   // (GH, Hd)
    let output: ReducedMatrix      // (Vt, X)

    /// `precision`: bfloat16 or int8.
    package init(_ network: Seq2SeqNetwork, precision: WeightPrecision) {
        encoder = network.encoder.rnn.layers.map { $0.map { ReducedLayerWeights($0, precision: precision) } }
        let d = network.decoder
        attention = d.attention?.weight.map { ReducedMatrix(precision, $0.value) }
        decoderIH = ReducedMatrix(precision, d.weightIH.value)
        decoderHH = ReducedMatrix(precision, d.weightHH.value)
        output = ReducedMatrix(precision, d.output.weight.value)
    }
}
