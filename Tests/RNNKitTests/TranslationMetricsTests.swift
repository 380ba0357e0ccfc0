import Foundation
import Testing
@testable import RNNKit

/// The sacreBLEU fixture (`scripts/fixtures/sacrebleu_fixtures.py` writes it): small corpora with
/// sacreBLEU's BLEU statistics, chrF score and 13a tokenizations.
private struct SacreBLEUFixture: Decodable {
    struct Case: Decodable {
        struct BLEUStatistics: Decodable {
            var score: Double
            var counts: [Int]
            var totals: [Int]
            var precisions: [Double]
            var bp: Double
            var sys_len: Int
            var ref_len: Int
        }
        struct ChrFStatistics: Decodable {
            var score: Double
        }
        var name: String
        var lowercase: Bool
        var hypotheses: [String]
        var references: [[String]]
        var tokenized_hypotheses: [String]
        var tokenized_references: [[String]]
        var bleu: BLEUStatistics
        var chrf: ChrFStatistics
    }
    var sacrebleu_version: String
    var cases: [Case]
    /// Generated sentences and their 13a tokenization: `[text, tokens]`.
    var tokenizer_stress: [[String]]

    /// The committed fixture; throws (failing the test) when it is missing or malformed.
    static func load() throws -> SacreBLEUFixture {
        let files = try Fixtures.jsonFiles(in: "sacrebleu", extra: nil)
        guard let url = files.first(where: { $0.lastPathComponent == "cases.json" }) else {
            throw Fixtures.Missing(description: "the sacrebleu fixture folder holds no cases.json (run scripts/fixtures/sacrebleu_fixtures.py).")
        }
        let fixture = try JSONDecoder().decode(SacreBLEUFixture.self, from: Data(contentsOf: url))
        guard fixture.cases.count >= 10 else {
            throw Fixtures.Missing(description: "cases.json holds \(fixture.cases.count) cases, expected at least 10.")
        }
        return fixture
    }
}

/// Python compares strings scalar by scalar; Swift's `==` would equate a decomposed `é` with `é`.
private func scalars(_ text: String) -> [Unicode.Scalar] { Array(text.unicodeScalars) }

/// Our arithmetic repeats sacreBLEU's operation for operation; on Linux (glibc's exp and log, as
/// Python's) the scores agree bit for bit (this suite passes with tolerance 0). The margin allows
/// for another platform's libm.
private let scoreTolerance = 1e-9

@Suite("Translation metrics: BLEU and chrF as sacreBLEU computes them")
struct TranslationMetricsTests {
    @Test("Tokenizer13a tokenizes every fixture sentence exactly as sacreBLEU")
    func tokenization() throws {
        let tokenizer = Tokenizer13a()
        for c in try SacreBLEUFixture.load().cases {
            #expect(c.tokenized_hypotheses.count == c.hypotheses.count, "\(c.name)")
            for (sentence, expected) in zip(c.hypotheses, c.tokenized_hypotheses) {
                #expect(scalars(tokenizer(sentence)) == scalars(expected), "\(c.name): \(sentence.debugDescription)")
            }
            for (sentences, expected) in zip(c.references, c.tokenized_references) {
                for (sentence, tokens) in zip(sentences, expected) {
                    #expect(scalars(tokenizer(sentence)) == scalars(tokens), "\(c.name): \(sentence.debugDescription)")
                }
            }
        }
    }

    @Test("Tokenizer13a agrees with sacreBLEU on 400 generated sentences of tricky pieces")
    func tokenizationStress() throws {
        let tokenizer = Tokenizer13a()
        let pairs = try SacreBLEUFixture.load().tokenizer_stress
        #expect(pairs.count == 400)
        for pair in pairs {
            guard pair.count == 2 else { Issue.record("tokenizer_stress entry \(pair) is not [text, tokens]"); continue }
            #expect(scalars(tokenizer(pair[0])) == scalars(pair[1]), "\(pair[0].debugDescription)")
        }
    }

    @Test("BLEU statistics equal sacreBLEU's exactly, scores within 1e-9")
    func bleuMatchesSacreBLEU() throws {
        for c in try SacreBLEUFixture.load().cases {
            let result = BLEU(lowercase: c.lowercase).score(hypotheses: c.hypotheses, references: c.references)
            #expect(result.counts == c.bleu.counts, "\(c.name): counts")
            #expect(result.totals == c.bleu.totals, "\(c.name): totals")
            #expect(result.hypothesisLength == c.bleu.sys_len, "\(c.name): sys_len")
            #expect(result.referenceLength == c.bleu.ref_len, "\(c.name): ref_len")
            expectClose(result.precisions, c.bleu.precisions, tolerance: scoreTolerance, "\(c.name): precisions")
            expectClose(result.brevityPenalty, c.bleu.bp, tolerance: scoreTolerance, "\(c.name): bp")
            expectClose(result.score, c.bleu.score, tolerance: scoreTolerance, "\(c.name): BLEU")
        }
    }

    @Test("chrF equals sacreBLEU's within 1e-9")
    func chrFMatchesSacreBLEU() throws {
        for c in try SacreBLEUFixture.load().cases {
            let score = ChrF(lowercase: c.lowercase).score(hypotheses: c.hypotheses, references: c.references)
            expectClose(score, c.chrf.score, tolerance: scoreTolerance, "\(c.name): chrF")
        }
    }

    @Test("The fixture covers what it claims to: a zero n-gram count, an empty hypothesis, two references, both casings")
    func fixtureCoverage() throws {
        let fixture = try SacreBLEUFixture.load()
        #expect(!fixture.sacrebleu_version.isEmpty)
        let cases = fixture.cases
        #expect(cases.contains { $0.bleu.counts.contains(0) && $0.bleu.counts[0] > 0 && $0.bleu.totals[3] > 0 })
        #expect(cases.contains { $0.hypotheses.contains("") })
        #expect(cases.contains { $0.references.contains { $0.count > 1 } })
        #expect(cases.contains { $0.lowercase } && cases.contains { !$0.lowercase })
    }

    // MARK: Hand-checkable properties

    @Test("An identical corpus scores 100 on both metrics")
    func identicalCorpus() {
        let text = ["the cat sat on the mat .", "a second sentence with enough words"]
        let bleu = BLEU().score(hypotheses: text, references: text)
        // exp(log 100) is 100.00000000000004 in binary64, in sacreBLEU as here.
        expectClose(bleu.score, 100, tolerance: 1e-12, "BLEU")
        #expect(bleu.precisions == [100, 100, 100, 100])
        #expect(bleu.brevityPenalty == 1)
        #expect(ChrF().score(hypotheses: text, references: text) == 100)
    }

    @Test("An empty hypothesis scores 0, with brevity penalty 0")
    func emptyHypothesis() {
        let bleu = BLEU().score(hypotheses: [""], references: ["a reference sentence"])
        #expect(bleu.score == 0)
        #expect(bleu.brevityPenalty == 0)
        #expect(bleu.hypothesisLength == 0 && bleu.referenceLength == 3)
        #expect(ChrF().score(hypotheses: [""], references: ["a reference sentence"]) == 0)
    }

    @Test("exp smoothing: the k-th zero-match order gets precision 100/(2^k · total)")
    func expSmoothing() {
        // 1-grams: a b c d match (4/5); 2-grams: "a b", "c d" (2/4); no 3- or 4-gram matches.
        let bleu = BLEU().score(hypotheses: ["a b x c d"], references: ["a b y c d"])
        #expect(bleu.counts == [4, 2, 0, 0])
        #expect(bleu.totals == [5, 4, 3, 2])
        let precisions: [Double] = [80, 50, 100.0 / 6, 100.0 / 8]  // 100/(2·3) and 100/(4·2)
        #expect(bleu.precisions == precisions)
        let expected = exp((log(80.0) + log(50.0) + log(100.0 / 6) + log(12.5)) / 4)
        expectClose(bleu.score, expected, tolerance: 1e-12, "BLEU")
    }

    @Test("Brevity penalty exp(1 − r/c) with the closest reference length, the shorter on a tie")
    func brevityPenalty() {
        // 4 hypothesis tokens; references of 3 and 5 tokens are equally close: r = 3, no penalty.
        let tie = BLEU().score(hypotheses: ["a b c d"], references: [["a b c", "a b c d e"]])
        #expect(tie.referenceLength == 3 && tie.brevityPenalty == 1)
        let short = BLEU().score(hypotheses: ["a b c d"], references: ["a b c d e f"])
        #expect(short.referenceLength == 6)
        #expect(short.brevityPenalty == exp(1 - 6.0 / 4.0))
    }

    @Test("lowercase changes the score on a cased example, and only then")
    func lowercase() {
        let hypotheses = ["THE HOUSE IS RED ."], references = ["The house is red ."]
        let cased = BLEU().score(hypotheses: hypotheses, references: references)
        let lowered = BLEU(lowercase: true).score(hypotheses: hypotheses, references: references)
        #expect(cased.counts == [1, 0, 0, 0])
        expectClose(lowered.score, 100, tolerance: 1e-12, "lowercased BLEU")
        #expect(ChrF().score(hypotheses: hypotheses, references: references) < 100)
        #expect(ChrF(lowercase: true).score(hypotheses: hypotheses, references: references) == 100)
        let plain = ["the house is red ."]
        #expect(BLEU(lowercase: true).score(hypotheses: plain, references: plain)
                == BLEU().score(hypotheses: plain, references: plain))
    }
}
