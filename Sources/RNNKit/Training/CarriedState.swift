/// The recurrent state (h, and c for LSTM) carried from one batch of streams to the next,
/// (L, B, H), in buffers of its own: the network's final-state buffer is overwritten by the next
/// forward, which reads its initial state from here.
final class CarriedState {
    let model: LanguageModel
    let streams: Int
    let count: Int
    let h: UnsafeMutablePointer<Float>
    let c: UnsafeMutablePointer<Float>?

    init(model: LanguageModel, streams: Int) {
        self.model = model
        self.streams = streams
        count = model.rnn.numLayers * model.rnn.directions * streams * model.rnn.hiddenSize
        h = .allocate(capacity: count)
        c = model.rnn.cell.hasCellState ? .allocate(capacity: count) : nil
        reset()
    }

    deinit {
        h.deallocate()
        c?.deallocate()
    }

    func reset() {
        h.initialize(repeating: 0, count: count)
        c?.initialize(repeating: 0, count: count)
    }

    /// One batch from the carried state, which then becomes the batch's final state. With
    /// `training`, gradients are added to the parameters (none flow into the carried state).
    func run(_ batch: PackedBatch, targets: [[Int]], training: Bool) -> (lossSum: Double, count: Int) {
        precondition(batch.count == streams)
        let r = training
            ? model.accumulateGradients(batch, targets: targets, h0: h, c0: c.map { UnsafePointer($0) })
            : model.evaluate(batch, targets: targets, h0: h, c0: c.map { UnsafePointer($0) })
        capture(batch)
        return r
    }

    /// Copies the network's final states after the last forward over `batch` into the buffers.
    func capture(_ batch: PackedBatch) {
        h.update(from: model.rnn.finalStates(batch), count: count)
        if let c { c.update(from: model.rnn.finalStates(batch, cellState: true), count: count) }
    }
}
