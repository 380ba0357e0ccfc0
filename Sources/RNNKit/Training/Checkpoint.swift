import Foundation

/// The complete state of a classifier training run in one safetensors file, so that an
/// interrupted run resumes to a bit-identical model: the weights (`model.*`), the best weights so
/// far (`best.*`), the optimizer's state (`optimizer.*`), and in the metadata the epoch, both
/// random generators and the early-stopping counters.
extension ClassifierTrainer {
    struct CheckpointState: Codable {
        var epoch: Int
        var shuffleRNG: [String]
        var dropoutRNG: [String]
        var bestLoss: Double?
        var bestEpoch: Int?
        var evaluationsWithoutImprovement: Int
        var optimizer: String
    }

    func save(to path: String) throws {
        var tensors: [String: Safetensors.Entry] = [:]
        for p in model.parameters {
            tensors["model." + p.name] = .init(shape: p.value.shape, values: p.value.array)
        }
        if let bestWeights {
            for (p, w) in zip(model.parameters, bestWeights) { tensors["best." + p.name] = .init(shape: w.shape, values: w.array) }
        }
        for (key, values) in optimizer.stateTensors() { tensors["optimizer." + key] = .init(shape: [values.count], values: values) }
        // UInt64 words as strings: JSON numbers are doubles and would round them.
        let state = CheckpointState(epoch: epoch, shuffleRNG: rng.state.map(String.init), dropoutRNG: model.rng.state.map(String.init),
                                    bestLoss: bestLoss.isFinite ? bestLoss : nil, bestEpoch: bestEpoch,
                                    evaluationsWithoutImprovement: evaluationsWithoutImprovement, optimizer: optimizer.name)
        let json = String(decoding: try JSONEncoder().encode(state), as: UTF8.self)
        try Safetensors(tensors: tensors, metadata: ["rnnkit.checkpoint": json, "rnnkit.version": rnnKitVersion]).write(to: path)
    }

    func restore(from path: String) throws {
        let file = try Safetensors.read(path: path)
        func fail(_ detail: String) -> SafetensorsError {
            SafetensorsError(kind: .missingTensor, path: path, detail: detail + " Delete it to start afresh.")
        }
        guard let json = file.metadata["rnnkit.checkpoint"],
              let state = try? JSONDecoder().decode(CheckpointState.self, from: Data(json.utf8)) else {
            throw fail("is not an RNNKit training checkpoint.")
        }
        guard state.optimizer == optimizer.name else {
            throw fail("was written by a run with the \(state.optimizer) optimizer, not \(optimizer.name).")
        }
        guard let shuffle = SeededGenerator(state: state.shuffleRNG.compactMap(UInt64.init)),
              let dropout = SeededGenerator(state: state.dropoutRNG.compactMap(UInt64.init)) else {
            throw fail("has a malformed generator state.")
        }
        for p in model.parameters {
            guard let e = file.tensors["model." + p.name], e.values.count == p.value.count else {
                throw fail("does not match this model (tensor `\(p.name)` is missing or of another size).")
            }
            for k in 0..<e.values.count { p.value[k] = e.values[k] }
        }
        if state.bestEpoch != nil {
            bestWeights = try model.parameters.map { p in
                guard let e = file.tensors["best." + p.name], e.values.count == p.value.count else {
                    throw fail("lacks the best weights for `\(p.name)`.")
                }
                return Tensor(shape: p.value.shape, values: e.values)
            }
        }
        var optimizerState: [String: [Float]] = [:]
        for (name, e) in file.tensors where name.hasPrefix("optimizer.") { optimizerState[String(name.dropFirst(10))] = e.values }
        try optimizer.loadState(optimizerState, parameters: model.parameters)
        epoch = state.epoch
        rng = shuffle
        model.rng = dropout
        bestLoss = state.bestLoss ?? .infinity
        bestEpoch = state.bestEpoch
        evaluationsWithoutImprovement = state.evaluationsWithoutImprovement
    }
}
