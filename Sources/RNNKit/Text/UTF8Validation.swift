/// The library's one UTF-8 validator: every reader of text (data files, language-model texts)
/// decodes bytes through it, so "valid UTF-8" means the same everywhere.
package enum UTF8Validation {
    /// The UTF-8 byte-order mark, which readers drop from the start of a file.
    static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

    /// Byte offset of the first byte of the first ill-formed UTF-8 sequence in `bytes` (from
    /// `bytes.startIndex`), or nil when all of it is valid UTF-8 (RFC 3629: no overlong forms, no
    /// surrogates, nothing above U+10FFFF, no truncated sequence at the end).
    ///
    /// Scanned by hand rather than by `String(validating:)` because that only says *whether*
    /// the bytes are valid, and a user with a 1 MB file needs to know *where* they are not (and it
    /// needs macOS 15, while the package supports macOS 13).
    package static func firstInvalidOffset<C: Collection>(_ bytes: C) -> Int? where C.Element == UInt8, C.Index == Int {
        var i = bytes.startIndex
        let end = bytes.endIndex
        while i < end {
            let b0 = bytes[i]
            if b0 < 0x80 { i += 1; continue }
            let length: Int
            var low: UInt8 = 0x80, high: UInt8 = 0xBF   // allowed range of the second byte
            switch b0 {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; low = 0xA0             // no overlong three-byte forms
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; high = 0x9F            // no UTF-16 surrogates
            case 0xF0: length = 4; low = 0x90             // no overlong four-byte forms
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; high = 0x8F            // nothing above U+10FFFF
            default: return i - bytes.startIndex          // stray continuation byte, C0, C1, F5…FF
            }
            guard i + length <= end else { return i - bytes.startIndex }
            guard (low...high).contains(bytes[i + 1]) else { return i - bytes.startIndex }
            for k in 2..<length where !(0x80...0xBF).contains(bytes[i + k]) { return i - bytes.startIndex }
            i += length
        }
        return nil
    }

    /// The bytes as a string, or nil if they are not valid UTF-8.
    static func string<C: Collection>(_ bytes: C) -> String? where C.Element == UInt8, C.Index == Int {
        firstInvalidOffset(bytes) == nil ? String(decoding: bytes, as: UTF8.self) : nil
    }
}
