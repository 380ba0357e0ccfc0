/// A safetensors file that is not a usable RNNKit model: which file, and what is wrong with it.
///
/// Format-level damage (truncation, a bad header) is a `SafetensorsError`; this error is about
/// what a well-formed file holds.
public struct ModelFileError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// The metadata has no `rnnkit.config`: some other safetensors file.
        case notAModel
        /// An RNNKit model of another task (a language model given where a classifier is wanted).
        case wrongTask(found: ModelTask)
        /// A metadata entry is missing or does not decode.
        case badMetadata(key: String)
        /// The configuration, vocabulary, labels and tensors do not agree, or the configuration
        /// cannot make a model.
        case inconsistent
        /// A tensor holds `count` values that are NaN or infinite.
        case nonFinite(tensor: String, count: Int)
    }

    public var kind: Kind
    public var path: String
    public var detail: String

    public init(kind: Kind, path: String, detail: String) {
        self.kind = kind
        self.path = path
        self.detail = detail
    }

    public var description: String { "\(path): \(detail)" }
}
