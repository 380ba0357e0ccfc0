import Foundation

/// How a classifier that starts from a pretrained language model is fine-tuned — the three
/// tricks of ULMFiT (Howard & Ruder 2018), each of which can be turned off:
///
///     lr(group k, step t) = lr · s(t) / layerDecay^k      (k = 0 the head, 1 the top recurrent
///                                                          layer, …, L + 1 the embedding)
///     group k trains from epoch k + 1 on with gradual unfreezing, from the start without
///     s(t) = (1 + p·(ratio − 1)) / ratio                  (slanted triangular; 1 when constant)
///     p    = t / cut                       for t < cut,   cut = ⌊T · cutFraction⌋
///     p    = 1 − (t − cut) / (T − cut)     after,         T = epochs · batches per epoch
///
/// A frozen group is not stepped at all (its optimizer state starts when it thaws, as a PyTorch
/// parameter with `requires_grad = False` would) and its gradient is left out of clipping. The
/// factors depend only on the epoch and the batch, so a resumed run continues bit-identically.
public struct FineTuning: Codable, Sendable, Equatable {
    /// The learning-rate multiplier over a run.
    public enum Schedule: String, Codable, Sendable, CaseIterable {
        /// The recipe's learning rate throughout.
        case constant
        /// A short linear warm-up from lr/ratio to lr over the first `cutFraction` of the steps,
        /// then a long linear decay back to lr/ratio.
        case slantedTriangular = "slanted_triangular"
    }

    /// Where the embedding rows of words the language model never saw come from.
    public enum NewWordRows: String, Codable, Sendable, CaseIterable {
        /// Drawn as the classifier's embeddings are (N(0, 1), PyTorch's).
        case fresh
        /// The mean of the language model's rows (ULMFiT's choice).
        case mean
    }

    /// Each group below the head learns this many times slower than the one above it; 1 gives
    /// every layer the same rate (ULMFiT: 2.6).
    public var layerDecay: Float
    /// Train the head alone in the first epoch, then thaw one more group (top recurrent layer
    /// first, the embedding last) at the start of every epoch. Early stopping's patience counts
    /// from the epoch the last group thaws (the thawing epochs are added to it).
    public var gradualUnfreezing: Bool
    public var schedule: Schedule
    /// The share of the steps spent warming up (slanted triangular only).
    public var cutFraction: Double
    /// How much smaller the lowest learning rate is than the highest (slanted triangular only).
    public var ratio: Double
    public var newWordRows: NewWordRows

    /// ULMFiT's settings: layer decay 2.6, gradual unfreezing, slanted triangular (cut 0.1,
    /// ratio 32), new words at the mean row.
    public static let ulmfit = FineTuning(layerDecay: 2.6, gradualUnfreezing: true, schedule: .slantedTriangular,
                                          cutFraction: 0.1, ratio: 32, newWordRows: .mean)

    /// The settings chosen on the movie-review validation set (the README has every
    /// combination measured): gradual unfreezing and new words at the mean row, with every
    /// layer at the recipe's constant rate — a layer decay of 2.6 cost 8 to 12 points there, and
    /// the slanted triangular schedule did not help.
    public static let standard = FineTuning(layerDecay: 1, gradualUnfreezing: true, schedule: .constant,
                                            cutFraction: 0.1, ratio: 32, newWordRows: .mean)

    /// None of the tricks: every weight trains from the start at the recipe's constant rate, and
    /// new words get fresh rows — plain initialization from the language model.
    public static let plain = FineTuning(layerDecay: 1, gradualUnfreezing: false, schedule: .constant,
                                         cutFraction: 0.1, ratio: 32, newWordRows: .fresh)

    public init(layerDecay: Float, gradualUnfreezing: Bool, schedule: Schedule, cutFraction: Double, ratio: Double,
                newWordRows: NewWordRows) {
        self.layerDecay = layerDecay
        self.gradualUnfreezing = gradualUnfreezing
        self.schedule = schedule
        self.cutFraction = cutFraction
        self.ratio = ratio
        self.newWordRows = newWordRows
    }

    /// Why these settings cannot train, or nil when they can.
    public var problem: String? {
        if !(layerDecay.isFinite && layerDecay >= 1 && layerDecay <= 100) {
            return "the layer decay must be between 1 and 100 (got \(layerDecay)); beyond, the lower layers would hardly learn"
        }
        if !(cutFraction > 0 && cutFraction < 1) { return "the warm-up fraction must be between 0 and 1 (got \(cutFraction))" }
        if !(ratio.isFinite && ratio >= 1 && ratio <= 1e6) { return "the schedule's ratio must be at least 1 (got \(ratio))" }
        return nil
    }

    /// s(t) for step `step` (0-based, counted over the whole run) of `totalSteps`.
    public func scheduleFactor(step: Int, totalSteps: Int) -> Double {
        guard schedule == .slantedTriangular, totalSteps > 1 else { return 1 }
        let cut = max(Int((Double(totalSteps) * cutFraction).rounded(.down)), 1)
        let t = min(max(step, 0), totalSteps - 1)
        let p = t < cut ? Double(t) / Double(cut) : 1 - Double(t - cut) / Double(max(totalSteps - cut, 1))
        return (1 + p * (ratio - 1)) / ratio
    }

    /// The factor of group `group` (0 the head, counting down to the embedding) in epoch
    /// `epoch` (1-based): 0 while frozen, else 1/layerDecay^group.
    public func groupFactor(group: Int, epoch: Int) -> Double {
        if gradualUnfreezing && group >= epoch { return 0 }
        return 1 / pow(Double(layerDecay), Double(group))
    }
}

/// Per-group learning-rate factors that `ParameterUpdate` applies: the fine-tuning schedule's
/// state for the current step, set by the task before each update.
final class LearningRatePlan {
    /// Groups of parameters, head first.
    let groups: [[Parameter]]
    let fineTuning: FineTuning
    /// The run's total steps (epochs × batches per epoch), for the schedule.
    var totalSteps = 1
    private(set) var factors: [Float]

    init(groups: [[Parameter]], fineTuning: FineTuning) {
        self.groups = groups
        self.fineTuning = fineTuning
        factors = Array(repeating: 1, count: groups.count)
    }

    /// Sets the factors for batch `batch` (0-based) of epoch `epoch` (1-based), with
    /// `batchesPerEpoch` batches each.
    func prepare(epoch: Int, batch: Int, batchesPerEpoch: Int) {
        let s = fineTuning.scheduleFactor(step: (epoch - 1) * batchesPerEpoch + batch, totalSteps: totalSteps)
        factors = groups.indices.map { Float(fineTuning.groupFactor(group: $0, epoch: epoch) * s) }
    }
}
