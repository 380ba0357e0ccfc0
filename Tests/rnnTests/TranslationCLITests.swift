import Foundation
import Testing

// `rnn translate`, `rnn evaluate` and `rnn explain` on translation models, run as a user runs
// them; the bad inputs are a HostileCase table at the end.

/// data/translation-sample in this checkout.
let translationSample = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("data/translation-sample")

/// A tiny translation model (embeddings and hidden 16, two epochs on the sample's pairs; every
/// word kept): a few seconds to train in a debug build, and enough to translate, score and draw
/// (its translations are poor).
/// `attention` nil: the default (additive).
private func trainTranslationModel(named name: String, pairs: Int, attention: String? = nil) throws -> String {
    let folder = URL(fileURLWithPath: sharedModelDirectory + "-s2s")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    for side in ["de", "en"] {
        let lines = try String(contentsOf: translationSample.appendingPathComponent("train.\(side)"), encoding: .utf8)
            .split(separator: "\n").prefix(pairs)
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: folder.appendingPathComponent("\(name).\(side)"))
    }
    let run = try CLI.run(["train-seq2seq", "--source", "\(name).de", "--target", "\(name).en", "--embedding-size", "16",
                           "--hidden-size", "16", "--epochs", "2", "--min-count", "1", "--quiet", "--output", "\(name).safetensors"]
                          + (attention.map { ["--attention", $0] } ?? []), in: folder)
    guard run.exited && run.status == 0 else { throw CLI.NotFound(description: "train-seq2seq failed: \(run)") }
    return folder.appendingPathComponent("\(name).safetensors").path
}

let sharedTranslationModel: Result<String, Error> = Result {
    atexit { try? FileManager.default.removeItem(atPath: sharedModelDirectory + "-s2s") }
    return try trainTranslationModel(named: "de-en", pairs: 3000)
}

let sharedUnattentiveModel: Result<String, Error> = Result {
    _ = try? sharedTranslationModel.get()  // registers the folder's removal
    return try trainTranslationModel(named: "plain", pairs: 200, attention: "none")
}

private func jsonObject(_ line: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not a JSON object: \(line)")
}

/// The first `n` validation sentences of one side.
private func validation(_ side: String, _ n: Int) throws -> [String] {
    Array(try String(contentsOf: translationSample.appendingPathComponent("val.\(side)"), encoding: .utf8)
        .split(separator: "\n").prefix(n).map(String.init))
}

@Suite("Translation CLI")
struct TranslationCLITests {
    @Test("rnn translate: each argument, or each line of standard input (an empty line gives an empty line)")
    func translate() throws {
        let model = try sharedTranslationModel.get()
        let sentences = try validation("de", 3)
        let run = try CLI.run(["translate", "--model", model] + sentences)
        #expect(run.exited && run.status == 0, "\(run)")
        #expect(run.lines.count == 3 && run.lines.allSatisfy { !$0.isEmpty }, "\(run)")
        #expect(run.stderr.isEmpty, "every validation word is in the vocabulary: \(run)")

        let piped = try CLI.run(["translate", "--model", model], input: sentences[0] + "\n\n" + sentences[1] + "\r\n" + sentences[2])
        #expect(piped.exited && piped.status == 0, "\(piped)")
        #expect(piped.lines == [run.lines[0], "", run.lines[1], run.lines[2]], "\(piped)")

        // --beam 1 is greedy, the default; a wider beam decodes too.
        let greedy = try CLI.run(["translate", "--model", model, "--beam", "1"] + sentences)
        #expect(greedy.stdout == run.stdout, "\(greedy)")
        let beam = try CLI.run(["translate", "--model", model, "--beam", "4", "--length-penalty", "0.5"] + sentences)
        #expect(beam.exited && beam.status == 0 && beam.lines.count == 3, "\(beam)")
        let short = try CLI.run(["translate", "--model", model, "--max-length", "2", "--json", sentences[0]])
        let object = try jsonObject(short.stdout)
        #expect((object["tokens"] as? [String])?.count ?? 9 <= 2, "\(short)")
    }

    @Test("rnn translate --json: one object per sentence with the translation, its tokens and the attention")
    func translateJSON() throws {
        let model = try sharedTranslationModel.get()
        let sentences = try validation("de", 2)
        let plain = try CLI.run(["translate", "--model", model] + sentences)
        let run = try CLI.run(["translate", "--model", model, "--json"], input: sentences.joined(separator: "\n") + "\n\n")
        #expect(run.exited && run.status == 0, "\(run)")
        try #require(run.lines.count == 3, "\(run)")
        for (k, line) in run.lines.prefix(2).enumerated() {
            let o = try jsonObject(line)
            #expect(Set(o.keys) == ["source", "translation", "tokens", "source_tokens", "unknown_words", "attention", "finished",
                                    "log_probability"], "\(o.keys)")
            #expect(o["source"] as? String == sentences[k])
            #expect(o["translation"] as? String == plain.lines[k])
            let tokens = try #require(o["tokens"] as? [String])
            let sourceTokens = try #require(o["source_tokens"] as? [String])
            #expect(sourceTokens.first == "<bos>" && sourceTokens.last == "<eos>")
            #expect(sourceTokens.dropFirst().dropLast().joined(separator: " ") == sentences[k])
            #expect((o["unknown_words"] as? [String]) == [])
            let finished = try #require(o["finished"] as? Bool)
            let attention = try #require(o["attention"] as? [[Double]])
            #expect(attention.count == tokens.count + (finished ? 1 : 0), "one row per word, then <eos>")
            for row in attention {
                #expect(row.count == sourceTokens.count)
                #expect(abs(row.reduce(0, +) - 1) < 0.01, "\(row)")
            }
            let logP = try #require(o["log_probability"] as? Double)
            #expect(logP <= 0)
        }
        let empty = try jsonObject(run.lines[2])
        #expect(empty["source"] as? String == "" && empty["translation"] as? String == "", "\(empty)")
        #expect(!run.stdout.contains("nan") && !run.stdout.contains("inf"))
    }

    @Test("rnn shortlist: rewrites a model with a shortlist and the same weights; --no-shortlist decodes exactly; bad options")
    func shortlist() throws {
        let model = try sharedTranslationModel.get()
        let folder = URL(fileURLWithPath: model).deletingLastPathComponent()
        let sentences = try validation("de", 4)
        let copy = folder.appendingPathComponent("short-\(UUID().uuidString).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: copy) }
        let built = try CLI.run(["shortlist", "--model", model, "--source", "de-en.de", "--target", "de-en.en", "--per-word", "3",
                                 "--frequent", "5", "--output", copy], in: folder)
        #expect(built.exited && built.status == 0, "\(built)")
        #expect(built.stdout.contains("3 target words per source word, 5 frequent words") && built.stdout.contains(copy), "\(built)")
        // The same weights: exact decoding is the same, word for word and in its log-probabilities.
        let exact = try CLI.run(["translate", "--model", model, "--json", "--no-shortlist"] + sentences)
        let copied = try CLI.run(["translate", "--model", copy, "--json", "--no-shortlist"] + sentences)
        #expect(exact.status == 0 && copied.stdout == exact.stdout, "\(copied)")
        // With the small shortlist every word produced is one of its own.
        let short = try CLI.run(["translate", "--model", copy, "--json"] + sentences)
        #expect(short.exited && short.status == 0 && short.lines.count == 4, "\(short)")
        let evaluated = try CLI.run(["evaluate", "--model", copy, "--source", "de-en.de", "--target", "de-en.en", "--no-shortlist",
                                     "--json"], in: folder)
        #expect(evaluated.exited && evaluated.status == 0 && evaluated.stdout.contains("\"bleu\""), "\(evaluated)")

        let zero = try CLI.run(["shortlist", "--model", model, "--source", "de-en.de", "--target", "de-en.en", "--per-word", "0",
                                "--output", copy], in: folder)
        #expect(zero.exited && zero.status != 0 && zero.stderr.contains("--per-word must be between 1 and 100000 (got 0)"), "\(zero)")
        let same = try CLI.run(["shortlist", "--model", model, "--source", "de-en.de", "--target", "de-en.de"], in: folder)
        #expect(same.exited && same.status != 0 && same.stderr.contains("are the same file"), "\(same)")
        let clobber = try CLI.run(["shortlist", "--model", model, "--source", "de-en.de", "--target", "de-en.en", "--output", "de-en.en"],
                                  in: folder)
        #expect(clobber.exited && clobber.status != 0 && clobber.stderr.contains("--output de-en.en"), "\(clobber)")
        let classifier = try CLI.run(["shortlist", "--model", try servedModel(), "--source", "de-en.de", "--target", "de-en.en",
                                      "--output", copy], in: folder)
        #expect(classifier.exited && classifier.status != 0 && classifier.stderr.contains("not a translation model"), "\(classifier)")
        // The languages swapped: the model knows few of the pairs' words, so no shortlist is written.
        let swapped = try CLI.run(["shortlist", "--model", model, "--source", "de-en.en", "--target", "de-en.de", "--output", "swapped.safetensors"],
                                  in: folder)
        #expect(swapped.exited && swapped.status != 0 && swapped.stderr.contains("(Are --source and --target swapped?)")
                    && !FileManager.default.fileExists(atPath: folder.appendingPathComponent("swapped.safetensors").path), "\(swapped)")
    }

    @Test("--precision bfloat16 and int8: rnn translate and rnn evaluate decode with those weights; float is the default; a bad value is refused")
    func precision() throws {
        let model = try sharedTranslationModel.get()
        let folder = URL(fileURLWithPath: model).deletingLastPathComponent()
        let sentences = try validation("de", 4)
        for precision in ["bfloat16", "int8"] {
            let reduced = try CLI.run(["translate", "--model", model, "--precision", precision] + sentences)
            #expect(reduced.exited && reduced.status == 0 && reduced.lines.count == 4, "\(reduced)")
        }
        let int8 = try CLI.run(["evaluate", "--model", model, "--source", "de-en.de", "--target", "de-en.en", "--precision", "int8"],
                               in: folder)
        #expect(int8.exited && int8.status == 0 && int8.stdout.contains("greedy int8   BLEU: "), "\(int8)")
        let float = try CLI.run(["translate", "--model", model, "--precision", "float", "--json"] + sentences)
        let plain = try CLI.run(["translate", "--model", model, "--json"] + sentences)
        #expect(float.exited && float.status == 0 && float.stdout == plain.stdout, "\(float)")
        let evaluated = try CLI.run(["evaluate", "--model", model, "--source", "de-en.de", "--target", "de-en.en",
                                     "--precision", "bfloat16", "--json"], in: folder)
        #expect(evaluated.exited && evaluated.status == 0 && evaluated.stdout.contains("\"precision\": \"bfloat16\""), "\(evaluated)")
        let bad = try CLI.run(["translate", "--model", model, "--precision", "half"] + sentences)
        #expect(bad.exited && bad.status != 0 && bad.stderr.contains("--precision") && bad.stderr.contains("bfloat16")
                    && bad.stderr.contains("int8"), "\(bad)")
    }

    @Test("Unknown source words: one warning per sentence on standard error; in --json, unknown_words")
    func unknownWords() throws {
        let model = try sharedTranslationModel.get()
        let run = try CLI.run(["translate", "--model", model, "der xyzzy hund sieht den xyzzy qwerty ."])
        #expect(run.exited && run.status == 0 && run.lines.count == 1, "\(run)")
        #expect(run.stderr == "warning: text 1 of the arguments: 2 words are not in the model's vocabulary and were read as <unk>: \"xyzzy\", \"qwerty\"\n",
                "\(run)")
        let json = try CLI.run(["translate", "--model", model, "--json", "der xyzzy hund ."])
        #expect(json.stderr.isEmpty, "\(json)")
        #expect(try jsonObject(json.stdout)["unknown_words"] as? [String] == ["xyzzy"])
    }

    @Test("rnn evaluate on a translation model: BLEU, chrF, loss and perplexity; --json; --output-translations; a TSV")
    func evaluate() throws {
        let model = try sharedTranslationModel.get()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rnn-s2s-eval-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let (de, en) = (try validation("de", 40), try validation("en", 40))
        try Data((de.joined(separator: "\n") + "\n").utf8).write(to: folder.appendingPathComponent("val.de"))
        try Data((en.joined(separator: "\n") + "\n").utf8).write(to: folder.appendingPathComponent("val.en"))
        try Data(zip(de, en).map { "\($0)\t\($1)\n" }.joined().utf8).write(to: folder.appendingPathComponent("val.tsv"))

        let run = try CLI.run(["evaluate", "--model", model, "--source", "val.de", "--target", "val.en"], in: folder)
        #expect(run.exited && run.status == 0, "\(run)")
        #expect(run.lines.count == 1 && run.lines[0].range(
            of: #"^sentences: 40   greedy   BLEU: \d+\.\d\d   chrF: \d+\.\d\d   loss: \d+\.\d{4}   perplexity: \d+\.\d\d$"#,
            options: .regularExpression) != nil, "\(run)")

        let json = try CLI.run(["evaluate", "--model", model, "--data", "val.tsv", "--json", "--output-translations", "hyp.en"],
                               in: folder)
        #expect(json.exited && json.status == 0, "\(json)")
        let o = try jsonObject(json.stdout)
        #expect(Set(o.keys) == ["bleu", "chrf", "loss", "perplexity", "sentences", "beam", "precision"], "\(o.keys)")
        #expect(o["sentences"] as? Int == 40 && o["beam"] as? Int == 1 && o["precision"] as? String == "float")
        let bleu = try #require(o["bleu"] as? Double), chrf = try #require(o["chrf"] as? Double)
        #expect((0...100).contains(bleu) && (0...100).contains(chrf))
        #expect(run.stdout.contains(String(format: "BLEU: %.2f   chrF: %.2f", bleu, chrf)), "the TSV gives the same pairs, so the same scores")
        let loss = try #require(o["loss"] as? Double), perplexity = try #require(o["perplexity"] as? Double)
        #expect(abs(exp(loss) - perplexity) < 1e-6 * perplexity)
        #expect(json.stderr == "wrote hyp.en (40 translations).\n", "\(json)")
        let written = try String(contentsOf: folder.appendingPathComponent("hyp.en"), encoding: .utf8)
        let translated = try CLI.run(["translate", "--model", model], input: de.joined(separator: "\n"))
        #expect(written == translated.stdout, "the file holds what rnn translate prints")

        let beam = try CLI.run(["evaluate", "--model", model, "--source", "val.de", "--target", "val.en", "--beam", "3", "--json"],
                               in: folder)
        #expect(try jsonObject(beam.stdout)["beam"] as? Int == 3, "\(beam)")
    }

    @Test("rnn explain on a translation model: the attention grid, --color, --json and --html")
    func explain() throws {
        let model = try sharedTranslationModel.get()
        let sentence = try validation("de", 1)[0]
        let translation = try jsonObject(try CLI.run(["translate", "--model", model, "--json", sentence]).stdout)
        let tokens = try #require(translation["tokens"] as? [String])
        let finished = try #require(translation["finished"] as? Bool)
        let rows = tokens + (finished ? ["<eos>"] : [])

        let run = try CLI.run(["explain", "--model", model, sentence])
        #expect(run.exited && run.status == 0, "\(run)")
        let lines = run.lines
        try #require(lines.count == 3 + rows.count, "the translation, the source words, a row per output step, the key\n\(run)")
        #expect(lines[0].hasPrefix("\"\(sentence)\" → \"\(translation["translation"] as! String)\"  (log p -"), "\(lines[0])")
        let columns = lines[1].split(separator: " ").map(String.init)
        #expect(columns == ["<bos>"] + sentence.split(separator: " ").map(String.init) + ["<eos>"], "\(lines[1])")
        for (line, word) in zip(lines[2...], rows) {
            #expect(line.hasPrefix("  \(word) "), "\(line)")
            #expect(line.dropFirst(2 + max(5, rows.map(\.count).max()!)).allSatisfy { " ·░▒▓█".contains($0) }, "\(line)")
        }
        #expect(lines.last?.hasPrefix("  attention of each output word (row) to each source word (column)") == true)
        #expect(!run.stdout.contains("\u{1B}"), "no colour into a file")

        let colored = try CLI.run(["explain", "--model", model, "--color", "always", sentence])
        #expect(colored.lines.count == 2 + rows.count && colored.stdout.contains("\u{1B}[48;2;"), "\(colored)")

        // --beam: the translation `rnn translate --beam` gives, with its attention.
        let beamed = try CLI.run(["explain", "--model", model, "--beam", "3", sentence])
        let beamTranslation = try CLI.run(["translate", "--model", model, "--beam", "3", sentence]).lines.first ?? ""
        #expect(beamed.exited && beamed.status == 0 && beamed.lines[0].contains("→ \(jsonQuoted(beamTranslation))"), "\(beamed)")

        let json = try CLI.run(["explain", "--model", model, "--json", sentence])
        let o = try jsonObject(json.stdout)
        #expect(Set(o.keys) == ["source", "text", "tokens", "sourceTokens", "unknownWords", "attention", "finished", "logProbability"],
                "\(o.keys)")
        #expect(o["source"] as? String == sentence && o["tokens"] as? [String] == tokens)
        #expect((o["attention"] as? [[Double]])?.count == rows.count)

        let folder = URL(fileURLWithPath: model).deletingLastPathComponent()
        let html = try CLI.run(["explain", "--model", model, "--html", "s2s.html", sentence, "der <b>hund</b> ."], in: folder)
        #expect(html.exited && html.status == 0, "\(html)")
        #expect(html.stderr.hasSuffix("wrote s2s.html (2 texts).\n"), "\(html)")
        let page = try String(contentsOf: folder.appendingPathComponent("s2s.html"), encoding: .utf8)
        #expect(page.hasPrefix("<!DOCTYPE html>") && page.hasSuffix("</html>\n"))
        #expect(page.components(separatedBy: "<table class=\"attention\">").count == 3)
        let firstTable = page.components(separatedBy: "<table class=\"attention\">")[1].components(separatedBy: "</table>")[0]
        #expect(firstTable.components(separatedBy: "<tr>").count - 2 == rows.count, "a row per output step")
        #expect(firstTable.components(separatedBy: "<td style=\"background:rgb(").count - 1 == rows.count * (columns.count))
        let firstWord = rows[0].replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
        #expect(firstTable.contains(" title=\"\(firstWord) → &lt;bos&gt;: "), "weights in the titles")
        #expect(page.contains("&lt;b&gt;hund&lt;/b&gt;") && !page.contains("<b>hund</b>"), "text is escaped")
        for outside in ["http", "<script", "src=", "url(", "@import"] { #expect(!page.contains(outside), "\(outside)") }
    }

    @Test("rnn explain on a model without attention says so, and prints the translation")
    func explainWithoutAttention() throws {
        let model = try sharedUnattentiveModel.get()
        let run = try CLI.run(["explain", "--model", model, "der hund ."])
        #expect(run.exited && run.status == 0, "\(run)")
        #expect(run.lines.count == 2 && run.lines[0].hasPrefix("\"der hund .\" → \""), "\(run)")
        #expect(run.lines[1] == "  no attention to show: the model has none (it was trained with --attention none).")
        let translated = try CLI.run(["translate", "--model", model, "der hund ."])
        #expect(run.lines[0].contains("→ \(jsonQuoted(translated.lines.first ?? ""))"), "\(run)\n\(translated)")
    }

    @Test("rnn serve: :translate answers what `rnn translate --json` prints; the other actions name the right one")
    func serve() throws {
        let model = try sharedTranslationModel.get()
        let sentences = try validation("de", 2)
        let server = try Server(["--model", "de-en=\(model)", "--model", "tutorial=\(try servedModel())"])
        defer { _ = server.stop() }
        let c = try HTTPConnection(port: server.port)

        let info = try c.ask("GET", "/v1/models/de-en")
        #expect(info.status == 200 && info.json?["task"] as? String == "translation", "\(info)")
        #expect((info.json?["configuration"] as? [String: Any])?["attention"] as? String == "additive", "\(info)")

        // Greedy and beam 3, each the objects `rnn translate --json` prints; an empty text translates to nothing.
        for beam in [1, 3] {
            let body = "{\"instances\": [\(sentences.map(jsonQuoted).joined(separator: ", ")), \"\"], \"beam\": \(beam)}"
            let answer = try c.ask("POST", "/v1/models/de-en:translate", json: body)
            #expect(answer.status == 200, "\(answer)")
            let served = try #require(answer.json?["translations"] as? [[String: Any]], "\(answer)")
            let printed = try CLI.run(["translate", "--model", model, "--json", "--beam", "\(beam)"] + sentences).lines
            try #require(served.count == 3 && printed.count == 2, "\(answer)")
            for (s, p) in zip(served, printed) {
                let line = try jsonObject(p)
                #expect(s["translation"] as? String == line["translation"] as? String && s["tokens"] as? [String] == line["tokens"] as? [String],
                        "beam \(beam): served \(s), printed \(p)")
                #expect(abs((s["log_probability"] as? Double ?? 0) - (line["log_probability"] as? Double ?? 1)) < 1e-4)
                #expect((s["attention"] as? [Any])?.isEmpty == true, "attention only when asked for")
            }
            #expect(served[2]["translation"] as? String == "" && served[2]["tokens"] as? [String] == [])
        }
        // "shortlist": false is `--no-shortlist`, the exact decoding; it must be true or false.
        let exact = try c.ask("POST", "/v1/models/de-en:translate",
                              json: "{\"instances\": [\(sentences.map(jsonQuoted).joined(separator: ", "))], \"shortlist\": false}")
        let printedExact = try CLI.run(["translate", "--model", model, "--json", "--no-shortlist"] + sentences).lines.map(jsonObject)
        let servedExact = try #require(exact.json?["translations"] as? [[String: Any]], "\(exact)")
        #expect(servedExact.map { $0["translation"] as? String } == printedExact.map { $0["translation"] as? String }, "\(exact)")
        // "precision": "int8" is `--precision int8`; another name is refused, naming the three.
        let int8 = try c.ask("POST", "/v1/models/de-en:translate",
                             json: "{\"instances\": [\(sentences.map(jsonQuoted).joined(separator: ", "))], \"precision\": \"int8\"}")
        let printedInt8 = try CLI.run(["translate", "--model", model, "--json", "--precision", "int8"] + sentences).lines.map(jsonObject)
        let servedInt8 = try #require(int8.json?["translations"] as? [[String: Any]], "\(int8)")
        #expect(servedInt8.map { $0["translation"] as? String } == printedInt8.map { $0["translation"] as? String }, "\(int8)")
        let badPrecision = try c.ask("POST", "/v1/models/de-en:translate", json: "{\"instances\": [\"ein hund .\"], \"precision\": \"int4\"}")
        #expect(badPrecision.status == 400
                    && (badPrecision.json?["error"] as? String)?.contains("\"float\", \"bfloat16\" or \"int8\"") == true, "\(badPrecision)")
        let notBool = try c.ask("POST", "/v1/models/de-en:translate", json: "{\"instances\": [\"ein hund .\"], \"shortlist\": 1}")
        #expect(notBool.status == 400 && (notBool.json?["error"] as? String)?.contains("\"shortlist\" must be true or false") == true, "\(notBool)")
        let withAttention = try c.ask("POST", "/v1/models/de-en:translate", json: "{\"instances\": [\(jsonQuoted(sentences[0]))], \"attention\": true}")
        let rows = (withAttention.json?["translations"] as? [[String: Any]])?.first?["attention"] as? [[Double]]
        #expect(rows.map { !$0.isEmpty && $0.allSatisfy { abs($0.reduce(0, +) - 1) < 1e-3 } } == true, "\(withAttention)")

        // :explain answers `rnn explain --json`'s object.
        let explained = try c.ask("POST", "/v1/models/de-en:explain", json: "{\"instances\": [\(jsonQuoted(sentences[0]))]}")
        let e = (explained.json?["explanations"] as? [[String: Any]])?.first
        #expect(explained.status == 200 && e?["source"] as? String == sentences[0] && (e?["attention"] as? [Any])?.isEmpty == false,
                "\(explained)")

        for (path, json, status, message) in [
            ("/v1/models/de-en:predict", #"{"instances": ["ein hund ."]}"#, 400, #""de-en" is a translation model: ask it with :translate."#),
            ("/v1/models/de-en:generate", #"{"prompt": "ein"}"#, 400, #""de-en" is a translation model: ask it with :translate."#),
            ("/v1/models/tutorial:translate", #"{"instances": ["good"]}"#, 400, #""tutorial" is a classifier: ask it with :predict."#),
            ("/v1/models/de-en:translate", #"{"instances": ["ein hund ."], "beam": 17}"#, 400, #""beam" must be between 1 (greedy) and 16; got 17."#),
            ("/v1/models/de-en:translate", #"{"instances": ["ein hund ."], "beam": true}"#, 400, #""beam" must be a number; "#),
            ("/v1/models/de-en:translate", #"{"instances": ["ein hund ."], "max_length": 0}"#, 400, #""max_length" must be between 1 and "#),
            ("/v1/models/de-en:translate", #"{"instances": ["ein hund ."], "length_penalty": -1}"#, 400, #""length_penalty" must be between 0 and 10; got -1.0."#),
            ("/v1/models/de-en:translate", #"{"instances": ["ein hund ."], "attention": 1}"#, 400, #""attention" must be true or false; "#),
            ("/v1/models/de-en:translate", #"{"instances": ["ein hund ."], "units": [1]}"#, 400, #"unknown field "units"; "#),
            ("/v1/models/de-en:translate", #"{"instances": []}"#, 400, #""instances" is empty; give at least one text."#),
            ("/v1/models/de-en:explain", #"{"instances": [" "]}"#, 400, "instance 1: the text is empty: there is nothing to translate."),
            ("/v1/models/de-en:explain", #"{"instances": ["ein"], "beam": 2}"#, 400, #"unknown field "beam"; a translation model's :explain takes"#),
            ("/v1/models/de-en:translate", #"{"instances": ["ein hund ."], "beam": 16, "max_length": 10000}"#, 400,
             "the request asks for more decoding work than the server allows"),
            ("/v1/models/de-en:translate", #"{"instances": ["ein hund ."], "beam": 1e30}"#, 400, #""beam" is out of range"#),
        ] {
            let answer = try c.ask("POST", path, json: json)
            let error = answer.json?["error"] as? String ?? ""
            #expect(answer.status == status && error.hasPrefix(message), "\(path) \(json): \(answer)")
        }
        let metrics = try c.ask("GET", "/metrics")
        #expect(metrics.body.contains("rnn_translations_total{model=\"de-en\"} 11"), "\(metrics.body)")
        #expect(metrics.body.contains("rnn_http_requests_total{route=\"/v1/models/{name}:translate\",status=\"200\"} 5"))
    }

    @Test(arguments: HostileCase.translation)
    func probe(_ hostile: HostileCase) throws {
        try hostile.check()
    }
}

private func jsonQuoted(_ s: String) -> String {
    String(decoding: try! JSONSerialization.data(withJSONObject: [s], options: [.withoutEscapingSlashes]), as: UTF8.self)
        .dropFirst().dropLast().description
}

/// The shared translation model copied to `folder/m.safetensors`.
private func translationModel(_ folder: URL) throws {
    try FileManager.default.copyItem(atPath: try sharedTranslationModel.get(), toPath: folder.appendingPathComponent("m.safetensors").path)
}

/// The shared classifier copied to `folder/c.safetensors`.
private func classifierModel(_ folder: URL) throws {
    try FileManager.default.copyItem(atPath: try explainedModel(), toPath: folder.appendingPathComponent("c.safetensors").path)
}

extension HostileCase {
    static let translation: [HostileCase] = [
        HostileCase(name: "translate: no such model", arguments: ["translate", "--model", "missing.safetensors", "der hund ."],
                    status: 1, firstLine: "Error: missing.safetensors"),
        HostileCase(name: "translate: a classifier", setup: classifierModel,
                    arguments: ["translate", "--model", "c.safetensors", "der hund ."], status: 1,
                    firstLine: "Error: c.safetensors: this is a text classifier, not a translation model. Use it with `rnn predict`"),
        HostileCase(name: "predict: a translation model", setup: translationModel,
                    arguments: ["predict", "--model", "m.safetensors", "der hund ."], status: 1,
                    firstLine: "Error: m.safetensors: this is a translation model, not a text classifier. Use it with `rnn translate`"),
        HostileCase(name: "translate: --beam 0", arguments: ["translate", "--model", "m.safetensors", "--beam", "0", "x"],
                    status: 64, firstLine: "Error: --beam must be between 1 and 256 (got 0)."),
        HostileCase(name: "translate: --max-length 0", arguments: ["translate", "--model", "m.safetensors", "--max-length", "0", "x"],
                    status: 64, firstLine: "Error: --max-length must be between 1 and 10000 (got 0)."),
        HostileCase(name: "translate: --length-penalty nan",
                    arguments: ["translate", "--model", "m.safetensors", "--length-penalty", "nan", "x"],
                    status: 64, firstLine: "Error: --length-penalty must be between 0 and 10 (got nan)."),
        HostileCase(name: "translate: a line over --max-text-bytes, the others translated", setup: translationModel,
                    arguments: ["translate", "--model", "m.safetensors", "--max-text-bytes", "20"],
                    stdin: "der hund .\nder alte mann sieht den hund im park .\nder hund .\n", status: 1,
                    firstLine: "error: line 2 of standard input is longer than 20 bytes, the limit; give --max-text-bytes to raise it."),
        HostileCase(name: "translate: a NUL byte on standard input", setup: translationModel,
                    arguments: ["translate", "--model", "m.safetensors"], stdin: "der hund .\nde\u{0}r\n", status: 1,
                    firstLine: "error: line 2 of standard input contains a NUL byte"),
        HostileCase(name: "evaluate: --source without --target", arguments: ["evaluate", "--model", "m.safetensors", "--source", "a.de"],
                    status: 64, firstLine: "Error: --target is missing: --source and --target go together."),
        HostileCase(name: "evaluate: --source and --data", arguments: ["evaluate", "--model", "m.safetensors", "--source", "a.de",
                                                                       "--target", "a.en", "--data", "a.tsv"],
                    status: 64, firstLine: "Error: give either --source and --target, or --data, not both."),
        HostileCase(name: "evaluate: no data", arguments: ["evaluate", "--model", "m.safetensors"],
                    status: 64, firstLine: "Error: give --data"),
        HostileCase(name: "evaluate: --beam 0", arguments: ["evaluate", "--model", "m.safetensors", "--data", "a.tsv", "--beam", "0"],
                    status: 64, firstLine: "Error: --beam must be between 1 and 256 (got 0)."),
        HostileCase(name: "evaluate: misaligned files", files: ["a.de": "der hund .\nein mann .\ndie frau .\n", "a.en": "the dog .\na man .\n"],
                    setup: translationModel,
                    arguments: ["evaluate", "--model", "m.safetensors", "--source", "a.de", "--target", "a.en"], status: 1,
                    firstLine: "Error: a.de: has 3 lines but a.en has 2: the files must be line-aligned"),
        HostileCase(name: "evaluate: a translation model given --label-column", files: ["a.tsv": "der hund .\tthe dog .\n"],
                    setup: translationModel,
                    arguments: ["evaluate", "--model", "m.safetensors", "--data", "a.tsv", "--label-column", "2"], status: 1,
                    firstLine: "Error: --label-column applies to classifiers; m.safetensors is a translation model."),
        HostileCase(name: "evaluate: a classifier given --source", files: ["a.de": "der hund .\n", "a.en": "the dog .\n"],
                    setup: classifierModel,
                    arguments: ["evaluate", "--model", "c.safetensors", "--source", "a.de", "--target", "a.en"], status: 1,
                    firstLine: "Error: --source applies to translation models; c.safetensors is a text classifier."),
        HostileCase(name: "evaluate: a classifier given --beam", files: ["a.tsv": "text\tlabel\ngood\tpositive\n"],
                    setup: classifierModel,
                    arguments: ["evaluate", "--model", "c.safetensors", "--data", "a.tsv", "--beam", "2"], status: 1,
                    firstLine: "Error: --beam applies to translation models; c.safetensors is a text classifier."),
        HostileCase(name: "evaluate: --output-translations over --source", files: ["a.de": "der hund .\n", "a.en": "the dog .\n"],
                    setup: translationModel,
                    arguments: ["evaluate", "--model", "m.safetensors", "--source", "a.de", "--target", "a.en",
                                "--output-translations", "a.de"], status: 1,
                    firstLine: "Error: --output-translations a.de: it is the same file as --source a.de", unchanged: ["a.de"]),
        HostileCase(name: "evaluate: --output-translations in a missing folder", files: ["a.de": "der hund .\n", "a.en": "the dog .\n"],
                    setup: translationModel,
                    arguments: ["evaluate", "--model", "m.safetensors", "--source", "a.de", "--target", "a.en",
                                "--output-translations", "no/hyp.en"], status: 1,
                    firstLine: "Error: --output-translations no/hyp.en: the folder no does not exist"),
        HostileCase(name: "train-seq2seq: --min-count above every word's count", files: ["a.de": "der hund .\n", "a.en": "the dog .\n"],
                    arguments: ["train-seq2seq", "--source", "a.de", "--target", "a.en", "--min-count", "1000000", "--output", "m.st"],
                    status: 1, firstLine: "Error: no source word is seen at least --min-count (1000000) times in the 1 training pair",
                    unchanged: ["m.st"]),
        HostileCase(name: "train-seq2seq: --source and --target the same file", files: ["a.de": "der hund .\n"],
                    arguments: ["train-seq2seq", "--source", "a.de", "--target", "a.de", "--output", "m.st"],
                    status: 1, firstLine: "Error: --source a.de and --target a.de are the same file", unchanged: ["m.st"]),
        HostileCase(name: "train-seq2seq: dot attention with a wrong decoder size, with the usage",
                    arguments: ["train-seq2seq", "--source", "a.de", "--target", "a.en", "--attention", "dot", "--hidden-size", "16",
                                "--decoder-hidden-size", "7", "--output", "m.st"],
                    status: 64, firstLine: "Error: dot attention needs --decoder-hidden-size equal to the encoder's output size 32"),
        HostileCase(name: "evaluate: --source and --target the same file", files: ["a.de": "der hund .\n"], setup: translationModel,
                    arguments: ["evaluate", "--model", "m.safetensors", "--source", "a.de", "--target", "a.de"],
                    status: 1, firstLine: "Error: --source a.de and --target a.de are the same file"),
        HostileCase(name: "evaluate: --max-text-bytes on a translation model", files: ["a.de": "der hund .\n", "a.en": "the dog .\n"],
                    setup: translationModel,
                    arguments: ["evaluate", "--model", "m.safetensors", "--source", "a.de", "--target", "a.en", "--max-text-bytes", "5"],
                    status: 1, firstLine: "Error: --max-text-bytes applies to classifiers; m.safetensors is a translation model."),
        HostileCase(name: "explain: --unit on a translation model", setup: translationModel,
                    arguments: ["explain", "--model", "m.safetensors", "--unit", "1", "der hund ."], status: 1,
                    firstLine: "Error: --unit: units are shown for classifiers and language models; a translation model shows its attention."),
        HostileCase(name: "explain: an empty text on a translation model", setup: translationModel,
                    arguments: ["explain", "--model", "m.safetensors", " "], status: 1,
                    firstLine: "error: text 1 of the arguments: the text is empty: there is nothing to translate."),
        HostileCase(name: "explain: --beam on a classifier", setup: classifierModel,
                    arguments: ["explain", "--model", "c.safetensors", "--beam", "3", "good"], status: 1,
                    firstLine: "Error: --beam is for translation models (as --beam, --max-length and --length-penalty); this model is a classifier."),
        HostileCase(name: "explain: --max-length at its default on a classifier", setup: classifierModel,
                    arguments: ["explain", "--model", "c.safetensors", "--max-length", "50", "good"], status: 1,
                    firstLine: "Error: --max-length is for translation models (as --beam, --max-length and --length-penalty); this model is a classifier."),
    ]
}

@Suite("Translation CLI: non-finite numbers")
struct TranslationNonFiniteTests {
    @Test("A loss that is not finite (a skipped step) is never printed as nan")
    func nonFiniteTrainingLoss() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rnn-s2s-nan-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let de = try String(contentsOf: translationSample.appendingPathComponent("train.de"), encoding: .utf8).split(separator: "\n").prefix(5)
        let en = try String(contentsOf: translationSample.appendingPathComponent("train.en"), encoding: .utf8).split(separator: "\n").prefix(5)
        try Data((de.joined(separator: "\n") + "\n").utf8).write(to: folder.appendingPathComponent("a.de"))
        try Data((en.joined(separator: "\n") + "\n").utf8).write(to: folder.appendingPathComponent("a.en"))
        let run = try CLI.run(["train-seq2seq", "--source", "a.de", "--target", "a.en", "--min-count", "1", "--embedding-size", "16",
                               "--hidden-size", "16", "--epochs", "2", "--learning-rate", "1e30", "--output", "m.st"], in: folder)
        #expect(run.exited, "\(run)")
        for word in ["loss nan", "ppl nan", "loss inf", "ppl inf", "loss -nan"] {
            #expect(!run.stdout.contains(word) && !run.stderr.contains(word), "\(run)")
        }
        #expect(run.stdout.contains("train loss not finite"), "the skipped step's epoch says so\n\(run)")
    }
}
