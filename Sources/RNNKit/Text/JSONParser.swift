import Foundation

/// A strict RFC 8259 parser for one line of JSONL. Hand-written rather than `JSONSerialization`
/// so numbers keep their text (`2.50` stays `2.50`), errors carry a column, and nesting depth is
/// bounded (a line of 100 000 `[` must be an error, not a stack overflow).
struct JSONParser {
    struct Failure: Error {
        var message: String
        /// 1-based byte column in the line.
        var column: Int
    }

    static let maxDepth = 512

    let bytes: ArraySlice<UInt8>
    var i: Int

    init(bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.i = bytes.startIndex
    }

    mutating func parseDocument() throws(Failure) -> JSONValue {
        skipWhitespace()
        let value = try parseValue(depth: 0)
        skipWhitespace()
        guard i == bytes.endIndex else { throw fail("unexpected \(describeCurrent()) after the value") }
        return value
    }

    private func fail(_ message: String) -> Failure {
        Failure(message: message, column: i - bytes.startIndex + 1)
    }

    private func describeCurrent() -> String {
        guard i < bytes.endIndex else { return "end of line" }
        let b = bytes[i]
        return b >= 0x21 && b < 0x7F ? "`\(Character(Unicode.Scalar(b)))`" : String(format: "byte 0x%02X", b)
    }

    private mutating func skipWhitespace() {
        while i < bytes.endIndex, ASCII.isJSONWhitespace(bytes[i]) {
            i += 1
        }
    }

    private mutating func parseValue(depth: Int) throws(Failure) -> JSONValue {
        guard i < bytes.endIndex else { throw fail("the line ends where a value should be") }
        switch bytes[i] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case ASCII.quote: return .string(try parseString())
        case UInt8(ascii: "t"): try expectWord("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectWord("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectWord("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw fail("unexpected \(describeCurrent()) where a value should be")
        }
    }

    private mutating func expectWord(_ word: String) throws(Failure) {
        for b in word.utf8 {
            guard i < bytes.endIndex, bytes[i] == b else { throw fail("unexpected \(describeCurrent()) (expected `\(word)`)") }
            i += 1
        }
    }

    private mutating func parseObject(depth: Int) throws(Failure) -> JSONValue {
        guard depth <= Self.maxDepth else { throw fail("nesting deeper than \(Self.maxDepth) levels") }
        i += 1  // {
        var members: [String: JSONValue] = [:]
        var order: [String] = []
        skipWhitespace()
        if i < bytes.endIndex, bytes[i] == UInt8(ascii: "}") { i += 1; return .object(members, order: order) }
        while true {
            skipWhitespace()
            guard i < bytes.endIndex, bytes[i] == ASCII.quote else { throw fail("expected a key in double quotes, found \(describeCurrent())") }
            let key = try parseString()
            skipWhitespace()
            guard i < bytes.endIndex, bytes[i] == UInt8(ascii: ":") else { throw fail("expected `:` after the key, found \(describeCurrent())") }
            i += 1
            skipWhitespace()
            let value = try parseValue(depth: depth)
            // A repeated key keeps its last value, as Python's json and JavaScript do.
            if members.updateValue(value, forKey: key) == nil { order.append(key) }
            skipWhitespace()
            guard i < bytes.endIndex else { throw fail("the line ends inside an object (missing `}`)") }
            if bytes[i] == ASCII.comma { i += 1; continue }
            if bytes[i] == UInt8(ascii: "}") { i += 1; return .object(members, order: order) }
            throw fail("expected `,` or `}` in an object, found \(describeCurrent())")
        }
    }

    private mutating func parseArray(depth: Int) throws(Failure) -> JSONValue {
        guard depth <= Self.maxDepth else { throw fail("nesting deeper than \(Self.maxDepth) levels") }
        i += 1  // [
        skipWhitespace()
        if i < bytes.endIndex, bytes[i] == UInt8(ascii: "]") { i += 1; return .array }
        while true {
            skipWhitespace()
            _ = try parseValue(depth: depth)
            skipWhitespace()
            guard i < bytes.endIndex else { throw fail("the line ends inside an array (missing `]`)") }
            if bytes[i] == ASCII.comma { i += 1; continue }
            if bytes[i] == UInt8(ascii: "]") { i += 1; return .array }
            throw fail("expected `,` or `]` in an array, found \(describeCurrent())")
        }
    }

    private mutating func parseString() throws(Failure) -> String {
        let open = i
        i += 1  // "
        var out: [UInt8] = []
        var segment = i
        while true {
            guard i < bytes.endIndex else {
                i = open
                throw fail("a string starting here is not closed (missing `\"`)")
            }
            let b = bytes[i]
            if b == ASCII.quote {
                out.append(contentsOf: bytes[segment..<i])
                i += 1
                // The line was validated as UTF-8, and escapes produce valid UTF-8.
                return String(decoding: out, as: UTF8.self)
            }
            if b < 0x20 { throw fail("a control character (byte 0x\(String(b, radix: 16, uppercase: true))) inside a string must be escaped") }
            if b != UInt8(ascii: "\\") { i += 1; continue }
            out.append(contentsOf: bytes[segment..<i])
            i += 1
            guard i < bytes.endIndex else { throw fail("the line ends inside an escape") }
            let e = bytes[i]
            i += 1
            switch e {
            case ASCII.quote, UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(ASCII.lineFeed)
            case UInt8(ascii: "r"): out.append(ASCII.carriageReturn)
            case UInt8(ascii: "t"): out.append(ASCII.tab)
            case UInt8(ascii: "u"):
                var scalar = try parseHex4()
                if (0xD800..<0xDC00).contains(scalar), i + 1 < bytes.endIndex,
                   bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") {
                    let save = i
                    i += 2
                    let low = try parseHex4()
                    if (0xDC00..<0xE000).contains(low) {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else {
                        i = save  // not a pair: the high half alone becomes U+FFFD below
                    }
                }
                // Lone surrogates are not Unicode scalars; Python keeps them, we substitute U+FFFD.
                let decoded = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                out.append(contentsOf: String(Character(decoded)).utf8)
            default:
                i -= 1
                throw fail("unknown escape `\\\(Character(Unicode.Scalar(e)))` in a string")
            }
            segment = i
        }
    }

    private mutating func parseHex4() throws(Failure) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard i < bytes.endIndex else { throw fail("the line ends inside a \\u escape") }
            let b = bytes[i]
            let digit: UInt8
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = b - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = b - UInt8(ascii: "A") + 10
            default: throw fail("a \\u escape needs four hex digits")
            }
            value = value << 4 | UInt32(digit)
            i += 1
        }
        return value
    }

    private mutating func parseNumber() throws(Failure) -> String {
        let start = i
        func digits() -> Int {
            let s = i
            while i < bytes.endIndex, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") { i += 1 }
            return i - s
        }
        if bytes[i] == UInt8(ascii: "-") { i += 1 }
        guard i < bytes.endIndex, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") else {
            throw fail("a number needs a digit after `-`")
        }
        if bytes[i] == UInt8(ascii: "0") {
            i += 1
            if i < bytes.endIndex, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") {
                throw fail("a number cannot have leading zeros")
            }
        } else {
            _ = digits()
        }
        if i < bytes.endIndex, bytes[i] == UInt8(ascii: ".") {
            i += 1
            guard digits() > 0 else { throw fail("a number needs digits after `.`") }
        }
        if i < bytes.endIndex, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i += 1
            if i < bytes.endIndex, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard digits() > 0 else { throw fail("a number needs digits in its exponent") }
        }
        return String(decoding: bytes[start..<i], as: UTF8.self)
    }
}
