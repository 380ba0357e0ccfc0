/// Turns tokens back into text: the inverse, as far as it can be, of `Tokenizer.words`, for a
/// translation model's output (`a` `man` `'s` `dog` `.` → `a man's dog.`).
///
/// `WordSplitter` throws spaces away, so this puts them back by the conventions of English
/// typography:
/// - no space before `. , ! ? ; : ) ] } %`, `…` and closing quotes, nor after `( [ {`, opening
///   quotes, currency signs (`$ £ € ¥`) and `#` (`#19`);
/// - contraction endings join the word before them: `do` `n't` → `don't`, `it` `'s` → `it's`
///   (also `'m 're 've 'll 'd`, in any case);
/// - a slash joins its neighbours (`and/or`), as does a colon between numbers (`10:30`);
/// - straight quotes (`"`, `'`) alternate between opening and closing; a `'` right after a word
///   ending in `s`, with no single quote open and none to follow, is a possessive (`the players'
///   bags`);
/// - a hyphen or dash that is a token of its own stays between spaces: the tokenizer keeps
///   `well-made` whole, so a lone `-` had a space on at least one side.
///
/// Case is left as it is: lowercased tokens give lowercased text.
package enum Detokenizer {
    private static let clitics: Set<String> = ["n't", "'s", "'m", "'re", "'ve", "'ll", "'d"]
    /// Attach to the token before them.
    private static let closing: Set<Character> = [".", ",", "!", "?", ";", ":", ")", "]", "}", "%", "…", "”", "’", "»"]
    /// Attach to the token after them.
    private static let opening: Set<Character> = ["(", "[", "{", "“", "‘", "„", "«", "$", "£", "€", "¥", "#"]

    /// `tokens` as one line of text.
    package static func text(_ tokens: [String]) -> String {
        var out = ""
        var joinNext = true          // no space before the next token (start of text, after an opener)
        var doubleOpen = false, singleOpen = false
        var previous: String?
        for (k, token) in tokens.enumerated() where !token.isEmpty {
            var joinBefore = joinNext
            joinNext = false
            let next = k + 1 < tokens.count ? tokens[k + 1] : nil
            let mark = repeatedMark(token)
            if clitics.contains(token.lowercased()), previous != nil {
                joinBefore = true
            } else if token == "\"" {
                if doubleOpen { joinBefore = true } else { joinNext = true }
                doubleOpen.toggle()
            } else if token == "'" {
                if singleOpen {
                    joinBefore = true
                    singleOpen = false
                } else if let previous, previous.last == "s" || previous.last == "S",
                          !tokens[(k + 1)...].contains("'") {
                    joinBefore = true  // possessive: the players' bags
                } else {
                    joinNext = true
                    singleOpen = true
                }
            } else if token == "/" {
                joinBefore = true
                joinNext = true
            } else if token == ":", let previous, isNumber(previous), let next, isNumber(next) {
                joinBefore = true
                joinNext = true
            } else if let mark, closing.contains(mark) {
                joinBefore = true
            } else if let mark, opening.contains(mark) {
                joinNext = true
            }
            if !out.isEmpty, !joinBefore { out.append(" ") }
            out += token
            previous = token
        }
        return out
    }

    /// The character `token` repeats (`.` for `...`), or nil for a token of mixed characters.
    private static func repeatedMark(_ token: String) -> Character? {
        guard let first = token.first, token.allSatisfy({ $0 == first }) else { return nil }
        return first
    }

    private static func isNumber(_ token: String) -> Bool {
        token.allSatisfy { $0.isASCII && $0.isNumber }
    }
}
