// Dimension letters: B rows, H hidden size. Gate blocks in order r, z, n (PyTorch's).

/// Gated recurrent unit, PyTorch `nn.GRU`:
///
///     r = σ(W_ir x + b_ir + W_hr h + b_hr)     z = σ(W_iz x + b_iz + W_hz h + b_hz)
///     n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
///     h' = (1 − z) ⊙ n + z ⊙ h
///
/// The recurrent part of n is gated by r, so the input and recurrent pre-activations of the n block
/// get different gradients: dpreX_n = dn·(1−n²), dpreH_n = dpreX_n ⊙ r.
enum GRUCell {
    /// gates (B, 3H) keeps r, z, n; hn (B, H) keeps W_hn·h + b_hn.
    static func forward(B: Int, H: Int, preX: UnsafeMutablePointer<Float>, preH: UnsafePointer<Float>,
                        hPrev: UnsafePointer<Float>, h: UnsafeMutablePointer<Float>,
                        gates: UnsafeMutablePointer<Float>, hn: UnsafeMutablePointer<Float>) {
        let G = 3 * H
        for b in 0..<B {
            let px = preX + b * G, ph = preH + b * G, gate = gates + b * G
            for k in 0..<(2 * H) { px[k] += ph[k] }
            Kernels.sigmoid(2 * H, px, gate)                            // r, z
            let r = gate, z = gate + H, n = gate + 2 * H
            let hnRow = hn + b * H
            hnRow.update(from: ph + 2 * H, count: H)
            for k in 0..<H { n[k] = px[2 * H + k] + r[k] * hnRow[k] }  // W_in x + b_in + r ⊙ (W_hn h + b_hn)
            Kernels.tanh(H, n, n)
            let hRow = h + b * H, hPrevRow = hPrev + b * H
            for k in 0..<H { hRow[k] = (1 - z[k]) * n[k] + z[k] * hPrevRow[k] }
        }
    }

    static func backward(B: Int, H: Int, dh: UnsafePointer<Float>, hPrev: UnsafePointer<Float>,
                         gates: UnsafePointer<Float>, hn: UnsafePointer<Float>,
                         dPreX: UnsafeMutablePointer<Float>, dPreH: UnsafeMutablePointer<Float>,
                         dhPrev: UnsafeMutablePointer<Float>) {
        let G = 3 * H
        for b in 0..<B {
            let gate = gates + b * G, dx = dPreX + b * G, dhh = dPreH + b * G
            let r = gate, z = gate + H, n = gate + 2 * H
            let dhRow = dh + b * H, hPrevRow = hPrev + b * H, hnRow = hn + b * H, dhPrevRow = dhPrev + b * H
            for k in 0..<H {
                let dn = dhRow[k] * (1 - z[k]) * (1 - n[k] * n[k])        // through n = tanh(·)
                let dz = dhRow[k] * (hPrevRow[k] - n[k]) * z[k] * (1 - z[k])
                let dr = dn * hnRow[k] * r[k] * (1 - r[k])
                dx[k] = dr; dhh[k] = dr
                dx[H + k] = dz; dhh[H + k] = dz
                dx[2 * H + k] = dn; dhh[2 * H + k] = dn * r[k]
                dhPrevRow[k] += dhRow[k] * z[k]                             // h' = … + z ⊙ h
            }
        }
    }
}
