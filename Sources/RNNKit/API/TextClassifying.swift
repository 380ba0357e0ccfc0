/// What every text classifier of RNNKit offers, whichever model is inside: a recurrent network
/// (`TextClassifier`), a bag of n-grams (`BagOfNgramsClassifier`) or both (`WideAndDeepClassifier`). Code that predicts, scores
/// or serves classifiers can take either:
///
///     let model = try ClassifierFile.load(from: "model.safetensors")   // either kind
///     print(try model.predict("a gorgeous, witty film").label)
public protocol TextClassifying: AnyObject, Sendable {
    /// The class names, in the order of `Prediction.probabilities`.
    var labels: [String] { get }
    /// How it splits a text into tokens.
    var tokenizer: Tokenizer { get }
    /// Classifies one text.
    func predict(_ text: String) throws -> TextClassifier.Prediction
    /// Accuracy, per-class scores, the confusion matrix and the loss on labelled texts; `source`
    /// names them in errors.
    func evaluate(on rows: [LabeledText], source: String) throws -> TextClassifier.Evaluation
    /// Saves the model file atomically.
    func save(to path: String) throws
}

extension TextClassifier: TextClassifying {}
extension BagOfNgramsClassifier: TextClassifying {}
extension WideAndDeepClassifier: TextClassifying {}

/// Model files of either kind of classifier.
public enum ClassifierFile {
    /// Loads a classifier, a `TextClassifier`, a `BagOfNgramsClassifier` or a
    /// `WideAndDeepClassifier`, as the file says.
    /// - Throws: `ModelFileError` (`.wrongTask` for a language or translation model).
    public static func load(from path: String) throws -> any TextClassifying {
        do {
            return try TextClassifier.load(from: path)
        } catch let error as ModelFileError where error.kind == .wrongTask(found: .bagOfNgrams) {
            return try BagOfNgramsClassifier.load(from: path)
        } catch let error as ModelFileError where error.kind == .wrongTask(found: .wideAndDeep) {
            return try WideAndDeepClassifier.load(from: path)
        }
    }
}
