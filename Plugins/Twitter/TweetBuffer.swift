import SluiceCore
import Synchronization

/// The bounded FIFO between the connection reader and the event parser, so a slow pipeline
/// never stalls the socket read.
///
/// Twitter disconnects a client that reads too slowly (its queue per connection overflows)
/// and keeps nothing for it, so the reader must keep reading whatever the pipeline does.
/// Lines wait here, up to `capacity` bytes; a line that does not fit is dropped, counted,
/// and reported by the reader (tweet id included), never silently. One producer, one
/// consumer.
final class TweetBuffer: Sendable {
    private struct State {
        var lines: [[UInt8]] = []
        var head = 0
        var bytes = 0
        var finished = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Appends `line`; false (and nothing stored) when it does not fit or the buffer finished.
    func push(_ line: [UInt8]) -> Bool {
        let (accepted, waiter) = state.withLock { s -> (Bool, CheckedContinuation<Void, Never>?) in
            guard !s.finished, s.bytes + line.count <= capacity else { return (false, nil) }
            s.lines.append(line)
            s.bytes += line.count
            defer { s.waiter = nil }
            return (true, s.waiter)
        }
        waiter?.resume()
        return accepted
    }

    /// Up to `max` lines, oldest first; waits while the buffer is empty. Nil once it is
    /// finished and empty (or the calling task is cancelled).
    func take(max: Int) async -> [[UInt8]]? {
        while true {
            if let lines = takeNow(max: max) { return lines }
            if isDone || Task.isCancelled { return nil }
            await withTaskCancellationHandler {
                await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                    let resumeNow = state.withLock { s -> Bool in
                        if s.head < s.lines.count || s.finished || Task.isCancelled { return true }
                        s.waiter = c
                        return false
                    }
                    if resumeNow { c.resume() }
                }
            } onCancel: {
                wake()
            }
        }
    }

    /// No more lines will come; the consumer drains what is left.
    func finish() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.finished = true
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume()
    }

    /// Bytes waiting.
    var bytes: Int { state.withLock { $0.bytes } }

    /// Lines waiting.
    var count: Int { state.withLock { $0.lines.count - $0.head } }

    private var isDone: Bool { state.withLock { $0.finished && $0.head >= $0.lines.count } }

    private func wake() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume()
    }

    private func takeNow(max: Int) -> [[UInt8]]? {
        state.withLock { s in
            guard s.head < s.lines.count else { return nil }
            let end = Swift.min(s.lines.count, s.head + Swift.max(1, max))
            let out = Array(s.lines[s.head..<end])
            for line in out { s.bytes -= line.count }
            s.head = end
            if s.head == s.lines.count {
                s.lines.removeAll(keepingCapacity: true)
                s.head = 0
            } else if s.head > 4096 {
                s.lines.removeFirst(s.head)
                s.head = 0
            }
            return out
        }
    }
}
