import RNNKit

/// What to do next, in the CLI's terms, for a library error that names no command or flag.
func commandHint(for error: Error) -> String? {
    guard let e = error as? ModelFileError else { return nil }
    switch e.kind {
    case .wrongTask(found: .languageModel): return "Use it with `rnn generate`."
    case .wrongTask(found: .classify), .wrongTask(found: .bagOfNgrams), .wrongTask(found: .wideAndDeep): return "Use it with `rnn predict` or `rnn evaluate`."
    case .wrongTask(found: .translation): return "Use it with `rnn translate` or `rnn evaluate --source … --target …`."
    case .notAModel: return "Train one with `rnn train --output`, `rnn train-lm --output` or `rnn train-seq2seq --output`, or make one with `rnn import`."
    case .badMetadata, .inconsistent, .nonFinite: return "Train the model again, or re-export it."
    }
}
