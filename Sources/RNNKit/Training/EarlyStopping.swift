/// Keeps the best weights by validation loss and decides when to stop for lack of improvement,
/// for both trainers.
///
/// Each evaluation either improves on every earlier validation loss (the weights are copied as
/// the best), or counts one more evaluation without improvement; `patience` such evaluations in
/// a row stop the run. Without validation data every evaluation is "best" (the latest weights
/// are the ones to keep) and nothing stops early. A NaN validation loss never improves.
final class EarlyStopping {
    let patience: Int?
    private(set) var bestLoss = Double.infinity
    private(set) var bestEpoch: Int?
    private(set) var bestValidation: Metrics?
    private(set) var evaluationsWithoutImprovement = 0
    /// Copies of the best weights, in `parameters` order, once `hasBest`.
    let best: [Tensor]
    private(set) var hasBest = false

    init(parameters: [Parameter], patience: Int?) {
        self.patience = patience
        best = parameters.map { Tensor(shape: $0.value.shape) }
    }

    /// Records an evaluation of `parameters` after `epoch`; returns whether it is the best so
    /// far and whether patience has run out.
    func record(epoch: Int, validation: Metrics?, parameters: [Parameter]) -> (isBest: Bool, patienceExhausted: Bool) {
        guard let validation else {
            keep(parameters)
            return (true, false)
        }
        if validation.loss < bestLoss {
            bestLoss = validation.loss
            bestEpoch = epoch
            bestValidation = validation
            evaluationsWithoutImprovement = 0
            keep(parameters)
            return (true, false)
        }
        evaluationsWithoutImprovement += 1
        return (false, patience.map { evaluationsWithoutImprovement >= $0 } ?? false)
    }

    private func keep(_ parameters: [Parameter]) {
        for (p, b) in zip(parameters, best) { b.copy(from: p.value) }
        hasBest = true
    }

    /// Puts the best weights back into `parameters` (nothing before the first evaluation).
    func restoreBest(into parameters: [Parameter]) {
        guard hasBest else { return }
        for (p, b) in zip(parameters, best) { p.value.copy(from: b) }
    }

    // MARK: Checkpoints

    struct State: Codable, Equatable {
        var bestLoss: String
        var bestEpoch: Int?
        var bestValidation: [String]?
        var evaluationsWithoutImprovement: Int
        var hasBest: Bool
    }

    var state: State {
        State(bestLoss: String(bestLoss.bitPattern), bestEpoch: bestEpoch,
              bestValidation: bestValidation.map { [String($0.loss.bitPattern), $0.accuracy.map { String($0.bitPattern) } ?? "",
                                                    String($0.count)] },
              evaluationsWithoutImprovement: evaluationsWithoutImprovement, hasBest: hasBest)
    }

    /// Restores `state`, with the best weights `bestWeights` (when `state.hasBest`); false for a
    /// malformed state.
    func restore(_ state: State, bestWeights: [[Float]]?) -> Bool {
        guard let loss = UInt64(state.bestLoss).map(Double.init(bitPattern:)) else { return false }
        var validation: Metrics?
        if let v = state.bestValidation {
            guard v.count == 3, let l = UInt64(v[0]), let n = Int(v[2]) else { return false }
            let accuracy = UInt64(v[1]).map(Double.init(bitPattern:))
            validation = Metrics(loss: Double(bitPattern: l), accuracy: accuracy, count: n)
        }
        if state.hasBest {
            guard let bestWeights, bestWeights.count == best.count,
                  zip(bestWeights, best).allSatisfy({ $0.count == $1.count }) else { return false }
            for (w, b) in zip(bestWeights, best) { b.data.update(from: w, count: w.count) }
        }
        bestLoss = loss
        bestEpoch = state.bestEpoch
        bestValidation = validation
        evaluationsWithoutImprovement = state.evaluationsWithoutImprovement
        hasBest = state.hasBest
        return true
    }
}
