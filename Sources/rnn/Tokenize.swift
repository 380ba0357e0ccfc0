import ArgumentParser
import Foundation
import RNNKit

struct Tokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show how texts are split into tokens.",
        discussion: """
            Prints one line per text: its tokens separated by spaces, or with --json a JSON array \
            of them (exact, also for tokens that hold spaces). By default the tokenizer of `rnn \
            train --data` (words and punctuation, lowercased); --model uses a model's own, \
            --level char splits into characters, --keep-case keeps upper case.

            Examples:
              rnn tokenize "Don't over-think it: 3.5 stars, U.S. release."
              rnn tokenize --model sentiment.safetensors --json < texts.txt
            """)

    @Argument(help: "Texts to split (default: one per line from standard input).")
    var texts: [String] = []

    @Option(help: "Use the tokenizer of this model file (any kind).")
    var model: String?

    @Option(help: "Tokens: words (and punctuation) or characters. (default: word)")
    var level: LevelChoice?

    @Flag(help: "Keep upper case (words are lowercased by default).")
    var keepCase = false

    @Flag(help: "One JSON array of tokens per line.")
    var json = false

    @OptionGroup(title: "Limits") var limits: TextLimitOptions

    func validate() throws {
        if model != nil && (level != nil || keepCase) {
            throw ValidationError("--model brings its own tokenizer; give --level and --keep-case without it.")
        }
    }

    func run() throws {
        let tokenizer: Tokenizer
        if let model {
            tokenizer = try reportingErrors { try Self.tokenizer(of: model) }
        } else {
            tokenizer = level == .char ? .characters(lowercase: false) : .words(lowercase: !keepCase)
        }
        var failures = 0
        func split(_ text: String, _ what: @autoclosure () -> String) {
            if let problem = limits.problem(text, what()) { failures += 1; return printError("error: \(problem)") }
            let tokens = tokenizer.tokens(text)
            print(json ? "[" + tokens.map(jsonQuote).joined(separator: ", ") + "]" : tokens.joined(separator: " "))
        }
        if texts.isEmpty {
            LineReader.eachStandardInputText(limits: limits, { split($0, $1) }, failed: { failures += 1; printError("error: \($0)") })
        } else {
            for (k, text) in texts.enumerated() { split(text, "text \(k + 1) of the arguments") }
        }
        if failures > 0 { throw ExitCode(1) }
    }

    /// The tokenizer a model file of any kind splits its text with.
    static func tokenizer(of path: String) throws -> Tokenizer {
        do {
            return try ClassifierFile.load(from: path).tokenizer
        } catch let e as ModelFileError where e.kind == .wrongTask(found: .languageModel) {
            guard let tokenizer = try TextLanguageModel.load(from: path).tokenizer else {
                throw CommandError("\(path) is a character-level language model: it reads every character as written, "
                                   + "with no tokenizer to show; --level char shows a classifier's character split.")
            }
            return tokenizer
        } catch let e as ModelFileError where e.kind == .wrongTask(found: .translation) {
            return try Seq2SeqModel.load(from: path).tokenizer
        }
    }
}
