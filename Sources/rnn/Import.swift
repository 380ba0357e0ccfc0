import ArgumentParser
import Foundation
import RNNKit

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Make an RNNKit classifier from a PyTorch state_dict.",
        discussion: """
            Save the PyTorch model's weights with safetensors.torch.save_file(model.state_dict(), \
            "weights.safetensors"). The module must name its parts as RNNKit does: `embedding` \
            (nn.Embedding), `rnn` (nn.RNN, nn.LSTM or nn.GRU, batch_first or not), `fc` (nn.Linear). \
            The configuration is a JSON object with the keys cell (rnn_tanh, rnn_relu, lstm, gru), \
            input (embedding or one_hot), vocab_size, embedding_size, hidden_size, num_layers, \
            bidirectional, num_classes and optionally pooling (last, max, mean).

            Examples:
              rnn import --weights weights.safetensors --config config.json \\
                --vocabulary vocab.json --labels negative,positive --output model.safetensors
            """)

    @Option(help: "The state_dict as safetensors (F32, F16, BF16 or F64).")
    var weights: String

    @Option(help: "JSON configuration (see above).")
    var config: String

    @Option(help: "The vocabulary in id order: a JSON array, or a text file with one token per line.")
    var vocabulary: String

    @Option(help: "Labels in output order: a JSON array file, or a comma-separated list.")
    var labels: String

    @Option(help: "How texts are split: words (lowercased), spaces or characters.")
    var tokenizer: Tokenizer.Kind = .words

    @Option(help: "Where to write the RNNKit model.")
    var output: String

    func run() throws {
        try checkOutputs([("--output", output)], inputs: [("--weights", weights), ("--config", config),
                                                          ("--vocabulary", vocabulary), ("--labels", labels)])
        try reportingErrors {
            guard let configData = FileManager.default.contents(atPath: config) else {
                throw CommandError("\(config): cannot be read.")
            }
            let configuration: ClassifierConfiguration
            do { configuration = try ClassifierConfiguration(json: String(decoding: configData, as: UTF8.self), path: config) } catch let error as ModelFileError {
                throw CommandError(error.description)  // the fix is in the configuration, not in a model file
            }
            let tokens = try readList(vocabulary, what: "vocabulary")
            guard let vocab = Vocabulary(tokens: tokens.map(\.text)) else {
                throw CommandError("\(vocabulary): \(repeated(tokens, what: "token"))")
            }
            let labelList: [String], labelsSource: String
            if FileManager.default.fileExists(atPath: labels) {
                let entries = try readList(labels, what: "labels")
                if Set(entries.map(\.text)).count < entries.count { throw CommandError("\(labels): \(repeated(entries, what: "label"))") }
                (labelList, labelsSource) = (entries.map(\.text), labels)
            } else if !labels.contains(",") {
                // One label is never a classifier's labels, so a name without a comma is a file.
                throw CommandError("--labels \(labels): no such file. Give a file of labels (a JSON array, or one per line) or a comma-separated list such as negative,positive.")
            } else {
                (labelList, labelsSource) = (labels.split(separator: ",", omittingEmptySubsequences: false)
                    .map { String($0).trimmingCharacters(in: .whitespaces) }, "--labels")
            }
            let classifier: TextClassifier
            do {
                classifier = try TextClassifier.importPyTorch(
                    weightsAt: weights, configuration: configuration, vocabulary: vocab, labels: labelList,
                    tokenizer: Tokenizer(kind: tokenizer, lowercase: tokenizer.lowercasesByDefault),
                    sources: .init(configuration: config, vocabulary: vocabulary, labels: labelsSource))
            } catch let error as ModelFileError where error.path != weights {
                // The fix is in that input, not in training or exporting again (the hint for a model file).
                throw CommandError(error.description)
            }
            try classifier.save(to: output)
            print("Saved model to \(output): \(describe(configuration)), \(vocab.count) words, labels \(labelList.joined(separator: ", "))")
        }
    }

    /// The entries of a JSON array of strings, or of a text file with one per line (LF, CRLF or
    /// CR line ends; blank lines skipped), each with its line (nil in a JSON array: its position).
    private func readList(_ path: String, what: String) throws -> [(text: String, line: Int?)] {
        guard let data = FileManager.default.contents(atPath: path) else { throw CommandError("\(path): cannot read the \(what).") }
        if let array = try? JSONSerialization.jsonObject(with: data) as? [String] { return array.map { ($0, nil) } }
        guard let text = String(data: data, encoding: .utf8) else { throw CommandError("\(path): the \(what) is not UTF-8 text.") }
        // By scalars: as Characters, "\r\n" is one, equal to neither "\r" nor "\n".
        var entries: [(text: String, line: Int?)] = [], line = 1, current = String.UnicodeScalarView(), lastWasCR = false
        for scalar in text.unicodeScalars {
            if scalar == "\n" && lastWasCR { lastWasCR = false; continue }
            lastWasCR = scalar == "\r"
            if scalar == "\n" || scalar == "\r" {
                if !current.isEmpty { entries.append((String(current), line)) }
                current = String.UnicodeScalarView()
                line += 1
            } else {
                current.append(scalar)
            }
        }
        if !current.isEmpty { entries.append((String(current), line)) }
        return entries
    }

    /// "`x` appears twice (lines 2 and 5)." for the first entry that repeats one before it.
    private func repeated(_ entries: [(text: String, line: Int?)], what: String) -> String {
        var first: [String: Int] = [:]
        for (index, entry) in entries.enumerated() {
            if let earlier = first[entry.text] {
                let place = entry.line.map { "lines \(entries[earlier].line ?? 0) and \($0)" } ?? "entries \(earlier + 1) and \(index + 1)"
                return "the \(what) `\(entry.text)` appears twice (\(place)); each must be unique."
            }
            first[entry.text] = index
        }
        return "a \(what) appears twice."
    }
}

extension Tokenizer.Kind: ExpressibleByArgument {}
