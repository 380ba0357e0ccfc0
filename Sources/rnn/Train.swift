import ArgumentParser
import Foundation
import RNNKit

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a text classifier (with no data file: the tutorial's experiment).",
        discussion: """
            Without --data this is the tutorial's experiment: a vanilla RNN (hidden 64) on one-hot \
            words of the built-in 58/20-sentence dataset, softmax cross-entropy, backpropagation \
            through time, gradients clipped to [-1, 1], plain SGD at 0.02, one example at a time, \
            1000 epochs, a report every 100.

            With --data it trains on your file with a recipe for real data: words (lowercased, \
            punctuation split off) seen at least twice, embeddings of 128, a vanilla RNN of 128 \
            whose outputs are max-pooled over the text, dropout 0.5, mini-batches of 32, Adam at \
            0.002, gradient norm clipped to 5, up to 20 epochs with early stopping (patience 4) on a \
            validation set (10% of the data unless you give one), keeping the best epoch's weights. \
            Every setting can be changed.

            --model rnn+bow trains both at once, a wide-and-deep classifier: one softmax over the \
            sum of the RNN's output layer and a linear layer over the n-grams' tf-idf vector, each \
            n-gram weighed by its Naive Bayes log-count ratio (--ngram-weighting tfidf leaves it \
            out), trained together (the RNN by Adam, the n-gram weights by sparse SGD at 64 with the \
            baseline's L2 penalty, from zero; --wide-learning-rate, --wide-start baseline starts \
            them as the fitted baseline's). For labelled data without unlabelled text.

            --model bow trains the classic baseline instead: the tf-idf vector of each text's \
            words and pairs of adjacent words, then L2-regularized logistic regression (C = 4) — \
            scikit-learn's TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True) and \
            LogisticRegression on the same tokens — in about a second; predict, evaluate and serve \
            take its file as any classifier's. --compare trains the recipe above and the baseline \
            on the same split and prints both, so you can see whether the RNN earns its cost on \
            your data.

            --init-from LM starts the RNN from a word-level language model (rnn train-lm --level \
            word): its embedding rows for the words it knows and its recurrent layers, then \
            fine-tuning (--gradual-unfreezing, --layer-decay, --lr-schedule, --new-word-rows). \
            --pretrain trains that language model first, inside this command, on the training \
            texts (never the validation or test texts) and any --unlabeled text.

            Examples:
              rnn train
              rnn train --optimizer adam --learning-rate 0.01 --epochs 200 --report-every 20
              rnn train --data reviews.csv --output reviews.safetensors
              rnn train --data train.tsv --validation dev.tsv --test test.tsv \\
                --text-column text --label-column score --threshold 0 --output m.safetensors
              rnn train --data scores.tsv --no-header --text-column 3 --label-column 2 --threshold 0
              rnn train --data train.tsv --cell lstm --bidirectional --layers 2 --pooling max
              rnn train --data train.tsv --report report --tensorboard runs
              rnn train --data train.tsv --model bow --output baseline.safetensors
              rnn train --data train.tsv --compare
              rnn train --data train.tsv --model rnn+bow --output hybrid.safetensors
              rnn train --data train.tsv --pretrain --unlabeled more-text.txt
              rnn train --data train.tsv --init-from lm.safetensors

            Data files: CSV (RFC 4180), TSV or JSON Lines, UTF-8, with a header naming the text and \
            label columns (or --no-header with column indexes).
            """)

    @Option(help: "Training examples: a CSV, TSV or JSONL file (default: the built-in tutorial set).")
    var data: String?

    @Option(help: "Validation examples for early stopping and model selection.")
    var validation: String?

    @Option(help: "Hold out this fraction of --data (seeded, stratified) for validation when --validation is not given. (default: 0.1 with --data)")
    var validationSplit: Double?

    @Option(help: "Test examples, evaluated at each report and at the end (default: the built-in test set without --data).")
    var test: String?

    @OptionGroup(title: "Data files") var dataOptions: DataOptions

    // Text
    @Option(help: "Tokens: words (and punctuation) or characters. (default: word)")
    var level: LevelChoice?
    @Flag(help: "Keep upper case (words are lowercased by default).")
    var keepCase = false
    @Option(help: "Drop words seen fewer times than this in training (they become <unk>). With --model bow or rnn+bow, also keep only n-grams found in at least this many training texts. (default: 2 with --data; for n-grams 1)")
    var minCount: Int?
    @Option(help: "Keep at most this many vocabulary entries (the most frequent).")
    var maxVocab: Int?

    // Model
    @Option(help: "rnn: a recurrent network; bow: a bag of n-grams (tf-idf and logistic regression, the classic baseline); rnn+bow: both in one wide-and-deep classifier. bow and rnn+bow need --data.")
    var model: ModelChoice = .rnn
    @Flag(help: "Also train the bag-of-n-grams baseline on the same split and print both models' accuracy (needs --data).")
    var compare = false
    @Option(help: "bow, rnn+bow: the longest n-gram. (default: 2, words and pairs of words)")
    var maxNgram: Int?
    @Option(help: "bow, rnn+bow: how each n-gram is weighed: tfidf, or nb (tf-idf times its Naive Bayes log-count ratio on the training texts, NBSVM's). (default: tfidf with bow, nb with rnn+bow)")
    var ngramWeighting: NgramWeighting?
    @Option(help: "bow, rnn+bow: C, the inverse strength of the L2 penalty; larger fits the training texts more closely. (default: 4)")
    var inverseRegularization: Double?
    @Option(help: "rnn+bow: where the n-gram weights start: baseline (the fitted bag of n-grams) or zero. (default: \(WideAndDeepRecipe.standard.wideStart.rawValue))")
    var wideStart: WideAndDeepRecipe.WideStart?
    @Option(help: "rnn+bow: the n-gram weights' SGD learning rate; 0 keeps them where they start. (default: \(WideAndDeepRecipe.standard.wideLearningRate))")
    var wideLearningRate: Double?
    @OptionGroup(title: "Network") var network: NetworkOptions<TrainDefaults>
    @OptionGroup(title: "Pretraining and fine-tuning") var transfer: TransferOptions
    @Option(help: "Word input: embedding or one-hot. (default: one-hot without --data, embedding with)")
    var input: InputChoice?
    @Flag(help: "Run a second direction backwards over each text and join both final states.")
    var bidirectional = false
    @Option(help: "Sequence summary: last (final states, as PyTorch's nn.RNN returns them), max or mean over the steps. (default: last without --data, max with)")
    var pooling: ClassifierConfiguration.Pooling?
    @Option(help: "Backpropagation into h(t-1): exact (the true gradient, Whhᵀ·g) or tutorial (Whh·g, as the tutorial's published code does; vanilla RNN only).")
    var backward: BackwardRule = .exact

    // Training
    @OptionGroup(title: "Optimizer") var optimization: OptimizerOptions<TrainDefaults>
    @Option(help: "Passes over the training data. (default: 1000 without --data, 20 with)")
    var epochs: Int?
    @Option(help: "Examples per update. (default: 1 without --data, 32 with)")
    var batchSize: Int?
    @Option(help: "Clip each gradient element to [-v, v]. (default: 1 without --data)")
    var clipValue: Float?
    @Option(help: "Stop after this many epochs without a better validation loss, keeping the best weights. (default: 4 with --data)")
    var patience: Int?
    @Option(help: "Evaluate and report every N epochs. (default: 100 without --data, 1 with)")
    var reportEvery: Int?
    @OptionGroup(title: "Checkpoints") var checkpoints: CheckpointOptions
    @OptionGroup(title: "Reports") var reports: ReportOptions
    @Flag(help: "Print nothing but the final results.")
    var quiet = false

    @Option(help: "Save the trained model here (safetensors; PyTorch can load it).")
    var output: String?

    /// The tutorial's experiment: no data file given.
    var tutorial: Bool { data == nil }

    @OptionGroup(title: "Performance") var threadOptions: ThreadOptions

    func validate() throws {
        func positive(_ value: Int?, _ name: String) throws {
            if let value, value < 1 { throw ValidationError("\(name) must be at least 1 (got \(value)).") }
        }
        try positive(epochs, "--epochs")
        try positive(batchSize, "--batch-size")
        try positive(reportEvery, "--report-every")
        try positive(minCount, "--min-count")
        try positive(patience, "--patience")
        if let maxVocab, maxVocab < 3 { throw ValidationError("--max-vocab must be at least 3 (got \(maxVocab)).") }
        if let clipValue, !(clipValue.isFinite && clipValue >= 0) {
            throw ValidationError("--clip-value must be 0 (off) or positive (got \(clipValue)).")
        }
        if let clipValue, let clipNorm = optimization.clipNorm, clipValue > 0, clipNorm > 0 {
            throw ValidationError("give --clip-value or --clip-norm, not both.")
        }
        if let validationSplit, !(validationSplit > 0 && validationSplit < 1) {
            throw ValidationError("--validation-split must be between 0 and 1 (got \(validationSplit)).")
        }
        if validation != nil && validationSplit != nil { throw ValidationError("give --validation or --validation-split, not both.") }
        if tutorial && validationSplit != nil { throw ValidationError("--validation-split needs --data.") }
        if backward == .tutorial, let cell = network.cell, cell != .rnn { throw ValidationError("--backward tutorial exists for --cell rnn only.") }
        if let output, output.hasSuffix("/") || output.isEmpty {
            throw ValidationError("--output must name a file, e.g. model.safetensors (got \"\(output)\").")
        }
        if (model == .bow || compare) && tutorial { throw ValidationError("--model bow and --compare need --data.") }
        if model == .wideAndDeep && tutorial { throw ValidationError("--model rnn+bow needs --data.") }
        if model == .wideAndDeep && compare { throw ValidationError("--compare trains the RNN and the baseline; give it without --model rnn+bow.") }
        if model != .wideAndDeep, let flag = [("--wide-start", wideStart != nil), ("--wide-learning-rate", wideLearningRate != nil)]
            .first(where: \.1)?.0 {
            throw ValidationError("\(flag) sets the n-gram part of --model rnn+bow; give it with --model rnn+bow.")
        }
        if let wideLearningRate, !(wideLearningRate.isFinite && wideLearningRate >= 0 && wideLearningRate <= 10_000) {
            throw ValidationError("--wide-learning-rate must be between 0 (the n-gram weights stay as they start) and 10000 (got \(wideLearningRate)).")
        }
        if model == .wideAndDeep, let flag = [("--checkpoint-dir", checkpoints.checkpointDir != nil), ("--report", reports.report != nil),
                                              ("--tensorboard", reports.tensorboard != nil)].first(where: \.1)?.0 {
            throw ValidationError("\(flag) is not available with --model rnn+bow yet; train without it.")
        }
        if model == .bow && compare { throw ValidationError("--compare trains the RNN and the baseline; give it without --model bow.") }
        if model == .bow, let flag = rnnOnlyFlags.first {
            throw ValidationError("\(flag) sets the RNN, which --model bow does not train (it fits a bag of n-grams); leave it out.")
        }
        if model == .rnn && !compare, let flag = [("--max-ngram", maxNgram != nil), ("--ngram-weighting", ngramWeighting != nil),
                                                  ("--inverse-regularization", inverseRegularization != nil)].first(where: \.1)?.0 {
            throw ValidationError("\(flag) sets the bag-of-n-grams baseline; give it with --model bow or --compare.")
        }
        if model == .bow, let flag = [("--checkpoint-dir", checkpoints.checkpointDir != nil), ("--report", reports.report != nil),
                                      ("--tensorboard", reports.tensorboard != nil)].first(where: \.1)?.0 {
            throw ValidationError("\(flag) follows an RNN's epochs; the bag of n-grams is fitted in one go (--model bow).")
        }
        if transfer.transfers && tutorial {
            throw ValidationError("--init-from and --pretrain start an RNN from a language model; give them with --data.")
        }
        if transfer.pretrain, let (flag, value) = [("--level", level == .char ? "char" : nil),
                                                   ("--input", input == .oneHot ? "one-hot" : nil)].first(where: { $0.1 != nil }) {
            throw ValidationError("\(flag) \(value!) cannot start from a language model: --pretrain trains a word-level one and fine-tunes its embedding.")
        }
        if transfer.pretrain && bidirectional {
            throw ValidationError("--bidirectional cannot start from a language model: --pretrain trains one that reads left to right; leave --bidirectional out.")
        }
        if transfer.pretrain, let flag = [("--checkpoint-dir", checkpoints.checkpointDir != nil), ("--resume", checkpoints.resume)]
            .first(where: \.1)?.0 {
            throw ValidationError("\(flag) is not available with --pretrain, whose pretraining is not checkpointed. To resume, pretrain with "
                                  + "`rnn train-lm --data FILE --text-column … --checkpoint-dir …`, then fine-tune with --init-from (both resume).")
        }
        if transfer.transfers && model != .rnn {
            throw ValidationError("--init-from and --pretrain start the RNN recipe from a language model; --model \(model.rawValue) does not take them.")
        }
        if let problem = bagOfNgramsRecipe.problem { throw ValidationError("--model \(model == .wideAndDeep ? "rnn+bow" : "bow"): \(problem).") }
    }

    /// The options given that only the RNN uses (a bag of n-grams has none of them).
    var rnnOnlyFlags: [String] {
        let n = network, o = optimization
        return [("--cell", n.cell != nil), ("--nonlinearity", n.nonlinearity != nil), ("--layers", n.layers != nil),
                ("--hidden-size", n.hiddenSize != nil), ("--embedding-size", n.embeddingSize != nil), ("--dropout", n.dropout != nil),
                ("--input", input != nil), ("--bidirectional", bidirectional), ("--pooling", pooling != nil),
                ("--backward", backward != .exact), ("--optimizer", o.optimizer != nil), ("--learning-rate", o.learningRate != nil),
                ("--weight-decay", o.weightDecay != nil), ("--clip-norm", o.clipNorm != nil), ("--epochs", epochs != nil),
                ("--batch-size", batchSize != nil), ("--clip-value", clipValue != nil), ("--patience", patience != nil),
                ("--report-every", reportEvery != nil), ("--max-vocab", maxVocab != nil)].filter(\.1).map(\.0)
    }

    /// The baseline's recipe: the standard one with the text and bow options given.
    var bagOfNgramsRecipe: BagOfNgramsRecipe {
        var r = BagOfNgramsRecipe.standard
        r.tokenizer = recipe.tokenizer
        if let minCount { r.minCount = minCount }
        if let maxNgram { r.maxN = maxNgram }
        if let ngramWeighting { r.weighting = ngramWeighting }
        if let inverseRegularization { r.inverseRegularization = inverseRegularization }
        return r
    }

    /// The library recipe these options choose: the tutorial's or the standard one, with every
    /// option given replacing its value.
    var recipe: ClassifierRecipe {
        var r: ClassifierRecipe = tutorial ? .tutorial : .standard
        if level == .char {
            r.tokenizer = .characters(lowercase: false)
        } else if level == .word || keepCase || !tutorial {
            r.tokenizer = .words(lowercase: !keepCase)
        }
        if minCount != nil || maxVocab != nil {
            r.vocabulary = .frequency(minCount: minCount ?? 2, maxSize: maxVocab)
        }
        r.cell = network.cellKind(from: r.cell)
        if let input { r.input = input == .oneHot ? .oneHot : .embedding }
        if let e = network.embeddingSize { r.embeddingSize = e }
        if let h = network.hiddenSize { r.hiddenSize = h }
        if let l = network.layers { r.numLayers = l }
        if bidirectional { r.bidirectional = true }
        if let d = network.dropout { r.dropout = d }
        if let pooling { r.pooling = pooling }
        r.backward = backward
        if let f = validationSplit { r.validationFraction = f }
        if validation != nil { r.validationFraction = nil }

        var t = r.training
        if let epochs { t.epochs = epochs }
        if let batchSize { t.batchSize = batchSize }
        if let optimizer = optimization.optimizer { t.optimizer = optimizer }
        t.learningRate = optimization.learningRate ?? t.optimizer.defaultLearningRate
        t.weightDecay = optimization.weightDecay ?? t.optimizer.defaultWeightDecay
        if clipValue != nil || optimization.clipNorm != nil {
            t.clipValue = clipValue.flatMap { $0 > 0 ? $0 : nil }
            t.clipNorm = optimization.clipNorm.flatMap { $0 > 0 ? $0 : nil }
        }
        t.seed = optimization.seed
        if let reportEvery { t.reportEvery = reportEvery }
        if let patience { t.patience = patience }
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
        try ranks.refuse(if: tutorial, "the tutorial run (rnn train without --data) trains one sentence per step, "
                         + "which cannot be split across MPI ranks; run it without mpirun, or train on --data with --batch-size ≥ the rank count.")
        try ranks.refuse(if: model == .bow, "the bag of n-grams (--model bow) is fitted by one process in about a second; "
                         + "run it without mpirun.")
        try ranks.refuse(if: model == .wideAndDeep, "the wide-and-deep classifier (--model rnn+bow) trains in one process; "
                         + "run it without mpirun.")
        if model == .bow { return try runBagOfNgrams() }
        if model == .wideAndDeep { return try runWideAndDeep() }
        var recipe = transfer.apply(to: self.recipe)
        try checkOutputs([("--output", output), checkpoints.checkedOutput()] + reports.checkedOutputs(),
                         inputs: [("--data", data), ("--validation", validation), ("--test", test),
                                  ("--init-from", transfer.initFrom)] + transfer.unlabeled.map { ("--unlabeled", $0) })
        try transfer.checkUnlabeled(labelled: [("--data", data), ("--validation", validation), ("--test", test)])
        var rows: (train: [LabeledText], validation: [LabeledText]?, test: [LabeledText]?) = ([], nil, nil)
        var languageModel: TextLanguageModel?
        try reportingErrors {
            let trainRows = try data.map { try dataOptions.read($0, training: true) } ?? TutorialDataset.train
            let validationRows = try validation.map { try dataOptions.read($0) }
            let testRows = try test.map { try dataOptions.read($0) } ?? (tutorial ? TutorialDataset.test : nil)
            rows = (trainRows, validationRows, testRows)
            languageModel = try transfer.initFrom != nil
                ? loadLanguageModel() : pretrainLanguageModel(trainRows, validationGiven: validationRows != nil, recipe: recipe)
        }
        if let languageModel { recipe = recipe.adopting(languageModel) }
        let options = recipe.training
        let run: ClassifierTraining = try reportingErrors {
            try ClassifierTraining(train: rows.train, validation: rows.validation, test: rows.test, recipe: recipe,
                                   sources: (data ?? "built-in data", validation ?? data ?? "", test ?? "built-in data"),
                                   languageModel: languageModel)
        }
        if let copied = run.rowsFromLanguageModel {
            let known = copied.lazy.compactMap { $0 }.count
            if !quiet {
                print("started from the language model: \(known) of \(copied.count) words' embedding rows "
                      + "and its recurrent layers; fine-tuning: \(describe(recipe.fineTuning ?? .standard))")
            }
            if 2 * known < copied.count, let initFrom = transfer.initFrom {
                printError("warning: the language model \(initFrom) knows only \(known) of the \(copied.count) training words: "
                           + "was it trained on text of another kind or language? Pretraining helps when its text is like the data's.")
            }
        }
        run.processGroup = ranks.group
        let prepared = run.data
        if prepared.unknownWords > 0, case .firstAppearance = recipe.vocabulary {
            printError("warning: \(prepared.unknownWords) validation/test word(s) are not in the training vocabulary and were skipped.")
        }
        if prepared.droppedTexts > 0 {
            printError("warning: \(prepared.droppedTexts) text(s) have no known word and were left out.")
        }
        if tutorial { print("\(prepared.vocabulary.count) unique words found") }

        let checkpoint = try checkpoints.checkpointPath()
        if !tutorial && !quiet {
            print("\(prepared.train.count) training examples, \(prepared.validation?.count ?? 0) validation, "
                  + "\(prepared.test?.count ?? 0) test; \(prepared.vocabulary.count) words; labels: "
                  + prepared.labels.joined(separator: ", "))
            print("model: \(describe(run.configuration)); \(options.optimizer) lr \(options.learningRate), batch \(options.batchSize)")
        }
        let live = !quiet && !tutorial && stdoutIsTerminal
        let out = ProgressOutput(quiet: quiet)
        let writers = ranks.writesFiles
            ? try reportingErrors { try reports.writers(card: modelCard(run, rows: rows), level: nil) } : ReportWriters()
        let summary = try reportingErrors {
            try run.fit(checkpoint: checkpoint, resume: checkpoints.resume) { event in
                try writers.record(event)
                switch event {
                case .batch(let p):
                    guard live else { return }
                    let width = 20, done = p.batchesPerEpoch == 0 ? width : width * p.batch / p.batchesPerEpoch
                    out.live(String(format: "epoch %d/%d [%@%@] %d/%d  loss %@  acc %.3f  %@ tok/s  ETA %@",
                                     p.epoch, options.epochs, String(repeating: "=", count: done),
                                     String(repeating: " ", count: width - done), p.batch, p.batchesPerEpoch,
                                     TrainingProgressLines.number(p.epochLoss), p.epochAccuracy ?? 0, formatRate(p.tokensPerSecond),
                                     formatDuration(p.secondsRemaining)))
                case .evaluated(let report):
                    if quiet { return }
                    out.clearLive()
                    if tutorial {
                        printTutorialReport(report)
                    } else {
                        printEpoch(report, of: options.epochs)
                    }
                    fflush(nil)  // each report reaches a log file or pipe as it happens
                case .started, .skippedStep:
                    break
                }
            }
        }
        let model = run.classifier.model
        if tutorial {
            print(String(format: "Trained %d epochs in %.3f s (%@ tokens/s)", summary.epochs, summary.seconds,
                         formatRate(Double(summary.tokens) / max(summary.seconds, 1e-9))))
        } else {
            if summary.stoppedEarly { print("stopped early: validation loss did not improve for \(run.patience ?? 0) epochs") }
            if let best = summary.bestEpoch { print("kept the weights of epoch \(best) (best validation loss)") }
            if summary.skippedSteps > 0 {
                print("skipped \(summary.skippedSteps) update(s) whose loss or gradient was not finite")
            }
            if let v = prepared.validation, !v.isEmpty {
                let m = model.metrics(on: v)
                print(String(format: "validation: loss %@  accuracy %.4f", TrainingProgressLines.number(m.loss), m.accuracy ?? 0))
            }
            if let t = prepared.test, !t.isEmpty {
                let m = model.metrics(on: t)
                print(String(format: "test: loss %@  accuracy %.4f", TrainingProgressLines.number(m.loss), m.accuracy ?? 0))
            }
            print(String(format: "trained %d epochs in %@ (%@ tokens/s)", summary.epochs, formatDuration(summary.seconds),
                         formatRate(Double(summary.tokens) / max(summary.seconds, 1e-9))))
        }
        // The model first: a report that cannot be written must not cost the trained model.
        if let output, ranks.writesFiles {
            try reportingErrors { try run.classifier.save(to: output) }
            print("Saved model to \(output)")
        }
        if compare { try compareWithBaseline(run.classifier, rows: rows, seconds: summary.seconds) }
        if let page = writers.page {
            try reportingErrors { try finish(page, run: run, rows: rows, summary: summary) }
        }
        if let report = reports.report { print("Wrote \(reports.metricsPath ?? "") and \(reports.htmlPath ?? report)") }
        if let board = writers.board { print("Wrote \(board.path)") }
    }

    /// The set the report scores: validation (given, or held out of --data as training did),
    /// else test, else training; with its name.
    private func scoredSet(_ run: ClassifierTraining,
                           rows: (train: [LabeledText], validation: [LabeledText]?, test: [LabeledText]?)) -> (rows: [LabeledText], name: String) {
        if let v = rows.validation { return (v, "validation data, \(validation ?? "")") }
        if let fraction = run.recipe.validationFraction {
            let held = ClassifierData.stratifiedSplit(rows.train, fraction: fraction, seed: run.recipe.training.seed).validation
            if !held.isEmpty { return (held, "validation data, \(Int((fraction * 100).rounded()))% held out of \(data ?? "the data")") }
        }
        if let t = rows.test, !t.isEmpty { return (t, "test data, \(test ?? "built-in")") }
        return (rows.train, "training data, \(data ?? "built-in")")
    }

    private func finish(_ page: TrainingReport, run: ClassifierTraining,
                        rows: (train: [LabeledText], validation: [LabeledText]?, test: [LabeledText]?),
                        summary: TrainingSummary) throws {
        let set = scoredSet(run, rows: rows)
        // A set with no text the model can read has no scores to show; the page still gets the rest.
        guard let evaluation = try? run.classifier.evaluate(on: set.rows, source: set.name) else {
            return try page.finish(summary: summary)
        }
        try page.finish(summary: summary, classification: (evaluation.report, set.name),
                        mistakes: run.classifier.mostConfidentMistakes(on: set.rows, limit: 10))
    }

    private func modelCard(_ run: ClassifierTraining,
                           rows: (train: [LabeledText], validation: [LabeledText]?, test: [LabeledText]?)) -> TrainingReport.ModelCard {
        let prepared = run.data, t = run.recipe.training
        var dataFiles: [(role: String, source: String, contents: String)] = [
            ("training", data ?? "built-in tutorial data", "\(prepared.train.count) examples")]
        if let v = prepared.validation {
            dataFiles.append(("validation", validation ?? "held out of \(data ?? "the data")", "\(v.count) examples"))
        }
        if let x = prepared.test { dataFiles.append(("test", test ?? "built-in tutorial data", "\(x.count) examples")) }
        var settings: [(name: String, value: String)] = [
            ("task", "text classification: " + prepared.labels.joined(separator: ", ")),
            ("model", describe(run.configuration)),
            ("vocabulary", "\(prepared.vocabulary.count) entries"),
            ("recipe", tutorial ? "tutorial" : "standard"),
            ("optimizer", "\(t.optimizer), learning rate \(t.learningRate), batch \(t.batchSize)"),
            ("epochs", "\(t.epochs), evaluated every \(t.reportEvery)" + (t.patience.map { ", patience \($0)" } ?? "")),
            ("seed", "\(t.seed)"),
        ]
        settings.append(("command", (["rnn"] + CommandLine.arguments.dropFirst()).joined(separator: " ")))
        return TrainingReport.ModelCard(title: data.map { "rnn train: \($0)" } ?? "rnn train: the tutorial", data: dataFiles,
                                        settings: settings)
    }

    private func printTutorialReport(_ report: EpochReport) {
        print("--- Epoch \(report.epoch)")
        print(String(format: "Train:\tLoss %.3f | Accuracy: %.3f", report.train.loss, report.train.accuracy ?? 0))
        if let t = report.test {
            print(String(format: "Test:\tLoss %.3f | Accuracy: %.3f", t.loss, t.accuracy ?? 0))
        }
    }

    func printEpoch(_ r: EpochReport, of epochs: Int) {
        let loss = TrainingProgressLines.number
        var line = String(format: "epoch %d/%d  train loss %@ acc %.4f", r.epoch, epochs, loss(r.train.loss), r.train.accuracy ?? 0)
        if let v = r.validation, v.count > 0 { line += String(format: "  val loss %@ acc %.4f", loss(v.loss), v.accuracy ?? 0) }
        if let t = r.test { line += String(format: "  test acc %.4f", t.accuracy ?? 0) }
        line += "  \(formatRate(Double(r.tokens) / max(r.seconds, 1e-9))) tok/s  \(formatDuration(r.seconds))"
        if r.isBest && r.validation != nil { line += "  *" }
        if r.skippedSteps > 0 { line += "  (\(r.skippedSteps) non-finite updates skipped)" }
        print(line)
    }
}

func describe(_ c: ClassifierConfiguration) -> String {
    var parts = ["\(c.cell.rawValue)", c.input == .oneHot ? "one-hot input" : "embedding \(c.embeddingSize)",
                 "hidden \(c.hiddenSize)"]
    if c.numLayers > 1 { parts.append("\(c.numLayers) layers") }
    if c.bidirectional { parts.append("bidirectional") }
    if c.dropout > 0 { parts.append("dropout \(c.dropout)") }
    if c.pooling != .last { parts.append("\(c.pooling) pooling") }
    return parts.joined(separator: ", ")
}

/// `rnn train`'s defaults: the tutorial's recipe without --data, the standard one with it.
enum TrainDefaults: RecipeDefaults {
    static func both<T>(_ value: (ClassifierRecipe) -> T) -> String {
        let (a, b) = (value(.tutorial), value(.standard))
        return "\(a)" == "\(b)" ? "\(a)" : "\(a) without --data, \(b) with"
    }
    static let cell = both { CellChoice($0.cell).rawValue }
    static let layers = both(\.numLayers)
    static let hiddenSize = both(\.hiddenSize)
    static let embeddingSize = both(\.embeddingSize)
    static let dropout = both(\.dropout)
    static let optimizer = both(\.training.optimizer)
    static let learningRate = "the optimizer's: sgd 0.02, adam 0.002, …"
    static let clipNorm = both { $0.training.clipNorm.map { "\($0)" } ?? "off" }
}
