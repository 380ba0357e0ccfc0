import ArgumentParser
import Foundation
import RNNKit

struct TrainLM: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-lm",
        abstract: "Train a character- or word-level language model on text files or the texts of labelled files.",
        discussion: """
            Truncated backpropagation through time over contiguous streams (char-rnn): the \
            training text is cut into --batch-size parallel streams, each batch is the next \
            --sequence-length steps of every stream, and the recurrent state carries over from \
            one batch to the next (gradients stop at the batch boundary). The last \
            --validation-fraction of the text is held out; after every epoch (and at the end) \
            the loss on it is reported in nats, as perplexity and, for characters, in bits per \
            character. The output file holds the model with the best validation loss.

            Examples:
              rnn train-lm --text input.txt --output lm.safetensors
              rnn train-lm --text input.txt --max-time 5m --output lm.safetensors
              rnn train-lm --text input.txt --level word --min-count 2 --cell gru --epochs 10 --output lm.safetensors
              rnn generate --model lm.safetensors --prompt "ROMEO:" --length 300
              rnn train-lm --data train.tsv --level word --min-count 2 --cell rnn --output lm.safetensors
              rnn train --data train.tsv --init-from lm.safetensors

            Several texts (--data, or more than one --text file): every text of the labelled \
            files' text column, and every non-empty line of the --text files, is a text of its \
            own; they are joined into one stream with an end-of-text token <eos> after each, as \
            ULMFiT does, and the end of the stream is held out. Words are lowercased with --data \
            (the classifier's words, so that rnn train --init-from can take their rows); --case \
            sets it either way.

            DURATION is a number and a unit: 300s, 5m or 1h. With --max-time, training stops at \
            the end of the batch that crosses the budget, then evaluates.

            With --checkpoint-dir the complete training state is saved there after every epoch \
            and where --max-time stops the run (mid-epoch included); --resume continues from it \
            exactly where it stopped, to the same model file a run without the stop writes. \
            --epochs and --max-time may change on resume: --epochs is the total number of \
            epochs, and --max-time the total time of all parts of the run, so a resumed run \
            trains for what is left of it. Every other setting, and the text, must be the same.
            """)

    @Option(parsing: .upToNextOption, help: ArgumentHelp("The text to learn from (UTF-8 files).", valueName: "file"))
    var text: [String] = []

    @Option(parsing: .upToNextOption, help: ArgumentHelp("Labelled files (CSV, TSV or JSON Lines, as rnn train reads) whose text column to learn from; their labels are not read.", valueName: "file"))
    var data: [String] = []

    @OptionGroup(title: "Data files") var dataOptions: DataOptions

    @Option(help: "Word level: lower (lowercase words, as rnn train does) or keep. (default: lower with --data, keep without)")
    var `case`: CaseChoice?

    @Option(help: "Tokens: characters (newlines and spaces included) or words.")
    var level: LevelChoice = .char

    @OptionGroup(title: "Network") var network: NetworkOptions<TrainLMDefaults>

    @Option(help: "Steps per batch (T): how far back gradients flow.")
    var sequenceLength = 50

    @Option(help: "Parallel streams per batch (B).")
    var batchSize = 50

    @OptionGroup(title: "Optimizer") var optimization: OptimizerOptions<TrainLMDefaults>

    @Option(help: "Passes over the training text (default: 1, or as many as --max-time allows; with both, whichever ends first).")
    var epochs: Int?

    @Option(help: ArgumentHelp("Time budget, e.g. 300s, 5m or 1h.", valueName: "duration"))
    var maxTime: String?

    @Option(help: "Share of the text, from its end, held out for validation (0 for none).")
    var validationFraction = 0.1

    @Option(help: "Tokens (words, or characters) seen fewer times in training become <unk>.")
    var minCount = 1

    @OptionGroup(title: "Checkpoints") var checkpoints: CheckpointOptions

    @OptionGroup(title: "Reports") var reports: ReportOptions

    @Flag(help: "Print nothing but errors and warnings.")
    var quiet = false

    @Option(help: "Save the model here (safetensors; PyTorch can load the weights).")
    var output: String

    @OptionGroup(title: "Performance") var threadOptions: ThreadOptions

    func validate() throws {
        if text.isEmpty && data.isEmpty { throw ValidationError("give the text to learn from: --text FILE… or --data FILE….") }
        if data.isEmpty, let flag = dataOptions.givenFlags.first {
            throw ValidationError("\(flag) says how to read --data files; give it with --data.")
        }
        if dataOptions.labelColumn != nil || dataOptions.threshold != nil {
            throw ValidationError("a language model reads the text column alone; leave out --label-column and --threshold.")
        }
        if `case` != nil && level == .char { throw ValidationError("--case applies to --level word.") }
        guard sequenceLength >= 1 else { throw ValidationError("--sequence-length must be at least 1 (got \(sequenceLength)).") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1 (got \(batchSize)).") }
        if let epochs, epochs < 1 { throw ValidationError("--epochs must be at least 1 (got \(epochs)).") }
        if let maxTime {
            do { _ = try TimeBudget.seconds(maxTime) } catch { throw ValidationError("--max-time: \(error)") }
        }
        guard validationFraction.isFinite, (0..<1).contains(validationFraction) else {
            throw ValidationError("--validation-fraction must be in [0, 1) (got \(validationFraction)).")
        }
        guard minCount >= 1 else { throw ValidationError("--min-count must be at least 1 (got \(minCount)).") }
        if output.isEmpty || output.hasSuffix("/") {
            throw ValidationError("--output must name a file, e.g. lm.safetensors (got \"\(output)\").")
        }
    }

    /// The library recipe these options choose: char-rnn's, with every option given replacing
    /// its value.
    func recipe() throws -> LanguageModelRecipe {
        var r = LanguageModelRecipe.charRNN
        r.level = level == .char ? .char : .word
        if level == .word {
            r.tokenizer = .words(lowercase: (`case` ?? (data.isEmpty ? .keep : .lower)) == .lower)
        }
        r.minCount = minCount
        r.validationFraction = validationFraction
        r.cell = network.cellKind(from: r.cell)
        if let e = network.embeddingSize { r.embeddingSize = e }
        if let h = network.hiddenSize { r.hiddenSize = h }
        if let l = network.layers { r.numLayers = l }
        if let d = network.dropout { r.dropout = d }
        var t = r.training
        t.sequenceLength = sequenceLength
        t.batchSize = batchSize
        if let optimizer = optimization.optimizer { t.optimizer = optimizer }
        if let lr = optimization.learningRate { t.learningRate = lr }
        if let wd = optimization.weightDecay { t.weightDecay = wd }
        if let c = optimization.clipNorm { t.clipNorm = c > 0 ? c : nil }
        t.maxTime = try maxTime.map { try TimeBudget.seconds($0) }
        t.epochs = epochs ?? (t.maxTime == nil ? 1 : nil)
        t.seed = optimization.seed
        r.training = t
        return r
    }

    func run() throws {
        let ranks = try TrainingRanks.join()
        try ranks.run { try train(ranks) }
    }

    /// The run on this process: alone, or one rank's part of a data-parallel job.
    private func train(_ ranks: TrainingRanks) throws {
        threadOptions.apply()
        let recipe = try self.recipe()
        let level = recipe.level
        let out = ProgressOutput(quiet: quiet)
        try checkOutputs([("--output", output), checkpoints.checkedOutput()] + reports.checkedOutputs(),
                         inputs: self.text.map { ("--text", $0) } + data.map { ("--data", $0) })

        let run: LanguageModelTraining = try reportingErrors {
            if data.isEmpty && self.text.count == 1 {
                return try LanguageModelTraining(text: LanguageModelText.read(path: self.text[0]), recipe: recipe)
            }
            return try LanguageModelTraining(texts: segments(), recipe: recipe)
        }
        let text = (self.text + data).joined(separator: ", ")
        run.processGroup = ranks.group
        let corpus = run.corpus
        let configuration = run.model.model.configuration
        let options = recipe.training
        let file = run.model
        let unit = level.unitName
        out.line("\(text): \(corpus.train.count + corpus.validation.count) \(unit), vocabulary of \(corpus.vocabulary.count) "
                 + "(with <unk>); training on \(corpus.train.count), validating on \(corpus.validation.count)")
        if corpus.unknownTrainTokens > 0 {
            out.line("\(corpus.unknownTrainTokens) training \(unit) seen fewer than \(minCount) times are <unk>")
        }
        if corpus.unknownValidationTokens > 0 {
            printError("warning: \(corpus.unknownValidationTokens) validation \(unit) are not in the vocabulary "
                       + (minCount > 1 ? "(unseen in training or rarer than --min-count)" : "(unseen in training)")
                       + "; they are scored as <unk>.")
        }

        let checkpoint = try checkpoints.checkpointPath()

        let live = !quiet && stdoutIsTerminal
        var progress = TrainingProgressLines(out: out, live: live, epochs: recipe.training.epochs, unit: unit)
        let t = recipe.training
        let card = TrainingReport.ModelCard(
            title: "rnn train-lm: \(text)",
            data: [("text", text, "\(corpus.train.count) \(unit) for training, \(corpus.validation.count) for validation")],
            settings: [("task", "\(level == .char ? "character" : "word")-level language model"),
                       ("model", "\(configuration.cell.rawValue), \(configuration.numLayers) layer(s) of \(configuration.hiddenSize), "
                                 + "embedding \(configuration.embeddingSize), dropout \(configuration.dropout)"),
                       ("vocabulary", "\(corpus.vocabulary.count) entries (with <unk>)"),
                       ("optimizer", "\(t.optimizer), learning rate \(t.effectiveLearningRate), batch \(t.batchSize)×\(t.sequenceLength)"),
                       ("budget", [t.epochs.map { "\($0) epoch(s)" }, t.maxTime.map { "at most \(formatBudget($0))" }]
                                    .compactMap { $0 }.joined(separator: ", ")),
                       ("seed", "\(t.seed)"),
                       ("command", (["rnn"] + CommandLine.arguments.dropFirst()).joined(separator: " "))])
        let writers = ranks.writesFiles ? try reportingErrors { try reports.writers(card: card, level: level) } : ReportWriters()
        let summary = try reportingErrors {
            do {
                return try run.fit(checkpoint: checkpoint, resume: checkpoints.resume) { event in
                    try writers.record(event)
                    switch event {
                    case .started(let plan):
                        let budget = [plan.epochs.map { "\($0) epoch\($0 == 1 ? "" : "s")" },
                                      plan.maxTime.map { "at most \(formatBudget($0))" }].compactMap { $0 }
                        let layers = configuration.numLayers
                        out.line("\(configuration.cell.rawValue), \(layers) layer\(layers == 1 ? "" : "s") of \(configuration.hiddenSize), "
                                 + "\(plan.parameterCount) parameters; \(plan.batchesPerEpoch) batches of "
                                 + "\(options.batchSize)×\(options.sequenceLength) per epoch; \(budget.joined(separator: ", "))")
                        progress.resumed(plan, from: checkpoint)
                    case .batch(let p):
                        progress.batch(p)
                    case .evaluated(let e):
                        var note = ""
                        if e.isBest {
                            try file.save(to: output)
                            note = e.validation == nil ? "  saved" : "  best, saved"
                        }
                        out.line(progress.epoch(e, bitsPerToken: level == .char) + note)
                    case .skippedStep(let epoch, let batch):
                        progress.skipped(epoch: epoch, batch: batch)
                    }
                }
            } catch let error as TrainingError {
                switch error {
                case .trainingTextTooShort(0, _, _, _): throw CommandError("\(error)")
                case .trainingTextTooShort: throw CommandError("\(error) (--batch-size, --sequence-length)")
                case .validationTextTooShort: throw CommandError("\(error) (--validation-fraction 0 for none)")
                default: throw error
                }
            } catch let error as CheckpointError where error.kind == .mismatch {
                throw CommandError("\(error) Or resume with the settings of the run that wrote it.")
            }
        }
        if summary.steps == 0 && summary.stoppedByTime {
            out.line("nothing left to train: the checkpoint's run has used the whole --max-time; give a larger one to go on")
        }
        // The model holds the best weights now; saved again so that the file records this run's
        // options even when the best epoch came before a resume.
        if ranks.writesFiles {
            try reportingErrors {
                try file.save(to: output)
                try writers.page?.finish(summary: summary)
            }
        }
        let which = summary.bestValidation.map { String(format: "epoch %d, val loss %.4f", summary.bestEpoch ?? 0, $0.loss) }
            ?? "epoch \(summary.epochs)"
        out.line(String(format: "Trained %d step%@ in %.1f s (%@ %@/s); saved the best model (%@) to %@",
                        summary.steps, summary.steps == 1 ? "" : "s", summary.seconds,
                        formatRate(summary.tokensPerSecond), unit, which, output))
        if reports.report != nil { out.line("Wrote \(reports.metricsPath ?? "") and \(reports.htmlPath ?? "")") }
        if let board = writers.board { out.line("Wrote \(board.path)") }
    }

}

extension TrainLM {
    /// The texts of several inputs: each non-empty line of the --text files, then each text of
    /// the --data files.
    func segments() throws -> [String] {
        var texts: [String] = []
        for path in text { texts += try LanguageModelText.lines(path: path) }
        for path in data { texts += try dataOptions.read(path, readsLabels: false).map(\.text) }
        return texts
    }
}

/// How `train-lm --case` treats upper case in words.
enum CaseChoice: String, ExpressibleByArgument, CaseIterable { case lower, keep }

/// A budget in seconds as 300s, 5m or 1h when exact, else seconds.
func formatBudget(_ seconds: Double) -> String {
    if seconds >= 3600, seconds.truncatingRemainder(dividingBy: 3600) == 0 { return "\(Int(seconds / 3600))h" }
    if seconds >= 60, seconds.truncatingRemainder(dividingBy: 60) == 0 { return "\(Int(seconds / 60))m" }
    return seconds == seconds.rounded() ? "\(Int(seconds))s" : String(format: "%.1fs", seconds)
}

/// `rnn train-lm`'s defaults: char-rnn's recipe.
enum TrainLMDefaults: RecipeDefaults {
    static let recipe = LanguageModelRecipe.charRNN
    static let cell = CellChoice(recipe.cell).rawValue
    static let layers = "\(recipe.numLayers)"
    static let hiddenSize = "\(recipe.hiddenSize)"
    static let embeddingSize = "\(recipe.embeddingSize)"
    static let dropout = "\(recipe.dropout)"
    static let optimizer = "\(recipe.training.optimizer)"
    static let learningRate = "the optimizer's; 0.002 for adam"
    static let clipNorm = recipe.training.clipNorm.map { "\($0)" } ?? "off"
}
