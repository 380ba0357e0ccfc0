/// bfloat16 copies of the weights a translation streams from memory at every word: the
/// encoder's recurrent matrices W_hh (one per layer and direction, read at every source word),
/// the decoder's W_ih, W_hh and fc_out (read at every target word, and once per sentence for the
/// source's share). Everything else — embeddings, biases, the attention, the per-sentence
/// products' results, every sum — stays in float. Made from the weights at the time (they do not
/// follow later changes) and never saved: `WeightPrecision.bfloat16` of `TranslationOptions`.
package final class ReducedSeq2SeqWeights: @unchecked Sendable {
    /// [layer][direction]: (G·He, He).
    let encoderHH: [[BFloat16Matrix]]
    let decoderIH: BFloat16Matrix   // (GH, E + Hk)
    let decoderHH: BFloat16Matrix   // (GH, Hd)
    let output: BFloat16Matrix      // (Vt, X)

    package init(_ network: Seq2SeqNetwork) {
        encoderHH = network.encoder.rnn.layers.map { $0.map { BFloat16Matrix($0.weightHH.value) } }
        let d = network.decoder
        decoderIH = BFloat16Matrix(d.weightIH.value)
        decoderHH = BFloat16Matrix(d.weightHH.value)
        output = BFloat16Matrix(d.output.weight.value)
    }
}
