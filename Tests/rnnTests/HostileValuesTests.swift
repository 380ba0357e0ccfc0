import Foundation
import Testing

// The hostile-input probe's value cases: garbage in data files, checkpoints, import inputs and the
// environment is refused with a message that names the file, line, key or variable.

/// A small classifier on four words, trained in the case's folder (embeddings, so `<unk>`).
private let tinyTrainingFile = "text,label\ngood film,positive\nbad film,negative\ngood movie,positive\nbad movie,negative\n"
    + "good,positive\nbad,negative\ngreat film,positive\nawful film,negative\n"

/// `rnn train` on `train.csv` with a tiny network, writing `arguments`' outputs.
private func trainTiny(in folder: URL, _ arguments: [String]) throws {
    let run = try CLI.run(["train", "--data", "train.csv", "--min-count", "1", "--epochs", "2", "--hidden-size", "4",
                           "--embedding-size", "4", "--quiet"] + arguments, in: folder)
    guard run.exited && run.status == 0 else { throw CLI.NotFound(description: "setup training failed: \(run)") }
}

/// A checkpoint in `ck/` after two epochs of the tiny classifier.
private func makeCheckpoint(_ folder: URL) throws { try trainTiny(in: folder, ["--checkpoint-dir", "ck"]) }

/// Resuming the tiny run for more epochs.
private let resumeArguments = ["train", "--data", "train.csv", "--min-count", "1", "--epochs", "4", "--hidden-size", "4",
                               "--embedding-size", "4", "--quiet", "--checkpoint-dir", "ck", "--resume"]

/// Edits a safetensors file in place as a hostile hand would: `metadata` changes the
/// `rnnkit.checkpoint` JSON object, `tensor` sets one F32 element.
private typealias MetadataChange = @Sendable (inout [String: Any]) -> Void

private func edit(_ url: URL, metadata: MetadataChange? = nil,
                  tensor: (name: String, index: Int, value: Float)? = nil) throws {
    let bytes = [UInt8](try Data(contentsOf: url))
    let headerLength = Int(bytes[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
    var header = try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + headerLength)])) as! [String: Any]
    var data = Array(bytes[(8 + headerLength)...])
    if let metadata {
        var meta = header["__metadata__"] as! [String: String]
        var object = try JSONSerialization.jsonObject(with: Data(meta["rnnkit.checkpoint"]!.utf8)) as! [String: Any]
        metadata(&object)
        meta["rnnkit.checkpoint"] = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        header["__metadata__"] = meta
    }
    if let tensor {
        let entry = header[tensor.name] as! [String: Any]
        let start = (entry["data_offsets"] as! [Int])[0] + 4 * tensor.index
        withUnsafeBytes(of: tensor.value.bitPattern.littleEndian) { data.replaceSubrange(start..<(start + 4), with: $0) }
    }
    var json = [UInt8](try JSONSerialization.data(withJSONObject: header))
    json += [UInt8](repeating: 0x20, count: (8 - json.count % 8) % 8)
    let length = withUnsafeBytes(of: UInt64(json.count).littleEndian) { [UInt8]($0) }
    try Data(length + json + data).write(to: url)
}

private func position(_ key: String, _ value: Int) -> MetadataChange {
    { object in
        var p = object["position"] as! [String: Any]
        p[key] = value
        object["position"] = p
    }
}

/// A checkpoint damaged by `change` once made.
private func damagedCheckpoint(metadata: MetadataChange? = nil,
                               tensor: (name: String, index: Int, value: Float)? = nil) -> @Sendable (URL) throws -> Void {
    { folder in
        try makeCheckpoint(folder)
        try edit(folder.appendingPathComponent("ck/checkpoint.safetensors"), metadata: metadata, tensor: tensor)
    }
}

/// The import inputs: weights (a trained model file is a state_dict with RNNKit's names), a
/// configuration and a vocabulary that fit them.
private func importInputs(_ folder: URL) throws {
    try trainTiny(in: folder, ["--output", "w.safetensors"])
}

private let importConfig = #"{"cell": "rnn_tanh", "input": "embedding", "vocab_size": 8, "embedding_size": 4, "hidden_size": 4, "num_layers": 1, "bidirectional": false, "num_classes": 2, "pooling": "max"}"#
/// As many tokens as the tiny model's vocabulary has (8); import checks the count, not the words.
private let vocabularyLines = ["<unk>", "good", "film", "bad", "movie", "great", "awful", "fine"]

private func importArguments(config: String = "config.json", vocabulary: String = "vocab.txt", labels: String = "negative,positive") -> [String] {
    ["import", "--weights", "w.safetensors", "--config", config, "--vocabulary", vocabulary, "--labels", labels,
     "--output", "out.safetensors"]
}

/// Files every import case starts from.
private let importFiles = ["train.csv": tinyTrainingFile, "config.json": importConfig,
                           "vocab.txt": vocabularyLines.joined(separator: "\n") + "\n"]

private let scoresFile = "text,label\n" + (1...14).map { "w\($0 % 7) x,\($0 % 7 + 1)" }.joined(separator: "\n") + "\n"

extension HostileCase {
    static let values: [HostileCase] = [
        // Data files.
        HostileCase(name: "byte-order mark inside a data file",
                    files: ["d.csv": "\u{FEFF}text,label\ngood,positive\n\u{FEFF}text,label\nbad,negative\n"],
                    arguments: ["train", "--data", "d.csv", "--epochs", "1"], status: 1,
                    firstLine: "Error: d.csv:3: the text (column `text`) contains a byte-order mark (U+FEFF), which belongs only at the very start"),
        HostileCase(name: "JSONL boolean label",
                    files: ["d.jsonl": "{\"text\": \"good\", \"label\": true}\n{\"text\": \"bad\", \"label\": false}\n"],
                    arguments: ["train", "--data", "d.jsonl", "--epochs", "1"], status: 1,
                    firstLine: "Error: d.jsonl:1: the label (key `label`) is the boolean true, not a string or number."),
        HostileCase(name: "JSONL null text",
                    files: ["d.jsonl": "{\"text\": \"good\", \"label\": \"a\"}\n{\"text\": null, \"label\": \"b\"}\n"],
                    arguments: ["train", "--data", "d.jsonl", "--epochs", "1"], status: 1,
                    firstLine: "Error: d.jsonl:2: the text (key `text`) is null, not a string."),
        HostileCase(name: "numeric labels without --threshold",
                    files: ["scores.csv": scoresFile],
                    arguments: ["train", "--data", "scores.csv", "--epochs", "1", "--hidden-size", "4", "--embedding-size", "4"],
                    status: 0,
                    firstLine: "warning: scores.csv: every label is a number, so its 7 different values make 7 classes. If they are scores or ratings, pass --threshold T"),
        HostileCase(name: "label 1e400 with --threshold",
                    files: ["d.tsv": "text\tlabel\ngood\t2\nbad\t1e400\n"],
                    arguments: ["train", "--data", "d.tsv", "--threshold", "0", "--epochs", "1"], status: 1,
                    firstLine: "Error: d.tsv:3: label `1e400` is not a number; a threshold needs numeric labels, each a finite decimal number"),
        HostileCase(name: "hexadecimal label with --threshold",
                    files: ["d.tsv": "text\tlabel\ngood\t0x10\nbad\t-1\n"],
                    arguments: ["train", "--data", "d.tsv", "--threshold", "0", "--epochs", "1"], status: 1,
                    firstLine: "Error: d.tsv:2: label `0x10` is not a number"),
        HostileCase(name: "inf label with --threshold",
                    files: ["d.tsv": "text\tlabel\ngood\tinf\nbad\t-1\n"],
                    arguments: ["train", "--data", "d.tsv", "--threshold", "0", "--epochs", "1"], status: 1,
                    firstLine: "Error: d.tsv:2: label `inf` is not a number"),
        HostileCase(name: "hexadecimal --threshold",
                    files: ["d.tsv": "text\tlabel\ngood\t2\nbad\t-1\n"],
                    arguments: ["train", "--data", "d.tsv", "--threshold", "0x10"], status: 64,
                    firstLine: "Error: The value '0x10' is invalid for '--threshold <threshold>': --threshold must be a finite decimal number"),
        HostileCase(name: "--threshold 1e400",
                    files: ["d.tsv": "text\tlabel\ngood\t2\nbad\t-1\n"],
                    arguments: ["train", "--data", "d.tsv", "--threshold", "1e400"], status: 64,
                    firstLine: "Error: The value '1e400' is invalid for '--threshold <threshold>': --threshold must be a finite decimal number"),

        // Predict.
        HostileCase(name: "predict: a text of unknown words alone",
                    files: ["train.csv": tinyTrainingFile], setup: { try trainTiny(in: $0, ["--output", "m.safetensors"]) },
                    arguments: ["predict", "--model", "m.safetensors", "zzz qqq", "good film"], status: 1,
                    firstLine: "error: no word of \"zzz qqq\" is in the model's vocabulary, so there is nothing to classify."),

        // Checkpoints.
        HostileCase(name: "checkpoint with a negative epoch", files: ["train.csv": tinyTrainingFile],
                    setup: damagedCheckpoint(metadata: position("epoch", -3)), arguments: resumeArguments, status: 1,
                    firstLine: "Error: ck/checkpoint.safetensors: is damaged: `epoch` is -3; it cannot be negative."),
        HostileCase(name: "checkpoint with NaN seconds", files: ["train.csv": tinyTrainingFile],
                    setup: damagedCheckpoint(metadata: { object in
                        var p = object["position"] as! [String: Any]
                        p["elapsed"] = String(Double.nan.bitPattern)
                        object["position"] = p
                    }),
                    arguments: resumeArguments, status: 1,
                    firstLine: "Error: ck/checkpoint.safetensors: is damaged: `elapsed` is nan; it must be a finite number of at least 0."),
        HostileCase(name: "checkpoint with a NaN learning rate", files: ["train.csv": tinyTrainingFile],
                    setup: damagedCheckpoint(tensor: ("optimizer.lr", 0, .nan)), arguments: resumeArguments, status: 1,
                    firstLine: "Error: ck/checkpoint.safetensors: is damaged: tensor `optimizer.lr` holds nan (element 0)"),
        HostileCase(name: "checkpoint with a negative learning rate", files: ["train.csv": tinyTrainingFile],
                    setup: damagedCheckpoint(tensor: ("optimizer.lr", 0, -0.5)), arguments: resumeArguments, status: 1,
                    firstLine: "Error: ck/checkpoint.safetensors: is damaged: the learning rate (tensor `optimizer.lr`) is -0.5; it must be positive."),
        HostileCase(name: "checkpoint with a negative exp_avg_sq", files: ["train.csv": tinyTrainingFile],
                    setup: damagedCheckpoint(tensor: ("optimizer.fc.bias.exp_avg_sq", 1, -2)), arguments: resumeArguments, status: 1,
                    firstLine: "Error: ck/checkpoint.safetensors: is damaged: tensor `optimizer.fc.bias.exp_avg_sq` holds -2.0 (element 1)"),
        HostileCase(name: "checkpoint with a NaN weight", files: ["train.csv": tinyTrainingFile],
                    setup: damagedCheckpoint(tensor: ("model.rnn.weight_hh_l0", 7, .nan)), arguments: resumeArguments, status: 1,
                    firstLine: "Error: ck/checkpoint.safetensors: is damaged: tensor `model.rnn.weight_hh_l0` holds nan (element 7)"),
        HostileCase(name: "checkpoint resumed on other data with the same ids", files: ["train.csv": tinyTrainingFile],
                    setup: { folder in
                        try makeCheckpoint(folder)
                        // Every word renamed: the same token ids over another vocabulary.
                        let renamed = tinyTrainingFile.replacingOccurrences(of: "good", with: "nice")
                        try Data(renamed.utf8).write(to: folder.appendingPathComponent("train.csv"))
                    },
                    arguments: resumeArguments, status: 1,
                    firstLine: "Error: ck/checkpoint.safetensors: was written by another training run — vocabulary: the words or labels differ",
                    unchanged: ["ck/checkpoint.safetensors"]),

        // Import.
        HostileCase(name: "import: a configuration that cannot work blames the configuration",
                    files: importFiles.merging(["bad.json": importConfig.replacingOccurrences(of: #""hidden_size": 4"#, with: #""hidden_size": 0"#)]) { $1 },
                    setup: importInputs, arguments: importArguments(config: "bad.json"), status: 1,
                    firstLine: "Error: bad.json: the configuration is not usable: hidden_size must be between 1 and 65536 (got 0).",
                    unchanged: ["out.safetensors"]),
        HostileCase(name: "import: a vocabulary of the wrong size blames the vocabulary",
                    files: importFiles.merging(["short.txt": "<unk>\ngood\n"]) { $1 },
                    setup: importInputs, arguments: importArguments(vocabulary: "short.txt"), status: 1,
                    firstLine: "Error: short.txt: the vocabulary has 2 tokens but the configuration (config.json) says vocab_size 8.",
                    unchanged: ["out.safetensors"]),
        HostileCase(name: "import: too many labels blames --labels",
                    files: importFiles, setup: importInputs, arguments: importArguments(labels: "a,b,c"), status: 1,
                    firstLine: "Error: --labels: there are 3 labels but the configuration (config.json) says num_classes 2.",
                    unchanged: ["out.safetensors"]),
        HostileCase(name: "import: a missing --labels file",
                    files: importFiles, setup: importInputs, arguments: importArguments(labels: "labels.txt"), status: 1,
                    firstLine: "Error: --labels labels.txt: no such file.", unchanged: ["out.safetensors"]),
        HostileCase(name: "import: duplicate labels in a file",
                    files: importFiles.merging(["labels.txt": "negative\r\npositive\r\nnegative\r\n"]) { $1 },
                    setup: importInputs, arguments: importArguments(labels: "labels.txt"), status: 1,
                    firstLine: "Error: labels.txt: the label `negative` appears twice (lines 1 and 3); each must be unique.",
                    unchanged: ["out.safetensors"]),
        HostileCase(name: "import: duplicate labels in a list",
                    files: importFiles, setup: importInputs, arguments: importArguments(labels: "pos,pos"), status: 1,
                    firstLine: "Error: --labels: the label `pos` appears twice; each class needs its own label.",
                    unchanged: ["out.safetensors"]),
        HostileCase(name: "import: a CRLF vocabulary",
                    files: importFiles.merging(["crlf.txt": vocabularyLines.joined(separator: "\r\n") + "\r\n"]) { $1 },
                    setup: importInputs, arguments: importArguments(vocabulary: "crlf.txt"), status: 0,
                    firstLine: "Saved model to out.safetensors: rnn_tanh, embedding 4, hidden 4, max pooling, 8 words"),
        HostileCase(name: "import: a CR vocabulary",
                    files: importFiles.merging(["cr.txt": vocabularyLines.joined(separator: "\r")]) { $1 },
                    setup: importInputs, arguments: importArguments(vocabulary: "cr.txt"), status: 0,
                    firstLine: "Saved model to out.safetensors: rnn_tanh, embedding 4, hidden 4, max pooling, 8 words"),

        // Environment.
        HostileCase(name: "RNNKIT_THREADS not a number",
                    arguments: ["train", "--epochs", "1"], environment: ["RNNKIT_THREADS": "four"], status: 1,
                    firstLine: "Error: RNNKIT_THREADS=four: not a thread count. Set it to a whole number from 1 to 1024"),
        HostileCase(name: "RNNKIT_THREADS zero",
                    arguments: ["info"], environment: ["RNNKIT_THREADS": "0"], status: 1, firstLine: "Error: RNNKIT_THREADS=0: not a thread count."),
        HostileCase(name: "RNNKIT_THREADS a hundred million",
                    arguments: ["info"], environment: ["RNNKIT_THREADS": "100000000"], status: 1,
                    firstLine: "Error: RNNKIT_THREADS=100000000: not a thread count."),
        HostileCase(name: "--threads a hundred million", arguments: ["train", "--threads", "100000000"], status: 64,
                    firstLine: "Error: --threads must be between 1 and 1024 (got 100000000)."),
        HostileCase(name: "RNNKIT_BLAS that loads nothing",
                    arguments: ["info"], environment: ["RNNKIT_BLAS": "/no/such/libblas.so"], status: 1,
                    firstLine: "Error: RNNKIT_BLAS=/no/such/libblas.so: no BLAS library with cblas_sgemm could be loaded from it."),
    ]
}

@Suite("Hostile input: values")
struct HostileValuesTests {
    @Test(arguments: HostileCase.values)
    func probe(_ hostile: HostileCase) throws {
        try hostile.check()
    }

    @Test("predict still answers the other texts when one has no known word")
    func predictAnswersTheRest() throws {
        let hostile = HostileCase.values.first { $0.name == "predict: a text of unknown words alone" }!
        let run = try hostile.check()
        #expect(run.lines.count == 1 && run.lines.first?.hasSuffix("\tgood film") == true, "\(run)")
    }

    @Test("A run without validation data prints no validation figures")
    func noValidationFigures() throws {
        let hostile = HostileCase(name: "two examples, no validation",
                                  files: ["d.jsonl": "{\"text\": \"good\", \"label\": \"a\"}\n{\"text\": \"bad\", \"label\": \"b\"}\n"],
                                  arguments: ["train", "--data", "d.jsonl", "--epochs", "2", "--hidden-size", "4",
                                              "--embedding-size", "4"],
                                  status: 0, firstLine: "2 training examples, 0 validation, 0 test")
        let run = try hostile.check()
        #expect(run.lines.contains { $0.hasPrefix("epoch 2/2  train loss") }, "\(run)")
        for word in ["val loss", "validation"] where run.lines.dropFirst().contains(where: { $0.contains(word) }) {
            Issue.record("«\(word)» printed without validation data:\n\(run)")
        }
    }

    @Test("An imported CRLF vocabulary keeps its 8 tokens, not one")
    func crlfVocabularyEntries() throws {
        let hostile = HostileCase.values.first { $0.name == "import: a CRLF vocabulary" }!
        let run = try hostile.check()
        #expect(run.stdout.contains(", 8 words, labels negative, positive"), "\(run)")
    }

    /// A crash is simulated by the signal a bad pointer gives, sent while `predict` waits for input.
    @Test("A crash prints one line, no backtrace of build paths, and still ends by its signal")
    func crashReport() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rnn-crash-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data(tinyTrainingFile.utf8).write(to: folder.appendingPathComponent("train.csv"))
        try trainTiny(in: folder, ["--output", "m.safetensors"])
        let process = Process()
        process.executableURL = try CLI.productsDirectory().appendingPathComponent("rnn")
        process.arguments = ["predict", "--model", "m.safetensors"]
        process.currentDirectoryURL = folder
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "SWIFT_BACKTRACE")
        process.environment = environment
        let input = Pipe(), errors = folder.appendingPathComponent("stderr")
        try Data().write(to: errors)
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: errors)
        try process.run()
        Thread.sleep(forTimeInterval: 1)  // past start-up: it now waits for a line
        kill(process.processIdentifier, SIGSEGV)
        // The runtime's backtracer can keep a crashed process waiting: fail, don't hang.
        let deadline = Date().addingTimeInterval(30)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            Issue.record("rnn was still running 30 s after the crash signal")
        }
        process.waitUntilExit()
        try? input.fileHandleForWriting.close()
        let stderr = String(decoding: try Data(contentsOf: errors), as: UTF8.self)
        #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGSEGV, "\(process.terminationStatus)")
        #expect(stderr == "rnn: internal error (it crashed). Please report it with the command that was run; "
                + "SWIFT_BACKTRACE=enable=yes shows where it happened.\n", "\(stderr)")
    }
}
