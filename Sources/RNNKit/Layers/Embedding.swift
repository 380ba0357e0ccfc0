// Dimension letters: V vocabulary size, E embedding size, N rows.

/// Word embeddings, PyTorch `nn.Embedding(V, E)`: row w of the table is word w's vector.
///
/// Forward gathers rows; backward adds each row's gradient back into the row it came from.
/// Parameter: `embedding.weight` (V, E). Init: N(0, 1), PyTorch's.
package final class Embedding: @unchecked Sendable {
    package let weight: Parameter  // (V, E)
    package var vocabularySize: Int { weight.value.shape[0] }
    package var embeddingSize: Int { weight.value.shape[1] }

    /// `name` prefixes the parameter's name: `\(name).weight`.
    package init(vocabularySize: Int, embeddingSize: Int, name: String = "embedding") {
        weight = Parameter(name: "\(name).weight", shape: [vocabularySize, embeddingSize])
    }

    package func initializePyTorch(using rng: inout SeededGenerator) {
        for k in 0..<weight.value.count { weight.value[k] = Float(rng.nextNormal()) }
    }

    /// out (N, E) = rows `tokens` of the table.
    func forward(_ tokens: [Int], _ out: UnsafeMutablePointer<Float>) {
        let (N, E) = (tokens.count, embeddingSize), table = UnsafePointer(weight.value.data)
        Parallel.rowRanges(N, work: N * E * 8) { rows in
            for n in rows { (out + n * E).update(from: table + tokens[n] * E, count: E) }
        }
    }

    /// table.grad[tokens[n]] += dOut[n].
    func backward(_ tokens: [Int], _ dOut: UnsafePointer<Float>) {
        let E = embeddingSize, grad = weight.grad.data
        Parallel.columnBlocks(E, work: tokens.count * E * 8) { lo, hi in
            for (n, w) in tokens.enumerated() { Kernels.axpy(hi - lo, 1, dOut + n * E + lo, grad + w * E + lo) }
        }
    }
}
