/// The one rule for numbers in data files (labels read against a threshold) and for thresholds:
/// decimal as a spreadsheet or JSON writes them — `3`, `-1.5`, `+2`, `.5`, `2e3` — and finite.
/// Swift's `Double(_:)` also reads hexadecimal (`0x10`), `inf`, `nan` and turns `1e400` into
/// infinity; none of these is a score a data file means, so all are refused.
enum DecimalNumber {
    /// The rule, for messages.
    static let rule = "a finite decimal number such as 3, -1.5 or 2e3 (not hexadecimal, inf, nan or beyond ±1.8e308)"

    static func parse<S: StringProtocol>(_ text: S) -> Double? {
        let bytes = Array(text.utf8)
        var i = 0
        func digits() -> Int {
            let start = i
            while i < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[i]) { i += 1 }
            return i - start
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
        var mantissa = digits()
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            i += 1
            mantissa += digits()
        }
        guard mantissa > 0 else { return nil }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard digits() > 0 else { return nil }
        }
        guard i == bytes.count, let value = Double(String(decoding: bytes, as: UTF8.self)), value.isFinite else { return nil }
        return value
    }
}
