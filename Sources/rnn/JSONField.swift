import Foundation

/// Numbers read from a request's JSON object, for the routes whose settings are numbers.
///
/// JSONSerialization reads `true`/`false` as NSNumber of type char: a boolean is not a number here,
/// so `{"length": true}` is refused rather than read as 1.
enum JSONField {
    /// A JSON number, or nil when the value is absent or null. `name` is how the message names it.
    static func number(_ value: Any?, _ name: String, expected: String) throws -> Double? {
        guard let value, !(value is NSNull) else { return nil }
        guard let n = value as? NSNumber, String(cString: n.objCType) != "c", n.doubleValue.isFinite else {
            throw ServeError(.badRequest, "\(name) must be a number; \(expected)")
        }
        return n.doubleValue
    }

    /// A whole JSON number, or nil when absent or null.
    static func integer(_ value: Any?, _ name: String, expected: String) throws -> Int? {
        guard let d = try number(value, name, expected: expected) else { return nil }
        guard d == d.rounded() else { throw ServeError(.badRequest, "\(name) must be a whole number; got \(d).") }
        guard abs(d) < 1e15 else {
            throw ServeError(.badRequest, "\(name) is out of range: \(String(format: "%.3g", d)) is far beyond any limit.")
        }
        return Int(d)
    }
}
