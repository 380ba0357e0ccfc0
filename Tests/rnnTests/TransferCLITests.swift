import Foundation
import Testing

/// `rnn train-lm --data`, `rnn train --init-from` and `rnn train --pretrain`, end to end on a
/// small file, and their errors.
@Suite("rnn train --init-from and --pretrain")
struct TransferCLITests {
    static let labels = ["--label-column", "score", "--threshold", "0"]
    static let small = ["--hidden-size", "8", "--embedding-size", "8", "--min-count", "1"]

    /// 200 short reviews whose words say their label, and 20 for testing.
    static func folder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rnn-transfer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let good = ["good", "great", "fine", "lovely", "superb"], bad = ["bad", "awful", "dull", "boring", "poor"]
        var train = "id\tscore\ttext\n", test = "id\tscore\ttext\n"
        for k in 0..<110 {
            let g = "A \(good[k % 5]) film , with \(good[(k + 2) % 5]) acting and a story", b = "A \(bad[k % 5]) film , with \(bad[(k + 3) % 5]) acting and a plot"
            if k < 100 { train += "\(k)\t1.5\t\(g)\n\(k)\t-1.5\t\(b)\n" } else { test += "\(k)\t1\t\(g)\n\(k)\t-1\t\(b)\n" }
        }
        try train.write(to: folder.appendingPathComponent("train.tsv"), atomically: true, encoding: .utf8)
        try test.write(to: folder.appendingPathComponent("test.tsv"), atomically: true, encoding: .utf8)
        try "The film was a story.\n\nAnother plot , with acting .\n".write(to: folder.appendingPathComponent("more.txt"), atomically: true, encoding: .utf8)
        return folder
    }

    @Test("train-lm --data learns the text column (lowercased, <eos> between texts); train --init-from starts from it")
    func initFrom() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let lm = try CLI.run(["train-lm", "--data", "train.tsv", "--level", "word", "--cell", "gru", "--layers", "1",
                              "--hidden-size", "8", "--embedding-size", "8", "--batch-size", "4", "--sequence-length", "8",
                              "--output", "lm.safetensors"], in: folder)
        #expect(lm.exited && lm.status == 0, "\(lm)")
        // 200 texts of 10 words, each followed by <eos>.
        #expect(lm.stdout.contains("train.tsv: 2200 words"), "\(lm)")
        let vocabulary = try Self.vocabulary(of: folder.appendingPathComponent("lm.safetensors"))
        #expect(vocabulary.prefix(2) == ["<unk>", "<eos>"] && vocabulary.contains("a") && !vocabulary.contains("A"))

        let train = try CLI.run(["train", "--data", "train.tsv", "--test", "test.tsv", "--init-from", "lm.safetensors",
                                 "--epochs", "3", "--min-count", "1", "--output", "m.safetensors"] + Self.labels, in: folder)
        #expect(train.exited && train.status == 0, "\(train)")
        #expect(train.stdout.contains("started from the language model: "), "\(train)")
        #expect(train.stdout.contains("model: gru, embedding 8, hidden 8"), "\(train)")
        let predicted = try CLI.run(["predict", "--model", "m.safetensors", "a lovely film"], in: folder)
        #expect(predicted.exited && predicted.status == 0, "\(predicted)")

        // A network option that disagrees with the model, a classifier, a character-level model.
        let conflict = try CLI.run(["train", "--data", "train.tsv", "--init-from", "lm.safetensors", "--hidden-size", "16"]
                                   + Self.labels, in: folder)
        #expect(conflict.status == 1 && conflict.stderr.contains("--hidden-size 16 disagrees with the language model lm.safetensors, whose value is 8"),
                "\(conflict)")
        let classifier = try CLI.run(["train", "--data", "train.tsv", "--init-from", "m.safetensors"] + Self.labels, in: folder)
        #expect(classifier.status == 1 && classifier.stderr.contains("--init-from takes a language model"), "\(classifier)")
        let chars = try CLI.run(["train-lm", "--text", "more.txt", "--batch-size", "2", "--sequence-length", "4",
                                 "--hidden-size", "8", "--embedding-size", "8", "--output", "chars.safetensors"], in: folder)
        #expect(chars.status == 0, "\(chars)")
        let charStart = try CLI.run(["train", "--data", "train.tsv", "--init-from", "chars.safetensors"] + Self.labels, in: folder)
        #expect(charStart.status == 1 && charStart.stderr.contains("is a character-level language model"), "\(charStart)")
        let fineTuningAlone = try CLI.run(["train", "--data", "train.tsv", "--layer-decay", "2"] + Self.labels, in: folder)
        #expect(fineTuningAlone.status != 0 && fineTuningAlone.stderr.contains("give it with --init-from or --pretrain"), "\(fineTuningAlone)")
    }

    @Test("--pretrain: pretrains on the training texts and --unlabeled lines, then fine-tunes, in one command")
    func pretrain() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = try CLI.run(["train", "--data", "train.tsv", "--test", "test.tsv", "--pretrain", "--unlabeled", "more.txt",
                               "--pretrain-epochs", "1", "--epochs", "3", "--output", "m.safetensors"] + Self.labels + Self.small,
                              in: folder)
        #expect(run.exited && run.status == 0, "\(run)")
        // 90% of the 200 texts stay in training (180 × 11 tokens with <eos>), and the 2 lines of more.txt.
        #expect(run.stdout.contains("pretraining a word-level language model on "), "\(run)")
        #expect(run.stdout.contains("  language model epoch 1  train loss "), "\(run)")
        #expect(run.stdout.contains("started from the language model: "), "\(run)")
        #expect(run.stdout.contains("Saved model to m.safetensors"), "\(run)")
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("m.safetensors").path))

        let tooShort = try CLI.run(["train", "--data", "test.tsv", "--pretrain"] + Self.labels + Self.small, in: folder)
        #expect(tooShort.status == 1 && tooShort.stderr.contains("too few to pretrain on"), "\(tooShort)")
    }

    /// The `rnnkit.vocabulary` of a model file.
    static func vocabulary(of url: URL) throws -> [String] {
        let bytes = try Data(contentsOf: url)
        let n = bytes.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let header = try JSONSerialization.jsonObject(with: bytes.subdata(in: 8..<(8 + n))) as? [String: Any]
        let metadata = header?["__metadata__"] as? [String: String]
        let text = metadata?["rnnkit.vocabulary"] ?? "[]"
        return try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String] ?? []
    }
}

extension TransferCLITests {
    @Test("--pretrain refuses what it cannot honour: two directions, resuming, held-out texts as unlabelled text; a binary text is refused")
    func pretrainRefusals() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        func refused(_ extra: [String], _ message: String) throws {
            let r = try CLI.run(["train", "--data", "train.tsv", "--pretrain", "--output", "m.safetensors"] + extra + Self.labels + Self.small,
                                in: folder)
            #expect(r.exited && r.status != 0 && r.stderr.contains(message), "\(r)")
            #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("m.safetensors").path))
        }
        // It trained one direction, silently, before.
        try refused(["--bidirectional"], "--bidirectional cannot start from a language model")
        try refused(["--checkpoint-dir", "ck", "--resume"], "is not available with --pretrain, whose pretraining is not checkpointed")
        // The test texts must stay unseen by pretraining.
        try refused(["--test", "test.tsv", "--unlabeled", "test.tsv"], "--unlabeled test.tsv is the same file as --test test.tsv")
        try "ab\ncd\0ef\n".write(to: folder.appendingPathComponent("zeros.txt"), atomically: true, encoding: .utf8)
        try refused(["--unlabeled", "zeros.txt"], "zeros.txt:2: contains a NUL byte")
        let lm = try CLI.run(["train-lm", "--text", "zeros.txt", "--output", "lm.safetensors"], in: folder)
        #expect(lm.exited && lm.status != 0 && lm.stderr.contains("zeros.txt:2: contains a NUL byte"), "\(lm)")
    }
}
