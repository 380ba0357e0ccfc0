import Foundation

/// The library version written into model files.
package let rnnKitVersion = "0.2.0"

/// What a model file's network does: the `task` key of its `rnnkit.config`.
public enum ModelTask: String, Codable, Sendable, CaseIterable {
    case classify
    case languageModel = "language_model"
    case translation
    case bagOfNgrams = "bag_of_ngrams"
    case wideAndDeep = "wide_and_deep"

    /// How people call it in messages.
    public var displayName: String {
        switch self {
        case .classify: return "text classifier"
        case .languageModel: return "language model"
        case .translation: return "translation model"
        case .bagOfNgrams: return "bag-of-n-grams classifier"
        case .wideAndDeep: return "wide-and-deep classifier"
        }
    }
}

/// The one path every RNNKit model file takes, whatever its task.
///
/// A model file is a safetensors file (see `Safetensors`) whose tensors carry PyTorch's
/// `state_dict()` names (see `StateDict`) and whose `__metadata__` holds:
/// - `rnnkit.config`: one flat JSON object — the network's configuration keys (`task`, `cell`,
///   `vocab_size`, `hidden_size`, …) followed by the task's own keys (`tokenizer`, `level`,
///   `training`);
/// - `rnnkit.vocabulary`: a JSON array of the tokens in id order;
/// - `rnnkit.labels`: a JSON array of the class names in output order (classifiers only);
/// - `rnnkit.version`, and `format` = `pt` (what `safetensors.torch` writes).
///
/// The same weights and settings always give the same bytes (keys are sorted).
enum ModelFile {
    /// `rnnkit.config` as one flat object: the network's keys and then `Extra`'s.
    struct StoredConfiguration<Network: Codable, Extra: Codable>: Codable {
        var network: Network
        var extra: Extra

        init(network: Network, extra: Extra) {
            self.network = network
            self.extra = extra
        }

        init(from decoder: Decoder) throws {
            network = try Network(from: decoder)
            extra = try Extra(from: decoder)
        }

        func encode(to encoder: Encoder) throws {
            try network.encode(to: encoder)
            try extra.encode(to: encoder)
        }
    }

    /// What a file holds besides its tensors.
    struct Contents<Network: Codable, Extra: Codable> {
        var configuration: StoredConfiguration<Network, Extra>
        var vocabulary: Vocabulary
        var labels: [String]?
    }

    static func json(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Configurations, vocabularies and labels are strings and finite numbers (checked where
        // they are made), which JSONEncoder always encodes.
        return String(decoding: try! encoder.encode(value), as: UTF8.self)
    }

    /// The safetensors contents of a model.
    static func safetensors<Network: Codable, Extra: Codable>(
        tensors: [String: Safetensors.Entry], network: Network, extra: Extra, vocabulary: Vocabulary,
        labels: [String]? = nil
    ) -> Safetensors {
        var metadata = [
            "format": "pt",
            "rnnkit.version": rnnKitVersion,
            "rnnkit.config": json(StoredConfiguration(network: network, extra: extra)),
            "rnnkit.vocabulary": json(vocabulary.tokens),
        ]
        if let labels { metadata["rnnkit.labels"] = json(labels) }
        return Safetensors(tensors: tensors, metadata: metadata)
    }

    /// The task a file's `rnnkit.config` names; nil when it is not an RNNKit model file.
    static func task(of file: Safetensors) -> ModelTask? {
        guard let text = file.metadata["rnnkit.config"],
              let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { return nil }
        // Files written before the task key existed are classifiers.
        guard let task = object["task"] else { return .classify }
        return (task as? String).flatMap(ModelTask.init(rawValue:))
    }

    /// Reads the metadata of a model of `task`, checking that it is one, that its vocabulary
    /// (and labels) agree with the configuration, that the configuration can make a model within
    /// `ModelLimits`, and that the file holds as many weights as that model has.
    /// - Parameter values: the number of values of all the file's tensors, given when only the
    ///   header has been read, so that nothing is allocated for a configuration the file's
    ///   tensors cannot fill and no data is read that the network has no place for.
    static func contents<Network: StoredNetwork, Extra: Codable>(
        of file: Safetensors, values: Int? = nil, task: ModelTask, path: String,
        vocabularySize: (Network) -> Int, classes: ((Network) -> Int)? = nil
    ) throws -> Contents<Network, Extra> {
        func fail(_ kind: ModelFileError.Kind, _ detail: String) -> ModelFileError {
            ModelFileError(kind: kind, path: path, detail: detail)
        }
        guard let configText = file.metadata["rnnkit.config"] else {
            throw fail(.notAModel, "no `rnnkit.config` in the metadata: this is not an RNNKit model file.")
        }
        // The task first, so that a file of another task says so rather than missing a key.
        if let found = Self.task(of: file), found != task {
            throw ModelFileError(kind: .wrongTask(found: found), path: path,
                                 detail: "this is a \(found.displayName), not a \(task.displayName).")
        }
        func decode<T: Decodable>(_ key: String, as type: T.Type) throws -> T {
            guard let text = file.metadata[key] else {
                throw fail(.badMetadata(key: key), "no `\(key)` in the metadata: the file is incomplete.")
            }
            do { return try JSONDecoder().decode(T.self, from: Data(text.utf8)) } catch {
                throw fail(.badMetadata(key: key), "metadata `\(key)` is not a JSON array of strings.")
            }
        }
        let configuration = try ConfigurationDecoding.decode(StoredConfiguration<Network, Extra>.self, from: configText,
                                                             path: path, kind: .badMetadata(key: "rnnkit.config"))
        let tokens = try decode("rnnkit.vocabulary", as: [String].self)
        guard let vocabulary = Vocabulary(tokens: tokens) else {
            throw fail(.inconsistent, "the vocabulary lists a token twice.")
        }
        let labels = try classes.map { _ in try decode("rnnkit.labels", as: [String].self) }
        try checkAgreement(vocabulary: vocabulary, vocabularySize: vocabularySize(configuration.network),
                           labels: labels, classes: classes?(configuration.network), path: path)
        try checkUsable(configuration.network.problem, path: path)
        // On a header only: the tensors in memory are checked one by one, by name, as they load.
        if let values { try checkFits(configuration.network, values: values, path: path) }
        return Contents(configuration: configuration, vocabulary: vocabulary, labels: labels)
    }

    /// Checks that a vocabulary (and a classifier's labels) fit the configuration that will use
    /// them: every model, whether loaded or imported, passes this.
    /// - Throws: `ModelFileError.Kind.inconsistent`, saying what disagrees.
    ///   `sources` names the files an import read, so that each problem blames the file it is in
    ///   (a model file holds all three, and `path` names it).
    static func checkAgreement(vocabulary: Vocabulary, vocabularySize: Int, labels: [String]? = nil, classes: Int? = nil,
                               path: String, sources: TextClassifier.ImportSources? = nil) throws {
        let configuration = sources.map { "the configuration (\($0.configuration))" } ?? "the configuration"
        guard vocabulary.count == vocabularySize else {
            throw ModelFileError(kind: .inconsistent, path: sources?.vocabulary ?? path, detail:
                "the vocabulary has \(MessageText.count(vocabulary.count, "token")) but \(configuration) says vocab_size \(vocabularySize).")
        }
        guard let labels, let classes else { return }
        let labelsPath = sources?.labels ?? path
        var seen: Set<String> = []
        if let twice = labels.first(where: { !seen.insert($0).inserted }) {
            throw ModelFileError(kind: .inconsistent, path: labelsPath,
                                 detail: "the label `\(MessageText.clip(twice))` appears twice; each class needs its own label.")
        }
        guard labels.count == classes else {
            throw ModelFileError(kind: .inconsistent, path: labelsPath,
                                 detail: "there \(labels.count == 1 ? "is" : "are") \(MessageText.count(labels.count, "label")) but \(configuration) says num_classes \(classes).")
        }
    }

    /// Throws unless a file of `values` weights can fill `network`: checked on the header, before
    /// the data is read and before the network is allocated.
    static func checkFits(_ network: some StoredNetwork, values: Int, path: String) throws {
        let needed = network.storedValues
        guard needed.contains(Double(values)) else {
            let shown = needed.lowerBound == needed.upperBound ? "\(Int(needed.lowerBound))"
                : "\(Int(needed.lowerBound))–\(Int(needed.upperBound))"
            throw ModelFileError(kind: .inconsistent, path: path, detail:
                "the tensors hold \(values) values but the configuration's network has \(shown) weights: the configuration does not describe these tensors.")
        }
    }

    /// The values of the tensor `name`, which must be in `file` with `shape`.
    /// - Throws: `ModelFileError` (`.inconsistent`) naming the tensor and what is wrong with it.
    static func values(of name: String, shape: [Int], in file: Safetensors, path: String) throws -> [Float] {
        guard let entry = file.tensors[name] else {
            throw ModelFileError(kind: .inconsistent, path: path, detail: "the tensor `\(name)` is missing.")
        }
        guard entry.shape == shape else {
            throw ModelFileError(kind: .inconsistent, path: path,
                                 detail: "the tensor `\(name)` has shape \(entry.shape), not \(shape) as the configuration says.")
        }
        return entry.values
    }

    /// Throws when a configuration cannot make a model (`problem` is its reason).
    static func checkUsable(_ problem: String?, path: String) throws {
        if let problem {
            throw ModelFileError(kind: .inconsistent, path: path, detail: "the configuration is not usable: \(problem).")
        }
    }
}

/// A network configuration a model file stores: what `ModelFile` checks before making one.
protocol StoredNetwork: Codable {
    /// Why it cannot make a model (limits included), or nil.
    var problem: String? { get }
    /// How many values a file's tensors hold for it: PyTorch's state_dict of the network, where
    /// a one-bias layer's b_hh may be written (as zeros) or left out. Only meaningful when
    /// `problem` is nil.
    var storedValues: ClosedRange<Double> { get }
}
