/// The numbers of an evaluation, named as TensorBoard tags (`train/loss`, `validation/accuracy`,
/// …), shared by the report writers so that every file of a run says the same. Non-finite values
/// are left out.
enum EpochScalars {
    static func of(_ report: EpochReport, level: TokenLevel?) -> [(tag: String, value: Double)] {
        var out: [(tag: String, value: Double)] = []
        func add(_ part: String, _ m: Metrics?) {
            guard let m else { return }
            out.append(("\(part)/loss", m.loss))
            if let a = m.accuracy { out.append(("\(part)/accuracy", a)) }
            if let level {
                out.append(("\(part)/perplexity", m.perplexity))
                if level == .char { out.append(("\(part)/bpc", m.bitsPerToken)) }
            }
        }
        add("train", report.train)
        add("validation", report.validation)
        add("test", report.test)
        out.append(("speed/tokens_per_second", report.tokensPerSecond))
        return out.filter { $0.value.isFinite }
    }
}
