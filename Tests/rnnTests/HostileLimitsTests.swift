import Foundation
import Testing

// The hostile probe's limits: sizes in a model's configuration or on the command line that would
// allocate without bound, endless or enormous input, non-finite weights, and configuration JSON
// that is wrong — each refused with a message, never a trap, unbounded memory or `nan` output.

/// The shared tutorial model (`trainedModel`) copied to `folder/name`, its `rnnkit.config`
/// changed by `config` (on the JSON text, so that any value can be written) and, with
/// `firstWeight`, the first value of its data (tensor `fc.bias`, first in name order) replaced.
private func editedModel(_ folder: URL, name: String = "m.safetensors", config: (String) -> String = { $0 },
                         firstWeight: Float? = nil, source: String? = nil) throws {
    let path = try source ?? {
        let (path, run) = try trainedModel.get()
        try #require(run.exited && run.status == 0, "rnn train --output failed: \(run)")
        return path
    }()
    var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    let n = bytes[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
    var header = try #require(try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + n)])) as? [String: Any])
    var metadata = try #require(header["__metadata__"] as? [String: String])
    metadata["rnnkit.config"] = config(try #require(metadata["rnnkit.config"]))
    header["__metadata__"] = metadata
    var data = Array(bytes[(8 + n)...])
    if let firstWeight {
        withUnsafeBytes(of: firstWeight.bitPattern.littleEndian) { data.replaceSubrange(0..<4, with: $0) }
    }
    var newHeader = [UInt8](try JSONSerialization.data(withJSONObject: header))
    while newHeader.count % 8 != 0 { newHeader.append(0x20) }
    bytes = (0..<8).map { UInt8(truncatingIfNeeded: newHeader.count >> (8 * $0)) } + newHeader + data
    try Data(bytes).write(to: folder.appendingPathComponent(name))
}

/// `editedModel` of the language model `rnn train-lm` makes from a small text (trained once).
private let trainedLanguageModel: Result<String, Error> = Result {
    let folder = sharedModelDirectory + "/lm"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    try String(repeating: "the quick brown fox jumps over the lazy dog.\n", count: 50)
        .write(toFile: folder + "/t.txt", atomically: true, encoding: .utf8)
    let run = try CLI.run(["train-lm", "--text", "t.txt", "--epochs", "1", "--hidden-size", "8", "--embedding-size", "8",
                           "--layers", "1", "--batch-size", "4", "--sequence-length", "8", "--output", "lm.safetensors"],
                          in: URL(fileURLWithPath: folder))
    guard run.exited && run.status == 0 else { throw CLIError("rnn train-lm failed: \(run)") }
    return folder + "/lm.safetensors"
}

private struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

private func editedLanguageModel(_ folder: URL, config: (String) -> String = { $0 }, firstWeight: Float? = nil) throws {
    try editedModel(folder, name: "lm.safetensors", config: config, firstWeight: firstWeight,
                    source: trainedLanguageModel.get())
}

/// Replaces `"key":old` by `"key":new` in a configuration's JSON text.
private func set(_ key: String, _ value: String) -> (String) -> String {
    { text in
        guard let range = text.range(of: "\"\(key)\":[^,}]*", options: .regularExpression) else {
            return text.replacingOccurrences(of: "{", with: "{\"\(key)\":\(value),", options: [], range: text.range(of: "{"))
        }
        return text.replacingCharacters(in: range, with: "\"\(key)\":\(value)")
    }
}

private func remove(_ key: String) -> (String) -> String {
    { $0.replacingOccurrences(of: "\"\(key)\":[^,}]*,?", with: "", options: .regularExpression) }
}

/// `rnn import`'s inputs beside a config: the tutorial model's tensors as the weights, its 18 words.
private func importFiles(_ folder: URL, config: String, firstWeight: Float? = nil) throws {
    try editedModel(folder, name: "weights.safetensors", firstWeight: firstWeight)
    try config.write(to: folder.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
    let words = (0..<18).map { "w\($0)" }.joined(separator: "\n")
    try words.write(to: folder.appendingPathComponent("vocab.txt"), atomically: true, encoding: .utf8)
}

private let importArguments = ["import", "--weights", "weights.safetensors", "--config", "config.json",
                               "--vocabulary", "vocab.txt", "--labels", "negative,positive", "--output", "out.safetensors"]
private let goodImportConfig = #"{"cell":"rnn_tanh","input":"one_hot","vocab_size":18,"hidden_size":64,"num_classes":2,"recurrent_bias":true}"#

/// `rnn predict` on the shared model whose configuration has `key` set to `value` (JSON text),
/// failing with `firstLine` after the file's name.
private func predictCase(_ name: String, key: String, value: String, firstLine: String) -> HostileCase {
    HostileCase(name: name, setup: { try editedModel($0, config: set(key, value)) },
                arguments: ["predict", "--model", "m.safetensors", "good"], status: 1,
                firstLine: "Error: m.safetensors: " + firstLine)
}

@Suite("Hostile input: limits, non-finite weights, configuration messages")
struct HostileLimitsTests {
    static let cases: [HostileCase] = [
        // Sizes in a model's configuration: refused before anything is allocated.
        predictCase("predict: hidden_size 10^12", key: "hidden_size", value: "1000000000000",
                    firstLine: "the configuration is not usable: hidden_size must be between 1 and 65536 (got 1000000000000)"),
        HostileCase(name: "predict: embedding_size 10^12",
                    setup: { try editedModel($0, config: { set("embedding_size", "1000000000000")(set("input", "\"embedding\"")($0)) }) },
                    arguments: ["predict", "--model", "m.safetensors", "good"], status: 1,
                    firstLine: "Error: m.safetensors: the configuration is not usable: embedding_size must be between 1 and 65536"),
        predictCase("predict: num_layers 10^6", key: "num_layers", value: "1000000",
                    firstLine: "the configuration is not usable: num_layers must be between 1 and 256 (got 1000000)"),
        predictCase("predict: num_layers 10^9", key: "num_layers", value: "1000000000",
                    firstLine: "the configuration is not usable: num_layers must be between 1 and 256"),
        HostileCase(name: "predict: a configuration within the limits that the tensors do not fill",
                    setup: { try editedModel($0, config: set("hidden_size", "16000")) },
                    arguments: ["predict", "--model", "m.safetensors", "good"], status: 1,
                    firstLine: "Error: m.safetensors: the tensors hold 5506 values but the configuration's network has"),
        HostileCase(name: "predict: a network over the parameter limit",
                    setup: { try editedModel($0, config: set("hidden_size", "60000")) },
                    arguments: ["predict", "--model", "m.safetensors", "good"], status: 1,
                    firstLine: "Error: m.safetensors: the configuration is not usable: the network would have 3601260002 parameters, more than RNNKit's limit of 268435456"),
        HostileCase(name: "generate: hidden_size 10^12", setup: { try editedLanguageModel($0, config: set("hidden_size", "1000000000000")) },
                    arguments: ["generate", "--model", "lm.safetensors", "--length", "5"], status: 1,
                    firstLine: "Error: lm.safetensors: the configuration is not usable: hidden_size must be between 1 and 65536"),
        HostileCase(name: "generate: num_layers 10^6", setup: { try editedLanguageModel($0, config: set("num_layers", "1000000")) },
                    arguments: ["generate", "--model", "lm.safetensors", "--length", "5"], status: 1,
                    firstLine: "Error: lm.safetensors: the configuration is not usable: num_layers must be between 1 and 256"),
        HostileCase(name: "import: hidden_size 10^12",
                    setup: { try importFiles($0, config: set("hidden_size", "1000000000000")(goodImportConfig)) },
                    arguments: importArguments, status: 1,
                    firstLine: "Error: config.json: the configuration is not usable: hidden_size must be between 1 and 65536",
                    unchanged: ["out.safetensors"]),
        HostileCase(name: "import: num_layers 10^9",
                    setup: { try importFiles($0, config: set("num_layers", "1000000000")(goodImportConfig)) },
                    arguments: importArguments, status: 1,
                    firstLine: "Error: config.json: the configuration is not usable: num_layers must be between 1 and 256",
                    unchanged: ["out.safetensors"]),
        HostileCase(name: "import: a good configuration still imports", setup: { try importFiles($0, config: goodImportConfig) },
                    arguments: importArguments, status: 0, firstLine: "Saved model to out.safetensors"),
        // Sizes on the command line: the library's limits, checked before any data is read.
        HostileCase(name: "train: --embedding-size 10^12", arguments: ["train", "--embedding-size", "1000000000000"],
                    status: 64, firstLine: "Error: --embedding-size must be between 1 and 65536 (got 1000000000000)."),
        HostileCase(name: "train: --layers 10^9", arguments: ["train", "--layers", "1000000000"],
                    status: 64, firstLine: "Error: --layers must be between 1 and 256 (got 1000000000)."),
        HostileCase(name: "train-lm: --layers 10^9", files: ["t.txt": "abc\n"],
                    arguments: ["train-lm", "--text", "t.txt", "--layers", "1000000000", "--output", "lm.safetensors"],
                    status: 64, firstLine: "Error: --layers must be between 1 and 256 (got 1000000000)."),
        HostileCase(name: "train: sizes each within bounds, a network over the parameter limit",
                    arguments: ["train", "--hidden-size", "65536", "--epochs", "1"], status: 1,
                    firstLine: "Error: the recipe cannot train a model: the network would have"),
        HostileCase(name: "train-lm: a network over the parameter limit", files: ["t.txt": String(repeating: "abcdefgh ", count: 400)],
                    arguments: ["train-lm", "--text", "t.txt", "--hidden-size", "65536", "--output", "lm.safetensors"],
                    status: 1, firstLine: "Error: the recipe cannot train a model: the network would have",
                    unchanged: ["lm.safetensors"]),
        // Non-finite weights: refused at load and at import, naming the tensor and the count.
        HostileCase(name: "predict: a NaN weight", setup: { try editedModel($0, firstWeight: .nan) },
                    arguments: ["predict", "--model", "m.safetensors", "good"], status: 1,
                    firstLine: "Error: m.safetensors: tensor `fc.bias` holds 1 value that is not a finite number (NaN or infinite)"),
        HostileCase(name: "predict --json: a NaN weight", setup: { try editedModel($0, firstWeight: .nan) },
                    arguments: ["predict", "--model", "m.safetensors", "--json", "good"], status: 1,
                    firstLine: "Error: m.safetensors: tensor `fc.bias` holds 1 value that is not a finite number"),
        HostileCase(name: "predict: an infinite weight", setup: { try editedModel($0, firstWeight: -.infinity) },
                    arguments: ["predict", "--model", "m.safetensors", "good"], status: 1,
                    firstLine: "Error: m.safetensors: tensor `fc.bias` holds 1 value that is not a finite number"),
        HostileCase(name: "evaluate --json: a NaN weight", files: ["test.tsv": "text\tlabel\ni am good\tpositive\ni am bad\tnegative\n"],
                    setup: { try editedModel($0, firstWeight: .nan) },
                    arguments: ["evaluate", "--model", "m.safetensors", "--data", "test.tsv", "--json"], status: 1,
                    firstLine: "Error: m.safetensors: tensor `fc.bias` holds 1 value that is not a finite number"),
        HostileCase(name: "generate: a NaN weight", setup: { try editedLanguageModel($0, firstWeight: .nan) },
                    arguments: ["generate", "--model", "lm.safetensors", "--length", "5"], status: 1,
                    firstLine: "Error: lm.safetensors: tensor `embedding.weight` holds 1 value that is not a finite number"),
        HostileCase(name: "import: a NaN weight", setup: { try importFiles($0, config: goodImportConfig, firstWeight: .nan) },
                    arguments: importArguments, status: 1,
                    firstLine: "Error: weights.safetensors: tensor `fc.bias` holds 1 value that is not a finite number",
                    unchanged: ["out.safetensors"]),
        // Endless or enormous input: bounded memory, an error naming the limit and its option.
        HostileCase(name: "predict: NUL bytes on standard input", setup: { try editedModel($0) }, arguments: ["predict", "--model", "m.safetensors"],
                    stdin: "i am good\n\0\0\0\0", status: 1,
                    firstLine: "error: line 2 of standard input contains a NUL byte: this is not text, so reading stopped there."),
        HostileCase(name: "predict: a 5 MB line on standard input, then a good one",
                    setup: { try editedModel($0) }, arguments: ["predict", "--model", "m.safetensors"],
                    stdin: String(repeating: "good ", count: 1_000_000) + "\ni am good\n", status: 1,
                    firstLine: "error: line 1 of standard input is longer than 100000 bytes, the limit; give --max-text-bytes to raise it."),
        HostileCase(name: "predict: a text argument over the limit",
                    setup: { try editedModel($0) }, arguments: ["predict", "--model", "m.safetensors", "--max-text-bytes", "10", "i am good", "i am very very good"],
                    status: 1,
                    firstLine: "error: text 2 of the arguments is longer than 10 bytes, the limit; give --max-text-bytes to raise it."),
        HostileCase(name: "predict: a --data row over the limit", files: ["d.tsv": "text\ni am good\ni am very very good\n"],
                    setup: { try editedModel($0) },
                    arguments: ["predict", "--model", "m.safetensors", "--max-text-bytes", "10", "--data", "d.tsv"], status: 1,
                    firstLine: "error: the text on line 3 of d.tsv is longer than 10 bytes, the limit; give --max-text-bytes to raise it."),
        HostileCase(name: "evaluate: a --data row over the limit",
                    files: ["d.tsv": "text\tlabel\ni am good\tpositive\ni am very very good\tpositive\n"],
                    setup: { try editedModel($0) },
                    arguments: ["evaluate", "--model", "m.safetensors", "--max-text-bytes", "10", "--data", "d.tsv"], status: 1,
                    firstLine: "Error: the text on line 3 of d.tsv is longer than 10 bytes, the limit; give --max-text-bytes to raise it."),
        HostileCase(name: "predict: --max-text-bytes 0", arguments: ["predict", "--model", "m.safetensors", "--max-text-bytes", "0"],
                    status: 64, firstLine: "Error: --max-text-bytes must be at least 1 (got 0)."),
        HostileCase(name: "predict: a 2 GB file as --model is refused from its header",
                    setup: { folder in
                        // Sparse: 8 bytes of header length (2), the header `{}`, then 2 GB of nothing.
                        let path = folder.appendingPathComponent("big.safetensors").path
                        try #require(FileManager.default.createFile(atPath: path, contents: Data([2, 0, 0, 0, 0, 0, 0, 0]) + Data("{}".utf8)))
                        let handle = try #require(FileHandle(forWritingAtPath: path))
                        try handle.truncate(atOffset: 2_000_000_000)
                        try handle.close()
                    },
                    arguments: ["predict", "--model", "big.safetensors", "good"], status: 1,
                    firstLine: "Error: big.safetensors: 1999999990 bytes of data after the last tensor belong to none"),
        HostileCase(name: "predict: a FIFO as --model", setup: { folder in
                        try #require(mkfifo(folder.appendingPathComponent("fifo").path, 0o644) == 0)
                    },
                    arguments: ["predict", "--model", "fifo", "good"], status: 1,
                    firstLine: "Error: fifo: is a pipe, FIFO or standard input, not a model file: it must be a regular file."),
        HostileCase(name: "predict: standard input (a pipe) as --model",
                    arguments: ["predict", "--model", "/dev/stdin", "good"], stdin: "not a model", status: 1,
                    firstLine: "Error: /dev/stdin: "),
        HostileCase(name: "predict: a FIFO as --data is read as it comes", setup: { folder in
                        try editedModel(folder)
                        let fifo = folder.appendingPathComponent("fifo").path
                        try #require(mkfifo(fifo, 0o644) == 0)
                        // The writer waits for rnn to open the FIFO for reading.
                        Thread.detachNewThread {
                            guard let handle = FileHandle(forWritingAtPath: fifo) else { return }
                            handle.write(Data("text\ni am good\n".utf8))
                            try? handle.close()
                        }
                    },
                    arguments: ["predict", "--model", "m.safetensors", "--data", "fifo", "--format", "tsv"], status: 0,
                    firstLine: "positive\t"),
        HostileCase(name: "predict: /dev/zero as --data", setup: { try editedModel($0) },
                    arguments: ["predict", "--model", "m.safetensors", "--data", "/dev/zero", "--format", "tsv"], status: 1,
                    firstLine: "Error: /dev/zero: is a device or socket, not a data file"),
        // A configuration's JSON that is wrong: its key and what it must be, no Swift internals.
        predictCase("predict: cell `foo`", key: "cell", value: "\"foo\"",
                    firstLine: "configuration key `cell` is `foo`; expected one of rnn_tanh, rnn_relu, lstm, gru."),
        predictCase("predict: hidden_size a string", key: "hidden_size", value: "\"big\"",
                    firstLine: "configuration key `hidden_size` is `big`; expected a whole number."),
        predictCase("predict: hidden_size 1e400", key: "hidden_size", value: "1e400",
                    firstLine: "configuration key `hidden_size` is `1e400`; expected a whole number."),
        predictCase("predict: dropout 1e400", key: "dropout", value: "1e400",
                    firstLine: "configuration key `dropout` is `1e400`; expected a number in [0, 1)."),
        predictCase("predict: bidirectional a number", key: "bidirectional", value: "3",
                    firstLine: "configuration key `bidirectional` is `3`; expected true or false."),
        HostileCase(name: "predict: cell missing", setup: { try editedModel($0, config: remove("cell")) },
                    arguments: ["predict", "--model", "m.safetensors", "good"], status: 1,
                    firstLine: "Error: m.safetensors: configuration key `cell` is missing."),
        HostileCase(name: "predict: the configuration not JSON", setup: { try editedModel($0, config: { _ in "{\"cell\": " }) },
                    arguments: ["predict", "--model", "m.safetensors", "good"], status: 1,
                    firstLine: "Error: m.safetensors: the configuration is not JSON:"),
        HostileCase(name: "generate: cell `foo`", setup: { try editedLanguageModel($0, config: set("cell", "\"foo\"")) },
                    arguments: ["generate", "--model", "lm.safetensors"], status: 1,
                    firstLine: "Error: lm.safetensors: configuration key `cell` is `foo`; expected one of rnn_tanh, rnn_relu, lstm, gru."),
        HostileCase(name: "import: cell `foo`", setup: { try importFiles($0, config: set("cell", "\"foo\"")(goodImportConfig)) },
                    arguments: importArguments, status: 1,
                    firstLine: "Error: config.json: configuration key `cell` is `foo`; expected one of rnn_tanh, rnn_relu, lstm, gru.",
                    unchanged: ["out.safetensors"]),
        HostileCase(name: "import: hidden_size 1e400", setup: { try importFiles($0, config: set("hidden_size", "1e400")(goodImportConfig)) },
                    arguments: importArguments, status: 1,
                    firstLine: "Error: config.json: configuration key `hidden_size` is `1e400`; expected a whole number.",
                    unchanged: ["out.safetensors"]),
        HostileCase(name: "import: the configuration not JSON", setup: { try importFiles($0, config: "cell=lstm") },
                    arguments: importArguments, status: 1,
                    firstLine: "Error: config.json: the configuration is not JSON:", unchanged: ["out.safetensors"]),
    ]

    @Test("Hostile limits", arguments: cases)
    func hostile(_ c: HostileCase) throws {
        let run = try c.check()
        for word in ["nan", "inf"] where run.stdout.split(whereSeparator: { !$0.isLetter }).contains(Substring(word)) {
            Issue.record("case \(c.name): output shows «\(word)»\n\(run)")
        }
    }

    @Test("After a line over the limit, predict answers the next line")
    func answersAfterALongLine() throws {
        let (path, _) = try trainedModel.get()
        let run = try CLI.run(["predict", "--model", path, "--max-text-bytes", "20"],
                              input: "i am very very very good indeed\ni am good\n")
        #expect(run.status == 1, "\(run)")
        #expect(run.lines.count == 1 && run.lines[0].hasSuffix("\ti am good"), "\(run)")
        #expect(run.stderr.hasPrefix("error: line 1 of standard input is longer than 20 bytes"), "\(run)")
    }

    @Test("a line of standard input that is not UTF-8 is an error for that line (not replaced characters); the next lines are answered")
    func invalidUTF8OnStandardInput() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rnn-hostile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try editedModel(folder)
        for command in [["predict", "--model", "m.safetensors"], ["tokenize", "--model", "m.safetensors"]] {
            let run = try CLI.run(command, inputBytes: Array("i am good\ngood ".utf8) + [0xFF, 0xFE] + Array(" bad\ni am bad\n".utf8),
                                  in: folder)
            #expect(run.exited && run.status == 1, "\(run)")
            #expect(run.stderr.contains("error: line 2 of standard input is not valid UTF-8 (the first invalid byte is at byte 6 of the line)"),
                    "\(run)")
            #expect(!run.stdout.contains("\u{FFFD}") && run.lines.count >= 2, "\(run)")
        }
    }

    @Test("predict < /dev/zero stops at the first NUL byte, in bounded memory, exit 1")
    func devZero() throws {
        let (path, _) = try trainedModel.get()
        let process = Process()
        process.executableURL = try CLI.productsDirectory().appendingPathComponent("rnn")
        process.arguments = ["predict", "--model", path]
        process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/dev/zero"))
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 1)
        #expect(message.hasPrefix("error: line 1 of standard input contains a NUL byte"), "\(message)")
    }
}
