import Foundation
import Testing

/// `rnn train --model bow` and `--compare`, and a baseline's file in predict, evaluate, explain and serve.
@Suite("rnn train --model bow")
struct BaselineCLITests {
    /// Short reviews whose words say their label, 30 each way, and 10 for testing.
    static func data(in folder: URL) throws {
        let good = ["good", "great", "fine", "lovely", "superb"], bad = ["bad", "awful", "dull", "boring", "poor"]
        var train = "text\tscore\n", test = "text\tscore\n"
        for k in 0..<40 {
            let g = "a \(good[k % 5]) film , \(good[(k + 2) % 5]) acting", b = "a \(bad[k % 5]) film , \(bad[(k + 3) % 5]) plot"
            if k < 30 { train += "\(g)\t1\n\(b)\t-1\n" } else { test += "\(g)\t1\n\(b)\t-1\n" }
        }
        try train.write(to: folder.appendingPathComponent("train.tsv"), atomically: true, encoding: .utf8)
        try test.write(to: folder.appendingPathComponent("test.tsv"), atomically: true, encoding: .utf8)
    }

    @Test("trains, saves, and the file works in predict, evaluate and serve; explain says why not")
    func baseline() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rnn-bow-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Self.data(in: folder)
        let labels = ["--label-column", "score", "--threshold", "0"]
        let train = try CLI.run(["train", "--data", "train.tsv", "--test", "test.tsv", "--model", "bow", "--output", "bow.safetensors"] + labels,
                                in: folder)
        #expect(train.exited && train.status == 0, "\(train)")
        #expect(train.stdout.contains("model: bag of n-grams (words and word pairs, tf-idf), logistic regression C 4;"), "\(train)")
        #expect(train.stdout.contains("test: loss ") && train.stdout.contains("accuracy 1.0000"), "\(train)")
        #expect(train.stdout.hasSuffix("Saved model to bow.safetensors\n"), "\(train)")

        let predicted = try CLI.run(["predict", "--model", "bow.safetensors", "--json", "a superb film", "a dull film"], in: folder)
        #expect(predicted.exited && predicted.status == 0, "\(predicted)")
        #expect(predicted.lines.map { $0.contains("\"label\": \"positive\"") } == [true, false], "\(predicted)")
        let evaluated = try CLI.run(["evaluate", "--model", "bow.safetensors", "--data", "test.tsv"] + labels, in: folder)
        #expect(evaluated.exited && evaluated.status == 0 && evaluated.stdout.contains("accuracy: 1.0000"), "\(evaluated)")
        let explained = try CLI.run(["explain", "--model", "bow.safetensors", "a good film"], in: folder)
        #expect(explained.status == 1 && explained.stderr.contains("a bag-of-n-grams classifier reads no sequence"), "\(explained)")

        let server = try Server(["--model", folder.appendingPathComponent("bow.safetensors").path])
        defer { _ = server.stop() }
        let c = try HTTPConnection(port: server.port)
        let answer = try c.ask("POST", "/v1/models/bow:predict", json: #"{"instances": ["a lovely film"]}"#)
        #expect(answer.status == 200 && (answer.json?["predictions"] as? [[String: Any]])?.first?["label"] as? String == "positive",
                "\(answer)")
        let info = try c.ask("GET", "/v1/models/bow")
        #expect(info.json?["task"] as? String == "bag_of_ngrams" && info.json?["labels"] as? [String] == ["negative", "positive"])
        let explain = try c.ask("POST", "/v1/models/bow:explain", json: #"{"instances": ["a lovely film"]}"#)
        #expect(explain.status == 400, "\(explain)")
    }

    @Test("texts with no n-gram the model knows are counted out loud, not silently left out of a score")
    func unknownTexts() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rnn-bow-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Self.data(in: folder)
        let test = try String(contentsOf: folder.appendingPathComponent("test.tsv"), encoding: .utf8) + "zzq zzr\t1\nzzs\t-1\n"
        try test.write(to: folder.appendingPathComponent("test.tsv"), atomically: true, encoding: .utf8)
        let train = try CLI.run(["train", "--data", "train.tsv", "--test", "test.tsv", "--model", "bow", "--label-column", "score",
                                 "--threshold", "0"], in: folder)
        #expect(train.exited && train.status == 0, "\(train)")
        #expect(train.stdout.contains("accuracy 1.0000 (20 of 22 texts)"), "\(train)")
        #expect(train.stderr.contains("warning: 2 of the 22 test texts (test.tsv) have no n-gram the model knows and were left out of its scores."),
                "\(train)")
    }

    @Test("a test label the training texts never had is told before fitting, with its line")
    func unseenTestLabel() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rnn-bow-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try "text\tlabel\na good film\tpos\na bad film\tneg\n".write(to: folder.appendingPathComponent("train.tsv"), atomically: true, encoding: .utf8)
        try "text\tlabel\na fine film\tpos\nan odd film\tmeh\n".write(to: folder.appendingPathComponent("test.tsv"), atomically: true, encoding: .utf8)
        let run = try CLI.run(["train", "--data", "train.tsv", "--validation", "train.tsv", "--test", "test.tsv", "--model", "bow",
                               "--label-column", "label"], in: folder)
        #expect(run.exited && run.status == 1 && !run.stdout.contains("fitted"), "\(run)")
        #expect(run.stderr.contains("test.tsv:3: the label `meh` never occurs in the training data (labels: neg, pos)"), "\(run)")
    }

    @Test("--compare: the RNN and the baseline on the same split, side by side")
    func compare() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rnn-bow-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Self.data(in: folder)
        let run = try CLI.run(["train", "--data", "train.tsv", "--test", "test.tsv", "--label-column", "score", "--threshold", "0",
                               "--compare", "--epochs", "2", "--hidden-size", "8", "--embedding-size", "8", "--min-count", "1"], in: folder)
        #expect(run.exited && run.status == 0, "\(run)")
        let lines = run.lines
        let header = try #require(lines.firstIndex { $0.hasPrefix("compared on the same 54 training texts (accuracy):") }, "\(run)")
        try #require(lines.count >= header + 4, "\(run)")
        #expect(lines[header + 1].split(separator: " ", omittingEmptySubsequences: true).prefix(1) == ["model"])
        #expect(lines[header + 2].hasPrefix("  rnn: rnn_tanh, embedding 8, hidden 8"), "\(lines[header + 2])")
        #expect(lines[header + 3].hasPrefix("  bow: bag of n-grams"), "\(lines[header + 3])")
        #expect(lines[header + 3].contains("1.0000"), "the baseline separates these texts: \(lines[header + 3])")
    }

    @Test(arguments: [
        (["train", "--model", "bow"], "Error: --model bow and --compare need --data."),
        (["train", "--data", "x.tsv", "--max-ngram", "3"], "Error: --max-ngram sets the bag-of-n-grams baseline; give it with --model bow or --compare."),
        (["train", "--data", "x.tsv", "--ngram-weighting", "nb"], "Error: --ngram-weighting sets the bag-of-n-grams baseline; give it with --model bow or --compare."),
        (["train", "--data", "x.tsv", "--model", "bow", "--report", "r"], "Error: --report follows an RNN's epochs; the bag of n-grams is fitted in one go (--model bow)."),
        (["train", "--data", "x.tsv", "--model", "bow", "--epochs", "3"], "Error: --epochs sets the RNN, which --model bow does not train (it fits a bag of n-grams); leave it out."),
        (["train", "--data", "x.tsv", "--model", "bow", "--max-vocab", "100"], "Error: --max-vocab sets the RNN, which --model bow does not train (it fits a bag of n-grams); leave it out."),
        (["train", "--data", "x.tsv", "--model", "bow", "--max-ngram", "9"], "Error: --model bow: the longest n-gram must be between 1 and 5 (got 9)."),
        (["train", "--data", "x.tsv", "--model", "bow", "--inverse-regularization", "0"], "Error: --model bow: C (the inverse regularization) must be a positive number (got 0.0)."),
        (["train", "--data", "x.tsv", "--model", "bow", "--compare"], "Error: --compare trains the RNN and the baseline; give it without --model bow."),
    ])
    func refusals(_ arguments: [String], _ message: String) throws {
        let run = try CLI.run(arguments)
        #expect(run.exited && run.status == 64, "\(run)")
        #expect(run.stderr.hasPrefix(message), "\(run)")
    }
}
