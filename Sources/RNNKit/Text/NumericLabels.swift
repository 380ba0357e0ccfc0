/// Labels read without a threshold that are all numbers (`1` … `7`, `0.25`): each different
/// value becomes a class, which is rarely what scores or ratings mean. A front end warns when
/// `looksLikeScores` and suggests a threshold (`DataFileOptions.threshold`).
public struct NumericLabels: Sendable, Equatable {
    /// The different values among the labels: the classes they make.
    public var distinctCount: Int
    /// Whether some label has a fractional part (`2.5`).
    public var hasFractions: Bool

    /// More classes than a few (the most that class ids such as 0, 1, 2 usually run to), or
    /// fractional values with more than two: a score or rating rather than a class id.
    public static let fewClasses = 5

    public var looksLikeScores: Bool {
        distinctCount > Self.fewClasses || (hasFractions && distinctCount > 2)
    }

    /// nil unless every label of `examples` is a number by `DataFileOptions.number(from:)`.
    init?(_ examples: [LabeledText]) {
        var values: Set<String> = [], fractions = false
        for example in examples where values.insert(example.label).inserted {
            guard let value = DecimalNumber.parse(example.label) else { return nil }
            if value != value.rounded() { fractions = true }
        }
        distinctCount = values.count
        hasFractions = fractions
    }
}
