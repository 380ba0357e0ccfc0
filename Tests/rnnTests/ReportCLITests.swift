import Foundation
import Testing

// `rnn train --report/--tensorboard` and `rnn train-lm`'s: the files they write, and the hostile
// cases (report folders and files that cannot be written, reports that would destroy an input).

private let text = String(repeating: "the quick brown fox jumps over the lazy dog. ", count: 40)

private func folder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("rnn-report-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

private func eventFiles(_ dir: URL) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).filter { $0.hasPrefix("events.out.tfevents.") }
}

@Suite("Training reports from the command line")
struct ReportCLITests {
    @Test func trainWritesReportAndEvents() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = try CLI.run(["train", "--epochs", "20", "--report-every", "5", "--report", "rep", "--tensorboard", "runs/a"], in: dir)
        #expect(run.status == 0, "\(run)")
        #expect(run.stdout.contains("Wrote rep/metrics.jsonl and rep/report.html"))
        let lines = try String(contentsOf: dir.appendingPathComponent("rep/metrics.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 4)
        let epochs = try lines.map { try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])["epoch"] as? Int }
        #expect(epochs == [5, 10, 15, 20])
        #expect(lines.allSatisfy { $0.contains("\"test_accuracy\":") && !$0.contains("validation_loss") })
        let html = try String(contentsOf: dir.appendingPathComponent("rep/report.html"), encoding: .utf8)
        #expect(!html.contains("http://") && !html.contains("https://") && !html.contains("<script"))
        // No validation set in the tutorial: the matrix is on the test set, and says so.
        #expect(html.contains("Confusion matrix (test data, built-in)"))
        #expect(html.components(separatedBy: "<svg").count - 1 == 3)
        #expect(html.contains("Most confident mistakes"))
        #expect(html.contains("rnn train --epochs 20"))
        let events = eventFiles(dir.appendingPathComponent("runs/a"))
        #expect(events.count == 1)
        #expect(run.stdout.contains("Wrote runs/a/events.out.tfevents."))
        // A second run beside it (maybe in the same second): a new event file, the first one untouched.
        let first = try Data(contentsOf: dir.appendingPathComponent("runs/a/\(events[0])"))
        let again = try CLI.run(["train", "--epochs", "2", "--report-every", "1", "--tensorboard", "runs/a", "--quiet"], in: dir)
        #expect(again.status == 0, "\(again)")
        #expect(eventFiles(dir.appendingPathComponent("runs/a")).count == 2)
        #expect(try Data(contentsOf: dir.appendingPathComponent("runs/a/\(events[0])")) == first)
    }

    @Test func trainLMWritesReport() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data(text.utf8).write(to: dir.appendingPathComponent("t.txt"))
        let run = try CLI.run(["train-lm", "--text", "t.txt", "--epochs", "2", "--hidden-size", "16", "--batch-size", "4",
                               "--sequence-length", "16", "--output", "lm.safetensors", "--report", "rep", "--tensorboard", "tb"], in: dir)
        #expect(run.status == 0, "\(run)")
        let lines = try String(contentsOf: dir.appendingPathComponent("rep/metrics.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.allSatisfy { $0.contains("\"validation_perplexity\":") && !$0.contains("accuracy") })
        let html = try String(contentsOf: dir.appendingPathComponent("rep/report.html"), encoding: .utf8)
        #expect(html.contains("Bits per character"))
        #expect(html.contains("finished: 2 epochs"))
        #expect(!html.contains("Confusion matrix"))
        #expect(eventFiles(dir.appendingPathComponent("tb")).count == 1)
    }

    static let data = "text\tlabel\ngood film\tpositive\nbad film\tnegative\nfine film\tpositive\nawful film\tnegative\n"

    static let cases: [HostileCase] = [
        HostileCase(name: "--report is a file", files: ["rep": "mine"],
                    arguments: ["train", "--epochs", "2", "--report", "rep"], status: 1,
                    firstLine: "Error: --report rep: it is a file, not a folder. Choose another --report.", unchanged: ["rep"]),
        HostileCase(name: "--tensorboard is a file", files: ["tb": "mine"],
                    arguments: ["train", "--epochs", "2", "--tensorboard", "tb"], status: 1,
                    firstLine: "Error: --tensorboard tb: it is a file, not a folder. Choose another --tensorboard.",
                    unchanged: ["tb"]),
        HostileCase(name: "--report's report.html is a folder", setup: {
                        try FileManager.default.createDirectory(at: $0.appendingPathComponent("rep/report.html"),
                                                                withIntermediateDirectories: true) },
                    arguments: ["train", "--epochs", "2", "--report", "rep"], status: 1,
                    firstLine: "Error: --report rep/report.html: it is a folder, not a regular file", unchanged: ["rep/metrics.jsonl"]),
        HostileCase(name: "--report's metrics.jsonl is read-only", files: ["rep/metrics.jsonl": "{}\n"],
                    setup: { chmod($0.appendingPathComponent("rep/metrics.jsonl").path, 0o444) },
                    arguments: ["train", "--epochs", "2", "--report", "rep"], status: 1,
                    firstLine: "Error: --report rep/metrics.jsonl: the file is read-only", unchanged: ["rep/metrics.jsonl"]),
        HostileCase(name: "--report would overwrite --data", files: ["rep/metrics.jsonl": data],
                    arguments: ["train", "--data", "rep/metrics.jsonl", "--format", "tsv", "--report", "rep"], status: 1,
                    firstLine: "Error: --report rep/metrics.jsonl: it is the same file as --data rep/metrics.jsonl;",
                    unchanged: ["rep/metrics.jsonl"]),
        HostileCase(name: "--output is the report page",
                    arguments: ["train", "--epochs", "2", "--report", "rep", "--output", "rep/report.html"], status: 1,
                    firstLine: "Error: --output rep/report.html: it is the file --report writes", unchanged: ["rep/report.html"]),
        HostileCase(name: "train-lm --report would overwrite --text", files: ["rep/report.html": text],
                    arguments: ["train-lm", "--text", "rep/report.html", "--output", "lm.safetensors", "--report", "rep"], status: 1,
                    firstLine: "Error: --report rep/report.html: it is the same file as --text rep/report.html;",
                    unchanged: ["rep/report.html", "lm.safetensors"]),
        HostileCase(name: "--tensorboard folder cannot be made", files: ["f": "a file"],
                    arguments: ["train", "--epochs", "2", "--tensorboard", "f/runs"], status: 1,
                    firstLine: "Error: --tensorboard f/runs: cannot create the folder (Not a directory).", unchanged: ["f"]),
    ]

    @Test("Report outputs", arguments: cases)
    func hostile(_ c: HostileCase) throws {
        try c.check()
    }
}
