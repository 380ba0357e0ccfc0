import RNNKit

/// One model `rnn serve` serves, of either task.
enum ServedModel: Sendable {
    case classifier(ModelPool<TextClassifier>)
    case bagOfNgrams(ModelPool<BagOfNgramsClassifier>)
    case languageModel(ModelPool<TextLanguageModel>)
    case translation(ModelPool<Seq2SeqModel>)

    /// Loads the file `copies` times (one copy per worker; see `ModelPool`), as the task its
    /// file says.
    static func load(from path: String, copies: Int) throws -> ServedModel {
        do {
            let first = try TextClassifier.load(from: path)
            return .classifier(ModelPool(copies: [first] + (try (1..<copies).map { _ in try TextClassifier.load(from: path) })))
        } catch let error as ModelFileError where error.kind == .wrongTask(found: .languageModel) {
            let first = try TextLanguageModel.load(from: path)
            return .languageModel(ModelPool(copies: [first] + (try (1..<copies).map { _ in try TextLanguageModel.load(from: path) })))
        } catch let error as ModelFileError where error.kind == .wrongTask(found: .bagOfNgrams) {
            let first = try BagOfNgramsClassifier.load(from: path)
            return .bagOfNgrams(ModelPool(copies: [first] + (try (1..<copies).map { _ in try BagOfNgramsClassifier.load(from: path) })))
        } catch let error as ModelFileError where error.kind == .wrongTask(found: .translation) {
            let first = try Seq2SeqModel.load(from: path)
            return .translation(ModelPool(copies: [first] + (try (1..<copies).map { _ in try Seq2SeqModel.load(from: path) })))
        }
    }
}
