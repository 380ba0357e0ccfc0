import Foundation
import Testing

/// The library explains a bad data file in its own terms; `rnn` shows the same explanation with
/// its flags as the remedies.
@Suite("rnn data file errors")
struct DataFileCLITests {
    /// Writes `contents` to a fresh file called `name` and runs `rnn train --data` on it with `arguments`.
    private func train(on contents: String, name: String, _ arguments: [String] = []) throws -> (Run, String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rnn-data-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent(name).path
        try Data(contents.utf8).write(to: URL(fileURLWithPath: path))
        return (try CLI.run(["train", "--data", path, "--epochs", "1"] + arguments), path)
    }

    @Test("Remedies name rnn's flags, not DataFileOptions", arguments: [
        ("text\tlabel\ngood\tpositive\n", "data.txt", [String](), "cannot tell the format", "Pass --format csv|tsv|jsonl."),
        ("id\treview\tlabel\n1\tgood\tpositive\n", "d.tsv", [], "no column is named `text`", "Pass --text-column with one of the header's names"),
        ("text,label\ngood,positive\n", "d.tsv", [], "commas but no tabs", "pass --format csv"),
        ("0.5\tgreat film\n", "d.tsv", [], "no column is named", "use --no-header"),
        ("text\tlabel\ngood\tpositive\nbad\n", "d.tsv", [], ":3: has 1 tab-separated field", "pass --skip-invalid"),
        ("text\tscore\ngood\tnice\n", "d.tsv", ["--label-column", "score", "--threshold", "0"], "not a number", "leave out --threshold"),
        ("{\"review\": \"good\", \"label\": \"positive\"}\n", "d.jsonl", [], "has no key `text`", "Pass --text-column with the key"),
    ])
    func hintsNameFlags(contents: String, name: String, arguments: [String], problem: String, hint: String) throws {
        let (run, path) = try train(on: contents, name: name, arguments)
        #expect(run.exited && run.status != 0, "\(run)")
        #expect(run.stderr.contains(path), "\(run)")
        #expect(run.stderr.contains(problem), "\(run)")
        #expect(run.stderr.contains(hint), "\(run)")
        #expect(!run.stderr.contains("DataFileOptions"), "library wording leaked: \(run)")
    }

    @Test("Skipped rows are listed with the CLI's wording")
    func skippedRows() throws {
        let (run, _) = try train(on: "text\tscore\ngood\t1\nbad\t-1\nugly\tvery\nfine\t2\nawful\t-2\n", name: "d.tsv",
                                 ["--label-column", "score", "--threshold", "0", "--skip-invalid"])
        #expect(run.exited && run.status == 0, "\(run)")
        #expect(run.stderr.contains("skipped 1 invalid row(s)"), "\(run)")
        #expect(run.stderr.contains(":4: label `very` is not a number"), "\(run)")
        #expect(run.stderr.contains("--threshold") && !run.stderr.contains("DataFileOptions"), "\(run)")
    }
}
