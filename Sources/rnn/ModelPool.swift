import Foundation

/// Copies of one model (a `TextClassifier` or a `TextLanguageModel`), lent to one request at a time.
///
/// Both reuse their work buffers, so two requests on one instance at once would mix their
/// activations. Rather than a lock around a single instance (which would hold each model
/// to one core), the file is loaded once per core: requests on one model run in parallel, each
/// on its own copy, and none allocates model-sized buffers. A request that finds every copy busy
/// waits (without blocking a thread) for the next one handed back.
final class ModelPool<Model: AnyObject & Sendable>: @unchecked Sendable {
    /// The first copy: for the model's description (labels, configuration), which never changes.
    let model: Model
    private let lock = NSLock()
    private var free: [Model]
    private var waiting: [CheckedContinuation<Model, Never>] = []
    /// A serial queue per copy, for `compute`. Serial queues get threads of their own from
    /// Dispatch (a concurrent queue would draw on the same per-core threads as the cooperative pool).
    private let queues: [ObjectIdentifier: DispatchQueue]

    init(copies: [Model]) {
        precondition(!copies.isEmpty)
        model = copies[0]
        free = copies
        queues = Dictionary(uniqueKeysWithValues: copies.enumerated().map { k, copy in
            (ObjectIdentifier(copy), DispatchQueue(label: "rnn.serve.model-\(k)", qos: .userInitiated))
        })
    }

    /// Runs `body` with a copy that no other request is using.
    func withModel<T>(_ body: (Model) async throws -> T) async throws -> T {
        let model = await checkOut()
        defer { checkIn(model) }
        return try await body(model)
    }

    /// Runs `body`, synchronous model work (a prediction, an explanation), with a free copy on that
    /// copy's own thread rather than on Swift's cooperative pool: that pool has one thread per core,
    /// and a few long requests computing on it would hold every thread, so that no other request —
    /// not even /healthz — got an answer until they were done.
    func compute<T: Sendable>(_ body: @escaping @Sendable (Model) throws -> T) async throws -> T {
        try await withModel { model in
            let queue = queues[ObjectIdentifier(model)]!
            return try await withCheckedThrowingContinuation { continuation in
                queue.async { continuation.resume(with: Result { try body(model) }) }
            }
        }
    }

    private func checkOut() async -> Model {
        if let model = lock.withLock({ free.popLast() }) { return model }
        return await withCheckedContinuation { continuation in
            // Checked again under the lock: a copy may have come back since.
            let model: Model? = lock.withLock {
                if let model = free.popLast() { return model }
                waiting.append(continuation)
                return nil
            }
            if let model { continuation.resume(returning: model) }
        }
    }

    private func checkIn(_ model: Model) {
        let next: CheckedContinuation<Model, Never>? = lock.withLock {
            if waiting.isEmpty { free.append(model); return nil }
            return waiting.removeFirst()
        }
        next?.resume(returning: model)
    }
}

