import Foundation

/// L2-regularized logistic regression on sparse rows, fitted as scikit-learn's
/// `LogisticRegression(C:, solver: "lbfgs")` fits it: minimizes
///
///     f(W, b) = C · Σ_i ℓ_i + ½ ‖W‖²          (the intercepts b are not penalized)
///
/// with, for two classes, one weight vector w: z_i = w·x_i + b, ℓ_i = ln(1 + e^{z_i}) − y_i·z_i;
/// for K > 2, one row per class: z_ik = W_k·x_i + b_k, ℓ_i = ln Σ_k e^{z_ik} − z_{i,y_i}.
/// The problem is strictly convex, so L-BFGS reaches the same optimum as scikit-learn's.
struct LogisticRegression {
    /// Two classes are fitted as one vector (scikit-learn's binary case); `softmaxLayer` writes
    /// them as the two rows −w/2, +w/2 of a softmax layer, which gives the same probabilities.
    let classes: Int
    let features: Int
    /// (R, d) with R = 1 for two classes, K otherwise; then the R intercepts.
    private(set) var parameters: [Double]
    private(set) var iterations = 0
    private(set) var converged = false

    /// Fits on `rows` with labels in 0..<classes.
    init(rows: [SparseRow], labels: [Int], classes: Int, features: Int, C: Double, maxIterations: Int) {
        precondition(classes >= 2 && rows.count == labels.count)
        self.classes = classes
        self.features = features
        let R = classes == 2 ? 1 : classes
        parameters = [Double](repeating: 0, count: R * features + R)
        var optimizer = LBFGS()
        optimizer.maxIterations = maxIterations
        // scikit-learn minimizes f / (C·n) — the mean loss plus ‖W‖²/(2Cn) — and stops when its
        // gradient is within tol = 1e-4: the same stopping point for f is a gradient within 1e-4·C·n.
        optimizer.gradientTolerance = 1e-4 * C * Double(max(rows.count, 1))
        let matrix = SparseMatrix(rows)
        let result = optimizer.minimize(from: parameters) { p, g in
            Self.objective(p, gradient: &g, rows: matrix, labels: labels, classes: classes, features: features, C: C)
        }
        parameters = result.x
        iterations = result.iterations
        converged = result.converged
    }

    /// f(p) for parameters p = [W (R, d) | b (R)], R = 1 for two classes, and its gradient
    /// ∇f = W + C · Σ_i (p_i − y_i) ⊗ [x_i | 1], into `gradient`.
    static func objective(_ p: [Double], gradient: inout [Double], rows: SparseMatrix, labels: [Int], classes: Int,
                          features d: Int, C: Double) -> Double {
        let R = classes == 2 ? 1 : classes
        var z = [Double](repeating: 0, count: R)
        return p.withUnsafeBufferPointer { p in gradient.withUnsafeMutableBufferPointer { g in
          rows.offsets.withUnsafeBufferPointer { offsets in rows.columns.withUnsafeBufferPointer { columns in
            rows.values.withUnsafeBufferPointer { values in
            // ½‖W‖² and its gradient W; then C · Σ ℓ_i.
            var f = 0.0
            for j in 0..<(R * d) { f += 0.5 * p[j] * p[j]; g[j] = p[j] }
            for k in 0..<R { g[R * d + k] = 0 }
            for i in 0..<rows.rows {
                let range = offsets[i]..<offsets[i + 1]
                for k in 0..<R {
                    var s = p[R * d + k]
                    let w = k * d
                    for t in range { s += p[w + Int(columns[t])] * values[t] }
                    z[k] = s
                }
                let y = labels[i]
                if R == 1 {
                    let zi = z[0]
                    // ln(1 + e^z) and σ(z), stably.
                    f += C * ((zi > 0 ? zi + log1p(exp(-zi)) : log1p(exp(zi))) - (y == 1 ? zi : 0))
                    let residual = C * ((zi >= 0 ? 1 / (1 + exp(-zi)) : exp(zi) / (1 + exp(zi))) - (y == 1 ? 1 : 0))
                    for t in range { g[Int(columns[t])] += residual * values[t] }
                    g[d] += residual
                } else {
                    let m = z.max()!
                    var sum = 0.0
                    for k in 0..<R { sum += exp(z[k] - m) }
                    f += C * (m + log(sum) - z[y])
                    for k in 0..<R {
                        let residual = C * (exp(z[k] - m) / sum - (k == y ? 1 : 0)), w = k * d
                        for t in range { g[w + Int(columns[t])] += residual * values[t] }
                        g[R * d + k] += residual
                    }
                }
            }
            return f
          } } }
        } }
    }

    /// The fitted model as a softmax layer: weights (K, d) and biases (K), in Float.
    var softmaxLayer: (weight: [Float], bias: [Float]) {
        let d = features
        if classes == 2 {
            let w = parameters[0..<d], b = parameters[d]
            return (w.map { Float(-$0 / 2) } + w.map { Float($0 / 2) }, [Float(-b / 2), Float(b / 2)])
        }
        return (parameters[0..<(classes * d)].map { Float($0) }, parameters[(classes * d)...].map { Float($0) })
    }
}
