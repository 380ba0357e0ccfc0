/// sacreBLEU's default BLEU tokenizer, `13a` (the tokenization of WMT's `mteval-v13a.pl`),
/// reproduced rule for rule so that BLEU here counts the same tokens sacreBLEU does.
///
/// Definition, applied in this order to the line's Unicode scalars (sacreBLEU 2.x,
/// `tokenizer_13a.py` and `tokenizer_re.py`):
/// 1. remove every `<skipped>`; remove every `-` + line feed (a word hyphenated across lines is
///    joined); replace every remaining line feed by a space;
/// 2. decode `&quot;` → `"`, then `&amp;` → `&`, then `&lt;` → `<`, then `&gt;` → `>`, each a
///    left-to-right pass of its own (so `&amp;lt;` becomes `<`, as in sacreBLEU);
/// 3. pad the line with one space on each side;
/// 4. put spaces around every ASCII symbol except `'`, `,`, `-` and `.`, that is around
///    `{|}~`, `` [\]^_` ``, `!"#$%&`, `()*+`, `:;<=>?@` and `/`;
/// 5. split `.` and `,` from a preceding non-digit: `x.` → `x . `;
/// 6. split `.` and `,` from a following non-digit: `.x` → ` . x`;
/// 7. split `-` from a preceding digit: `3-` → `3 - `;
/// 8. split on whitespace (Python's, see `PythonWhitespace`), dropping empty tokens.
///
/// Steps 5–7 are Python `re.sub` passes of a two-scalar pattern: matches are found left to right
/// and never overlap, so in `a.,b` step 5 splits `a.` and the `,` is then left for step 6. A
/// "digit" is ASCII 0–9 only (Python's `[0-9]`), so decimal points and thousands separators
/// between digits (`3,5`, `1.250`) stay inside their token. Everything is done on Unicode scalars,
/// not Swift `Character`s: a decomposed `é` stays two scalars, as in Python.
package struct Tokenizer13a: Sendable {
    package init() {}

    /// The tokens of `line`, joined by single spaces: what sacreBLEU's `Tokenizer13a()(line)` returns.
    package func callAsFunction(_ line: String) -> String {
        tokens(line).joined(separator: " ")
    }

    /// The tokens of `line`.
    package func tokens(_ line: String) -> [String] {
        tokens(Array(line.unicodeScalars)).map { token in
            var text = String.UnicodeScalarView()
            text.append(contentsOf: token)
            return String(text)
        }
    }

    /// The tokens of `scalars`, each as its scalars (what BLEU counts n-grams of).
    func tokens(_ scalars: [Unicode.Scalar]) -> [[Unicode.Scalar]] {
        var line = scalars
        for (target, replacement) in Self.replacements {
            line = Self.replacing(Array(target.unicodeScalars), with: Array(replacement.unicodeScalars), in: line)
        }
        line = [" "] + line + [" "]
        line = line.flatMap { Self.isSeparatedSymbol($0) ? [" ", $0, " "] : [$0] }
        line = Self.substitutingPairs(in: line, where: { !Self.isDigit($0) }, { Self.isPeriodOrComma($0) }) {
            [$0, " ", $1, " "]
        }
        line = Self.substitutingPairs(in: line, where: { Self.isPeriodOrComma($0) }, { !Self.isDigit($0) }) {
            [" ", $0, " ", $1]
        }
        line = Self.substitutingPairs(in: line, where: { Self.isDigit($0) }, { $0 == "-" }) {
            [$0, " ", $1, " "]
        }
        return PythonWhitespace.split(line)
    }

    /// Steps 1 and 2, in order.
    private static let replacements: [(String, String)] = [
        ("<skipped>", ""), ("-\n", ""), ("\n", " "),
        ("&quot;", "\""), ("&amp;", "&"), ("&lt;", "<"), ("&gt;", ">"),
    ]

    /// Python's `str.replace`: every non-overlapping occurrence of `target`, left to right.
    private static func replacing(
        _ target: [Unicode.Scalar], with replacement: [Unicode.Scalar], in line: [Unicode.Scalar]
    ) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(line.count)
        var i = 0
        while i < line.count {
            if i + target.count <= line.count, line[i..<(i + target.count)].elementsEqual(target) {
                out += replacement
                i += target.count
            } else {
                out.append(line[i])
                i += 1
            }
        }
        return out
    }

    /// Python's `re.sub` for a pattern of two single-scalar classes: each leftmost match of a
    /// scalar in `first` followed by one in `second` is replaced, and the search resumes after it.
    private static func substitutingPairs(
        in line: [Unicode.Scalar],
        where first: (Unicode.Scalar) -> Bool, _ second: (Unicode.Scalar) -> Bool,
        by replacement: (Unicode.Scalar, Unicode.Scalar) -> [Unicode.Scalar]
    ) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(line.count + line.count / 4)
        var i = 0
        while i < line.count {
            if i + 1 < line.count, first(line[i]), second(line[i + 1]) {
                out += replacement(line[i], line[i + 1])
                i += 2
            } else {
                out.append(line[i])
                i += 1
            }
        }
        return out
    }

    /// Step 4's class, sacreBLEU's `[\{-\~\[-\` -\&\(-\+\:-\@\/]`.
    private static func isSeparatedSymbol(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x7B...0x7E, 0x5B...0x60, 0x20...0x26, 0x28...0x2B, 0x3A...0x40, 0x2F: return true
        default: return false
        }
    }

    private static func isDigit(_ scalar: Unicode.Scalar) -> Bool { ("0"..."9").contains(scalar) }

    private static func isPeriodOrComma(_ scalar: Unicode.Scalar) -> Bool { scalar == "." || scalar == "," }
}
