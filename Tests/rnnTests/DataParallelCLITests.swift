import Foundation
import Testing

/// `mpirun -np N rnn train …` and `rnn train-lm …`: data-parallel training on Open MPI, run as a
/// user runs it. These tests need `mpirun` (Debian: apt-get install openmpi-bin libopenmpi3; CI
/// installs it) and fail, not skip, without it.
///
/// Tolerance: N ranks sum the same per-example gradients in another grouping, so after a few
/// dozen steps the weights differ from the single process's by float rounding only — measured up
/// to 5e-6 here (Adam, LSTM); the tests allow 1e-4 on every weight and 1e-4 on the losses.
/// One rank under mpirun, and two runs of the same N, give the same bytes.
@Suite("Data-parallel training on MPI", .serialized)
struct DataParallelCLITests {
    typealias Run = LanguageModelCLITests.Run

    static let weightTolerance: Float = 1e-4
    static let lossTolerance = 1e-4

    struct MissingMPI: Error, CustomStringConvertible {
        var description: String
    }

    /// `mpirun` on PATH, or an error saying what to install.
    static func mpirun() throws -> URL {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent("mpirun")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw MissingMPI(description: "mpirun is not on PATH: the data-parallel tests need Open MPI "
                         + "(apt-get install openmpi-bin libopenmpi3).")
    }

    /// Runs `rnn arguments` on `ranks` MPI ranks (nil: without mpirun). `marker` is put in the
    /// ranks' environment, so that a test can find their processes, with `environment`;
    /// `mpirunOptions` go to mpirun, which runs under `prefix` (e.g. `ip netns exec HOST`).
    static func run(_ arguments: [String], ranks: Int?, in directory: URL, marker: String = "",
                    environment extra: [String: String] = [:], mpirunOptions: [String] = [], prefix: [String] = [],
                    started: ((Process) throws -> Void)? = nil) throws -> Run {
        let process = Process()
        let rnn = try LanguageModelCLITests.binary()
        if let ranks {
            let command = [try mpirun().path, "--oversubscribe", "--allow-run-as-root"] + mpirunOptions
                + ["-np", "\(ranks)", rnn.path] + arguments
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = prefix + command
        } else {
            process.executableURL = rnn
            process.arguments = arguments
        }
        var environment = ProcessInfo.processInfo.environment
        environment["RNNKIT_TEST_MARKER"] = marker
        environment.merge(extra) { $1 }
        process.environment = environment
        process.currentDirectoryURL = directory
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        try started?(process)
        // Read before waiting: a full pipe would otherwise block the child forever.
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                   stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// The float32 tensors of a safetensors file, by name.
    static func tensors(_ url: URL) throws -> [String: [Float]] {
        let data = try Data(contentsOf: url)
        let headerLength = Int(data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self).littleEndian })
        let header = try #require(try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + headerLength))) as? [String: Any])
        var out: [String: [Float]] = [:]
        for (name, entry) in header where name != "__metadata__" {
            let offsets = try #require((entry as? [String: Any])?["data_offsets"] as? [Int])
            let bytes = data.subdata(in: (8 + headerLength + offsets[0])..<(8 + headerLength + offsets[1]))
            out[name] = bytes.withUnsafeBytes { raw in
                (0..<(bytes.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
            }
        }
        return out
    }

    /// The largest absolute difference between two model files' weights (they must hold the same
    /// tensors).
    static func maxDifference(_ a: URL, _ b: URL) throws -> Float {
        let x = try tensors(a), y = try tensors(b)
        #expect(Set(x.keys) == Set(y.keys))
        var largest: Float = 0
        for (name, values) in x {
            let other = try #require(y[name])
            try #require(values.count == other.count)
            for (u, v) in zip(values, other) { largest = max(largest, abs(u - v)) }
        }
        return largest
    }

    /// The last evaluation's losses in a run's metrics.jsonl.
    static func finalLosses(_ report: URL) throws -> (train: Double, validation: Double) {
        let text = try String(contentsOf: report.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
        let last = try #require(text.split(separator: "\n").last)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
        return (try #require(object["train_loss"] as? Double), try #require(object["validation_loss"] as? Double))
    }

    /// Labelled sentences with something to learn: the label follows the words.
    static func classifierData(rows: Int, seed: UInt64) -> String {
        var rng = LanguageModelCLITests.SystemLCG(seed: seed)
        let good = ["great", "fine", "lovely", "superb", "warm"], bad = ["dull", "awful", "weak", "cold", "flat"]
        let filler = ["the", "film", "was", "a", "story", "and", "very", "plot"]
        var lines = ["text\tlabel"]
        for _ in 0..<rows {
            let positive = rng.next(2) == 1
            var words = (0..<(3 + rng.next(6))).map { _ in filler[rng.next(filler.count)] }
            words.insert((positive ? good : bad)[rng.next(5)], at: rng.next(words.count))
            lines.append(words.joined(separator: " ") + "\t" + (positive ? "pos" : "neg"))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func directory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("rnn-mpi-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Trains with `arguments` alone and on 1, 2 and 3 ranks (and 2 once more), then compares the
    /// final losses and the model files.
    func compareRankCounts(_ arguments: [String], in directory: URL) throws {
        var losses: [String: (train: Double, validation: Double)] = [:]
        for (name, ranks) in [("alone", nil), ("np1", 1), ("np2", 2), ("np3", 3), ("np2again", 2)] as [(String, Int?)] {
            let run = try Self.run(arguments + ["--output", "\(name).safetensors", "--report", name], ranks: ranks, in: directory)
            try #require(run.status == 0, "\(name): \(run.stderr)")
            losses[name] = try Self.finalLosses(directory.appendingPathComponent(name))
            // Rank 0 alone writes: one report, and no line twice.
            #expect(run.stdout.components(separatedBy: "Saved model to").count <= 2, "\(name): \(run.stdout)")
        }
        func file(_ name: String) -> URL { directory.appendingPathComponent("\(name).safetensors") }
        #expect(try Data(contentsOf: file("np1")) == Data(contentsOf: file("alone")), "one rank is the process alone, bit for bit")
        #expect(try Data(contentsOf: file("np2again")) == Data(contentsOf: file("np2")), "same rank count and seed: same bytes")
        for name in ["np2", "np3"] {
            let difference = try Self.maxDifference(file("alone"), file(name))
            #expect(difference <= Self.weightTolerance, "\(name): weights differ by up to \(difference)")
            let (a, b) = (losses["alone"]!, losses[name]!)
            #expect(abs(a.train - b.train) <= Self.lossTolerance, "\(name): train loss \(b.train) against \(a.train)")
            #expect(abs(a.validation - b.validation) <= Self.lossTolerance,
                    "\(name): validation loss \(b.validation) against \(a.validation)")
        }
    }

    @Test("classifier (rnn train --data): 1, 2 and 3 ranks train the single process's model")
    func classifier() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.classifierData(rows: 300, seed: 3).write(to: directory.appendingPathComponent("train.tsv"), atomically: true, encoding: .utf8)
        try Self.classifierData(rows: 60, seed: 4).write(to: directory.appendingPathComponent("dev.tsv"), atomically: true, encoding: .utf8)
        // 300 examples in batches of 32: the last batch (12) is split 4/4/4 on 3 ranks.
        try compareRankCounts(["train", "--data", "train.tsv", "--validation", "dev.tsv", "--cell", "lstm", "--input", "embedding",
                               "--hidden-size", "16", "--embedding-size", "16", "--dropout", "0", "--optimizer", "adam",
                               "--batch-size", "32", "--epochs", "3", "--threads", "1", "--quiet"], in: directory)
    }

    @Test("language model (rnn train-lm): 1, 2 and 3 ranks train the single process's model")
    func languageModel() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try LanguageModelCLITests.sampleText().write(to: directory.appendingPathComponent("text.txt"), atomically: true, encoding: .utf8)
        // 12 streams: 6/6 on 2 ranks, 4/4/4 on 3.
        try compareRankCounts(["train-lm", "--text", "text.txt", "--layers", "1", "--hidden-size", "32", "--embedding-size", "16",
                               "--dropout", "0", "--sequence-length", "20", "--batch-size", "12", "--epochs", "3",
                               "--threads", "1", "--quiet"], in: directory)
    }

    @Test("translation (rnn train-seq2seq): 1, 2 and 3 ranks train the single process's model")
    func translation() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // A toy language pair: each word has its translation, and the order is reversed.
        var rng = LanguageModelCLITests.SystemLCG(seed: 5)
        let source = ["der", "hund", "sieht", "die", "katze", "ein", "rotes", "haus", "am", "fluss"]
        let target = ["the", "dog", "sees", "the", "cat", "a", "red", "house", "by", "river"]
        for (name, count) in [("train", 120), ("val", 20)] {
            var sources: [String] = [], targets: [String] = []
            for _ in 0..<count {
                let ids = (0..<(2 + rng.next(5))).map { _ in rng.next(source.count) }
                sources.append(ids.map { source[$0] }.joined(separator: " "))
                targets.append(ids.reversed().map { target[$0] }.joined(separator: " "))
            }
            try (sources.joined(separator: "\n") + "\n").write(to: directory.appendingPathComponent("\(name).de"), atomically: true, encoding: .utf8)
            try (targets.joined(separator: "\n") + "\n").write(to: directory.appendingPathComponent("\(name).en"), atomically: true, encoding: .utf8)
        }
        // 120 pairs in batches of 16: the last batch (8) is split 2/3/3 on 3 ranks.
        try compareRankCounts(["train-seq2seq", "--source", "train.de", "--target", "train.en", "--validation-source", "val.de",
                               "--validation-target", "val.en", "--hidden-size", "16", "--embedding-size", "16", "--dropout", "0",
                               "--teacher-forcing", "1", "--batch-size", "16", "--epochs", "2", "--threads", "1", "--quiet"],
                              in: directory)
    }

    @Test("bad launches stop every rank with a clear error: more ranks than a batch, ranks given other data, the tutorial run")
    func badLaunches() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let text = LanguageModelCLITests.sampleText()
        try text.write(to: directory.appendingPathComponent("a.txt"), atomically: true, encoding: .utf8)
        try String(text.dropLast(200)).write(to: directory.appendingPathComponent("b.txt"), atomically: true, encoding: .utf8)
        let common = ["train-lm", "--layers", "1", "--hidden-size", "8", "--embedding-size", "8", "--sequence-length", "10",
                      "--epochs", "1", "--threads", "1", "--quiet", "--output", "m.safetensors"]

        let tooMany = try Self.run(common + ["--text", "a.txt", "--batch-size", "2"], ranks: 3, in: directory)
        #expect(tooMany.status != 0)
        for rank in 0..<3 {
            #expect(tooMany.stderr.contains("Error (rank \(rank) of 3): 3 ranks cannot share a global batch of 2 streams"),
                    "\(tooMany.stderr)")
        }

        // Two programs in one job (mpirun's MPMD form): rank 1 reads another text.
        let rnn = try LanguageModelCLITests.binary().path
        let other = try Self.run(common + ["--text", "a.txt", "--batch-size", "4", ":", "-np", "1", rnn]
                                 + common + ["--text", "b.txt", "--batch-size", "4"], ranks: 1, in: directory)
        #expect(other.status != 0)
        for rank in 0..<2 {
            #expect(other.stderr.contains("Error (rank \(rank) of 2): 1 of the 2 ranks see other training data"), "\(other.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("m.safetensors").path))

        let tutorial = try Self.run(["train", "--epochs", "1"], ranks: 2, in: directory)
        #expect(tutorial.status != 0)
        #expect(tutorial.stderr.contains("cannot be split across MPI ranks"), "\(tutorial.stderr)")
    }

    @Test("rnn info names the MPI library and the rank count under mpirun, and no MPI without it")
    func info() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let launched = try Self.run(["info"], ranks: 2, in: directory)
        #expect(launched.status == 0, "\(launched.stderr)")
        #expect(launched.stdout.contains("MPI: Open MPI v"), "\(launched.stdout)")
        #expect(launched.stdout.contains("rank 0 of 2"), "\(launched.stdout)")
        #expect(launched.stdout.components(separatedBy: "RNNKit ").count == 2, "rank 0 alone prints: \(launched.stdout)")
        let alone = try Self.run(["info"], ranks: nil, in: directory)
        #expect(alone.stdout.contains("MPI: not loaded"), "\(alone.stdout)")

        let missing = try Self.run(["info"], ranks: 2, in: directory, environment: ["RNNKIT_MPI_LIBRARY": "/nonexistent/libmpi.so"])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("no MPI library could be loaded (tried /nonexistent/libmpi.so"), "\(missing.stderr)")
    }

    /// The pids of `rnn` processes whose environment holds `marker` and MPI rank `rank`.
    static func rankProcesses(marker: String, rank: Int) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { name in
            guard let pid = Int32(name),
                  let environ = FileManager.default.contents(atPath: "/proc/\(name)/environ") else { return nil }
            let variables = Set(environ.split(separator: 0).map { String(decoding: $0, as: UTF8.self) })
            return variables.contains("RNNKIT_TEST_MARKER=\(marker)") && variables.contains("OMPI_COMM_WORLD_RANK=\(rank)")
                ? pid : nil
        }
    }

    @Test("killing one rank ends the job within seconds, non-zero; the checkpoint left resumes to the uninterrupted model, on 2 ranks or 3")
    func fault() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try LanguageModelCLITests.sampleText().write(to: directory.appendingPathComponent("text.txt"), atomically: true, encoding: .utf8)
        let arguments = ["train-lm", "--text", "text.txt", "--layers", "1", "--hidden-size", "32", "--embedding-size", "16",
                         "--sequence-length", "10", "--batch-size", "6", "--epochs", "5", "--threads", "1", "--quiet"]
        let checkpoint = directory.appendingPathComponent("ck/checkpoint.safetensors")
        let marker = UUID().uuidString
        var killedAt: Date?, victims: [Int32] = []
        let killed = try Self.run(arguments + ["--checkpoint-dir", "ck", "--output", "killed.safetensors"], ranks: 2,
                                  in: directory, marker: marker) { process in
            // After the first checkpoint, rank 1 dies as a crashed or lost machine would.
            let deadline = Date().addingTimeInterval(60)
            while !FileManager.default.fileExists(atPath: checkpoint.path) && Date() < deadline && process.isRunning {
                usleep(20_000)
            }
            victims = Self.rankProcesses(marker: marker, rank: 1)
            for pid in victims { kill(pid, SIGKILL) }
            killedAt = Date()
        }
        let ended = Date()
        try #require(victims.count == 1, "rank 1's process was not found while the job ran: \(killed.stderr)")
        let seconds = try #require(killedAt.map { ended.timeIntervalSince($0) })
        #expect(killed.status != 0)
        #expect(seconds < 15, "the job took \(seconds) s to end after a rank was killed")
        #expect(killed.stderr.contains("rank 1") && killed.stderr.contains("signal 9"), "\(killed.stderr)")
        try #require(FileManager.default.fileExists(atPath: checkpoint.path))
        try FileManager.default.copyItem(at: directory.appendingPathComponent("ck"), to: directory.appendingPathComponent("ck3"))

        let resumed = try Self.run(arguments + ["--checkpoint-dir", "ck", "--resume", "--output", "resumed.safetensors"],
                                   ranks: 2, in: directory)
        try #require(resumed.status == 0, "\(resumed.stderr)")
        let whole = try Self.run(arguments + ["--output", "whole.safetensors"], ranks: 2, in: directory)
        try #require(whole.status == 0, "\(whole.stderr)")
        #expect(try Data(contentsOf: directory.appendingPathComponent("resumed.safetensors"))
                == Data(contentsOf: directory.appendingPathComponent("whole.safetensors")))

        // The same checkpoint resumed on another rank count: the same model, up to rounding.
        let onThree = try Self.run(arguments + ["--checkpoint-dir", "ck3", "--resume", "--output", "three.safetensors"],
                                   ranks: 3, in: directory)
        try #require(onThree.status == 0, "\(onThree.stderr)")
        let difference = try Self.maxDifference(directory.appendingPathComponent("whole.safetensors"),
                                                directory.appendingPathComponent("three.safetensors"))
        #expect(difference <= Self.weightTolerance, "resumed on 3 ranks: weights differ by up to \(difference)")
    }
}
