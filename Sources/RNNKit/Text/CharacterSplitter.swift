/// Splits text into characters, in the one sense RNNKit gives the word: a **Unicode scalar**
/// (code point), never a grapheme cluster. `Tokenizer.characters` (classifiers) and
/// `TokenLevel.char` (language models) both split here.
///
/// Why scalars: the vocabulary then matches what char-rnn over UTF-8 text and PyTorch
/// vocabularies built from Python strings (`sorted(set(text))`, `list(text)`) contain; it stays
/// small on text with stacked combining marks; and it is defined by the bytes alone, so a saved
/// model splits text the same on every platform and Swift version (grapheme breaking follows the
/// Unicode version of the runtime). So `é` written as one code point is one token, `e` plus a
/// combining accent is two, and `👍🏽` (a thumb and a skin-tone modifier) is two.
enum CharacterSplitter {
    /// One token per scalar. With `collapsingWhitespace`, every run of whitespace becomes a single
    /// `" "` token and leading and trailing whitespace is dropped; without it every scalar is kept.
    static func split(_ text: String, collapsingWhitespace: Bool) -> [String] {
        guard collapsingWhitespace else { return text.unicodeScalars.map { String($0) } }
        var tokens: [String] = []
        tokens.reserveCapacity(text.utf8.count)
        var pendingSpace = false
        for s in text.unicodeScalars {
            if s.properties.isWhitespace {
                pendingSpace = !tokens.isEmpty
                continue
            }
            if pendingSpace { tokens.append(" "); pendingSpace = false }
            tokens.append(String(s))
        }
        return tokens
    }
}
