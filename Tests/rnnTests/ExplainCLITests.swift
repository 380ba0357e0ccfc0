import Foundation
import Testing

// `rnn explain` run as a user runs it: the plain table, --json, --html, and its errors
// (the hostile rows are in HostileExplainTests.swift).

/// The shared tutorial model.
func explainedModel() throws -> String {
    let (path, run) = try trainedModel.get()
    try #require(run.exited && run.status == 0, "rnn train --output failed: \(run)")
    return path
}

/// A small character-level language model, trained once in a few seconds and shared.
let explainedLanguageModel: Result<String, Error> = Result {
    let folder = URL(fileURLWithPath: sharedModelDirectory + "-lm")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    atexit { try? FileManager.default.removeItem(atPath: sharedModelDirectory + "-lm") }
    let text = String(repeating: "the cat (sat) on \"the\" mat.\nthe dog (ran) to \"a\" log.\n", count: 40)
    try Data(text.utf8).write(to: folder.appendingPathComponent("text.txt"))
    let run = try CLI.run(["train-lm", "--text", "text.txt", "--epochs", "2", "--hidden-size", "8", "--embedding-size", "4",
                           "--batch-size", "4", "--sequence-length", "20", "--quiet", "--output", "lm.safetensors"], in: folder)
    guard run.exited && run.status == 0 else { throw CLI.NotFound(description: "train-lm failed: \(run)") }
    return folder.appendingPathComponent("lm.safetensors").path
}

@Suite("rnn explain")
struct ExplainCLITests {
    static let text = "this is not good at all"

    @Test("Plain output: the prediction, one row per word with its numbers, the sparkline, the units; no colour")
    func plainClassifier() throws {
        let run = try CLI.run(["explain", "--model", try explainedModel(), Self.text])
        #expect(run.exited && run.status == 0, "\(run)")
        let lines = run.lines
        try #require(lines.count == 10, "\(run)")
        #expect(lines[0].range(of: #"^"this is not good at all" → (negative|positive) [01]\.\d{3} \((negative|positive) [01]\.\d{3}\)$"#,
                               options: .regularExpression) != nil, "\(lines[0])")
        #expect(lines[1].range(of: #"^  token +p\(\w+\) +occlusion +grad×input +unit \d+ +unit \d+ +unit \d+$"#,
                               options: .regularExpression) != nil, "\(lines[1])")
        for (line, word) in zip(lines[2...7], Self.text.split(separator: " ")) {
            #expect(line.range(of: "^  \(word) +[01]\\.\\d{3} +[+-]\\d\\.\\d{3} +[+-]\\d+\\.\\d{3}( +[+-]\\d\\.\\d{3}){3}$",
                               options: .regularExpression) != nil, "\(line)")
        }
        #expect(lines[8].range(of: #"^  p\(\w+\) as it reads: [▁▂▃▄▅▆▇█]{6}$"#, options: .regularExpression) != nil, "\(lines[8])")
        #expect(lines[9].hasPrefix("  units by change over the text (Σ|Δh|): "))
        #expect(!run.stdout.contains("\u{1B}"), "no colour into a file")
        let colored = try CLI.run(["explain", "--model", try explainedModel(), "--color", "always", Self.text])
        #expect(colored.status == 0 && colored.stdout.contains("\u{1B}[48;2;"), "\(colored)")
        #expect(colored.lines.count == 11, "the coloured text line comes first")
    }

    @Test("--json: one object per text with the prediction, the tokens' numbers and the units; it agrees with predict")
    func json() throws {
        let model = try explainedModel()
        let run = try CLI.run(["explain", "--model", model, "--json"], input: "\(Self.text)\ni am very good\n")
        #expect(run.exited && run.status == 0, "\(run)")
        try #require(run.lines.count == 2, "\(run)")
        let predict = try CLI.run(["predict", "--model", model, "--json", Self.text])
        let predicted = try #require(try JSONSerialization.jsonObject(with: Data(predict.stdout.utf8)) as? [String: Any])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.lines[0].utf8)) as? [String: Any])
        #expect(Set(object.keys) == ["text", "label", "labels", "probabilities", "tokens", "skippedWords", "units"])
        #expect(object["label"] as? String == predicted["label"] as? String)
        let labels = try #require(object["labels"] as? [String])
        let probabilities = try #require(object["probabilities"] as? [Double])
        let expected = try #require(predicted["probabilities"] as? [String: Double])
        for (label, p) in zip(labels, probabilities) { #expect(abs(p - expected[label]!) < 1e-5) }
        let tokens = try #require(object["tokens"] as? [[String: Any]])
        #expect(tokens.map { $0["text"] as? String } == Self.text.split(separator: " ").map(String.init))
        for token in tokens {
            #expect(Set(token.keys) == ["text", "known", "probabilities", "occlusion", "gradientTimesInput"], "\(token)")
        }
        let units = try #require(object["units"] as? [[String: Any]])
        #expect(units.count == 3 && units.allSatisfy { ($0["activations"] as? [Double])?.count == 6 })
        #expect(!run.stdout.contains("nan") && !run.stdout.contains("inf"))
    }

    @Test("--html writes one self-contained page: inline style and SVG, no script, no URL")
    func html() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rnn-explain-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = try CLI.run(["explain", "--model", try explainedModel(), "--html", "page.html", Self.text, "i <b>am</b> good"],
                              in: folder)
        #expect(run.exited && run.status == 0, "\(run)")
        #expect(run.stderr.hasPrefix("wrote page.html (2 texts)."), "\(run)")
        let page = try String(contentsOf: folder.appendingPathComponent("page.html"), encoding: .utf8)
        #expect(page.hasPrefix("<!DOCTYPE html>") && page.hasSuffix("</html>\n"))
        #expect(page.contains("<style>") && page.components(separatedBy: "<svg ").count == 3)
        for word in Self.text.split(separator: " ") { #expect(page.contains(">\(word)</span>")) }
        #expect(page.contains("&lt;b&gt;am&lt;/b&gt;") && !page.contains("<b>am</b>"), "text is escaped")
        for outside in ["http", "<script", "src=", "url(", "@import"] { #expect(!page.contains(outside), "\(outside)") }
    }

    @Test("A language model: probability and surprisal per character, --unit, --json and --html")
    func languageModel() throws {
        let model = try explainedLanguageModel.get()
        let text = "the cat (ran)"
        let run = try CLI.run(["explain", "--model", model, "--unit", "2", "--unit", "5", text])
        #expect(run.exited && run.status == 0, "\(run)")
        let lines = run.lines
        try #require(lines.count == 4 + text.count, "\(run)")
        #expect(lines[0].range(of: #"^"the cat \(ran\)" — \d+\.\d{3} bits per character over 12 predicted characters$"#,
                               options: .regularExpression) != nil, "\(lines[0])")
        #expect(lines[1].range(of: #"^  pos +character +p +bits +unit 2 +unit 5$"#, options: .regularExpression) != nil, "\(lines[1])")
        #expect(lines[2].range(of: #"^  0 +t +— +— +[+-]\d\.\d{3} +[+-]\d\.\d{3}$"#, options: .regularExpression) != nil, "\(lines[2])")
        #expect(lines[5].range(of: #"^  3 +␣ +0\.\d{3} +\d+\.\d{3} "#, options: .regularExpression) != nil, "\(lines[5])")
        #expect(lines[lines.count - 2].hasPrefix("  bits as it reads: "))
        #expect(lines.last?.range(of: #"^  units: 2 (follows [a-z ]+ \(r [+-]\d\.\d{3}\), )?variance \d\.\d{3}; 5 "#,
                                  options: .regularExpression) != nil, "\(lines.last!)")

        #expect(!run.stdout.contains("\u{1B}"))
        let colored = try CLI.run(["explain", "--model", model, "--unit", "2", "--unit", "5", "--color", "always", text])
        #expect(colored.lines.count == lines.count + 3, "the text coloured by surprisal, then by each unit\n\(colored)")
        #expect(colored.lines[2].hasPrefix("  u2") && colored.stdout.contains("\u{1B}[48;2;"), "\(colored)")

        let json = try CLI.run(["explain", "--model", model, "--json", text])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(Set(object.keys) == ["text", "level", "tokens", "meanSurprisal", "units"])
        let tokens = try #require(object["tokens"] as? [[String: Any]])
        #expect(tokens.count == text.count && tokens[0]["probability"] == nil && tokens[1]["surprisal"] is Double)
        for token in tokens.dropFirst() {
            let p = try #require(token["probability"] as? Double), bits = try #require(token["surprisal"] as? Double)
            #expect(abs(bits + log2(p)) < 1e-4)
        }
        let units = try #require(object["units"] as? [[String: Any]])
        #expect(units.count == 3, "3 units by default")
        #expect(units.allSatisfy { ["inside parentheses", "position in line"].contains($0["feature"] as? String) }, "\(units)")

        let folder = URL(fileURLWithPath: model).deletingLastPathComponent()
        let html = try CLI.run(["explain", "--model", model, "--unit", "1", "--html", "lm.html", text], in: folder)
        #expect(html.status == 0, "\(html)")
        let page = try String(contentsOf: folder.appendingPathComponent("lm.html"), encoding: .utf8)
        #expect(page.contains("<h3>Unit 1 ") && page.contains(">(</span>") && !page.contains("http"))
    }
}
