/// A lexical vocabulary shortlist (Jean et al. 2015; Marian's lexical shortlists): for each
/// source word, the target words most often found in the translations of sentences that hold
/// it, so that decoding one sentence scores only the target words its source words suggest.
///
/// The words one sentence may produce are the union of its source words' `candidates`, the
/// `frequent` most frequent target words and `<unk>` and `<eos>`: fc_out's rows outside it are
/// never read, which is most of a decoding step's weights. The softmax is taken over that set
/// (as Marian does), so scores are of the shortlisted words only.
///
/// A source word's candidates are ranked by the Dice coefficient of sentence co-occurrence,
/// 2·c(s,t) / (c(s) + c(t)) with c counting training pairs (ties: the lower target id), which
/// unlike p(t|s) does not fill every list with "a" and "the" (those are the frequent words).
///
/// File layout (`Seq2SeqModel.save`): tensor `shortlist.candidates` (Vs, perWord), F32 holding
/// target ids, −1 where a source word has fewer candidates; tensor `shortlist.frequent` (N), the
/// target ids always scored. They are not parameters: PyTorch's `load_state_dict` needs them
/// dropped (keys beginning `shortlist.`).
public struct VocabularyShortlist: Sendable, Equatable {
    /// How many candidates each source word keeps.
    public let perWord: Int
    /// candidates[s]: target ids for source id s, best first (at most `perWord`).
    package let candidates: [[Int]]
    /// The target ids scored for every sentence: the most frequent target words, ascending id.
    package let frequent: [Int]
    let targetVocabularySize: Int

    /// The tensors' names in a model file.
    public static let candidatesTensor = "shortlist.candidates"
    public static let frequentTensor = "shortlist.frequent"

    /// How a shortlist is built from training pairs.
    public struct Options: Sendable, Equatable {
        /// Target words kept per source word.
        public var perWord = 50
        /// The most frequent target words, always scored.
        public var frequent = 200
        public init(perWord: Int = 50, frequent: Int = 200) {
            self.perWord = perWord
            self.frequent = frequent
        }

        /// Why these options cannot build a shortlist, or nil.
        public var problem: String? {
            if !(1...100_000).contains(perWord) { return "the words kept per source word must be between 1 and 100000 (got \(perWord))" }
            if !(0...1_000_000).contains(frequent) { return "the frequent words must be between 0 and 1000000 (got \(frequent))" }
            return nil
        }
    }

    /// What building a shortlist from training pairs found.
    public struct Report: Sendable, Equatable {
        /// The training pairs read.
        public var pairs: Int
        /// Target words one sentence's decoding scores, on average over the first 1,000 sources.
        public var targetsPerSentence: Double
    }

    /// A side of the training pairs.
    public enum Side: String, Sendable, Equatable { case source, target }

    /// Why a shortlist is not built from these pairs.
    public enum BuildError: Error, CustomStringConvertible, Equatable, Sendable {
        /// More than half of one side's words are not in the model's vocabulary of that side.
        case unfamiliarWords(side: Side, unknown: Int, words: Int)

        /// The side of the pairs at fault.
        public var side: Side {
            switch self { case let .unfamiliarWords(side, _, _): side }
        }

        public var description: String {
            switch self {
            case let .unfamiliarWords(side, unknown, words):
                return "\(unknown * 100 / words)% of the \(side.rawValue) words are not in the model's \(side.rawValue) vocabulary, so "
                    + "its shortlist would leave almost no words to choose from. Give the pairs the model was trained on."
            }
        }
    }

    package init(perWord: Int, candidates: [[Int]], frequent: [Int], targetVocabularySize: Int) {
        self.perWord = perWord
        self.candidates = candidates
        self.frequent = frequent
        self.targetVocabularySize = targetVocabularySize
    }

    /// Builds the shortlist of sentence pairs given as ids (specials anywhere are ignored: only
    /// ids ≥ `firstWord` count as words).
    package static func build(pairs: [(source: [Int], target: [Int])], sourceVocabularySize Vs: Int,
                              targetVocabularySize Vt: Int, options: Options, firstWord: Int = 4) -> VocabularyShortlist {
        precondition(options.problem == nil, options.problem ?? "")
        var sourceCount = [Int](repeating: 0, count: Vs), targetCount = [Int](repeating: 0, count: Vt)
        // Each pair's (s, t) as one key s·Vt + t; sorting them counts c(s, t) without a Vs × Vt table.
        var keys: [Int] = []
        for (source, target) in pairs {
            let s = Set(source.filter { $0 >= firstWord && $0 < Vs }).sorted()
            let t = Set(target.filter { $0 >= firstWord && $0 < Vt }).sorted()
            for i in s { sourceCount[i] += 1 }
            for j in t { targetCount[j] += 1 }
            for i in s { for j in t { keys.append(i * Vt + j) } }
        }
        keys.sort()
        var candidates = [[Int]](repeating: [], count: Vs)
        var scored: [(dice: Double, target: Int)] = []
        var k = 0
        while k < keys.count {
            let s = keys[k] / Vt
            scored.removeAll(keepingCapacity: true)
            while k < keys.count && keys[k] / Vt == s {
                var n = 0
                let key = keys[k]
                while k < keys.count && keys[k] == key { n += 1; k += 1 }
                let t = key % Vt
                scored.append((2 * Double(n) / Double(sourceCount[s] + targetCount[t]), t))
            }
            scored.sort { $0.dice != $1.dice ? $0.dice > $1.dice : $0.target < $1.target }
            candidates[s] = scored.prefix(options.perWord).map(\.target)
        }
        let byCount = (firstWord..<max(firstWord, Vt)).filter { targetCount[$0] > 0 }
            .sorted { targetCount[$0] != targetCount[$1] ? targetCount[$0] > targetCount[$1] : $0 < $1 }
        return VocabularyShortlist(perWord: options.perWord, candidates: candidates,
                                   frequent: byCount.prefix(options.frequent).sorted(), targetVocabularySize: Vt)
    }

    /// The target ids one source sentence (ids) may produce, ascending: its words' candidates,
    /// the frequent words, `<unk>` and `<eos>`.
    package func targets(for source: [Int]) -> [Int] {
        var chosen = [Bool](repeating: false, count: targetVocabularySize)
        chosen[1] = true  // <unk>
        chosen[3] = true  // <eos>
        for t in frequent { chosen[t] = true }
        for s in source where s < candidates.count { for t in candidates[s] { chosen[t] = true } }
        return chosen.indices.filter { chosen[$0] }
    }

    /// The two tensors a model file holds.
    package var tensors: [String: Safetensors.Entry] {
        var values = [Float](repeating: -1, count: candidates.count * perWord)
        for (s, row) in candidates.enumerated() { for (k, t) in row.enumerated() { values[s * perWord + k] = Float(t) } }
        return [Self.candidatesTensor: .init(shape: [candidates.count, perWord], values: values),
                Self.frequentTensor: .init(shape: [frequent.count], values: frequent.map(Float.init))]
    }

    /// The shortlist a model file holds, nil when it holds none.
    /// - Throws: `ModelFileError` (`.inconsistent`) naming the tensor and what is wrong: one of
    ///   the two missing, a shape that does not fit the vocabularies, or a value that is not a
    ///   target id.
    package static func read(_ tensors: [String: Safetensors.Entry], sourceVocabularySize Vs: Int, targetVocabularySize Vt: Int,
                             path: String) throws -> VocabularyShortlist? {
        let (c, f) = (tensors[candidatesTensor], tensors[frequentTensor])
        if c == nil && f == nil { return nil }
        func fail(_ detail: String) -> ModelFileError {
            ModelFileError(kind: .inconsistent, path: path,
                           detail: "\(detail) The vocabulary shortlist is damaged: rebuild it from the training pairs, or remove the tensors whose names begin `shortlist.` to decode with the whole vocabulary.")
        }
        guard let c, let f else {
            throw fail("tensor `\(c == nil ? candidatesTensor : frequentTensor)` is missing, but `\(c == nil ? frequentTensor : candidatesTensor)` is there.")
        }
        guard c.shape.count == 2, c.shape[0] == Vs, c.shape[1] >= 1 else {
            throw fail("tensor `\(candidatesTensor)` has shape \(c.shape); it needs (\(Vs), words per source word), a row per source word.")
        }
        guard f.shape.count == 1 else { throw fail("tensor `\(frequentTensor)` has shape \(f.shape); it needs one dimension.") }
        func id(_ v: Float, _ name: String, _ at: Int, allowNone: Bool) throws -> Int? {
            if allowNone && v == -1 { return nil }
            guard v.isFinite, v == v.rounded(), v >= 0, v < Float(Vt) else {
                throw fail("tensor `\(name)` holds \(v) at index \(at), which is not a target word id (0 to \(Vt - 1)).")
            }
            return Int(v)
        }
        let perWord = c.shape[1]
        var candidates = [[Int]](repeating: [], count: Vs)
        for s in 0..<Vs {
            for k in 0..<perWord {
                if let t = try id(c.values[s * perWord + k], candidatesTensor, s * perWord + k, allowNone: true) { candidates[s].append(t) }
            }
        }
        var frequent: [Int] = []
        for (k, v) in f.values.enumerated() { frequent.append(try id(v, frequentTensor, k, allowNone: false)!) }
        return VocabularyShortlist(perWord: perWord, candidates: candidates, frequent: frequent, targetVocabularySize: Vt)
    }
}
