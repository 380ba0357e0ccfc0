/// The `.words` tokenizer. One left-to-right pass with at most a few units of lookahead, so it is
/// linear in the text's length. The rules are written once over `SplitUnit`: ASCII text (most
/// data) is split byte by byte, which avoids grapheme breaking and is several times faster; other
/// text is split by `Character`, so an emoji or an accented letter is never cut apart.
enum WordSplitter {
    /// Endings split off a word after an apostrophe (Penn Treebank), besides `n't`.
    private static let clitics: Set<String> = ["s", "m", "d", "ll", "re", "ve"]

    static func split(_ text: String) -> [String] {
        if text.utf8.allSatisfy({ $0 < 0x80 }) {
            let bytes = Array(text.utf8)
            return split(bytes) { String(decoding: bytes[$0], as: UTF8.self) }
        }
        return split(characters: text)
    }

    /// The `Character` path for any text (also used by tests to check the ASCII path against it).
    static func split(characters text: String) -> [String] {
        let chars = Array(text)
        return split(chars) { String(chars[$0]) }
    }

    private static func split<U: SplitUnit>(_ units: [U], _ string: (Range<Int>) -> String) -> [String] {
        let n = units.count
        var tokens: [String] = []
        tokens.reserveCapacity(n / 4 + 1)
        var i = 0
        while i < n {
            let c = units[i]
            if c.isSpaceUnit {
                i += 1
            } else if c.isUnspacedUnit {
                tokens.append(string(i..<(i + 1)))
                i += 1
            } else if c.isWordUnit {
                if let end = abbreviationEnd(units, from: i) {
                    tokens.append(string(i..<end))
                    i = end
                    continue
                }
                var j = i + 1
                while j < n {
                    let d = units[j]
                    if d.isWordUnit { j += 1; continue }
                    // A joiner stays in the word only between two word characters.
                    if j + 1 < n, units[j + 1].isWordUnit {
                        if d.isApostropheUnit || d.isHyphenUnit { j += 1; continue }
                        if d.isPeriodUnit || d.isCommaUnit, units[j - 1].isNumberUnit, units[j + 1].isNumberUnit { j += 1; continue }
                    }
                    break
                }
                appendWord(string(i..<j), to: &tokens)
                i = j
            } else if c.isApostropheUnit, let end = standaloneCliticEnd(units, from: i, string) {
                // Pre-split text such as `it 's`: keep `'s` as the clitic it already is.
                tokens.append("'" + string((i + 1)..<end))
                i = end
            } else if c.isPunctuationUnit {
                var j = i + 1
                while j < n, units[j] == c { j += 1 }
                tokens.append(string(i..<j))
                i = j
            } else {
                tokens.append(string(i..<(i + 1)))
                i += 1
            }
        }
        return tokens
    }

    /// Adds a word, peeling contraction endings off the back (`shouldn't've` → `should` `n't` `'ve`).
    private static func appendWord(_ word: String, to tokens: inout [String]) {
        var word = word
        if word.utf8.contains(0xE2), word.contains("\u{2019}") {
            word = String(word.map { $0 == "\u{2019}" ? "'" : $0 })
        }
        guard word.utf8.contains(0x27) else { tokens.append(word); return }
        var endings: [String] = []
        while true {
            if word.count > 3, word.suffix(3).lowercased() == "n't" {
                endings.append(String(word.suffix(3)))
                word.removeLast(3)
            } else if let apostrophe = word.lastIndex(of: "'"), apostrophe > word.startIndex,
                      clitics.contains(word[word.index(after: apostrophe)...].lowercased()) {
                endings.append(String(word[apostrophe...]))
                word = String(word[..<apostrophe])
            } else {
                break
            }
        }
        tokens.append(word)
        tokens.append(contentsOf: endings.reversed())
    }

    /// The end of a `'s`-style clitic standing alone at `start` (an apostrophe followed by a
    /// clitic and then a non-word character), or nil.
    private static func standaloneCliticEnd<U: SplitUnit>(_ units: [U], from start: Int, _ string: (Range<Int>) -> String) -> Int? {
        var j = start + 1
        while j < units.count, j - start <= 3, units[j].isLetterUnit { j += 1 }
        guard j > start + 1, j == units.count || !(units[j].isWordUnit || units[j].isUnspacedUnit) else { return nil }
        return clitics.contains(string((start + 1)..<j).lowercased()) ? j : nil
    }

    /// The end of an abbreviation like `u.s.` or `e.g.` starting at `start` (single letters, each
    /// followed by a period, at least two of them, not followed by a word character), or nil.
    private static func abbreviationEnd<U: SplitUnit>(_ units: [U], from start: Int) -> Int? {
        var j = start
        var letters = 0
        while j + 1 < units.count, units[j].isLetterUnit, units[j + 1].isPeriodUnit {
            j += 2
            letters += 1
            if j < units.count, !units[j].isLetterUnit { break }
            if j + 1 < units.count, !units[j + 1].isPeriodUnit { break }
        }
        guard letters >= 2, j == units.count || !(units[j].isWordUnit || units[j].isUnspacedUnit) else { return nil }
        return j
    }
}
