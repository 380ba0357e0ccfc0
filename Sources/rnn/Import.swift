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
        try reportingErrors {
            guard let configData = FileManager.default.contents(atPath: config) else {
                throw CommandError("\(config): cannot be read.")
            }
            let configuration = try ClassifierConfiguration(json: String(decoding: configData, as: UTF8.self), path: config)
            let tokens = try readList(vocabulary, what: "vocabulary")
            guard let vocab = Vocabulary(tokens: tokens) else { throw CommandError("\(vocabulary): a token appears twice.") }
            let labelList = FileManager.default.fileExists(atPath: labels)
                ? try readList(labels, what: "labels") : labels.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
            let classifier = try TextClassifier.importPyTorch(
                weightsAt: weights, configuration: configuration, vocabulary: vocab, labels: labelList,
                tokenizer: Tokenizer(kind: tokenizer, lowercase: tokenizer.lowercasesByDefault))
            try classifier.save(to: output)
            print("Saved model to \(output): \(describe(configuration)), \(vocab.count) words, labels \(labelList.joined(separator: ", "))")
        }
    }

    private func readList(_ path: String, what: String) throws -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else { throw CommandError("\(path): cannot read the \(what).") }
        if let array = try? JSONSerialization.jsonObject(with: data) as? [String] { return array }
        guard let text = String(data: data, encoding: .utf8) else { throw CommandError("\(path): the \(what) is not UTF-8 text.") }
        return text.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.hasSuffix("\r") ? String($0.dropLast()) : String($0)
        }.filter { !$0.isEmpty }
    }
}

extension Tokenizer.Kind: ExpressibleByArgument {}
