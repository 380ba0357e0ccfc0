/// What `WordSplitter` needs to know about one unit of text.
protocol SplitUnit: Equatable {
    var isSpaceUnit: Bool { get }
    /// Written without spaces between words (Chinese, Japanese): a token on its own.
    var isUnspacedUnit: Bool { get }
    /// A letter (not an unspaced one).
    var isLetterUnit: Bool { get }
    /// A digit or other number (not an unspaced one).
    var isNumberUnit: Bool { get }
    var isApostropheUnit: Bool { get }
    var isPunctuationUnit: Bool { get }
    var isPeriodUnit: Bool { get }
    var isCommaUnit: Bool { get }
    var isHyphenUnit: Bool { get }
}

extension SplitUnit {
    var isWordUnit: Bool { isLetterUnit || isNumberUnit }
}

/// An ASCII byte, classified exactly as the same character is by the `Character` conformance.
extension UInt8: SplitUnit {
    var isSpaceUnit: Bool { self == 0x20 || (self >= 0x09 && self <= 0x0D) }
    var isUnspacedUnit: Bool { false }
    var isLetterUnit: Bool { (self | 0x20) >= 0x61 && (self | 0x20) <= 0x7A }
    var isNumberUnit: Bool { self >= 0x30 && self <= 0x39 }
    var isApostropheUnit: Bool { self == 0x27 }
    /// Unicode category P*: `!"#%&'()*,-./:;?@[\]_{}` (while `$+<=>^`|~` are symbols).
    var isPunctuationUnit: Bool {
        switch self {
        case 0x21...0x23, 0x25...0x2A, 0x2C...0x2F, 0x3A, 0x3B, 0x3F, 0x40, 0x5B...0x5D, 0x5F, 0x7B, 0x7D: return true
        default: return false
        }
    }
    var isPeriodUnit: Bool { self == 0x2E }
    var isCommaUnit: Bool { self == 0x2C }
    var isHyphenUnit: Bool { self == 0x2D }
}

extension Character: SplitUnit {
    var isSpaceUnit: Bool { isWhitespace }
    var isUnspacedUnit: Bool {
        guard asciiValue == nil, let s = unicodeScalars.first else { return false }
        switch s.value {
        case 0x3040...0x30FF, 0x31F0...0x31FF, 0xFF66...0xFF9F: return true  // kana
        default: return s.properties.isIdeographic
        }
    }
    var isLetterUnit: Bool {
        if let a = asciiValue { return a.isLetterUnit }
        return isLetter && !isUnspacedUnit
    }
    var isNumberUnit: Bool {
        if let a = asciiValue { return a.isNumberUnit }
        return isNumber && !isUnspacedUnit
    }
    var isApostropheUnit: Bool { self == "'" || self == "\u{2019}" }
    var isPunctuationUnit: Bool { isPunctuation }
    var isPeriodUnit: Bool { self == "." }
    var isCommaUnit: Bool { self == "," }
    var isHyphenUnit: Bool { self == "-" }
}
