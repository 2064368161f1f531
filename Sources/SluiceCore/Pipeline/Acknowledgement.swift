import Synchronization

/// How a batch of an input's events ended.
public enum AckStatus: Sendable, Equatable {
    /// Every output confirmed every event (or a filter dropped it, or it went to the dead-letter queue).
    case delivered
    /// The events were not confirmed (shutdown before delivery, or the acknowledgement was lost):
    /// the input must not commit their position; they will be read again.
    case failed
}

/// An acknowledgement for one `EventSink.send` call. It resolves exactly once, after all
/// the pieces it was split into have completed; a piece that is dropped without completing
/// (a bug, or a forced exit) resolves it as `.failed` from `deinit`, so it cannot be forgotten.
public final class Acknowledgement: Sendable {
    private let state: Mutex<(pending: Int, failed: Bool, callback: (@Sendable (AckStatus) -> Void)?)>

    public init(pieces: Int, callback: @escaping @Sendable (AckStatus) -> Void) {
        state = Mutex((pieces, false, callback))
    }

    /// Completes one piece.
    public func complete(_ status: AckStatus) {
        let fire: ((@Sendable (AckStatus) -> Void), AckStatus)? = state.withLock { s in
            s.pending -= 1
            if status == .failed { s.failed = true }
            guard s.pending == 0, let cb = s.callback else { return nil }
            s.callback = nil
            return (cb, s.failed ? .failed : .delivered)
        }
        if let (cb, st) = fire { cb(st) }
    }

    deinit {
        let cb = state.withLock { s -> (@Sendable (AckStatus) -> Void)? in
            defer { s.callback = nil }
            return s.callback
        }
        cb?(.failed)
    }
}

/// Events taken from the queue together, with the acknowledgements of the input batches
/// they came from. The worker resolves each acknowledgement once all outputs confirmed.
public struct Batch: Sendable {
    public var events: [Event]
    var acks: [Acknowledgement]

    public init(events: [Event]) {
        self.events = events
        self.acks = []
    }

    public init(events: [Event], acks: [Acknowledgement]) {
        self.events = events
        self.acks = acks
    }

    public func resolve(_ status: AckStatus) {
        for a in acks { a.complete(status) }
    }
}
