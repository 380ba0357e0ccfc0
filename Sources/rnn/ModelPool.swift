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

    init(copies: [Model]) {
        precondition(!copies.isEmpty)
        model = copies[0]
        free = copies
    }

    /// Runs `body` with a copy that no other request is using.
    func withModel<T>(_ body: (Model) async throws -> T) async throws -> T {
        let model = await checkOut()
        defer { checkIn(model) }
        return try await body(model)
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
