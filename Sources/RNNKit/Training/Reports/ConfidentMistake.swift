/// A text the classifier got wrong, and how sure it was of its wrong answer.
public struct ConfidentMistake: Sendable, Equatable {
    public var text: String
    public var trueLabel: String
    public var predictedLabel: String
    /// The probability the classifier gave its (wrong) predicted label.
    public var probability: Double
    /// How the classifier read the text (``TextClassifier/explain(_:units:maxTokens:)``): which
    /// words pushed it to the wrong label. Nil only if the text could not be explained.
    public var explanation: ClassifierExplanation?
}

extension TextClassifier {
    /// The texts of `rows` the classifier labels wrongly, the most confident first, at most
    /// `limit`, each with its explanation. Texts with no known word, and labels the model does not
    /// know, are passed over.
    public func mostConfidentMistakes(on rows: [LabeledText], limit: Int = 10) -> [ConfidentMistake] {
        var mistakes: [ConfidentMistake] = []
        for row in rows where labels.contains(row.label) {
            guard let p = try? predict(row.text), p.label != row.label,
                  let k = labels.firstIndex(of: p.label) else { continue }
            mistakes.append(ConfidentMistake(text: row.text, trueLabel: row.label, predictedLabel: p.label,
                                             probability: Double(p.probabilities[k])))
        }
        // Stable for equal probabilities: the file's order.
        var chosen = Array(mistakes.enumerated().sorted { a, b in
            a.element.probability != b.element.probability ? a.element.probability > b.element.probability : a.offset < b.offset
        }.map(\.element).prefix(max(limit, 0)))
        // Explained after choosing: only the few shown cost the occlusion passes.
        for k in chosen.indices { chosen[k].explanation = try? explain(chosen[k].text) }
        return chosen
    }
}
