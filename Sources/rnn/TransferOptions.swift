import ArgumentParser
import Foundation
import RNNKit

/// `--lr-schedule`'s values: the library's schedules with dashes.
enum ScheduleChoice: String, ExpressibleByArgument, CaseIterable {
    case constant
    case slantedTriangular = "slanted-triangular"

    init(_ schedule: FineTuning.Schedule) { self = schedule == .constant ? .constant : .slantedTriangular }
    var schedule: FineTuning.Schedule { self == .constant ? .constant : .slantedTriangular }
}
extension FineTuning.NewWordRows: ExpressibleByArgument {}

/// `rnn train`'s transfer options: start from a language model (`--init-from`) or pretrain one
/// first (`--pretrain`), and how to fine-tune it.
struct TransferOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Start from this word-level language model (rnn train-lm --level word): its embedding rows for the words it knows and its recurrent layers; the network options default to its own.", valueName: "lm.safetensors"))
    var initFrom: String?

    @Flag(help: "Pretrain a word-level language model on the training texts (never the validation or test texts) and any --unlabeled text first, then fine-tune it as the classifier.")
    var pretrain = false

    @Option(parsing: .upToNextOption, help: ArgumentHelp("With --pretrain: more text for the language model; every non-empty line of these UTF-8 files is a text.", valueName: "file"))
    var unlabeled: [String] = []

    @Option(help: "With --pretrain: passes of the language model over its texts. (default: \(ClassifierRecipe.pretrained.pretraining?.training.epochs ?? 5))")
    var pretrainEpochs: Int?

    @Option(help: "Fine-tuning: each layer below the output learns this many times slower than the one above (1: all alike). (default: \(FineTuning.standard.layerDecay))")
    var layerDecay: Float?

    @Flag(inversion: .prefixedNo, help: "Fine-tuning: train the output layer alone in the first epoch, then thaw one more layer (top first, the embedding last) each epoch. (default: \(FineTuning.standard.gradualUnfreezing ? "on" : "off"))")
    var gradualUnfreezing: Bool?

    @Option(help: "Fine-tuning: the learning rate over the run, constant or slanted-triangular (a short rise, then a long decay). (default: \(ScheduleChoice(FineTuning.standard.schedule).rawValue))")
    var lrSchedule: ScheduleChoice?

    @Option(help: "Fine-tuning: the embedding rows of words the language model does not know: fresh (random, as any embedding) or mean (the mean of its rows). (default: \(FineTuning.standard.newWordRows.rawValue))")
    var newWordRows: FineTuning.NewWordRows?

    /// Whether the run starts from a language model.
    var transfers: Bool { initFrom != nil || pretrain }

    func validate() throws {
        if initFrom != nil && pretrain { throw ValidationError("give --init-from (a language model you trained) or --pretrain (train one now), not both.") }
        if !pretrain, let flag = [("--unlabeled", !unlabeled.isEmpty), ("--pretrain-epochs", pretrainEpochs != nil)].first(where: \.1)?.0 {
            throw ValidationError("\(flag) sets the language model --pretrain trains; give it with --pretrain.")
        }
        if !transfers, let flag = [("--layer-decay", layerDecay != nil), ("--gradual-unfreezing", gradualUnfreezing != nil),
                                    ("--lr-schedule", lrSchedule != nil), ("--new-word-rows", newWordRows != nil)].first(where: \.1)?.0 {
            throw ValidationError("\(flag) sets how a language model is fine-tuned; give it with --init-from or --pretrain.")
        }
        if let layerDecay, !(layerDecay.isFinite && layerDecay >= 1 && layerDecay <= 100) {
            throw ValidationError("--layer-decay must be between 1 and 100 (got \(layerDecay)); 1 gives every layer the same rate.")
        }
        if let pretrainEpochs, pretrainEpochs < 1 { throw ValidationError("--pretrain-epochs must be at least 1 (got \(pretrainEpochs)).") }
        if initFrom?.isEmpty == true { throw ValidationError("--init-from must name a language model file.") }
    }

    /// The fine-tuning settings given, over the standard ones.
    var fineTuning: FineTuning {
        var f = FineTuning.standard
        if let layerDecay { f.layerDecay = layerDecay }
        if let gradualUnfreezing { f.gradualUnfreezing = gradualUnfreezing }
        if let lrSchedule { f.schedule = lrSchedule.schedule }
        if let newWordRows { f.newWordRows = newWordRows }
        return f
    }

    /// `recipe` with the pretraining and fine-tuning these options set (nothing without
    /// --init-from or --pretrain).
    func apply(to recipe: ClassifierRecipe) -> ClassifierRecipe {
        guard transfers else { return recipe }
        var r = recipe
        r.fineTuning = fineTuning
        if pretrain {
            var lm = ClassifierRecipe.pretrained.pretraining!
            (lm.cell, lm.embeddingSize, lm.hiddenSize, lm.numLayers) = (r.cell, r.embeddingSize, r.hiddenSize, r.numLayers)
            lm.training.seed = r.training.seed
            if let pretrainEpochs { lm.training.epochs = pretrainEpochs }
            r.pretraining = lm
        }
        return r
    }

    /// Refuses an --unlabeled file that is one of the labelled files: the validation or test texts
    /// would leak into pretraining (which promises never to read them), and the training texts
    /// are pretrained on already. Warns when one looks like a table, whose every line (label and
    /// id columns too) would be read as a text.
    func checkUnlabeled(labelled: [(flag: String, path: String?)]) throws {
        for path in unlabeled {
            if let (flag, other) = labelled.first(where: { $0.path.map { OutputFile.sameFile(path, $0) } ?? false }) {
                let why = flag == "--data" ? "whose texts --pretrain reads already"
                    : "whose texts must stay unseen by pretraining to measure the model honestly"
                throw CommandError("--unlabeled \(path) is the same file as \(flag) \(other!), \(why). Give other text, or leave it out.")
            }
            let ext = (path as NSString).pathExtension.lowercased()
            if ["tsv", "csv", "jsonl"].contains(ext) {
                printError("warning: --unlabeled \(path): every line is read as one text, the whole line (for a table's text "
                           + "column alone, pretrain with `rnn train-lm --data \(path) --text-column …` and fine-tune with --init-from).")
            }
        }
    }

    /// The texts of every --unlabeled file, one a non-empty line.
    func unlabeledTexts() throws -> [String] {
        try unlabeled.flatMap { try LanguageModelText.lines(path: $0) }
    }

    /// `lm` (--init-from's), checked against the options given explicitly: each network option
    /// defaults to the model's, and one that disagrees is an error naming it.
    func loadLanguageModel(explicit: [(flag: String, given: String?, model: String)],
                           loaded lm: TextLanguageModel) throws -> TextLanguageModel {
        let initFrom = self.initFrom ?? ""
        guard lm.level == .word else {
            throw CommandError("\(initFrom) is a character-level language model; --init-from takes a word-level one (rnn train-lm --level word), whose rows are words.")
        }
        for e in explicit {
            if let given = e.given, given != e.model {
                throw CommandError("\(e.flag) \(given) disagrees with the language model \(initFrom), whose value is \(e.model); leave \(e.flag) out to take the model's.")
            }
        }
        return lm
    }
}

extension Train {
    /// The network options given on the command line, with the language model's values, for
    /// `TransferOptions.loadLanguageModel`.
    func networkOptionsGiven(against lm: LanguageModelConfiguration, tokenizer: Tokenizer?) -> [(flag: String, given: String?, model: String)] {
        [("--cell", network.cell?.rawValue, CellChoice(lm.cell).rawValue),
         ("--nonlinearity", network.nonlinearity?.rawValue, lm.cell == .rnnRelu ? "relu" : "tanh"),
         ("--layers", network.layers.map { "\($0)" }, "\(lm.numLayers)"),
         ("--hidden-size", network.hiddenSize.map { "\($0)" }, "\(lm.hiddenSize)"),
         ("--embedding-size", network.embeddingSize.map { "\($0)" }, "\(lm.embeddingSize)"),
         ("--input", input?.rawValue, InputChoice.embedding.rawValue),
         ("--level", level?.rawValue, LevelChoice.word.rawValue),
         ("--bidirectional", bidirectional ? "(given)" : nil, "one direction"),
         ("--keep-case", keepCase ? "(given)" : nil, tokenizer?.lowercase == false ? "(given)" : "lowercase")]
    }
}

extension Train {
    /// --init-from's language model, checked against the network options given.
    func loadLanguageModel() throws -> TextLanguageModel? {
        guard let path = transfer.initFrom else { return nil }
        // The options are compared once the model's values are known; loading checks the file.
        let lm: TextLanguageModel
        do {
            lm = try TextLanguageModel.load(from: path)
        } catch let error as ModelFileError {
            guard case .wrongTask = error.kind else { throw error }
            throw CommandError("\(error) --init-from takes a language model (rnn train-lm --level word), not a classifier or a translation model.")
        }
        return try transfer.loadLanguageModel(explicit: networkOptionsGiven(against: lm.configuration, tokenizer: lm.tokenizer),
                                              loaded: lm)
    }

    /// --pretrain's language model: trained now on the texts that stay in training, with one
    /// line per epoch; nil without --pretrain.
    func pretrainLanguageModel(_ train: [LabeledText], validationGiven: Bool, recipe: ClassifierRecipe) throws -> TextLanguageModel? {
        guard transfer.pretrain else { return nil }
        guard let run = try ClassifierTraining.pretraining(train: train, validationGiven: validationGiven, recipe: recipe,
                                                           unlabeled: transfer.unlabeledTexts()) else { return nil }
        let corpus = run.corpus
        if !quiet {
            print("pretraining a word-level language model on \(corpus.train.count) words (validating on \(corpus.validation.count)), "
                  + "vocabulary of \(corpus.vocabulary.count)")
        }
        do {
            try run.fit { event in
                guard !quiet, case .evaluated(let e) = event else { return }
                var line = String(format: "  language model epoch %d  train loss %.4f", e.epoch, e.train.loss)
                if let v = e.validation { line += String(format: "  val loss %.4f (perplexity %.1f)", v.loss, exp(v.loss)) }
                print(line + "  \(formatDuration(e.seconds))")
                fflush(nil)
            }
        } catch let error as TrainingError {
            if case let .trainingTextTooShort(tokens, needed, b, t) = error {
                // Its batch is not rnn train's to set: more text is the remedy.
                throw CommandError("--pretrain: the training texts hold \(tokens) words, too few to pretrain on: the language model's "
                                   + "batch of \(b) streams × \(t) steps needs at least \(needed). Add --unlabeled text or leave --pretrain out.")
            }
            throw error
        }
        return run.model
    }
}

/// A fine-tuning setting in one line.
func describe(_ f: FineTuning) -> String {
    "layer decay \(f.layerDecay), gradual unfreezing \(f.gradualUnfreezing ? "on" : "off"), "
        + "\(ScheduleChoice(f.schedule).rawValue) schedule, new words' rows \(f.newWordRows.rawValue)"
}
