/// Parameters as PyTorch's `state_dict()` names and shapes them, and back.
///
/// Two places where RNNKit's storage differs from PyTorch's: a one-hot first layer keeps
/// W_ih transposed (V, G·H) so the looked-up column is a contiguous row; and a model with one
/// recurrent bias (the tutorial's) has no b_hh, written as zeros and folded into b_ih on load.
enum StateDict {
    /// PyTorch's shape for a parameter, and whether RNNKit stores it transposed.
    static func layout(of p: Parameter, in stack: RecurrentStack) -> (shape: [Int], transposed: Bool) {
        for row in stack.layers {
            for layer in row where layer.oneHotInput && p === layer.weightIH {
                return ([p.value.shape[1], p.value.shape[0]], true)
            }
        }
        return (p.value.shape, false)
    }

    /// Every parameter (or, with `gradients`, its gradient) by PyTorch name, in PyTorch's layout.
    static func entries(parameters: [Parameter], stack: RecurrentStack, gradients: Bool = false) -> [String: Safetensors.Entry] {
        var out: [String: Safetensors.Entry] = [:]
        for p in parameters {
            let (shape, transposed) = layout(of: p, in: stack)
            let t = gradients ? p.grad : p.value
            out[p.name] = .init(shape: shape, values: transposed ? transpose(t) : t.array)
        }
        for row in stack.layers {
            for layer in row where layer.biasHH == nil {
                let name = layer.biasIH.name.replacingOccurrences(of: "bias_ih", with: "bias_hh")
                out[name] = .init(shape: layer.biasIH.value.shape, values: [Float](repeating: 0, count: layer.biasIH.value.count))
            }
        }
        return out
    }

    /// Refuses tensors holding a NaN or an infinity, naming the first such tensor and how many
    /// values of it are bad: loaded, they would make every output NaN; saved, they would write a
    /// file no load accepts.
    static func checkFinite(_ tensors: [String: Safetensors.Entry], path: String, saving: Bool) throws {
        for name in tensors.keys.sorted() {
            let bad = tensors[name]!.values.reduce(0) { $0 + ($1.isFinite ? 0 : 1) }
            guard bad == 0 else {
                let what = "tensor `\(name)` holds \(bad) value\(bad == 1 ? "" : "s") that \(bad == 1 ? "is" : "are") not a finite number (NaN or infinite)"
                throw ModelFileError(kind: .nonFinite(tensor: name, count: bad), path: path, detail: saving
                    ? "\(what): a model with such weights gives no usable output, so it was not saved."
                    : "\(what): the weights are damaged.")
            }
        }
    }

    /// Fills `parameters` from `tensors`; every parameter must be present with PyTorch's shape
    /// and finite values (a NaN or infinite weight would make every output NaN).
    static func load(_ tensors: [String: Safetensors.Entry], into parameters: [Parameter], stack: RecurrentStack,
                     path: String) throws {
        try checkFinite(tensors, path: path, saving: false)
        for p in parameters {
            let (shape, transposed) = layout(of: p, in: stack)
            guard let e = tensors[p.name] else {
                throw SafetensorsError(kind: .missingTensor, path: path, detail: "tensor `\(p.name)` is missing.")
            }
            guard e.shape == shape else {
                throw SafetensorsError(kind: .missingTensor, path: path,
                                       detail: "tensor `\(p.name)` has shape \(e.shape); the configuration needs \(shape).")
            }
            if transposed {
                let (rows, cols) = (shape[0], shape[1])
                for r in 0..<rows { for c in 0..<cols { p.value[c, r] = e.values[r * cols + c] } }
            } else {
                for k in 0..<e.values.count { p.value[k] = e.values[k] }
            }
        }
        for row in stack.layers {
            for layer in row where layer.biasHH == nil {
                let name = layer.biasIH.name.replacingOccurrences(of: "bias_ih", with: "bias_hh")
                if let e = tensors[name], e.values.count == layer.biasIH.value.count {
                    for k in 0..<e.values.count { layer.biasIH.value[k] += e.values[k] }
                }
            }
        }
    }

    static func transpose(_ t: Tensor) -> [Float] {
        let (rows, cols) = (t.shape[0], t.shape[1])
        var out = [Float](repeating: 0, count: t.count)
        for r in 0..<rows { for c in 0..<cols { out[c * rows + r] = t[r, c] } }
        return out
    }
}
