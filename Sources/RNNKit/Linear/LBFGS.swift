import Foundation

/// Limited-memory BFGS (Nocedal & Wright, *Numerical Optimization*, algorithm 7.4, with the
/// two-loop recursion 7.5) with a backtracking line search on the Armijo condition: minimizes a
/// smooth function from its value and gradient. Deterministic: no randomness, sums in order.
struct LBFGS {
    /// Pairs (s, y) kept.
    var memory = 10
    /// Stop when every gradient element is at most this in magnitude.
    var gradientTolerance = 1e-4
    var maxIterations = 2000

    struct Result {
        var x: [Double]
        var value: Double
        var iterations: Int
        var converged: Bool
    }

    /// `evaluate(x, gradient)` returns f(x) and writes ∇f(x) into `gradient`.
    func minimize(from start: [Double], _ evaluate: ([Double], inout [Double]) -> Double) -> Result {
        let n = start.count, m = memory
        var x = start, g = [Double](repeating: 0, count: n)
        var f = evaluate(x, &g)
        // The last m pairs s = x_{k+1} − x_k, y = g_{k+1} − g_k, in a ring: pair k of `count` is slot (first + k) % m.
        let s = UnsafeMutablePointer<Double>.allocate(capacity: m * n), y = UnsafeMutablePointer<Double>.allocate(capacity: m * n)
        let d = UnsafeMutablePointer<Double>.allocate(capacity: n)
        let ts = UnsafeMutablePointer<Double>.allocate(capacity: n), ty = UnsafeMutablePointer<Double>.allocate(capacity: n)
        defer { s.deallocate(); y.deallocate(); d.deallocate(); ts.deallocate(); ty.deallocate() }
        var rho = [Double](repeating: 0, count: m), alphas = [Double](repeating: 0, count: m)
        var first = 0, count = 0
        var xNew = x, gNew = g
        func slot(_ k: Int) -> Int { (first + k) % m * n }
        for iteration in 0..<maxIterations {
            if g.allSatisfy({ abs($0) <= gradientTolerance }) {
                return Result(x: x, value: f, iterations: iteration, converged: true)
            }
            // d = −H·g by the two-loop recursion.
            g.withUnsafeBufferPointer { gp in for i in 0..<n { d[i] = -gp[i] } }
            for k in stride(from: count - 1, through: 0, by: -1) {
                let sk = s + slot(k), yk = y + slot(k)
                let a = rho[k] * Self.dot(sk, d, n)
                alphas[k] = a
                for i in 0..<n { d[i] -= a * yk[i] }
            }
            if count > 0 {
                let sk = s + slot(count - 1), yk = y + slot(count - 1)
                let gamma = Self.dot(sk, yk, n) / Self.dot(yk, yk, n)
                for i in 0..<n { d[i] *= gamma }
            } else {
                // The first step: along −g, at most of length 1.
                let norm = Self.dot(d, d, n).squareRoot()
                if norm > 1 { for i in 0..<n { d[i] /= norm } }
            }
            for k in 0..<count {
                let sk = s + slot(k), yk = y + slot(k)
                let b = rho[k] * Self.dot(yk, d, n)
                for i in 0..<n { d[i] += sk[i] * (alphas[k] - b) }
            }
            var slope = g.withUnsafeBufferPointer { Self.dot($0.baseAddress!, d, n) }
            if !(slope < 0) {
                // Not a descent direction (rounding): start again from steepest descent.
                count = 0
                g.withUnsafeBufferPointer { gp in for i in 0..<n { d[i] = -gp[i] } }
                slope = Self.dot(d, d, n) * -1
            }
            // Backtracking: the largest step 1, ½, ¼, … with sufficient decrease.
            var step = 1.0, fNew = f, accepted = false
            for _ in 0..<40 {
                xNew.withUnsafeMutableBufferPointer { xp in x.withUnsafeBufferPointer { x0 in
                    for i in 0..<n { xp[i] = x0[i] + step * d[i] }
                } }
                fNew = evaluate(xNew, &gNew)
                if fNew.isFinite && fNew <= f + 1e-4 * step * slope { accepted = true; break }
                step *= 0.5
            }
            guard accepted else { return Result(x: x, value: f, iterations: iteration, converged: false) }
            xNew.withUnsafeBufferPointer { xp in x.withUnsafeBufferPointer { x0 in
                gNew.withUnsafeBufferPointer { gp in g.withUnsafeBufferPointer { g0 in
                    for i in 0..<n { ts[i] = xp[i] - x0[i]; ty[i] = gp[i] - g0[i] }
                } }
            } }
            let sy = Self.dot(ts, ty, n)
            // Kept only with positive curvature; it takes the oldest slot once the ring is full.
            if sy > 1e-12 * Self.dot(ty, ty, n).squareRoot() * Self.dot(ts, ts, n).squareRoot() {
                let target = count == m ? slot(0) : slot(count)
                (s + target).update(from: ts, count: n)
                (y + target).update(from: ty, count: n)
                if count == m {
                    first = (first + 1) % m
                    rho.removeFirst(); rho.append(1 / sy)
                } else {
                    rho[count] = 1 / sy
                    count += 1
                }
            }
            let decrease = f - fNew
            swap(&x, &xNew); swap(&g, &gNew); f = fNew
            if decrease <= 1e-15 * max(abs(f), 1) {
                return Result(x: x, value: f, iterations: iteration + 1, converged: true)
            }
        }
        return Result(x: x, value: f, iterations: maxIterations, converged: false)
    }

    /// Σ a_i·b_i in four interleaved sums (independent chains the CPU can overlap), added in a
    /// fixed order: deterministic.
    static func dot(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ n: Int) -> Double {
        var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0, i = 0
        while i + 4 <= n {
            s0 += a[i] * b[i]; s1 += a[i + 1] * b[i + 1]; s2 += a[i + 2] * b[i + 2]; s3 += a[i + 3] * b[i + 3]
            i += 4
        }
        while i < n { s0 += a[i] * b[i]; i += 1 }
        return (s0 + s1) + (s2 + s3)
    }
}
