/// Lowercasing as Python's `str.lower()` does it, which is what sacreBLEU's `-lc` applies.
///
/// Definition: every scalar is replaced by its full Unicode lowercase mapping (SpecialCasing
/// included, so `İ` → `i̇`), except capital sigma U+03A3, which becomes final sigma ς (U+03C2)
/// when it ends a word — preceded by a cased scalar and not followed by one, case-ignorable
/// scalars (apostrophes, combining marks, …) skipped on both sides — and σ (U+03C3) otherwise.
/// Swift's `String.lowercased()` always gives σ, so `ΟΔΟΣ` would not match a reference's `οδος`.
enum PythonLowercase {
    static func lowercased(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(scalars.count)
        for (i, scalar) in scalars.enumerated() {
            if scalar == "\u{03A3}" {
                out.append(isFinalSigma(at: i, in: scalars) ? "\u{03C2}" : "\u{03C3}")
            } else {
                out += scalar.properties.lowercaseMapping.unicodeScalars
            }
        }
        return out
    }

    /// CPython's `handle_capital_sigma`: \p{cased} \p{case-ignorable}* Σ !(\p{case-ignorable}* \p{cased}).
    private static func isFinalSigma(at i: Int, in scalars: [Unicode.Scalar]) -> Bool {
        let before = scalars[..<i].last { !$0.properties.isCaseIgnorable }
        guard let before, before.properties.isCased else { return false }
        let after = scalars[(i + 1)...].first { !$0.properties.isCaseIgnorable }
        return after.map { !$0.properties.isCased } ?? true
    }
}
