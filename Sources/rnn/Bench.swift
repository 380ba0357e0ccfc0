import ArgumentParser
import Foundation
import RNNKit

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure speed on the workloads of Benchmarks/peers/torch_workloads.py (release builds only).",
        discussion: """
            movie: the movie-review sentences (data/movie, scores binarized at 0), words \
            lowercased and seen at least twice, embedding 64, hidden 128, batch 32, Adam 0.002, \
            gradient norm clipped to 5 — torch_workloads.py's `movie CELL` — for --epochs epochs: \
            training tokens per second (median epoch), test accuracy after each epoch, and the \
            latency of classifying one 16-token sentence.
            charlm: a character language model on data/tinyshakespeare.txt — embedding \
            128, 2 layers of 128, 50 streams of 50 steps, Adam 0.002 — torch_workloads.py's `charlm CELL` \
            — trained for --seconds: characters per second and GFLOP/s (forward and backward: 6 \
            floating-point operations per weight per character).
            sgemm: GFLOP/s of a 2048³ float32 matrix product on the path RNNKit's large products take.
            seq2seq: notebook 3's translation model (bidirectional GRU encoder, additive attention, GRU \
            decoder; --embedding-size 256, --hidden-size 512, batch 128, dropout 0.5, teacher forcing \
            0.5, Adam 1e-3, clip 1) trained for --seconds on --source/--target (default: \
            data/multi30k/train.{de,en} when scripts/fetch-multi30k has fetched them, else \
            data/translation-sample) — Benchmarks/peers/seq2seq_torch.py's workload: target words per \
            second; before that, the milliseconds of a greedy translation of one sentence (the first \
            100 sources, at most 50 words each; the median of 7 passes) by --model, or by the untrained model (as the peer); \
            a model with a vocabulary shortlist (`rnn shortlist`) scores only its words unless \
            --no-shortlist; --precision bfloat16 or int8 times it with those weights; --threads sets the \
            threads one sentence runs on (the encoder's directions side by side, a step's products \
            split; the same translations at any count).
            The data folder is --data-dir, else ./data when it holds the files, else the data folder \
            of the RNNKit checkout this binary was built from.

            Examples:
              swift run -c release rnn bench movie --cell lstm
              swift run -c release rnn bench charlm --cell lstm
              swift run -c release rnn bench sgemm
              swift run -c release rnn bench seq2seq --seconds 60
              swift run -c release rnn bench seq2seq --model m.safetensors --seconds 1 --precision int8
            """)

    enum Workload: String, ExpressibleByArgument, CaseIterable { case movie, charlm, sgemm, seq2seq }

    @Argument(help: "movie, charlm, sgemm or seq2seq.")
    var workload: Workload

    @Option(help: "Recurrent cell for `movie` and `charlm`.")
    var cell: CellChoice = .rnn

    @Option(help: "Epochs for `movie` (the median epoch time counts).")
    var epochs = 3

    @Option(help: "Seconds of training for `charlm`.")
    var seconds = 10.0

    @Option(help: "Folder holding movie/{train,test}.tsv and tinyshakespeare.txt (default: ./data, else the checkout's data).")
    var dataDir: String?

    @Option(help: "`seq2seq`: source sentences (default: the data folder's multi30k/train.de, else translation-sample/train.de).")
    var source: String?

    @Option(help: "`seq2seq`: target sentences, line-aligned with --source.")
    var target: String?

    @Option(help: "`seq2seq`: embedding size.")
    var embeddingSize = 256

    @Option(help: "`seq2seq`: encoder and decoder hidden size.")
    var hiddenSize = 512

    @Option(help: "`seq2seq`: sentence pairs per batch.")
    var batchSize = 128

    @Option(help: "`seq2seq`: a trained translation model whose greedy latency to measure.")
    var model: String?

    @Flag(help: "`seq2seq`: time --model scoring every target word, not only its vocabulary shortlist.")
    var noShortlist = false

    @Option(help: "`seq2seq`: the weights' number format for the latency: float (exact), bfloat16 or int8.")
    var precision: WeightPrecision = .float

    @Option(help: "`seq2seq`: words (punctuation apart, as `rnn train-seq2seq`) or spaces (whitespace only, as the PyTorch peer splits).")
    var tokenizer: TrainSeq2Seq.TokenizerChoice = .words

    @OptionGroup(title: "Performance") var threadOptions: ThreadOptions

    func validate() throws {
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1.") }
        guard seconds > 0 else { throw ValidationError("--seconds must be positive.") }
        guard (source == nil) == (target == nil) else { throw ValidationError("--source and --target go together.") }
        for (name, value) in [("--embedding-size", embeddingSize), ("--hidden-size", hiddenSize), ("--batch-size", batchSize)]
        where !(1...ModelLimits.maxWidth).contains(value) {
            throw ValidationError("\(name) must be between 1 and \(ModelLimits.maxWidth) (got \(value)).")
        }
    }

    func run() throws {
        threadOptions.apply()
        #if DEBUG
        printError("warning: this is a debug build; measure with `swift run -c release rnn bench …`.")
        #endif
        print("BLAS: \(RNNKitRuntime.blas); kernels: \(RNNKitRuntime.instructionSet)")
        let dataDir = workload == .sgemm || (workload == .seq2seq && source != nil) ? "" : try resolvedDataDir()
        switch workload {
        case .sgemm: sgemm()
        case .movie: try reportingErrors { try movie(dataDir) }
        case .charlm: try reportingErrors { try charlm(dataDir) }
        case .seq2seq: try reportingErrors { try seq2seq(dataDir) }
        }
    }

    /// The data folder: --data-dir, else `./data`, else the `data` folder of the checkout this binary
    /// was built from (found from this source file's path), whichever holds the workload's file.
    private func resolvedDataDir() throws -> String {
        let needed = workload == .movie ? "movie/train.tsv" : workload == .seq2seq ? "translation-sample/train.de" : "tinyshakespeare.txt"
        if let dataDir { return dataDir }
        let checkout = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("data").path
        for candidate in ["data", checkout] where FileManager.default.fileExists(atPath: "\(candidate)/\(needed)") {
            return candidate
        }
        printError("error: no data folder holds \(needed): looked in ./data and \(checkout). "
                   + "Run from the RNNKit checkout, or pass --data-dir FOLDER.")
        throw ExitCode.failure
    }

    /// Passes over the sentences whose median is the reported latency.
    static let latencyPasses = 7

    private func seq2seq(_ dataDir: String) throws {
        let fetched = FileManager.default.fileExists(atPath: "\(dataDir)/multi30k/train.de")
        let (src, tgt) = source.map { ($0, target!) } ?? (fetched ? ("\(dataDir)/multi30k/train.de", "\(dataDir)/multi30k/train.en")
                                                                   : ("\(dataDir)/translation-sample/train.de", "\(dataDir)/translation-sample/train.en"))
        let pairs = try ParallelCorpus.read(source: src, target: tgt).pairs.map { (source: $0.source, target: $0.target) }
        var recipe = Seq2SeqRecipe.notebook3
        recipe.embeddingSize = embeddingSize
        (recipe.encoderHiddenSize, recipe.decoderHiddenSize) = (hiddenSize, hiddenSize)
        recipe.training.batchSize = batchSize
        if tokenizer == .spaces { recipe.tokenizer = Tokenizer(kind: .spaces, lowercase: true) }
        recipe.training.epochs = nil
        recipe.training.maxTime = seconds
        let run = try Seq2SeqTraining(train: pairs, recipe: recipe)
        print("seq2seq_data: \(src) (\(pairs.count) pairs), vocabularies \(run.model.sourceVocabulary.count) / \(run.model.targetVocabulary.count)")
        // Latency first, on the model as initialised (the peer's measure), or on --model.
        let translator = try model.map { try Seq2SeqModel.load(from: $0) } ?? run.model
        let sentences = pairs.prefix(100).map(\.source)
        let options = TranslationOptions(shortlist: !noShortlist, precision: precision)
        for s in sentences.prefix(5) { _ = translator.translate(s, options: options) }
        // Seven passes over the sentences, the median pass reported: one pass is a fifth of a
        // second, and a host's other tenants can slow any one of them.
        let clock = ContinuousClock()
        var words = 0, passes: [Double] = []
        for _ in 0..<Self.latencyPasses {
            let start = clock.now
            words = 0
            for s in sentences { let t = translator.translate(s, options: options); words += t.tokens.count + (t.finished ? 1 : 0) }
            passes.append((clock.now - start).secondsValue / Double(sentences.count) * 1e3)
        }
        passes.sort()
        let ms = passes[passes.count / 2]
        let scored = translator.shortlist.flatMap { list in options.shortlist ? list : nil }.map { list in
            let mean = Double(sentences.reduce(0) { $0 + list.targets(for: translator.encodeSource($1).ids).count }) / Double(sentences.count)
            return String(format: "shortlist of %.0f target words on average", mean)
        } ?? "every target word"
        print(String(format: "seq2seq_greedy_ms_per_sentence: %.2f (median of %d passes over %d sentences, %.2f–%.2f; %@, %@, %@ weights, %d threads, %.1f decoder steps per sentence, %.3f ms per step)", ms,
                     passes.count, sentences.count, passes.first!, passes.last!,
                     model == nil ? "the untrained model" : "the given model", scored, precision.rawValue, RNNKitRuntime.threadCount, Double(words) / Double(sentences.count),
                     ms * Double(sentences.count) / Double(max(words, 1))))
        let summary = try run.fit()
        print("seq2seq_steps: \(summary.steps)")
        print(String(format: "seq2seq_train_target_tokens_per_s: %.0f (%d threads)", summary.tokensPerSecond, RNNKitRuntime.threadCount))
    }

    private func sgemm() {
        let n = 2048
        let a = Tensor(shape: [n, n]), b = Tensor(shape: [n, n]), c = Tensor(shape: [n, n])
        var rng = SeededGenerator(seed: 1)
        for k in 0..<(n * n) { a[k] = Float(rng.nextUniform()); b[k] = Float(rng.nextUniform()) }
        func run() { MatMul.product(n, n, n, a.data, b.data, c.data) }
        run()
        let clock = ContinuousClock(), repeats = 5
        let start = clock.now
        for _ in 0..<repeats { run() }
        let seconds = (clock.now - start).secondsValue / Double(repeats)
        print(String(format: "sgemm_2048_gflops: %.1f (%d threads)", 2 * Double(n * n * n) / seconds / 1e9, RNNKitRuntime.threadCount))
    }

    private func charlm(_ dataDir: String) throws {
        let text = try LanguageModelText.read(path: "\(dataDir)/tinyshakespeare.txt")
        let corpus = LanguageModelCorpus(text: text, level: .char, validationFraction: 0.1, minCount: 1)
        let (E, H, L, V) = (128, 128, 2, corpus.vocabulary.count)
        let model = LanguageModel(LanguageModelConfiguration(cell: cell.kind(nonlinearity: .tanh), vocabularySize: V,
                                                             embeddingSize: E, hiddenSize: H, numLayers: L), seed: 1)
        var options = LanguageModelTrainingOptions()
        options.epochs = nil
        options.maxTime = seconds
        let trainer = try LanguageModelTrainer(model: model, options: options)
        // Validation is left out: only training steps are timed, as Benchmarks/peers/torch_workloads.py times them.
        let summary = try trainer.fit(train: corpus.train)
        let G = model.configuration.cell.gateCount
        let weightsPerChar = G * H * (E + H) + (L - 1) * G * H * (H + H) + H * V
        let name = "charlm_\(cell.rawValue)"
        print("\(name)_steps: \(summary.steps)")
        print(String(format: "%@_train_chars_per_s: %.0f", name, summary.tokensPerSecond))
        print(String(format: "%@_gflops: %.1f (%.2f MFLOP per character, %d threads)", name,
                     summary.tokensPerSecond * Double(6 * weightsPerChar) / 1e9, Double(6 * weightsPerChar) / 1e6,
                     RNNKitRuntime.threadCount))
    }

    private func movie(_ dataDir: String) throws {
        let options = DataFileOptions(format: .tsv, hasHeader: true, textColumn: .name("text"), labelColumn: .name("score"),
                                      threshold: 0)
        let train = try LabeledTextSource.file("\(dataDir)/movie/train.tsv", options: options).load()
        let test = try LabeledTextSource.file("\(dataDir)/movie/test.tsv", options: options).load()
        let data = try ClassifierData(train: train, test: test, tokenizer: .words(lowercase: true),
                                      vocabulary: .frequency(minCount: 2, maxSize: nil))
        let config = ClassifierConfiguration(cell: cell.kind(nonlinearity: .tanh), input: .embedding,
                                             vocabularySize: data.vocabulary.count, embeddingSize: 64, hiddenSize: 128,
                                             numClasses: 2)
        var options2 = TrainingOptions.modern(epochs: epochs)
        options2.patience = nil
        options2.reportEvery = 1
        let model = SequenceClassifier(config, seed: 1)
        let trainer = try ClassifierTrainer(model: model, options: options2)
        var times: [Double] = []
        let tokens = data.train.reduce(0) { $0 + $1.tokens.count }
        print("movie_\(cell)_vocab: \(data.vocabulary.count)")
        print("movie_\(cell)_train_tokens: \(tokens)")
        _ = try trainer.fit(train: data.train, test: data.test, event: { event in
            guard case .evaluated(let r) = event else { return }
            times.append(r.seconds)
            print(String(format: "movie_%@_epoch%d_seconds: %.3f  test_acc: %.4f", cell.rawValue, r.epoch, r.seconds,
                         r.test?.accuracy ?? 0))
        })
        let median = times.sorted()[times.count / 2]
        print(String(format: "movie_%@_epoch_seconds_median: %.3f", cell.rawValue, median))
        print(String(format: "movie_%@_train_tokens_per_s: %.0f", cell.rawValue, Double(tokens) / median))

        // One 16-token sentence, as a served model sees it: text in, label out.
        let classifier = TextClassifier(model: model, vocabulary: data.vocabulary, labels: data.labels,
                                        tokenizer: data.tokenizer)
        guard let sentence = test.first(where: { data.tokenizer.tokens($0.text).count == 16 })?.text else { return }
        for _ in 0..<200 { _ = try classifier.predict(sentence) }
        let clock = ContinuousClock(), n = 5000
        let start = clock.now
        for _ in 0..<n { _ = try classifier.predict(sentence) }
        let us = (clock.now - start).secondsValue / Double(n) * 1e6
        print(String(format: "movie_%@_predict_one_us: %.1f (16 tokens, tokenizing included)", cell.rawValue, us))
        let ids = data.vocabulary.encode(sentence, tokenizer: data.tokenizer).ids
        let start2 = clock.now
        for _ in 0..<n { _ = model.probabilities(ids) }
        let us2 = (clock.now - start2).secondsValue / Double(n) * 1e6
        print(String(format: "movie_%@_predict_one_network_us: %.1f (the network alone, on word ids)", cell.rawValue, us2))
    }
}

extension Duration {
    var secondsValue: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
