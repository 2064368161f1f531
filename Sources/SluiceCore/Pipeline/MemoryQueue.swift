import Synchronization

/// Thrown to an input that tries to send after shutdown began.
public struct QueueClosedError: Error, CustomStringConvertible, Sendable {
    public var description: String { "the pipeline is shutting down; no more events are accepted" }
}

/// The queue between inputs and workers. Implementations bound their size and make
/// `push` wait while full (backpressure); nothing is dropped for lack of room.
public protocol EventQueue: Sendable {
    func push(_ events: [Event], ack: Acknowledgement?) async throws
    /// The next batch of up to `maxEvents`, or nil once the queue is closed and empty.
    func pop(maxEvents: Int, maxDelay: Duration) async -> Batch?
    /// Stops accepting pushes; pops drain what is left, then return nil. A queue that keeps
    /// events across runs may stop handing them out at once when `drain` is false.
    func close(drain: Bool)
    /// Called once the workers are done: persist whatever state the queue keeps.
    func finish() async
    /// The inputs have nothing more to push for now: a worker holding part of a batch
    /// passes it on instead of waiting out the batch delay. The next push ends this.
    func flush()
}

extension EventQueue {
    public func finish() async {}
    public func flush() {}
}

/// The bounded in-memory queue (`queue.type: memory`).
public final class MemoryQueue: EventQueue {
    private struct Chunk {
        var events: [Event]
        var ack: Acknowledgement?
    }
    private struct State {
        var chunks: [Chunk] = []
        var head = 0
        var eventCount = 0
        var closed = false
        /// Set by `flush`, cleared by the next push.
        var flushed = false
        var pushers: [CheckedContinuation<Void, Never>] = []
        var poppers: [CheckedContinuation<Void, Never>] = []
    }
    private let state = Mutex(State())
    public let capacity: Int

    /// - Parameter capacity: events held before `push` waits.
    public init(capacity: Int) { self.capacity = max(1, capacity) }

    public func push(_ events: [Event], ack: Acknowledgement?) async throws {
        while true {
            enum Step { case done, wait, closed }
            var wake: CheckedContinuation<Void, Never>? = nil
            let step: Step = state.withLock { s in
                if s.closed { return .closed }
                if s.eventCount >= capacity { return .wait }
                s.chunks.append(Chunk(events: events, ack: ack))
                s.eventCount += events.count
                s.flushed = false
                if !s.poppers.isEmpty { wake = s.poppers.removeFirst() }
                return .done
            }
            wake?.resume()
            switch step {
            case .done: return
            case .closed: throw QueueClosedError()
            case .wait:
                await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                    let resumeNow = state.withLock { s -> Bool in
                        if s.closed || s.eventCount < capacity { return true }
                        s.pushers.append(c)
                        return false
                    }
                    if resumeNow { c.resume() }
                }
            }
        }
    }

    public func pop(maxEvents: Int, maxDelay: Duration) async -> Batch? {
        var events: [Event] = []
        var acks: [Acknowledgement] = []
        let clock = ContinuousClock()
        var deadline: ContinuousClock.Instant? = nil
        while true {
            let (took, closed, isEmpty, flushed) = take(into: &events, acks: &acks, max: maxEvents)
            let holding = !events.isEmpty || !acks.isEmpty
            // Full, or the next chunk would overflow the batch, or nothing more will come
            // (ever, or for now).
            if events.count >= maxEvents || (!isEmpty && !events.isEmpty) || (isEmpty && (closed || flushed && holding)) {
                return events.isEmpty && acks.isEmpty ? nil : Batch(events: events, acks: acks)
            }
            if events.isEmpty && acks.isEmpty {
                if !took { await waitForData() }
                continue
            }
            // Partly filled: wait up to `maxDelay` for more, as pipeline.batch.delay says.
            let now = clock.now
            if deadline == nil { deadline = now.advanced(by: maxDelay) }
            guard let d = deadline, now < d else { return Batch(events: events, acks: acks) }
            if !took { try? await Task.sleep(for: min(.milliseconds(1), d - now)) }
        }
    }

    /// Moves whole chunks into the batch while they fit (the first chunk always fits).
    private func take(into events: inout [Event], acks: inout [Acknowledgement], max: Int)
        -> (took: Bool, closed: Bool, empty: Bool, flushed: Bool)
    {
        var wake: [CheckedContinuation<Void, Never>] = []
        let result = state.withLock { s -> (Bool, Bool, Bool, Bool) in
            var took = false
            while s.head < s.chunks.count {
                let n = s.chunks[s.head].events.count
                if !events.isEmpty && events.count + n > max { break }
                let chunk = s.chunks[s.head]
                s.chunks[s.head] = Chunk(events: [], ack: nil)
                s.head += 1
                s.eventCount -= n
                if events.isEmpty { events = chunk.events } else { events.append(contentsOf: chunk.events) }
                if let a = chunk.ack { acks.append(a) }
                took = true
                if events.count >= max { break }
            }
            if s.head > 64 && s.head * 2 > s.chunks.count {
                s.chunks.removeFirst(s.head)
                s.head = 0
            }
            if took && s.eventCount < capacity { wake = s.pushers; s.pushers = [] }
            return (took, s.closed, s.head == s.chunks.count, s.flushed)
        }
        for c in wake { c.resume() }
        return result
    }

    private func waitForData() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { s -> Bool in
                if s.closed || s.head < s.chunks.count { return true }
                s.poppers.append(c)
                return false
            }
            if resumeNow { c.resume() }
        }
    }

    public func flush() {
        state.withLock { $0.flushed = true }
    }

    /// The memory queue always drains: what it holds would be lost otherwise.
    public func close(drain: Bool = true) {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.closed = true
            defer { s.pushers = []; s.poppers = [] }
            return s.pushers + s.poppers
        }
        for c in waiters { c.resume() }
    }
}
