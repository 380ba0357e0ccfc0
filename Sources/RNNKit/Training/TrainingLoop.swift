import Foundation

/// One batch's contribution to the epoch's training metrics.
struct BatchResult {
    var lossSum: Double
    /// Examples or targets the loss sums over.
    var count: Int
    /// Correct predictions; nil when the task has no accuracy.
    var correct: Int?
    /// Tokens trained (forward and backward).
    var tokens: Int
}

/// What differs between training tasks; `TrainingLoop` does the rest.
protocol TrainingTask: AnyObject {
    var parameters: [Parameter] { get }
    /// The ones the optimizer steps and clipping measures (`parameters` unless a part has an
    /// update of its own).
    var optimizedParameters: [Parameter] { get }
    var batchesPerEpoch: Int { get }
    /// The model's dropout generator.
    var dropoutRNG: SeededGenerator { get set }
    /// Prepares epoch `epoch` (1-based): a shuffle, a reset of carried state.
    func beginEpoch(_ epoch: Int)
    /// Adds the gradient of batch `k` (0-based) of the current epoch to the parameters' `grad`.
    func accumulateGradients(batch k: Int) -> BatchResult
    /// For tables whose gradient batch `k` (the whole batch, every rank's share) leaves zero
    /// outside a few rows — an embedding's, outside the tokens the batch holds — those rows,
    /// ascending: a data-parallel step sums only them. Empty: every gradient is summed whole.
    func sparseGradientRows(batch k: Int) -> [(parameter: Parameter, rows: [Int])]
    /// Trains on batch `k`: adds its gradient and applies `update`; returns the batch's metrics
    /// and whether the step was taken. Tasks that can do both in one pass implement it.
    func trainStep(batch k: Int, update: ParameterUpdate) -> (result: BatchResult, taken: Bool)
    /// Metrics on the held-out data now, without dropout or updates.
    func evaluate() -> (validation: Metrics?, test: Metrics?)
    /// What a checkpoint must hold besides weights, optimizer and dropout generator; `midEpoch`
    /// when the current epoch is part-way done.
    func checkpointState(midEpoch: Bool) -> (values: [String: String], tensors: [String: Safetensors.Entry])
    /// Restores `checkpointState` and, when `midEpoch`, prepares epoch `epoch` so that its next
    /// batch is the one after those done. Returns what is wrong, or nil.
    func resume(epoch: Int, midEpoch: Bool, values: [String: String], tensors: [String: Safetensors.Entry]) -> String?
}

extension TrainingTask {
    var optimizedParameters: [Parameter] { parameters }

    func sparseGradientRows(batch k: Int) -> [(parameter: Parameter, rows: [Int])] { [] }

    func trainStep(batch k: Int, update: ParameterUpdate) -> (result: BatchResult, taken: Bool) {
        let r = accumulateGradients(batch: k)
        return (r, update.apply(lossIsFinite: r.lossSum.isFinite))
    }
}

/// When a run ends and how often it evaluates.
struct TrainingSchedule {
    var epochs: Int?
    var maxTime: Double?
    var evaluateEvery: Int
}

/// The epoch loop both trainers run: batches of the task with one `ParameterUpdate` each,
/// progress events, evaluations on the schedule with `EarlyStopping`, a time budget, and a
/// checkpoint after every epoch and where the budget stops the run.
///
/// A run resumed from its checkpoint continues exactly where it stopped — mid-epoch included —
/// so it ends with the model an uninterrupted run gives, bit for bit. The time budget counts the
/// seconds of every part of the run; a resumed run gets what is left of it.
///
/// Data-parallel, with a `ProcessGroup` of more than one rank: every rank walks the same global
/// batches, its task computes the gradient of its own share (`BatchShare`), and one
/// `GradientReduction` per step makes the global mean gradient and metrics; clipping and the
/// optimizer step then run identically on every rank, so the weights never differ. Each step's
/// dropout draws come from a generator forked per rank from the shared one, which advances by one
/// draw per step on every rank: a checkpoint holds the shared one, so a run resumed with any rank
/// count continues deterministically. Rank 0 alone receives events and writes the checkpoint;
/// every rank evaluates (the same weights on the same data give the same figures). At the end the
/// ranks check that they hold the same weights, bit for bit (`ProcessGroup.checkSameWeights`).
final class TrainingLoop<Task: TrainingTask> {
    let task: Task
    let update: ParameterUpdate
    let stopping: EarlyStopping
    let schedule: TrainingSchedule
    /// The ranks sharing each batch; nil or one rank for a process on its own.
    let group: ProcessGroup?
    private let reduction: GradientReduction?

    // Where the run is (saved in checkpoints).
    private var epoch = 0
    /// Batches done in `epoch`; `batchesPerEpoch` once it is complete.
    private var batch = 0
    private var epochSum = MetricsSum()
    private var epochSkipped = 0, epochTokens = 0
    private var epochSeconds = 0.0
    /// Seconds used by earlier parts of a resumed run.
    private var earlierSeconds = 0.0

    init(task: Task, optimizer: any Optimizer, clipping: GradientClipping, fuseSGD: Bool, patience: Int?,
         schedule: TrainingSchedule, group: ProcessGroup? = nil, plan: LearningRatePlan? = nil) {
        self.task = task
        update = ParameterUpdate(parameters: task.optimizedParameters, optimizer: optimizer, clipping: clipping, fuseSGD: fuseSGD,
                                 plan: plan)
        stopping = EarlyStopping(parameters: task.parameters, patience: patience)
        self.schedule = schedule
        self.group = group
        reduction = group.flatMap { $0.size > 1 ? GradientReduction(group: $0, parameters: task.parameters) : nil }
    }

    /// The checkpoint file, whether to resume from it, and what run this is.
    struct CheckpointTarget {
        var path: String
        var resume: Bool
        var identity: Checkpoint.Identity
    }

    /// Whether this process writes files and reports.
    private var isLeader: Bool { group?.isLeader ?? true }

    /// With a group, the ranks must have checked that they run the same thing
    /// (`ProcessGroup.checkRun`) before the task was made.
    func run(trainTokens: Int, validationTokens: Int, checkpoint: CheckpointTarget?,
             event leaderEvent: (TrainingEvent) throws -> Void) throws -> TrainingSummary {
        let parameters = task.parameters
        let B = task.batchesPerEpoch
        let event = isLeader ? leaderEvent : { _ in }
        // Before any work, not at the end of the first epoch: a checkpoint that cannot be written.
        if let checkpoint, isLeader { try OutputFile.check(checkpoint.path) }
        var resumed: ResumePoint?
        if let checkpoint, checkpoint.resume, FileManager.default.fileExists(atPath: checkpoint.path) {
            try restore(from: checkpoint.path, identity: checkpoint.identity)
            resumed = ResumePoint(epoch: epoch, batch: batch, elapsed: earlierSeconds)
            if batch == B { resumed = ResumePoint(epoch: epoch + 1, batch: 0, elapsed: earlierSeconds) }
        }
        try event(.started(TrainingPlan(
            trainTokens: trainTokens, validationTokens: validationTokens, batchesPerEpoch: B,
            epochs: schedule.epochs, maxTime: schedule.maxTime,
            parameterCount: parameters.reduce(0) { $0 + $1.value.count }, resumed: resumed)))

        let start = MonotonicClock.now()
        func elapsed(at t: UInt64 = MonotonicClock.now()) -> Double { earlierSeconds + MonotonicClock.seconds(from: start, to: t) }
        var trainSeconds = 0.0
        var tokens = 0, steps = 0, skipped = 0
        var stoppedByTime = false, stoppedEarly = false
        var last: EpochReport?
        let totalBatches = schedule.epochs.map { $0 * B }
        parameters.zeroGradients()  // every update leaves them zero again

        // A resumed run whose budget earlier parts used up has nothing left to train.
        if let maxTime = schedule.maxTime, earlierSeconds >= maxTime, epoch > 0 {
            stoppedByTime = batch < B || schedule.epochs.map { epoch < $0 } ?? true
        }
        while !stoppedByTime {
            if epoch == 0 || batch == B {
                if let epochs = schedule.epochs, epoch >= epochs { break }
                epoch += 1
                batch = 0
                epochSum = MetricsSum()
                (epochSkipped, epochTokens, epochSeconds) = (0, 0, 0)
                task.beginEpoch(epoch)
            }
            // One clock reading per step: a step's time runs from the previous step's end, so it
            // includes that step's progress event (cheap by design) but never an evaluation.
            var stepStart = MonotonicClock.now()
            while batch < B {
                var r: BatchResult, taken: Bool, anyTimeUp = false
                if let reduction {
                    (r, anyTimeUp) = distributedStep(reduction, timeUp: schedule.maxTime.map { elapsed() >= $0 } ?? false)
                    taken = update.apply(lossIsFinite: r.lossSum.isFinite)
                } else {
                    (r, taken) = task.trainStep(batch: batch, update: update)
                }
                if !taken {
                    skipped += 1
                    epochSkipped += 1
                    try event(.skippedStep(epoch: epoch, batch: batch + 1))
                }
                let stepEnd = MonotonicClock.now()
                let stepSeconds = MonotonicClock.seconds(from: stepStart, to: stepEnd)
                stepStart = stepEnd
                trainSeconds += stepSeconds
                epochSeconds += stepSeconds
                steps += 1
                batch += 1
                tokens += r.tokens
                epochTokens += r.tokens
                epochSum.add(r)
                let now = elapsed(at: stepEnd)
                var fraction = 0.0, remaining = Double.infinity
                if let totalBatches {
                    let done = (epoch - 1) * B + batch
                    fraction = Double(done) / Double(totalBatches)
                    remaining = Double(totalBatches - done) * trainSeconds / Double(steps)
                }
                if let maxTime = schedule.maxTime {
                    fraction = max(fraction, now / maxTime)
                    remaining = min(remaining, max(maxTime - now, 0))
                    // Ranks stop together, on the reduced flag: their clocks differ.
                    if reduction == nil ? now >= maxTime : anyTimeUp { stoppedByTime = true }
                }
                let n = Double(max(epochSum.count, 1))
                try event(.batch(BatchProgress(
                    epoch: epoch, batch: batch, batchesPerEpoch: B, batchLoss: r.lossSum / Double(max(r.count, 1)),
                    epochLoss: epochSum.lossSum / n, epochAccuracy: epochSum.correct.map { Double($0) / n },
                    tokens: tokens, elapsed: now, tokensPerSecond: Double(tokens) / max(trainSeconds, 1e-9),
                    fractionDone: min(fraction, 1), secondsRemaining: remaining)))
                if stoppedByTime { break }
            }

            let atEpochEnd = batch == B
            let lastEpoch = schedule.epochs.map { epoch >= $0 } ?? false
            if stoppedByTime || (atEpochEnd && (epoch % schedule.evaluateEvery == 0 || lastEpoch)) {
                let (validation, test) = task.evaluate()
                let (isBest, exhausted) = stopping.record(epoch: epoch, validation: validation, parameters: parameters)
                stoppedEarly = exhausted && !lastEpoch && !stoppedByTime
                let report = EpochReport(
                    epoch: epoch, completeEpoch: atEpochEnd, train: epochSum.metrics, validation: validation, test: test,
                    isBest: isBest, isFinal: stoppedByTime || stoppedEarly || lastEpoch, skippedSteps: epochSkipped,
                    seconds: epochSeconds, tokens: epochTokens, elapsed: elapsed(),
                    tokensPerSecond: Double(tokens) / max(trainSeconds, 1e-9))
                last = report
                try event(.evaluated(report))
            }
            if let checkpoint { try save(to: checkpoint.path, identity: checkpoint.identity, elapsed: elapsed()) }
            if stoppedEarly || stoppedByTime { break }
        }
        stopping.restoreBest(into: parameters)
        try group?.checkSameWeights(parameters)
        return TrainingSummary(
            epochs: epoch, steps: steps, skippedSteps: skipped, tokens: tokens,
            seconds: MonotonicClock.seconds(from: start, to: MonotonicClock.now()),
            tokensPerSecond: Double(tokens) / max(trainSeconds, 1e-9), stoppedEarly: stoppedEarly,
            stoppedByTime: stoppedByTime, bestEpoch: stopping.bestEpoch, bestValidation: stopping.bestValidation,
            lastReport: last)
    }

    // MARK: Ranks

    /// This rank's share of the current batch, drawing dropout from this step's forked generator,
    /// then the global sums.
    private func distributedStep(_ reduction: GradientReduction, timeUp: Bool) -> (BatchResult, Bool) {
        var shared = task.dropoutRNG
        let draw = shared.next()
        task.dropoutRNG = SeededGenerator(seed: draw ^ (UInt64(reduction.group.rank) &* 0x9E37_79B9_7F4A_7C15))
        let local = task.accumulateGradients(batch: batch)
        task.dropoutRNG = shared
        return reduction.reduce(local, timeUp: timeUp, sparse: task.sparseGradientRows(batch: batch))
    }

    // MARK: Checkpoints

    private func save(to path: String, identity: Checkpoint.Identity, elapsed: Double) throws {
        let parameters = task.parameters
        // Collective (a task may gather its ranks' parts); then rank 0 alone writes.
        let midEpoch = batch < task.batchesPerEpoch
        let state = task.checkpointState(midEpoch: midEpoch)
        guard isLeader else { return }
        var tensors: [String: Safetensors.Entry] = [:]
        for p in parameters { tensors["model." + p.name] = .init(shape: p.value.shape, values: p.value.array) }
        if stopping.hasBest {
            for (p, b) in zip(parameters, stopping.best) { tensors["best." + p.name] = .init(shape: b.shape, values: b.array) }
        }
        for (key, values) in update.optimizer.stateTensors() {
            tensors["optimizer." + key] = .init(shape: [values.count], values: values)
        }
        for (key, entry) in state.tensors { tensors["task." + key] = entry }
        let position = Checkpoint.Position(
            epoch: epoch, batch: batch, elapsed: Checkpoint.bits(elapsed), epochLossSum: Checkpoint.bits(epochSum.lossSum),
            epochCount: epochSum.count, epochCorrect: epochSum.correct, epochSkipped: epochSkipped,
            epochTokens: epochTokens, epochSeconds: Checkpoint.bits(epochSeconds))
        let header = Checkpoint.Header(
            format: Checkpoint.formatVersion, identity: identity, position: position, optimizer: update.optimizer.name,
            dropoutRNG: Checkpoint.words(task.dropoutRNG), task: state.values, stopping: stopping.state)
        try Checkpoint(header: header, tensors: tensors).write(to: path)
    }

    /// Reads the checkpoint at `path` and checks that it belongs to this run before changing
    /// anything.
    private func restore(from path: String, identity: Checkpoint.Identity) throws {
        let checkpoint = try Checkpoint.read(path: path)
        try checkpoint.check(identity, path: path)
        let h = checkpoint.header, tensors = checkpoint.tensors
        func corrupt(_ detail: String) -> CheckpointError { CheckpointError(kind: .corrupt, path: path, detail: detail) }
        let parameters = task.parameters
        var weights: [[Float]] = [], best: [[Float]]? = h.stopping.hasBest ? [] : nil
        for p in parameters {
            guard let e = tensors["model." + p.name], e.values.count == p.value.count else {
                throw corrupt("does not match this model: tensor `model.\(p.name)` is missing or of another size.")
            }
            weights.append(e.values)
            if best != nil {
                guard let b = tensors["best." + p.name], b.values.count == p.value.count else {
                    throw corrupt("lacks the best weights for `\(p.name)`.")
                }
                best!.append(b.values)
            }
        }
        guard h.optimizer == update.optimizer.name else {
            throw CheckpointError(kind: .mismatch, path: path,
                                  detail: "was written with the \(h.optimizer) optimizer, not \(update.optimizer.name).")
        }
        let p = h.position
        guard let dropout = Checkpoint.generator(h.dropoutRNG), let elapsed = Checkpoint.double(p.elapsed),
              let lossSum = Checkpoint.double(p.epochLossSum), let seconds = Checkpoint.double(p.epochSeconds),
              p.epoch >= 0, (0...task.batchesPerEpoch).contains(p.batch), p.epoch > 0 || p.batch == 0 else {
            // `Checkpoint.read` has checked the numbers themselves; what is left is the fit to this run.
            throw corrupt("is damaged: its position (epoch \(p.epoch), batch \(p.batch)) does not fit this run's \(task.batchesPerEpoch) batches per epoch.")
        }
        var optimizerState: [String: [Float]] = [:]
        for (name, e) in tensors where name.hasPrefix("optimizer.") { optimizerState[String(name.dropFirst(10))] = e.values }
        do {
            try update.optimizer.loadState(optimizerState, parameters: parameters)
        } catch let error as OptimizerStateError {
            throw corrupt("has an unusable optimizer state (\(error)).")
        }
        guard stopping.restore(h.stopping, bestWeights: best) else { throw corrupt("has a malformed early-stopping state.") }
        var taskTensors: [String: Safetensors.Entry] = [:]
        for (name, e) in tensors where name.hasPrefix("task.") { taskTensors[String(name.dropFirst(5))] = e }
        let midEpoch = p.batch < task.batchesPerEpoch && p.epoch > 0
        if let problem = task.resume(epoch: p.epoch, midEpoch: midEpoch, values: h.task, tensors: taskTensors) {
            throw corrupt(problem)
        }
        for (param, w) in zip(parameters, weights) { param.value.data.update(from: w, count: w.count) }
        task.dropoutRNG = dropout
        (epoch, batch, earlierSeconds) = (p.epoch, p.batch, elapsed)
        epochSum = MetricsSum(lossSum: lossSum, count: p.epochCount, correct: p.epochCorrect)
        (epochSkipped, epochTokens, epochSeconds) = (p.epochSkipped, p.epochTokens, seconds)
    }
}

/// Monotonic time in nanoseconds: two reads per training step must cost next to nothing
/// (`ContinuousClock`'s `Duration` arithmetic is slower than the tutorial's per-example step
/// can afford).
enum MonotonicClock {
    static func now() -> UInt64 {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
    }

    static func seconds(from a: UInt64, to b: UInt64) -> Double { Double(b &- a) * 1e-9 }
}
