/// Words (or other tokens) and their ids, in id order.
public struct Vocabulary: Sendable, Equatable {
    public let tokens: [String]
    private let ids: [String: Int]

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

    public var count: Int { tokens.count }

    public func id(of token: String) -> Int? { ids[token] }
}

/// How text becomes tokens; saved in the model so prediction splits text as training did.
public enum Tokenizer: String, Codable, Sendable {
    /// Split on single spaces, as the tutorial does (`text.split(' ')`); empty pieces are dropped.
    case spaces

    public func tokens(_ text: String) -> [String] {
        switch self {
        case .spaces: return text.split(separator: " ").map(String.init)
        }
    }
}

/// A text as word ids, with its class index.
public struct EncodedExample: Sendable, Equatable {
    public var tokens: [Int]
    public var label: Int

    public init(tokens: [Int], label: Int) {
        self.tokens = tokens
        self.label = label
    }
}

/// A text turned into ids: words outside the vocabulary are skipped and listed.
public struct Encoding: Sendable, Equatable {
    public var ids: [Int]
    public var unknown: [String]
}

extension Vocabulary {
    public func encode(_ text: String, tokenizer: Tokenizer) -> Encoding {
        var ids: [Int] = [], unknown: [String] = []
        for t in tokenizer.tokens(text) {
            if let id = id(of: t) { ids.append(id) } else { unknown.append(t) }
        }
        return Encoding(ids: ids, unknown: unknown)
    }
}
