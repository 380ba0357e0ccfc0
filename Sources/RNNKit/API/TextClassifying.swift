/// What every text classifier of RNNKit offers, whichever model is inside: a recurrent network
/// (`TextClassifier`) or a bag of n-grams (`BagOfNgramsClassifier`). Code that predicts, scores
/// or serves classifiers can take either:
///
///     let model = try ClassifierFile.load(from: "model.safetensors")   // either kind
///     print(try model.predict("a gorgeous, witty film").label)
public protocol TextClassifying: AnyObject, Sendable {
    /// The class names, in the order of `Prediction.probabilities`.
    var labels: [String] { get }
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

/// Model files of either kind of classifier.
public enum ClassifierFile {
    /// Loads a classifier, a `TextClassifier` or a `BagOfNgramsClassifier` as the file says.
    /// - Throws: `ModelFileError` (`.wrongTask` for a language or translation model).
    public static func load(from path: String) throws -> any TextClassifying {
        do {
            return try TextClassifier.load(from: path)
        } catch let error as ModelFileError where error.kind == .wrongTask(found: .bagOfNgrams) {
            return try BagOfNgramsClassifier.load(from: path)
        }
    }
}
