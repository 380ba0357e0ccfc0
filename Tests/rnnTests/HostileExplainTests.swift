import Foundation
import Testing

// The hostile probe for `rnn explain`: bad models, output paths, units and texts.

/// The shared tutorial model copied to `folder/m.safetensors`.
private func tutorialModel(_ folder: URL) throws {
    try FileManager.default.copyItem(atPath: try explainedModel(), toPath: folder.appendingPathComponent("m.safetensors").path)
}

extension HostileCase {
    static let explain: [HostileCase] = [
        HostileCase(name: "explain: no such model", arguments: ["explain", "--model", "missing.safetensors", "good"],
                    status: 1, firstLine: "Error: missing.safetensors"),
        HostileCase(name: "explain: a text file as the model", files: ["m.safetensors": "good\tpositive\n"],
                    arguments: ["explain", "--model", "m.safetensors", "good"], status: 1, firstLine: "Error: m.safetensors"),
        HostileCase(name: "explain: --html over the model", setup: tutorialModel,
                    arguments: ["explain", "--model", "m.safetensors", "--html", "m.safetensors", "good"], status: 1,
                    firstLine: "Error: m.safetensors: it is also an input", unchanged: ["m.safetensors"]),
        HostileCase(name: "explain: --html in a missing folder", setup: tutorialModel,
                    arguments: ["explain", "--model", "m.safetensors", "--html", "no/page.html", "good"], status: 1,
                    firstLine: "Error: no/page.html: the folder no does not exist"),
        HostileCase(name: "explain: --html a folder", files: ["page/x": ""], setup: tutorialModel,
                    arguments: ["explain", "--model", "m.safetensors", "--html", "page", "good"], status: 1,
                    firstLine: "Error: page: it is a folder"),
        HostileCase(name: "explain: --unit past the model's units", setup: tutorialModel,
                    arguments: ["explain", "--model", "m.safetensors", "--unit", "64", "good"], status: 1,
                    firstLine: "Error: --unit: unit 64 does not exist: the model's top layer has units 0 to 63."),
        HostileCase(name: "explain: negative --unit", arguments: ["explain", "--model", "m.safetensors", "--unit=-1", "good"],
                    status: 64, firstLine: "Error: --unit must be 0 or more (got -1)."),
        HostileCase(name: "explain: --json with --color always",
                    arguments: ["explain", "--model", "m.safetensors", "--json", "--color", "always", "good"], status: 64,
                    firstLine: "Error: --color always colours the terminal output; --json has none."),
        HostileCase(name: "explain: unknown words alone, the other text still explained", setup: tutorialModel,
                    arguments: ["explain", "--model", "m.safetensors", "zzz qqq", "good"], status: 1,
                    firstLine: "error: no word of \"zzz qqq\" is in the model's vocabulary, so there is nothing to classify."),
        HostileCase(name: "explain: nothing explained, no page written", setup: tutorialModel,
                    arguments: ["explain", "--model", "m.safetensors", "--html", "page.html", "zzz"], status: 1,
                    firstLine: "error: no word of \"zzz\"", unchanged: ["page.html"]),
        HostileCase(name: "explain: a text over --max-text-bytes", setup: tutorialModel,
                    arguments: ["explain", "--model", "m.safetensors", "--max-text-bytes", "5", "this is good"], status: 1,
                    firstLine: "error: text 1 of the arguments is longer than 5 bytes, the limit; give --max-text-bytes to raise it."),
        HostileCase(name: "explain: a text over --max-tokens", setup: tutorialModel,
                    arguments: ["explain", "--model", "m.safetensors", "--max-tokens", "3", "this is not good"], status: 1,
                    firstLine: "error: text 1 of the arguments has 4 tokens, more than 3; give --max-tokens to raise the limit"),
        HostileCase(name: "explain: --max-tokens 0", arguments: ["explain", "--model", "m.safetensors", "--max-tokens", "0", "good"],
                    status: 64, firstLine: "Error: --max-tokens must be at least 1 (got 0)."),
        HostileCase(name: "explain: a NUL byte on standard input", setup: tutorialModel,
                    arguments: ["explain", "--model", "m.safetensors"], stdin: "good\nba\u{0}d\n", status: 1,
                    firstLine: "error: line 2 of standard input contains a NUL byte"),
    ]
}

@Suite("rnn explain: hostile input")
struct HostileExplainTests {
    @Test(arguments: HostileCase.explain)
    func probe(_ hostile: HostileCase) throws {
        try hostile.check()
    }

    @Test("A failing text does not stop the others")
    func othersStillExplained() throws {
        let run = try HostileCase.explain.first { $0.name.hasPrefix("explain: unknown words alone") }!.check()
        #expect(run.lines.first?.hasPrefix("\"good\" → positive") == true, "\(run)")
    }
}
