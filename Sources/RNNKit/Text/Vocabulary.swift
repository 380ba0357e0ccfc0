/// Words (or other tokens) and their ids, in id order.
public struct Vocabulary: Sendable, Equatable {
    public let tokens: [String]
    private let ids: [String: Int]

    /// The padding token `Vocabulary.build` puts first by default.
    public static let paddingToken = "<pad>"
    /// The token that stands for every word outside the vocabulary, when the vocabulary has it.
    public static let unknownToken = "<unk>"

    /// A vocabulary with the given tokens in id order; nil if a token repeats.
    public init?(tokens: [String]) {
        var ids = [String: Int](minimumCapacity: tokens.count)
        for (i, t) in tokens.enumerated() {
            guard ids.updateValue(i, forKey: t) == nil else { return nil }
        }
        self.tokens = tokens
        self.ids = ids
    }

    /// Every distinct token of `texts`, numbered in order of first appearance (the tutorial's order).
    public init<S: Sequence>(firstAppearanceIn texts: S) where S.Element == [String] {
        var tokens: [String] = []
        var ids: [String: Int] = [:]
        for text in texts {
            for t in text where ids[t] == nil {
                ids[t] = tokens.count
                tokens.append(t)
            }
        }
        self.tokens = tokens
        self.ids = ids
    }

    /// A vocabulary for real data: `specials` first (ids 0, 1, … in the order given; by default
    /// `<pad>` = 0 and `<unk>` = 1), then every token occurring at least `minCount` times, most
    /// frequent first. Ties keep the order of first appearance, so the same texts always give the
    /// same ids.
    ///
    /// - Parameters:
    ///   - tokenized: the training texts, already split into tokens.
    ///   - minCount: rarer tokens are left out (they encode as `<unk>` if it is among the specials);
    ///     values below 1 mean 1.
    ///   - maxSize: the most tokens to keep, specials included; the least frequent go first. The
    ///     specials are always kept, even when they alone exceed `maxSize`. `nil`: no limit.
    ///   - specials: reserved tokens; repeats are ignored. A text token equal to a special shares
    ///     its id rather than getting a second one.
    public static func build(from tokenized: [[String]], minCount: Int = 1, maxSize: Int? = nil,
                             specials: [String] = [Vocabulary.paddingToken, Vocabulary.unknownToken]) -> Vocabulary {
        var tokens: [String] = []
        var reserved = Set<String>()
        for s in specials where reserved.insert(s).inserted { tokens.append(s) }

        // One hash lookup per token: slots are numbered by first appearance, which is then the
        // tie-break; specials are filtered out after counting rather than looked up per token.
        var slot: [String: Int] = [:]
        var distinct: [String] = []
        var counts: [Int] = []
        for text in tokenized {
            for t in text {
                if let k = slot[t] {
                    counts[k] += 1
                } else {
                    slot[t] = counts.count
                    distinct.append(t)
                    counts.append(1)
                }
            }
        }
        let threshold = max(minCount, 1)
        let ranked = distinct.indices
            .filter { counts[$0] >= threshold && !reserved.contains(distinct[$0]) }
            .sorted { counts[$0] != counts[$1] ? counts[$0] > counts[$1] : $0 < $1 }
        let room = maxSize.map { max($0 - tokens.count, 0) } ?? ranked.count
        tokens.append(contentsOf: ranked.prefix(room).map { distinct[$0] })
        // Distinct by construction (specials deduplicated, text tokens exclude specials).
        var ids = [String: Int](minimumCapacity: tokens.count)
        for (i, t) in tokens.enumerated() { ids[t] = i }
        return Vocabulary(uncheckedTokens: tokens, ids: ids)
    }

    private init(uncheckedTokens tokens: [String], ids: [String: Int]) {
        self.tokens = tokens
        self.ids = ids
    }

    public var count: Int { tokens.count }

    /// The id of `token`, or nil if it is not in the vocabulary.
    public func id(of token: String) -> Int? { ids[token] }

    /// The id of `<unk>`, if the vocabulary has it; `encode` maps unknown tokens to it.
    public var unknownID: Int? { ids[Vocabulary.unknownToken] }
}

extension Vocabulary {
    /// Splits `text` with `tokenizer` and encodes the tokens (see `encode(tokens:)`).
    public func encode(_ text: String, tokenizer: Tokenizer) -> Encoding {
        encode(tokens: tokenizer.tokens(text))
    }

    /// Encodes tokens as ids. A token outside the vocabulary becomes `<unk>` if the vocabulary
    /// has it (as `Vocabulary.build` gives by default) and is skipped if not (as in the
    /// tutorial's vocabulary, built with `init(firstAppearanceIn:)`); either way it is listed in
    /// `unknown`.
    public func encode(tokens: [String]) -> Encoding {
        let unk = unknownID
        var ids: [Int] = [], unknown: [String] = []
        ids.reserveCapacity(tokens.count)
        for t in tokens {
            if let id = id(of: t) {
                ids.append(id)
            } else {
                unknown.append(t)
                if let unk { ids.append(unk) }
            }
        }
        return Encoding(ids: ids, unknown: unknown)
    }
}
