import Foundation

/// Decodes a model's configuration JSON (`rnnkit.config`, or the file `rnn import` is given) with
/// messages in the configuration's own terms: "configuration key `cell` is `foo`; expected one
/// of rnn_tanh, rnn_relu, lstm, gru", never Foundation's `DecodingError` paragraphs.
///
/// The text is first parsed by `JSONParser`, which keeps numbers as written: a size such as
/// `1e400`, which Foundation refuses as "not valid JSON", is then named with its key.
enum ConfigurationDecoding {
    /// Keys whose values are whole numbers (sizes and counts).
    static let wholeNumberKeys: Set = ["vocab_size", "embedding_size", "hidden_size", "num_classes", "num_layers", "ngram_max"]

    /// What each known key must be, in words.
    static let expectations: [String: String] = [
        "task": oneOf(ModelTask.allCases.map(\.rawValue)),
        "cell": oneOf(CellKind.allCases.map(\.rawValue)),
        "input": oneOf(["embedding", "one_hot"]),
        "pooling": oneOf(ClassifierConfiguration.Pooling.allCases.map(\.rawValue)),
        "backward": oneOf(BackwardRule.allCases.map(\.rawValue)),
        "bidirectional": "true or false", "recurrent_bias": "true or false",
        "dropout": "a number in [0, 1)",
    ].merging(wholeNumberKeys.map { ($0, "a whole number") }) { a, _ in a }

    private static func oneOf(_ values: [String]) -> String { "one of " + values.joined(separator: ", ") }

    /// `T` from `text`.
    /// - Throws: a `ModelFileError` of `kind` for `path`, naming the key and what it must be.
    static func decode<T: Decodable>(_ type: T.Type, from text: String, path: String, kind: ModelFileError.Kind) throws -> T {
        func fail(_ detail: String) -> ModelFileError { ModelFileError(kind: kind, path: path, detail: detail) }
        let bytes = Array(text.utf8)
        var parser = JSONParser(bytes: bytes[...])
        let root: JSONValue
        do { root = try parser.parseDocument() } catch {
            throw fail("the configuration is not JSON: \(error.message) (byte \(error.column)).")
        }
        guard case .object(let members, let order) = root else {
            throw fail("the configuration is a JSON \(root.kind), not an object of keys.")
        }
        // Numbers Foundation cannot hold would fail the whole document without naming the key.
        for key in order {
            guard case .number(let written) = members[key] else { continue }
            let fits = wholeNumberKeys.contains(key) ? Int(written) != nil : Double(written)?.isFinite == true
            if !fits { throw fail(mismatch(key: key, value: members[key]!)) }
        }
        do { return try JSONDecoder().decode(T.self, from: Data(bytes)) } catch let error as DecodingError {
            throw fail(describe(error, root: root))
        }
    }

    /// "configuration key `k` is `v`; expected …".
    private static func mismatch(key: String, value: JSONValue?) -> String {
        let shown: String
        switch value {
        case .string(let s)?: shown = "`\(s)`"
        case .number(let n)?: shown = "`\(n)`"
        case .bool(let b)?: shown = "`\(b)`"
        case .null?: shown = "null"
        case let other?: shown = "an \(other.kind)"
        case nil: shown = "missing"
        }
        let expected = expectations[key.split(separator: ".").last.map(String.init) ?? key]
        return "configuration key `\(key)` is \(shown)" + (expected.map { "; expected \($0)." } ?? ", which is not valid.")
    }

    private static func describe(_ error: DecodingError, root: JSONValue) -> String {
        func value(at keys: [CodingKey]) -> JSONValue? {
            var current: JSONValue? = root
            for key in keys {
                guard case .object(let members, _)? = current else { return nil }
                current = members[key.stringValue]
            }
            return current
        }
        func name(_ keys: [CodingKey]) -> String { keys.map(\.stringValue).joined(separator: ".") }
        switch error {
        case .keyNotFound(let key, let context):
            return "configuration key `\(name(context.codingPath + [key]))` is missing."
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            guard !context.codingPath.isEmpty else { return "the configuration is not valid." }
            return mismatch(key: name(context.codingPath), value: value(at: context.codingPath))
        @unknown default:
            return "the configuration is not valid."
        }
    }
}
