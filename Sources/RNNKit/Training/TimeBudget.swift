/// A time budget written as a number and a unit: `300s`, `5m`, `1h` (also `1.5h`).
package enum TimeBudget {
    package struct ParseError: Error, CustomStringConvertible, Equatable, Sendable {
        package var text: String
        package var description: String {
            "invalid duration \"\(text)\": write a positive number followed by s, m or h, with nothing else, "
                + "e.g. 300s, 5m or 1h."
        }
    }

    /// Seconds in `text`. Strict: digits with an optional decimal part, then exactly one of
    /// `s`, `m`, `h`; no spaces, signs, exponents, other units or combinations (`1h30m`), and
    /// the value must be positive.
    package static func seconds(_ text: String) throws -> Double {
        let fail = ParseError(text: text)
        guard let unit = text.last, let scale: Double = ["s": 1, "m": 60, "h": 3600][unit] else { throw fail }
        let number = text.dropLast()
        let parts = number.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count),
              parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }),
              let value = Double(number), value > 0, (value * scale).isFinite else { throw fail }
        return value * scale
    }
}
