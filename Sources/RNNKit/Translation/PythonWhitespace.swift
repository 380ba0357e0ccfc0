/// Whitespace as Python's `str.split()` and `str.rstrip()` see it, which is what sacreBLEU splits
/// words and strips lines with; matching it scalar for scalar is what keeps our token and
/// character counts equal to sacreBLEU's.
///
/// Definition: a scalar is whitespace when Python's `str.isspace()` holds for it: U+0009–U+000D,
/// U+001C–U+001F, U+0020, U+0085, U+00A0, U+1680, U+2000–U+200A, U+2028, U+2029, U+202F, U+205F
/// and U+3000. Unicode's White_Space property (which `Character.isWhitespace` follows) lacks
/// U+001C–U+001F, and a `Character` is a grapheme cluster rather than a scalar, so neither is used.
enum PythonWhitespace {
    static func contains(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A,
             0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            return true
        default:
            return false
        }
    }

    /// Python's `str.split()`: the runs of non-whitespace, in order; none for blank text.
    static func split(_ scalars: [Unicode.Scalar]) -> [[Unicode.Scalar]] {
        var words: [[Unicode.Scalar]] = [], word: [Unicode.Scalar] = []
        for scalar in scalars {
            if contains(scalar) {
                if !word.isEmpty { words.append(word); word.removeAll(keepingCapacity: true) }
            } else {
                word.append(scalar)
            }
        }
        if !word.isEmpty { words.append(word) }
        return words
    }

    /// Python's `''.join(line.split())`: the scalars with every whitespace one removed.
    static func removing(from scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        scalars.filter { !contains($0) }
    }

    /// Python's `str.rstrip()`: the scalars without their trailing whitespace.
    static func trimmingTrailing(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        guard let last = scalars.lastIndex(where: { !contains($0) }) else { return [] }
        return Array(scalars[...last])
    }
}
