import Foundation
import Testing

/// `rnn train --model rnn+bow`, and its file in predict, evaluate, explain and serve.
@Suite("rnn train --model rnn+bow")
struct WideAndDeepCLITests {
    @Test("trains, saves, and the file works in predict, evaluate and serve; explain says it cannot yet")
    func hybrid() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rnn-hybrid-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try BaselineCLITests.data(in: folder)
        let labels = ["--label-column", "score", "--threshold", "0"]
        let train = try CLI.run(["train", "--data", "train.tsv", "--test", "test.tsv", "--model", "rnn+bow", "--epochs", "2",
                                 "--hidden-size", "8", "--embedding-size", "8", "--min-count", "1", "--threads", "1",
                                 "--output", "hybrid.safetensors"] + labels, in: folder)
        #expect(train.exited && train.status == 0, "\(train)")
        #expect(train.stdout.contains("model: rnn_tanh, embedding 8, hidden 8, dropout 0.5, max pooling + bag of n-grams"), "\(train)")
        #expect(train.stdout.contains("n-gram weights from zero, SGD lr 64.0"), "\(train)")
        #expect(train.stdout.contains("bag of n-grams (words and word pairs, tf-idf times Naive Bayes ratios)"), "\(train)")
        #expect(train.stdout.contains("test: loss ") && train.stdout.contains("accuracy 1.0000"), "\(train)")
        #expect(train.stdout.hasSuffix("Saved model to hybrid.safetensors\n"), "\(train)")

        let predicted = try CLI.run(["predict", "--model", "hybrid.safetensors", "--json", "a superb film", "a dull film"], in: folder)
        #expect(predicted.exited && predicted.status == 0, "\(predicted)")
        #expect(predicted.lines.map { $0.contains("\"label\": \"positive\"") } == [true, false], "\(predicted)")
        let evaluated = try CLI.run(["evaluate", "--model", "hybrid.safetensors", "--data", "test.tsv"] + labels, in: folder)
        #expect(evaluated.exited && evaluated.status == 0 && evaluated.stdout.contains("accuracy: 1.0000"), "\(evaluated)")
        let explained = try CLI.run(["explain", "--model", "hybrid.safetensors", "a good film"], in: folder)
        #expect(explained.status == 1 && explained.stderr.contains("explanations of a wide-and-deep classifier"), "\(explained)")

        let server = try Server(["--model", folder.appendingPathComponent("hybrid.safetensors").path])
        defer { _ = server.stop() }
        let c = try HTTPConnection(port: server.port)
        let answer = try c.ask("POST", "/v1/models/hybrid:predict", json: #"{"instances": ["a lovely film"]}"#)
        #expect(answer.status == 200 && (answer.json?["predictions"] as? [[String: Any]])?.first?["label"] as? String == "positive",
                "\(answer)")
        let info = try c.ask("GET", "/v1/models/hybrid")
        #expect(info.json?["task"] as? String == "wide_and_deep" && info.json?["labels"] as? [String] == ["negative", "positive"])
        let explain = try c.ask("POST", "/v1/models/hybrid:explain", json: #"{"instances": ["a lovely film"]}"#)
        #expect(explain.status == 400, "\(explain)")
    }

    @Test(arguments: [
        (["train", "--model", "rnn+bow"], "Error: --model rnn+bow needs --data."),
        (["train", "--data", "x.tsv", "--wide-learning-rate", "1"], "Error: --wide-learning-rate sets the n-gram part of --model rnn+bow; give it with --model rnn+bow."),
        (["train", "--data", "x.tsv", "--model", "rnn+bow", "--wide-learning-rate", "nan"], "Error: --wide-learning-rate must be between 0 (the n-gram weights stay as they start) and 10000 (got nan)."),
        (["train", "--data", "x.tsv", "--model", "rnn+bow", "--checkpoint-dir", "c"], "Error: --checkpoint-dir is not available with --model rnn+bow yet; train without it."),
        (["train", "--data", "x.tsv", "--model", "rnn+bow", "--compare"], "Error: --compare trains the RNN and the baseline; give it without --model rnn+bow."),
        (["train", "--data", "x.tsv", "--model", "rnn+bow", "--pretrain"], "Error: --init-from and --pretrain start the RNN recipe from a language model; --model rnn+bow does not take them."),
        (["train", "--data", "x.tsv", "--model", "bow", "--init-from", "lm.safetensors"], "Error: --init-from and --pretrain start the RNN recipe from a language model; --model bow does not take them."),
        (["train", "--pretrain"], "Error: --init-from and --pretrain start an RNN from a language model; give them with --data."),
    ])
    func refusals(_ arguments: [String], _ message: String) throws {
        let run = try CLI.run(arguments)
        #expect(run.exited && run.status == 64, "\(run)")
        #expect(run.stderr.hasPrefix(message), "\(run)")
    }

    @Test("a wide learning rate and L2 strength whose steps would diverge are refused before training, naming both flags")
    func divergentWidePart() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rnn-hybrid-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try BaselineCLITests.data(in: folder)
        let run = try CLI.run(["train", "--data", "train.tsv", "--model", "rnn+bow", "--inverse-regularization", "1e-9", "--epochs", "1",
                               "--hidden-size", "8", "--embedding-size", "8", "--min-count", "1", "--output", "h.safetensors",
                               "--label-column", "score", "--threshold", "0"], in: folder)
        #expect(run.exited && run.status == 1 && run.stderr.contains("must be below 1, or the n-gram weights diverge: "
                                                                     + "lower --wide-learning-rate or raise --inverse-regularization."), "\(run)")
        #expect(!run.stdout.contains("epoch") && !FileManager.default.fileExists(atPath: folder.appendingPathComponent("h.safetensors").path))
    }
}
