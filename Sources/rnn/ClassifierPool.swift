import Foundation
import RNNKit

/// Copies of one classifier, lent to one request at a time.
///
/// A `TextClassifier` reuses its work buffers, so two predictions on one instance at once would
/// mix their activations. Rather than a lock around a single instance (which would hold each model
/// to one core), the file is loaded once per core: requests on one model run in parallel, each
/// on its own copy, and none allocates model-sized buffers. A request that finds every copy busy
/// waits (without blocking a thread) for the next one handed back.
final class ClassifierPool: @unchecked Sendable {
    /// The first copy: for the model's description (labels, configuration), which never changes.
    let model: TextClassifier
    private let lock = NSLock()
    private var free: [TextClassifier]
    private var waiting: [CheckedContinuation<TextClassifier, Never>] = []

    init(copies: [TextClassifier]) {
        precondition(!copies.isEmpty)
        model = copies[0]
        free = copies
    }

    /// Runs `body` with a copy that no other request is using.
    func withClassifier<T>(_ body: (TextClassifier) throws -> T) async throws -> T {
        let classifier = await checkOut()
        defer { checkIn(classifier) }
        return try body(classifier)
    }

    private func checkOut() async -> TextClassifier {
        if let classifier = lock.withLock({ free.popLast() }) { return classifier }
        return await withCheckedContinuation { continuation in
            // Checked again under the lock: a copy may have come back since.
            let classifier: TextClassifier? = lock.withLock {
                if let classifier = free.popLast() { return classifier }
                waiting.append(continuation)
                return nil
            }
            if let classifier { continuation.resume(returning: classifier) }
        }
    }

    private func checkIn(_ classifier: TextClassifier) {
        let next: CheckedContinuation<TextClassifier, Never>? = lock.withLock {
            if waiting.isEmpty { free.append(classifier); return nil }
            return waiting.removeFirst()
        }
        next?.resume(returning: classifier)
    }
}
