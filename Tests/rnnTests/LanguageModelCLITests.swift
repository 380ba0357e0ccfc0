import Foundation
import Testing

/// `rnn train-lm` and `rnn generate`, run as a user runs them: the built binary in a subprocess.
@Suite("LanguageModel CLI")
struct LanguageModelCLITests {
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    struct MissingBinary: Error, CustomStringConvertible {
        var description: String
    }

    /// The `rnn` executable SwiftPM built beside this test bundle (the test target depends on it).
    static func binary() throws -> URL {
        var directories: [URL] = []
        if let executable = Bundle.main.executableURL { directories.append(executable.deletingLastPathComponent()) }
        for bundle in Bundle.allBundles {
            directories.append(bundle.bundleURL.deletingLastPathComponent())
            directories.append(bundle.bundleURL)
        }
        for directory in directories {
            let candidate = directory.appendingPathComponent("rnn")
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory), !isDirectory.boolValue,
               FileManager.default.isExecutableFile(atPath: candidate.path) {
                return candidate
            }
        }
        throw MissingBinary(description: "the `rnn` executable is not in any of \(directories.map(\.path)); build it first (swift build).")
    }

    static func run(_ arguments: [String], in directory: URL) throws -> Run {
        let process = Process()
        process.executableURL = try binary()
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read before waiting: a full pipe would otherwise block the child forever.
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                   stderr: String(decoding: stderr, as: UTF8.self))
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("rnn-lm-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A few KB of text with some structure to learn: lines from a small grammar.
    static func sampleText() -> String {
        var rng = SystemLCG(seed: 42)
        let subjects = ["the cat", "a dog", "my friend", "the old king", "she"]
        let verbs = ["sees", "likes", "follows", "finds", "calls"]
        let objects = ["the moon.", "a red ball.", "the river.", "her brother.", "the garden."]
        var lines: [String] = []
        for _ in 0..<160 {
            lines.append("\(subjects[rng.next(5)]) \(verbs[rng.next(5)]) \(objects[rng.next(5)])")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A tiny deterministic generator, so the text is the same on every run.
    struct SystemLCG {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func next(_ bound: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(bound))
        }
    }

    @Test("train-lm reports validation loss; generate with a seed is repeatable and of the right length")
    func trainAndGenerate() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let text = Self.sampleText()
        try text.write(to: directory.appendingPathComponent("text.txt"), atomically: true, encoding: .utf8)

        let train = try Self.run(["train-lm", "--text", "text.txt", "--max-time", "3s", "--hidden-size", "32",
                                  "--embedding-size", "16", "--layers", "1", "--sequence-length", "20",
                                  "--batch-size", "8", "--output", "lm.safetensors"], in: directory)
        #expect(train.status == 0, "stderr: \(train.stderr)")
        #expect(train.stdout.contains("val loss "))
        let reportLine = train.stdout.split(separator: "\n").first { $0.contains("val loss ") }.map(String.init) ?? ""
        #expect(reportLine.range(of: #"val loss \d+\.\d{4} "#, options: .regularExpression) != nil, "\(reportLine)")
        #expect(!train.stdout.contains("\r"), "no live progress line when stdout is not a terminal")
        #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("lm.safetensors").path))

        let arguments = ["generate", "--model", "lm.safetensors", "--prompt", "the ", "--length", "50", "--seed", "1"]
        let first = try Self.run(arguments, in: directory)
        let second = try Self.run(arguments, in: directory)
        #expect(first.status == 0, "stderr: \(first.stderr)")
        #expect(first.stdout == second.stdout)
        #expect(first.stdout.hasPrefix("the "))
        #expect(first.stdout.hasSuffix("\n"))
        // Prompt + 50 characters + the final newline.
        #expect(first.stdout.unicodeScalars.count == 4 + 50 + 1)
        let other = try Self.run(["generate", "--model", "lm.safetensors", "--prompt", "the ", "--length", "50",
                                  "--seed", "2"], in: directory)
        #expect(other.stdout != first.stdout)

        let quiet = try Self.run(["train-lm", "--text", "text.txt", "--epochs", "1", "--hidden-size", "8",
                                  "--embedding-size", "4", "--layers", "1", "--sequence-length", "10", "--batch-size", "4",
                                  "--quiet", "--output", "quiet.safetensors"], in: directory)
        #expect(quiet.status == 0, "stderr: \(quiet.stderr)")
        #expect(quiet.stdout.isEmpty)
    }

    @Test("same seed and text give a bit-identical model file")
    func deterministicFile() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.sampleText().write(to: directory.appendingPathComponent("text.txt"), atomically: true, encoding: .utf8)
        let arguments = ["train-lm", "--text", "text.txt", "--epochs", "2", "--hidden-size", "16", "--embedding-size", "8",
                         "--sequence-length", "10", "--batch-size", "8", "--dropout", "0.2", "--seed", "9", "--quiet"]
        let a = try Self.run(arguments + ["--output", "a.safetensors"], in: directory)
        let b = try Self.run(arguments + ["--output", "b.safetensors"], in: directory)
        // The thread count does not change the numbers either.
        let c = try Self.run(arguments + ["--output", "c.safetensors", "--threads", "1"], in: directory)
        #expect(a.status == 0 && b.status == 0 && c.status == 0, "stderr: \(a.stderr) \(b.stderr) \(c.stderr)")
        let bytesA = try Data(contentsOf: directory.appendingPathComponent("a.safetensors"))
        let bytesB = try Data(contentsOf: directory.appendingPathComponent("b.safetensors"))
        let bytesC = try Data(contentsOf: directory.appendingPathComponent("c.safetensors"))
        #expect(bytesA == bytesB)
        #expect(bytesA == bytesC)
    }

    @Test("train-lm --resume continues from --checkpoint-dir to the model file of a run without a stop, byte for byte")
    func resume() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.sampleText().write(to: directory.appendingPathComponent("text.txt"), atomically: true, encoding: .utf8)
        let common = ["train-lm", "--text", "text.txt", "--hidden-size", "16", "--embedding-size", "8",
                      "--sequence-length", "10", "--batch-size", "8", "--dropout", "0.2", "--seed", "3", "--quiet"]
        let straight = try Self.run(common + ["--epochs", "3", "--output", "straight.safetensors"], in: directory)
        #expect(straight.status == 0, "stderr: \(straight.stderr)")

        let first = try Self.run(common + ["--epochs", "1", "--checkpoint-dir", "ckpt", "--output", "resumed.safetensors"],
                                 in: directory)
        #expect(first.status == 0, "stderr: \(first.stderr)")
        let checkpoint = directory.appendingPathComponent("ckpt/checkpoint.safetensors")
        #expect(FileManager.default.fileExists(atPath: checkpoint.path))
        let second = try Self.run(common + ["--epochs", "3", "--checkpoint-dir", "ckpt", "--resume",
                                            "--output", "resumed.safetensors"], in: directory)
        #expect(second.status == 0, "stderr: \(second.stderr)")
        let a = try Data(contentsOf: directory.appendingPathComponent("straight.safetensors"))
        let b = try Data(contentsOf: directory.appendingPathComponent("resumed.safetensors"))
        #expect(a == b, "the resumed run's model file differs from the uninterrupted run's")

        // Another hidden size: refused, saying what differs, with the command line's hint.
        let other = try Self.run(common.map { $0 == "16" ? "12" : $0 } + ["--epochs", "3", "--checkpoint-dir", "ckpt",
                                                                          "--resume", "--output", "x.safetensors"],
                                 in: directory)
        #expect(other.status != 0)
        #expect(other.stderr.contains("hidden size is 16 in the checkpoint, 12 here"), "\(other.stderr)")
        #expect(other.stderr.contains("settings of the run that wrote it"), "\(other.stderr)")

        // A damaged checkpoint: an error naming the file, not a crash.
        let bytes = try Data(contentsOf: checkpoint)
        try bytes.prefix(100).write(to: checkpoint)
        let damaged = try Self.run(common + ["--epochs", "3", "--checkpoint-dir", "ckpt", "--resume",
                                             "--output", "x.safetensors"], in: directory)
        #expect(damaged.status != 0)
        #expect(damaged.stderr.contains("checkpoint.safetensors") && damaged.stderr.contains("start afresh"),
                "\(damaged.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("x.safetensors").path))

        let noDirectory = try Self.run(common + ["--resume", "--output", "x.safetensors"], in: directory)
        #expect(noDirectory.status != 0)
        #expect(noDirectory.stderr.contains("--resume needs --checkpoint-dir"), "\(noDirectory.stderr)")
    }

    @Test("bad input is a one-line error naming the problem")
    func errors() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data(Array("caf".utf8) + [0xE9, 0x0A]).write(to: directory.appendingPathComponent("latin1.txt"))
        let badText = try Self.run(["train-lm", "--text", "latin1.txt", "--output", "x.safetensors"], in: directory)
        #expect(badText.status != 0)
        #expect(badText.stderr.contains("latin1.txt") && badText.stderr.contains("byte offset 3"), "\(badText.stderr)")

        try "short text".write(to: directory.appendingPathComponent("short.txt"), atomically: true, encoding: .utf8)
        let short = try Self.run(["train-lm", "--text", "short.txt", "--output", "x.safetensors"], in: directory)
        #expect(short.status != 0)
        #expect(short.stderr.contains("--batch-size"), "\(short.stderr)")

        let duration = try Self.run(["train-lm", "--text", "short.txt", "--max-time", "5 minutes", "--output", "x.safetensors"],
                                    in: directory)
        #expect(duration.status != 0)
        #expect(duration.stderr.contains("300s, 5m or 1h"), "\(duration.stderr)")

        let missing = try Self.run(["generate", "--model", "nope.safetensors"], in: directory)
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("nope.safetensors"), "\(missing.stderr)")

        let sampling = try Self.run(["generate", "--model", "nope.safetensors", "--top-p", "1.5"], in: directory)
        #expect(sampling.status != 0)
        #expect(sampling.stderr.contains("--top-p"), "\(sampling.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("x.safetensors").path))
    }
}
