import RNNKit

/// One model `rnn serve` serves, of either task.
enum ServedModel: Sendable {
    case classifier(ModelPool<TextClassifier>)
    case bagOfNgrams(ModelPool<BagOfNgramsClassifier>)
    case wideAndDeep(ModelPool<WideAndDeepClassifier>)
    case languageModel(ModelPool<TextLanguageModel>)
    case translation(ModelPool<Seq2SeqModel>)

    /// Loads the file `copies` times (one copy per worker; see `ModelPool`), as the task its
    /// file says.
    static func load(from path: String, copies: Int) throws -> ServedModel {
        // The first load tells the task (a file of another task throws before anything is read).
        func pool<Model>(_ load: (String) throws -> Model) throws -> ModelPool<Model> {
            ModelPool(copies: try (0..<copies).map { _ in try load(path) })
        }
        do {
            return .classifier(try pool(TextClassifier.load))
        } catch let error as ModelFileError where error.kind == .wrongTask(found: .languageModel) {
            return .languageModel(try pool(TextLanguageModel.load))
        } catch let error as ModelFileError where error.kind == .wrongTask(found: .bagOfNgrams) {
            return .bagOfNgrams(try pool(BagOfNgramsClassifier.load))
        } catch let error as ModelFileError where error.kind == .wrongTask(found: .wideAndDeep) {
            return .wideAndDeep(try pool(WideAndDeepClassifier.load))
        } catch let error as ModelFileError where error.kind == .wrongTask(found: .translation) {
            return .translation(try pool(Seq2SeqModel.load))
        }
    }
}
