/// The recurrent state of one stream (B = 1): h, and c for LSTM, (L, H) each.
struct StreamState {
    var h: [Float]
    var c: [Float]?

    init(model: LanguageModel) {
        let n = model.rnn.numLayers * model.rnn.directions * model.rnn.hiddenSize
        h = [Float](repeating: 0, count: n)
        c = model.rnn.cell.hasCellState ? [Float](repeating: 0, count: n) : nil
    }
}

extension LanguageModel {
    /// Runs `tokens` (at least one) as one sequence from `state` without dropout, leaves the
    /// state after the last token in `state`, and returns the logits (V) for the token after it.
    /// The pointer is valid until the next forward.
    func advance(_ tokens: [Int], state: inout StreamState) -> UnsafeBufferPointer<Float> {
        let batch = PackedBatch([tokens])
        state.h.withUnsafeBufferPointer { h in
            if let c = state.c {
                c.withUnsafeBufferPointer { c in
                    _ = forward(batch, targets: nil, h0: h.baseAddress, c0: c.baseAddress, training: false)
                }
            } else {
                _ = forward(batch, targets: nil, h0: h.baseAddress, c0: nil, training: false)
            }
        }
        let n = state.h.count
        state.h.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: rnn.finalStates(batch), count: n) }
        if state.c != nil {
            state.c!.withUnsafeMutableBufferPointer {
                $0.baseAddress!.update(from: rnn.finalStates(batch, cellState: true), count: n)
            }
        }
        // B = 1, so the packed rows are the steps and the last row is the last step.
        return UnsafeBufferPointer(start: lastLogits + (batch.rowCount - 1) * vocabularySize, count: vocabularySize)
    }
}
