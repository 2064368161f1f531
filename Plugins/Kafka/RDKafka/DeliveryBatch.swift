import Synchronization

/// The delivery reports of one `produce` call. Each message carries a pointer to its slot
/// (librdkafka's per-message opaque); the report callback, on the poll thread, stores the
/// message's result there. When the last result is in, the waiting task resumes with all of
/// them. The batch keeps itself alive until then, since librdkafka holds pointers into it,
/// even when the task stopped waiting (cancelled at shutdown).
final class DeliveryBatch: @unchecked Sendable {
    private struct Slot {
        var batch: UnsafeMutableRawPointer
        var index: Int
    }

    private let count: Int
    private let slots: UnsafeMutablePointer<Slot>
    /// One result code per message (0 delivered); each written once, by one thread.
    private let codes: UnsafeMutablePointer<Int32>
    /// Results still to come, plus one held by the producer until it enqueued everything.
    private let outstanding: Atomic<Int>
    private let waiter = Mutex<Waiter>(Waiter())

    private struct Waiter {
        var continuation: CheckedContinuation<[Int32]?, Never>?
        var done = false
    }

    init(count: Int) {
        self.count = count
        slots = .allocate(capacity: count)
        codes = .allocate(capacity: count)
        codes.initialize(repeating: 0, count: count)
        outstanding = Atomic(count + 1)
        let me = Unmanaged.passRetained(self).toOpaque()  // released by `finish`
        for i in 0..<count { (slots + i).initialize(to: Slot(batch: me, index: i)) }
    }

    deinit {
        slots.deinitialize(count: count)
        slots.deallocate()
        codes.deallocate()
    }

    /// The opaque pointer of message `index`.
    func slot(_ index: Int) -> UnsafeMutableRawPointer { UnsafeMutableRawPointer(slots + index) }

    func setContinuation(_ c: CheckedContinuation<[Int32]?, Never>) {
        let resumeNow = waiter.withLock { w -> Bool in
            if w.done { return true }
            w.continuation = c
            return false
        }
        // Cancelled before it started waiting.
        if resumeNow { c.resume(returning: nil) }
    }

    /// The result of message `index` (from its delivery report, or from a refused enqueue).
    func report(_ index: Int, code: Int32) {
        codes[index] = code
        if outstanding.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 { finish() }
    }

    /// Every message was handed to librdkafka (or refused).
    func enqueued() {
        if outstanding.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 { finish() }
    }

    /// The waiting task gives up (shutdown): it resumes with no results; reports still to come
    /// only complete the bookkeeping.
    func cancel() {
        let c = waiter.withLock { w -> CheckedContinuation<[Int32]?, Never>? in
            w.done = true
            defer { w.continuation = nil }
            return w.continuation
        }
        c?.resume(returning: nil)
    }

    private func finish() {
        let results = Array(UnsafeBufferPointer(start: codes, count: count))
        let c = waiter.withLock { w -> CheckedContinuation<[Int32]?, Never>? in
            w.done = true
            defer { w.continuation = nil }
            return w.continuation
        }
        c?.resume(returning: results)
        Unmanaged.passUnretained(self).release()
    }

    /// A delivery report for the message whose opaque is `slot`.
    static func report(slot: UnsafeMutableRawPointer, code: Int32) {
        let s = slot.assumingMemoryBound(to: Slot.self).pointee
        Unmanaged<DeliveryBatch>.fromOpaque(s.batch).takeUnretainedValue().report(s.index, code: code)
    }
}
