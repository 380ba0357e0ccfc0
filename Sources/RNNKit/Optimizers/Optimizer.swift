/// An update rule that moves parameters along their accumulated gradients.
///
/// Every implementation follows the single-tensor code path of `torch.optim` (what PyTorch runs
/// on the CPU) operation for operation, in Float32, with PyTorch's default hyperparameters.
/// Scalar coefficients that PyTorch computes in Python (bias corrections, step sizes, decayed
/// learning rates) are computed here in Double from the Float hyperparameters and rounded to
/// Float where PyTorch hands them to a tensor kernel. Results agree with PyTorch's within a few
/// ulps, not bit for bit: its AVX2 kernels fuse some multiply-adds (`add_` with alpha, `lerp_`)
/// into FMAs, which Swift code for the baseline x86-64 target cannot emit inline.
///
/// Per-parameter state is created on a parameter's first `step` and keyed by the parameter's
/// `name`, the way `state_dict()` keys it; names must therefore be unique among the parameters an
/// optimizer sees.
package protocol Optimizer: AnyObject {
    /// PyTorch's class name: "SGD", "Adagrad", "RMSprop", "Adam" or "AdamW".
    var name: String { get }

    /// Settable between steps, for schedules; saved by `stateTensors()`.
    var learningRate: Float { get set }

    /// One update of every parameter from its `grad`. Gradients are read, never changed or zeroed.
    func step(_ parameters: [Parameter])

    /// Everything a resumed run needs for a bit-identical continuation, as flat Float arrays:
    ///
    /// - `"lr"`: the learning rate, one element;
    /// - `"<parameter>.step"`: that parameter's update count, for optimizers that keep one (one
    ///   element; two, `[high, low]` with count = high·2²⁴ + low, once it no longer fits a Float exactly);
    /// - `"<parameter>.<buffer>"`: moments and momentum buffers with PyTorch's names
    ///   (`exp_avg`, `exp_avg_sq`, `max_exp_avg_sq`, `sum`, `square_avg`, `grad_avg`, `momentum_buffer`).
    ///
    /// A parameter that has never been stepped has no entries.
    func stateTensors() -> [String: [Float]]

    /// Restores what `stateTensors()` returned. `parameters` supplies the names and sizes to check
    /// against. Throws `OptimizerStateError` — leaving the optimizer unchanged — on a missing key,
    /// a wrong size, a malformed step count or a key that belongs to none of `parameters`.
    func loadState(_ state: [String: [Float]], parameters: [Parameter]) throws
}

/// Why `Optimizer.loadState(_:parameters:)` refused a state.
package struct OptimizerStateError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What was wrong; `key` names the entry (or, for `duplicateParameter`, the parameter name).
    public enum Kind: String, Sendable {
        /// A required entry is absent: the learning rate, or part of a parameter's state.
        case missingKey
        /// An entry's element count differs from its parameter's (or from 1 for scalars).
        case wrongSize
        /// An entry belongs to no parameter passed, or to state this optimizer does not keep.
        case unexpectedKey
        /// A step count that is not a non-negative integer.
        case badValue
        /// Two parameters passed share a name, so their state could not be told apart.
        case duplicateParameter
    }
    package var kind: Kind
    package var key: String
    package var detail: String

    package init(kind: Kind, key: String, detail: String) {
        self.kind = kind
        self.key = key
        self.detail = detail
    }

    package var description: String { "optimizer state \"\(key)\": \(detail)" }
}

extension Array where Element == Parameter {
    /// Sets every gradient to zero; backward passes only ever add.
    package func zeroGradients() {
        for p in self { p.grad.zero() }
    }
}

// MARK: - Shared per-parameter state

/// The buffers one optimizer keeps for one parameter.
final class ParameterState {
    var step = 0
    /// In the order of `ParameterStates.bufferNames`; each has the parameter's shape.
    let buffers: [Tensor]

    init(buffers: [Tensor]) { self.buffers = buffers }
}

/// Per-parameter state of an optimizer, keyed by parameter name, with the checkpoint encoding
/// shared by all optimizers.
struct ParameterStates {
    /// PyTorch's state names, used as key suffixes.
    let bufferNames: [String]
    /// Whether a per-parameter step count is part of the state (PyTorch's SGD has none).
    let tracksStep: Bool
    private(set) var byName: [String: ParameterState] = [:]

    init(bufferNames: [String], tracksStep: Bool) {
        self.bufferNames = bufferNames
        self.tracksStep = tracksStep
    }

    /// The state of `p`, created with every buffer filled with `initial` on its first use.
    mutating func state(for p: Parameter, initial: Float = 0) -> (state: ParameterState, isNew: Bool) {
        if let s = byName[p.name] {
            precondition(s.buffers.first.map { $0.count == p.value.count } ?? true,
                         "optimizer state of \(p.name) has \(s.buffers[0].count) elements, parameter \(p.value.count)")
            return (s, false)
        }
        let s = ParameterState(buffers: bufferNames.map { _ in
            let t = Tensor(shape: p.value.shape)
            if initial != 0 { t.data.update(repeating: initial, count: t.count) }
            return t
        })
        byName[p.name] = s
        return (s, true)
    }

    func tensors(learningRate: Float) -> [String: [Float]] {
        var out: [String: [Float]] = ["lr": [learningRate]]
        for (name, s) in byName {
            if tracksStep { out[name + ".step"] = Self.encode(step: s.step) }
            for (suffix, t) in zip(bufferNames, s.buffers) { out[name + "." + suffix] = t.array }
        }
        return out
    }

    /// Validates all of `state` first and only then replaces the current state, so a throw
    /// leaves the optimizer as it was. Returns the learning rate to restore.
    mutating func load(_ state: [String: [Float]], parameters: [Parameter]) throws -> Float {
        var used: Set<String> = ["lr"]
        guard let lr = state["lr"] else {
            throw OptimizerStateError(kind: .missingKey, key: "lr", detail: "missing (the learning rate)")
        }
        guard lr.count == 1 else {
            throw OptimizerStateError(kind: .wrongSize, key: "lr", detail: "\(lr.count) elements, expected 1")
        }
        var loaded: [String: ParameterState] = [:]
        var seen: Set<String> = []
        for p in parameters {
            guard seen.insert(p.name).inserted else {
                throw OptimizerStateError(kind: .duplicateParameter, key: p.name,
                                          detail: "two parameters share this name")
            }
            let stepKey = p.name + ".step"
            let bufferKeys = bufferNames.map { p.name + "." + $0 }
            let keys = (tracksStep ? [stepKey] : []) + bufferKeys
            // No entries at all is a parameter that was never stepped, as in PyTorch.
            guard keys.contains(where: { state[$0] != nil }) else { continue }
            var buffers: [Tensor] = []
            for key in bufferKeys {
                guard let values = state[key] else {
                    throw OptimizerStateError(kind: .missingKey, key: key,
                                              detail: "missing, though other state of \(p.name) is present")
                }
                guard values.count == p.value.count else {
                    throw OptimizerStateError(kind: .wrongSize, key: key,
                                              detail: "\(values.count) elements, parameter \(p.name) has \(p.value.count)")
                }
                buffers.append(Tensor(shape: p.value.shape, values: values))
                used.insert(key)
            }
            let s = ParameterState(buffers: buffers)
            if tracksStep {
                guard let encoded = state[stepKey] else {
                    throw OptimizerStateError(kind: .missingKey, key: stepKey,
                                              detail: "missing, though other state of \(p.name) is present")
                }
                s.step = try Self.decode(step: encoded, key: stepKey)
                used.insert(stepKey)
            }
            loaded[p.name] = s
        }
        if let extra = state.keys.filter({ !used.contains($0) }).min() {
            throw OptimizerStateError(kind: .unexpectedKey, key: extra,
                                      detail: "belongs to no parameter state of this optimizer")
        }
        byName = loaded
        return lr[0]
    }

    /// Floats hold integers exactly only up to 2²⁴, which a long per-example run can pass.
    static func encode(step: Int) -> [Float] {
        step < 1 << 24 ? [Float(step)] : [Float(step >> 24), Float(step & ((1 << 24) - 1))]
    }

    static func decode(step values: [Float], key: String) throws -> Int {
        func integer(_ x: Float) -> Int? {
            x >= 0 && x < 16_777_216 && x.rounded(.towardZero) == x ? Int(x) : nil
        }
        switch values.count {
        case 1:
            if let n = integer(values[0]) { return n }
        case 2:
            if let high = integer(values[0]), let low = integer(values[1]) { return (high << 24) + low }
        default:
            throw OptimizerStateError(kind: .wrongSize, key: key, detail: "\(values.count) elements, expected 1 or 2")
        }
        throw OptimizerStateError(kind: .badValue, key: key, detail: "\(values) is not a step count")
    }
}

/// IEEE √x, in a form loops can vectorize. On Linux `Float.squareRoot()` is a call to libm's
/// `sqrtf`, which may set errno for a negative x, and LLVM will not vectorize a loop around such
/// a call. Sending negative inputs to NaN first — what √ returns for them anyway, so no result
/// changes, −0 included — lets LLVM prove the call free of side effects and emit `sqrtps`.
@inline(__always)
func vectorizableSquareRoot(_ x: Float) -> Float {
    (x >= 0 ? x : .nan).squareRoot()
}

/// PyTorch's `torch.lerp(start, end, weight)` on the CPU: the formula switches at weight ½ so the
/// result is exact at both ends. Adam's and centered RMSprop's running means are lerps.
@inline(__always)
func lerp(_ start: Float, _ end: Float, _ weight: Float) -> Float {
    abs(weight) < 0.5 ? start + weight * (end - start) : end - (end - start) * (1 - weight)
}
