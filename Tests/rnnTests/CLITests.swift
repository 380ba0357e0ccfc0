import Foundation
import Testing

// Runs the built `rnn` executable as a user would, checking output formats, exit codes and messages.

/// What one run of `rnn` did.
struct Run: CustomStringConvertible {
    var status: Int32
    /// False when the process died of a signal (a crash) instead of exiting.
    var exited: Bool
    var stdout: String
    var stderr: String

    var lines: [String] { stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).dropLast(stdout.hasSuffix("\n") ? 1 : 0) }

    var description: String {
        "\(exited ? "exit \(status)" : "signal \(status)")\n--- stdout:\n\(stdout)--- stderr:\n\(stderr)"
    }
}

enum CLI {
    struct NotFound: Error, CustomStringConvertible { var description: String }

    /// The folder holding the built products: on Linux the test bundle is an executable in it; on
    /// macOS it is the `.xctest` bundle's parent.
    static func productsDirectory() throws -> URL {
        var candidates: [URL] = []
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            candidates.append(bundle.bundleURL.deletingLastPathComponent())
        }
        if let exe = Bundle.main.executableURL { candidates.append(exe.deletingLastPathComponent()) }
        candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
        candidates.append(Bundle.main.bundleURL)
        for dir in candidates where FileManager.default.isExecutableFile(atPath: dir.appendingPathComponent("rnn").path) {
            return dir
        }
        throw NotFound(description: "no built `rnn` executable next to the tests; looked in \(candidates.map(\.path)). Run `swift build` (or `swift test`, which builds it).")
    }

    /// Runs `rnn` (or another built `executable`) with `arguments`, standard input from `input`
    /// (empty by default) or the bytes `inputBytes`, in `directory` (default: this process's).
    /// `environment` is added to this process's environment.
    static func run(_ arguments: [String], input: String = "", inputBytes: [UInt8]? = nil, executable name: String = "rnn",
                    in directory: URL? = nil, environment: [String: String] = [:]) throws -> Run {
        let executable = try productsDirectory().appendingPathComponent(name)
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("rnn-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        // Files, not pipes: a full pipe would block the child while we wait for it.
        let out = scratch.appendingPathComponent("stdout"), err = scratch.appendingPathComponent("stderr")
        let inFile = scratch.appendingPathComponent("stdin")
        try Data().write(to: out)
        try Data().write(to: err)
        try Data(inputBytes ?? Array(input.utf8)).write(to: inFile)
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        process.standardInput = try FileHandle(forReadingFrom: inFile)
        try process.run()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, exited: process.terminationReason == .exit,
                   stdout: String(decoding: try Data(contentsOf: out), as: UTF8.self),
                   stderr: String(decoding: try Data(contentsOf: err), as: UTF8.self))
    }
}

/// Where the shared model lives; removed when the test process exits.
let sharedModelDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("rnn-cli-model-\(getpid())").path

/// A model trained once by `rnn train --epochs 500 --output …` and shared by the predict tests.
/// The default seed reaches 100 % test accuracy by then.
let trainedModel: Result<(path: String, run: Run), Error> = Result {
    try FileManager.default.createDirectory(atPath: sharedModelDirectory, withIntermediateDirectories: true)
    atexit { try? FileManager.default.removeItem(atPath: sharedModelDirectory) }
    let path = sharedModelDirectory + "/m.safetensors"
    return (path, try CLI.run(["train", "--epochs", "500", "--output", path]))
}

private func model() throws -> String {
    let (path, run) = try trainedModel.get()
    try #require(run.exited && run.status == 0, "rnn train --output failed: \(run)")
    return path
}

private func matches(_ line: String, _ pattern: String) -> Bool {
    line.range(of: pattern, options: .regularExpression) != nil
}

@Suite("rnn command line")
struct CLITests {
    @Test("rnn train --epochs 200 prints the tutorial's report format")
    func trainOutputFormat() throws {
        let run = try CLI.run(["train", "--epochs", "200"])
        #expect(run.exited && run.status == 0, "\(run)")
        let lines = run.lines
        try #require(lines.count == 8, "expected 8 lines: \(run)")
        #expect(lines[0] == "18 unique words found")
        for (k, epoch) in [100, 200].enumerated() {
            let at = 1 + 3 * k
            #expect(lines[at] == "--- Epoch \(epoch)")
            #expect(matches(lines[at + 1], #"^Train:\tLoss \d\.\d{3} \| Accuracy: \d\.\d{3}$"#), "\(lines[at + 1])")
            #expect(matches(lines[at + 2], #"^Test:\tLoss \d\.\d{3} \| Accuracy: \d\.\d{3}$"#), "\(lines[at + 2])")
        }
        #expect(matches(lines[7], #"^Trained 200 epochs in \d+\.\d{3} s \(.+ tokens/s\)$"#), "\(lines[7])")
        #expect(run.stderr.isEmpty, "unexpected stderr: \(run.stderr)")

        // The seed is fixed by default, so two plain runs report the same numbers.
        let again = try CLI.run(["train", "--epochs", "200"])
        #expect(Array(again.lines.dropLast()) == Array(lines.dropLast()))
    }

    @Test("--report-every sets which epochs are reported, and the last one always is")
    func reportEvery() throws {
        let run = try CLI.run(["train", "--epochs", "25", "--report-every", "10", "--hidden-size", "8"])
        #expect(run.exited && run.status == 0, "\(run)")
        #expect(run.lines.filter { $0.hasPrefix("--- Epoch ") } == ["--- Epoch 10", "--- Epoch 20", "--- Epoch 25"])
        #expect(matches(run.lines.last ?? "", #"^Trained 25 epochs in "#))
    }

    @Test("rnn predict --data reads the text column of a file that has no label column")
    func predictFromFile() throws {
        let path = try model()
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("rnn-predict-\(UUID().uuidString).csv")
        try "id,text\n1,i am very good\n2,\"this is not happy\"\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let run = try CLI.run(["predict", "--model", path, "--data", file.path, "--text-column", "text"])
        #expect(run.exited && run.status == 0, "\(run)")
        #expect(run.lines.map { $0.split(separator: "\t").first.map(String.init) } == ["positive", "negative"], "\(run)")
        let both = try CLI.run(["predict", "--model", path, "--data", file.path, "some text"])
        #expect(both.exited && both.status != 0 && both.stderr.contains("not both"), "\(both)")
    }

    @Test("rnn predict classifies with a saved model")
    func predict() throws {
        let path = try model()
        let (_, trainRun) = try trainedModel.get()
        #expect(trainRun.lines.last == "Saved model to \(path)")
        let lastTest = trainRun.lines.last { $0.hasPrefix("Test:") } ?? ""
        #expect(lastTest.hasSuffix("| Accuracy: 1.000"), "the default seed should reach 100 % test accuracy by epoch 500: \(trainRun)")

        let run = try CLI.run(["predict", "--model", path, "i am very good", "this is not happy"])
        #expect(run.exited && run.status == 0, "\(run)")
        try #require(run.lines.count == 2, "\(run)")
        let first = run.lines[0].split(separator: "\t", omittingEmptySubsequences: false)
        let second = run.lines[1].split(separator: "\t", omittingEmptySubsequences: false)
        #expect(first.count == 3 && second.count == 3)
        #expect(first.first == "positive", "\(run.lines[0])")
        #expect(second.first == "negative", "\(run.lines[1])")
        #expect(first.last == "i am very good")
        #expect(second.last == "this is not happy")
        for fields in [first, second] where fields.count == 3 {
            let p = Double(fields[1])
            #expect(p != nil && p! >= 0.5 && p! <= 1, "probability \(fields[1])")
            #expect(matches(String(fields[1]), #"^\d\.\d{3}$"#))
        }
    }

    @Test("rnn predict --json prints one JSON object per text")
    func predictJSON() throws {
        let path = try model()
        let run = try CLI.run(["predict", "--model", path, "--json", "i am very good", "this is \"not\" happy"])
        #expect(run.exited && run.status == 0, "\(run)")
        try #require(run.lines.count == 2, "\(run)")
        for (line, text) in zip(run.lines, ["i am very good", "this is \"not\" happy"]) {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            let o = try #require(object, "not a JSON object: \(line)")
            #expect(Set(o.keys) == ["text", "label", "probabilities"])
            #expect(o["text"] as? String == text)
            let label = try #require(o["label"] as? String)
            let probabilities = try #require(o["probabilities"] as? [String: Double])
            #expect(Set(probabilities.keys) == ["negative", "positive"])
            #expect(abs(probabilities.values.reduce(0, +) - 1) < 1e-4)
            #expect(probabilities[label] == probabilities.values.max())
        }
        // Texts from standard input, one per line, when none are given.
        let piped = try CLI.run(["predict", "--model", path, "--json"], input: "i am very good\n\nthis is not happy\n")
        #expect(piped.exited && piped.status == 0, "\(piped)")
        try #require(piped.lines.count == 2, "\(piped)")
        let labels = try piped.lines.map { line in
            try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])["label"] as? String
        }
        #expect(labels == ["positive", "negative"])
    }

    @Test("Unknown words are skipped with a warning; a text with no known word is an error")
    func unknownWords() throws {
        let path = try model()
        let warned = try CLI.run(["predict", "--model", path, "i am very good xyzzy"])
        #expect(warned.exited && warned.status == 0, "\(warned)")
        #expect(warned.lines.count == 1)
        #expect(warned.lines.first?.hasPrefix("positive\t") == true, "\(warned)")
        #expect(warned.stderr.contains("xyzzy"), "\(warned)")
        #expect(warned.stderr.lowercased().contains("warning"), "\(warned)")

        let failed = try CLI.run(["predict", "--model", path, "good", "foo bar"])
        #expect(failed.exited && failed.status == 1, "\(failed)")
        #expect(failed.lines.count == 1 && failed.lines.first?.hasPrefix("positive\t") == true, "the known text is still classified: \(failed)")
        #expect(failed.stderr.lowercased().contains("error"), "\(failed)")
        #expect(failed.stderr.contains("foo bar"), "\(failed)")
    }

    @Test("Invalid options are rejected with a message naming the option", arguments: [
        (["--epochs", "0"], "--epochs"),
        (["--learning-rate", "-1"], "--learning-rate"),
        (["--learning-rate=-1"], "--learning-rate"),
        (["--learning-rate", "0"], "--learning-rate"),
        (["--hidden-size", "0"], "--hidden-size"),
        (["--epochs", "many"], "--epochs"),
        (["--report-every", "0"], "--report-every"),
        (["--threads", "0"], "--threads"),
    ])
    func badArguments(arguments: [String], option: String) throws {
        let run = try CLI.run(["train"] + arguments)
        #expect(run.exited, "crashed: \(run)")
        #expect(run.status != 0, "accepted \(arguments): \(run)")
        #expect(run.stderr.contains(option), "the message does not name \(option): \(run)")
        #expect(!run.stdout.contains("unique words found"), "training started: \(run)")
    }

    @Test("A missing --data file is an error naming the file")
    func missingDataFile() throws {
        let missing = "/nonexistent-\(UUID().uuidString)/train.tsv"
        let run = try CLI.run(["train", "--data", missing, "--epochs", "1"])
        #expect(run.exited, "crashed: \(run)")
        #expect(run.status != 0, "\(run)")
        #expect(run.stderr.contains(missing), "\(run)")
    }

    @Test("predict on a file that is not a model fails clearly, without crashing")
    func predictOnNonModel() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rnn-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let text = dir.appendingPathComponent("notes.txt")
        try Data("These are notes, not a model.\nSecond line.\n".utf8).write(to: text)
        let tiny = dir.appendingPathComponent("tiny.safetensors")
        try Data([1, 2, 3]).write(to: tiny)
        let missing = dir.appendingPathComponent("missing.safetensors")
        for path in [text.path, tiny.path, missing.path, dir.path] {
            let run = try CLI.run(["predict", "--model", path, "i am good"])
            #expect(run.exited, "crashed on \(path): \(run)")
            #expect(run.status != 0, "\(path): \(run)")
            #expect(run.stderr.contains(path), "the message does not name \(path): \(run)")
            #expect(run.stdout.isEmpty, "\(path): \(run)")
        }
    }

    @Test("A model of the other task is refused, and the message says which command takes it")
    func wrongTask() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rnn-task-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let text = dir.appendingPathComponent("t.txt"), lm = dir.appendingPathComponent("lm.safetensors")
        try String(repeating: "to be or not to be, that is the question.\n", count: 40).write(to: text, atomically: true, encoding: .utf8)
        let train = try CLI.run(["train-lm", "--text", text.path, "--layers", "1", "--hidden-size", "8", "--embedding-size", "8",
                                 "--batch-size", "4", "--sequence-length", "8", "--quiet", "--output", lm.path])
        #expect(train.exited && train.status == 0, "\(train)")
        for command in [["predict", "--model", lm.path, "to be"], ["evaluate", "--model", lm.path, "--data", text.path]] {
            let run = try CLI.run(command)
            #expect(run.exited && run.status != 0, "\(run)")
            #expect(run.stderr.contains("is a language model, not a text classifier") && run.stderr.contains("rnn generate"), "\(run)")
        }
        let (classifier, _) = try trainedModel.get()
        let run = try CLI.run(["generate", "--model", classifier, "--length", "5"])
        #expect(run.exited && run.status != 0, "\(run)")
        #expect(run.stderr.contains("is a text classifier, not a language model") && run.stderr.contains("rnn predict"), "\(run)")
    }

    @Test("rnn --version and rnn info run")
    func infoAndVersion() throws {
        let version = try CLI.run(["--version"])
        #expect(version.exited && version.status == 0, "\(version)")
        #expect(version.stdout.hasPrefix("RNNKit "), "\(version)")
        let info = try CLI.run(["info"])
        #expect(info.exited && info.status == 0, "\(info)")
        #expect(info.stdout.contains("BLAS:") && info.stdout.contains("Kernels:"), "\(info)")
    }
}
