/// The bytes the text readers look for.
enum ASCII {
    static let lineFeed: UInt8 = 0x0A
    static let carriageReturn: UInt8 = 0x0D
    static let tab: UInt8 = 0x09
    static let space: UInt8 = 0x20
    static let comma: UInt8 = 0x2C
    static let quote: UInt8 = 0x22

    /// Space, tab, LF, CR, vertical tab or form feed: a line of only these is blank.
    static func isBlank(_ b: UInt8) -> Bool {
        b == space || b == tab || b == lineFeed || b == carriageReturn || b == 0x0B || b == 0x0C
    }

    /// Space, tab, LF or CR: the whitespace JSON allows between tokens (RFC 8259).
    static func isJSONWhitespace(_ b: UInt8) -> Bool {
        b == space || b == tab || b == lineFeed || b == carriageReturn
    }
}
