import ArgumentParser
import Foundation
import RNNKit

struct TrainSeq2Seq: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-seq2seq",
        abstract: "Train a translation model (an encoder, a decoder with attention) on sentence pairs.",
        discussion: """
            The tutorial's many-to-many RNN for machine translation: a (bidirectional) recurrent \
            encoder reads the source sentence, and a recurrent decoder writes the target word by \
            word, looking back at the source through attention (Bahdanau et al. 2015). The \
            defaults are bentrevett's pytorch-seq2seq notebook 3: a bidirectional GRU encoder, \
            additive attention, a GRU decoder, embeddings 256, hidden 512, dropout 0.5, Adam \
            1e-3, clipping at 1, teacher forcing 0.5, batches of 128, 10 epochs; words seen at \
            least twice, lowercased.

            After every epoch the loss on the validation pairs is reported (nats per target word \
            and perplexity); the output file holds the model with the best one. At the end the \
            validation pairs are translated (greedy) and scored with BLEU and chrF, as sacreBLEU \
            does by default (lowercased when the model lowercases).

            Examples:
              rnn train-seq2seq --source train.de --target train.en \\
                  --validation-source val.de --validation-target val.en --output de-en.safetensors
              rnn train-seq2seq --data pairs.tsv --validation-data val.tsv --epochs 20 --output m.safetensors
              rnn translate --model de-en.safetensors "ein mann fährt fahrrad ."

            Checkpoints (--checkpoint-dir, --resume) work as for `rnn train-lm`.
            """)

    @Option(help: "Source sentences, one per line (UTF-8), line-aligned with --target.")
    var source: String?

    @Option(help: "Target sentences, one per line.")
    var target: String?

    @Option(help: "Or: one tab-separated file of pairs (see --source-column, --target-column).")
    var data: String?

    @Option(help: "Held-out source sentences, for the validation loss and BLEU.")
    var validationSource: String?

    @Option(help: "Held-out target sentences.")
    var validationTarget: String?

    @Option(help: "Or: a tab-separated file of held-out pairs.")
    var validationData: String?

    @OptionGroup(title: "Sentence files") var files: ParallelTextOptions

    @OptionGroup(title: "Network") var network: NetworkOptions<TrainSeq2SeqDefaults>

    @Option(help: "How the decoder looks at the source: additive, dot, general or none. (default: additive)")
    var attention: Seq2SeqAttention?

    @Option(help: "Hidden size of the additive attention score. (default: the decoder's hidden size)")
    var attentionSize: Int?

    @Option(help: "The decoder's hidden size. (default: --hidden-size; with dot attention, the encoder's output size)")
    var decoderHiddenSize: Int?

    @Flag(inversion: .prefixedNo, help: "Read the source in both directions. (default: on)")
    var bidirectional = true

    @Option(help: "Words seen fewer times in the training pairs (per side) become <unk>.")
    var minCount = 2

    @Flag(inversion: .prefixedNo, help: "Lowercase both sides (and BLEU, as sacreBLEU -lc). (default: on)")
    var lowercase = true

    @Option(help: "How sentences are split into words: words (punctuation apart) or spaces (already tokenized text).")
    var tokenizer: TokenizerChoice = .words

    @Option(help: "Sentence pairs per batch.")
    var batchSize = 128

    @Option(help: "Probability that a decoder step reads the true previous word rather than its own guess.")
    var teacherForcing = 0.5

    @OptionGroup(title: "Optimizer") var optimization: OptimizerOptions<TrainSeq2SeqDefaults>

    @Option(help: "Passes over the training pairs (default: 10, or as many as --max-time allows).")
    var epochs: Int?

    @Option(help: ArgumentHelp("Time budget, e.g. 300s, 5m or 1h.", valueName: "duration"))
    var maxTime: String?

    @Option(help: "Stop after this many epochs in a row without a better validation loss.")
    var patience: Int?

    @Option(help: "Beam size for the final BLEU on the validation pairs (1: greedy).")
    var beam = 1

    @OptionGroup(title: "Checkpoints") var checkpoints: CheckpointOptions

    @OptionGroup(title: "Reports") var reports: ReportOptions

    @Flag(help: "Save the model without a vocabulary shortlist (translations then score every target word; `rnn shortlist` adds one later).")
    var noShortlist = false

    @Flag(help: "Print nothing but errors and warnings.")
    var quiet = false

    @Option(help: "Save the model here (safetensors; PyTorch can load the weights).")
    var output: String

    @OptionGroup(title: "Performance") var threadOptions: ThreadOptions

    enum TokenizerChoice: String, ExpressibleByArgument, CaseIterable { case words, spaces }

    static let trainFlags = (source: "--source", target: "--target", tsv: "--data")
    static let validationFlags = (source: "--validation-source", target: "--validation-target", tsv: "--validation-data")

    func validate() throws {
        if let p = ParallelTextOptions.problem(source: source, target: target, tsv: data, flags: Self.trainFlags) {
            throw ValidationError(p + ".")
        }
        if source == nil && data == nil { throw ValidationError("give --source and --target (two line-aligned files), or --data (one TSV file).") }
        if let p = ParallelTextOptions.problem(source: validationSource, target: validationTarget, tsv: validationData,
                                               flags: Self.validationFlags) {
            throw ValidationError(p + ".")
        }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1 (got \(batchSize)).") }
        if let epochs, epochs < 1 { throw ValidationError("--epochs must be at least 1 (got \(epochs)).") }
        if let maxTime {
            do { _ = try TimeBudget.seconds(maxTime) } catch { throw ValidationError("--max-time: \(error)") }
        }
        guard minCount >= 1 else { throw ValidationError("--min-count must be at least 1 (got \(minCount)).") }
        guard teacherForcing.isFinite, (0...1).contains(teacherForcing) else {
            throw ValidationError("--teacher-forcing must be between 0 and 1 (got \(teacherForcing)).")
        }
        if let patience, patience < 1 { throw ValidationError("--patience must be at least 1 (got \(patience)).") }
        for (name, value) in [("--attention-size", attentionSize), ("--decoder-hidden-size", decoderHiddenSize)] {
            if let value, !(1...ModelLimits.maxWidth).contains(value) {
                throw ValidationError("\(name) must be between 1 and \(ModelLimits.maxWidth) (got \(value)).")
            }
        }
        if attentionSize != nil && (attention ?? .additive) != .additive {
            throw ValidationError("--attention-size applies to --attention additive only.")
        }
        guard (1...256).contains(beam) else { throw ValidationError("--beam must be between 1 and 256 (got \(beam)).") }
        if output.isEmpty || output.hasSuffix("/") {
            throw ValidationError("--output must name a file, e.g. de-en.safetensors (got \"\(output)\").")
        }
        _ = try recipe()  // the network's sizes together (dot attention's), refused with the usage line
    }

    /// The library recipe these options choose: notebook 3's, with every option given replacing its value.
    func recipe() throws -> Seq2SeqRecipe {
        var r = Seq2SeqRecipe.notebook3
        r.minCount = minCount
        r.tokenizer = tokenizer == .words ? .words(lowercase: lowercase) : Tokenizer(kind: .spaces, lowercase: lowercase)
        r.cell = network.cellKind(from: r.cell)
        if let a = attention { r.attention = a }
        if let e = network.embeddingSize { r.embeddingSize = e }
        if let h = network.hiddenSize { r.encoderHiddenSize = h; r.decoderHiddenSize = h }
        if let l = network.layers { r.encoderLayers = l }
        if let d = network.dropout { r.dropout = d }
        r.bidirectional = bidirectional
        r.attentionSize = attentionSize
        if let d = decoderHiddenSize {
            r.decoderHiddenSize = d
        } else if r.attention == .dot {
            r.decoderHiddenSize = (bidirectional ? 2 : 1) * r.encoderHiddenSize
        }
        var t = r.training
        t.batchSize = batchSize
        t.teacherForcing = teacherForcing
        if let optimizer = optimization.optimizer { t.optimizer = optimizer }
        if let lr = optimization.learningRate { t.learningRate = lr }
        if let wd = optimization.weightDecay { t.weightDecay = wd }
        if let c = optimization.clipNorm { t.clipNorm = c > 0 ? c : nil }
        t.maxTime = try maxTime.map { try TimeBudget.seconds($0) }
        t.epochs = epochs ?? (t.maxTime == nil ? 10 : nil)
        t.patience = patience
        t.seed = optimization.seed
        r.training = t
        if let problem = r.problem {
            throw ValidationError(problem.replacingOccurrences(of: "decoder_hidden_size", with: "--decoder-hidden-size")
                .replacingOccurrences(of: "encoder_hidden_size", with: "--hidden-size") + ".")
        }
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
        let out = ProgressOutput(quiet: quiet)
        try checkOutputs([("--output", output), checkpoints.checkedOutput()] + reports.checkedOutputs(),
                         inputs: [("--source", source), ("--target", target), ("--data", data),
                                  ("--validation-source", validationSource), ("--validation-target", validationTarget),
                                  ("--validation-data", validationData)])
        try checkDifferentSides([("--source", source, "--target", target),
                                 ("--validation-source", validationSource, "--validation-target", validationTarget)])
        let train = try reportingErrors { try files.read(source: source, target: target, tsv: data, flags: Self.trainFlags) }
        let validation = try reportingErrors {
            validationSource == nil && validationData == nil ? []
                : try files.read(source: validationSource, target: validationTarget, tsv: validationData, flags: Self.validationFlags)
        }
        let run = try reportingErrors {
            do { return try Seq2SeqTraining(train: train, validation: validation, recipe: recipe) } catch TrainingError.invalidRecipe(let p) {
                throw CommandError(p.replacingOccurrences(of: "minCount", with: "--min-count") + ".")
            }
        }
        run.processGroup = ranks.group
        let model = run.model, c = model.configuration
        // Built from the training pairs before training, so that every file saved holds it.
        if !noShortlist {
            do {
                try model.buildShortlist(pairs: train)
            } catch let VocabularyShortlist.BuildError.unfamiliarWords(side, unknown, words) {
                printError("warning: \(unknown * 100 / words)% of the training pairs' \(side.rawValue) words are <unk> at --min-count "
                           + "\(minCount), so the model is saved without a vocabulary shortlist (decoding scores every word).")
            }
        }
        let trainWords = run.train.reduce(0) { $0 + $1.target.count - 1 }
        out.line("\(train.count) training pairs, \(validation.count) validation pairs; vocabularies: "
                 + "source \(model.sourceVocabulary.count), target \(model.targetVocabulary.count) words (with <pad>, <unk>, <bos>, <eos>; "
                 + "words seen fewer than \(minCount) times are <unk>)")
        let checkpoint = try checkpoints.checkpointPath()
        let live = !quiet && stdoutIsTerminal
        var progress = TrainingProgressLines(out: out, live: live, epochs: recipe.training.epochs, unit: "words")
        let t = recipe.training
        let card = TrainingReport.ModelCard(
            title: "rnn train-seq2seq: \(data ?? source ?? "")",
            data: [("train", data ?? "\(source ?? "") → \(target ?? "")", "\(train.count) sentence pairs, \(trainWords) target words"),
                   ("validation", validationData ?? validationSource.map { "\($0) → \(validationTarget ?? "")" } ?? "none",
                    "\(validation.count) sentence pairs")],
            settings: [("task", "translation (loss and perplexity per target word)"),
                       ("model", "\(c.bidirectional ? "bidirectional " : "")\(c.cell.rawValue) encoder, \(c.encoderLayers) layer(s) of "
                                 + "\(c.encoderHiddenSize); \(c.attention) attention; \(c.cell.rawValue) decoder of \(c.decoderHiddenSize); "
                                 + "embeddings \(c.embeddingSize), dropout \(c.dropout)"),
                       ("vocabularies", "source \(model.sourceVocabulary.count), target \(model.targetVocabulary.count)"),
                       ("optimizer", "\(t.optimizer), learning rate \(t.effectiveLearningRate), batch \(t.batchSize), "
                                     + "teacher forcing \(t.teacherForcing)"),
                       ("budget", [t.epochs.map { "\($0) epoch(s)" }, t.maxTime.map { "at most \(formatBudget($0))" }]
                                    .compactMap { $0 }.joined(separator: ", ")),
                       ("seed", "\(t.seed)"),
                       ("command", (["rnn"] + CommandLine.arguments.dropFirst()).joined(separator: " "))])
        let writers = ranks.writesFiles ? try reportingErrors { try reports.writers(card: card, level: .word) } : ReportWriters()
        let summary = try reportingErrors {
            do {
                return try run.fit(checkpoint: checkpoint, resume: checkpoints.resume) { event in
                    try writers.record(event)
                    switch event {
                    case .started(let plan):
                        let budget = [plan.epochs.map { "\($0) epoch\($0 == 1 ? "" : "s")" },
                                      plan.maxTime.map { "at most \(formatBudget($0))" }].compactMap { $0 }
                        out.line("\(c.bidirectional ? "bidirectional " : "")\(c.cell.rawValue) encoder (\(c.encoderLayers) × \(c.encoderHiddenSize)), "
                                 + "\(c.attention) attention, \(c.cell.rawValue) decoder (\(c.decoderHiddenSize)), embeddings \(c.embeddingSize); "
                                 + "\(plan.parameterCount) parameters; \(plan.batchesPerEpoch) batches of \(t.batchSize) pairs per epoch "
                                 + "(\(trainWords) target words); \(budget.joined(separator: ", "))")
                        progress.resumed(plan, from: checkpoint)
                    case .batch(let p):
                        progress.batch(p)
                    case .evaluated(let e):
                        var note = ""
                        if e.isBest {
                            try model.save(to: output)
                            note = e.validation == nil ? "  saved" : "  best, saved"
                        }
                        out.line(progress.epoch(e) + note)
                    case .skippedStep(let epoch, let batch):
                        progress.skipped(epoch: epoch, batch: batch)
                    }
                }
            } catch let error as CheckpointError where error.kind == .mismatch {
                throw CommandError("\(error) Or resume with the settings of the run that wrote it.")
            }
        }
        if summary.steps == 0 && summary.stoppedByTime {
            out.line("nothing left to train: the checkpoint's run has used the whole --max-time; give a larger one to go on")
        }
        if ranks.writesFiles {
            try reportingErrors {
                try model.save(to: output)
                try writers.page?.finish(summary: summary)
            }
        }
        let which = summary.bestValidation.map { String(format: "epoch %d, val loss %.4f", summary.bestEpoch ?? 0, $0.loss) }
            ?? "epoch \(summary.epochs)"
        out.line(String(format: "Trained %d step%@ in %.1f s (%@ target words/s); saved the best model (%@) to %@",
                        summary.steps, summary.steps == 1 ? "" : "s", summary.seconds, formatRate(summary.tokensPerSecond),
                        which, output))
        if reports.report != nil { out.line("Wrote \(reports.metricsPath ?? "") and \(reports.htmlPath ?? "")") }
        if let board = writers.board { out.line("Wrote \(board.path)") }
        if !validation.isEmpty && ranks.writesFiles {
            let start = Date()
            let scores = model.evaluate(sources: validation.map(\.source), references: validation.map(\.target),
                                        options: TranslationOptions(beam: beam))
            out.line(String(format: "validation (%d pairs, %@): BLEU %.2f  chrF %.2f  (%.1f s)", scores.sentences,
                            beam == 1 ? "greedy" : "beam \(beam)", scores.bleu, scores.chrF, Date().timeIntervalSince(start)))
        }
    }
}

extension Seq2SeqAttention: ExpressibleByArgument {}

/// Refuses a source file that is also the target file (the same path or a link to it): pairs of
/// a sentence and itself are a mistake, not translations.
func checkDifferentSides(_ sides: [(String, String?, String, String?)]) throws {
    for (sourceFlag, source, targetFlag, target) in sides {
        if let source, let target, OutputFile.sameFile(source, target) {
            throw CommandError("\(sourceFlag) \(source) and \(targetFlag) \(target) are the same file: \(targetFlag) must hold the "
                               + "translations of the sentences in \(sourceFlag). Give the other language's file.")
        }
    }
}

/// `rnn train-seq2seq`'s defaults: notebook 3's recipe.
enum TrainSeq2SeqDefaults: RecipeDefaults {
    static let recipe = Seq2SeqRecipe.notebook3
    static let cell = CellChoice(recipe.cell).rawValue
    static let layers = "\(recipe.encoderLayers) (encoder)"
    static let hiddenSize = "\(recipe.encoderHiddenSize) (encoder and decoder)"
    static let embeddingSize = "\(recipe.embeddingSize)"
    static let dropout = "\(recipe.dropout)"
    static let optimizer = "\(recipe.training.optimizer)"
    static let learningRate = "0.001 for adam"
    static let clipNorm = recipe.training.clipNorm.map { "\($0)" } ?? "off"
}
