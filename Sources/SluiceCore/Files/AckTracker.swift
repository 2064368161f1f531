import Synchronization

/// Tracks acknowledgements of the pieces an input sent from one source (a file's chunks, a
/// dead-letter queue's entries). Pieces may be acknowledged out of order (several workers);
/// the committed position only moves over a contiguous run of delivered pieces, and never
/// past one that failed, so a restart never skips an unacknowledged event.
public struct AckTracker<Position: Equatable & Sendable>: Sendable {
    @usableFromInline enum PieceState: Sendable { case waiting, delivered, failed }
    @usableFromInline var pending: [(seq: UInt64, end: Position, state: PieceState)] = []
    @usableFromInline var nextSeq: UInt64 = 0
    @usableFromInline var _committed: Position
    @usableFromInline var _failed = false

    /// The position up to which every piece was delivered.
    public var committed: Position { _committed }
    /// A piece was not delivered: the position stays before it until a restart.
    public var failed: Bool { _failed }

    public init(start: Position) { _committed = start }

    /// Pieces not yet committed (waiting for their acknowledgement, or held back by a failure).
    public var outstanding: Int { pending.count }

    /// Pieces whose acknowledgement has not come yet.
    public var waiting: Int { pending.reduce(0) { $0 + ($1.state == .waiting ? 1 : 0) } }

    /// Registers a piece that ends at `end`; returns its sequence number for `acknowledge`.
    @inlinable
    public mutating func register(end: Position) -> UInt64 {
        defer { nextSeq += 1 }
        pending.append((nextSeq, end, .waiting))
        return nextSeq
    }

    /// Starts over at `position` (the file was truncated). Sequence numbers keep counting,
    /// so a late acknowledgement of a piece from before cannot complete a new piece.
    public mutating func restart(at position: Position) {
        pending = []
        _committed = position
        _failed = false
    }

    /// Records the outcome of piece `seq`; true if the committed position moved.
    @inlinable @discardableResult
    public mutating func acknowledge(_ seq: UInt64, _ status: AckStatus) -> Bool {
        guard let i = pending.firstIndex(where: { $0.seq == seq }) else { return false }
        guard status == .delivered else {
            pending[i].state = .failed
            _failed = true
            return false
        }
        pending[i].state = .delivered
        var n = 0
        while n < pending.count, pending[n].state == .delivered { _committed = pending[n].end; n += 1 }
        pending.removeFirst(n)
        return n > 0
    }
}

/// An `AckTracker` shared with the acknowledging threads: the input registers pieces, the
/// workers acknowledge them, and each move of the committed position is handed to
/// `onCommit` at once (e.g. `PositionStore.update`), from the acknowledging thread.
///
/// Lock order: the tracker's lock, then whatever `onCommit` takes; it must not call back.
public final class PositionTracker<Position: Equatable & Sendable>: Sendable {
    @usableFromInline let acks: Mutex<AckTracker<Position>>
    @usableFromInline let onCommit: (@Sendable (Position) -> Void)?

    public init(start: Position, onCommit: (@Sendable (Position) -> Void)? = nil) {
        acks = Mutex(AckTracker(start: start))
        self.onCommit = onCommit
    }

    /// Registers a piece ending at `end`; pass the result to `acknowledge`.
    @inlinable
    public func register(end: Position) -> UInt64 {
        acks.withLock { $0.register(end: end) }
    }

    /// Records the outcome of piece `seq` (an `EventSink` acknowledgement callback).
    @inlinable
    public func acknowledge(_ seq: UInt64, _ status: AckStatus) {
        acks.withLock { t in
            if t.acknowledge(seq, status) { onCommit?(t.committed) }
        }
    }

    /// Starts over at `position` (the source was truncated) and commits it.
    public func restart(at position: Position) {
        acks.withLock { t in
            t.restart(at: position)
            onCommit?(position)
        }
    }

    /// The committed position, pieces outstanding, and whether one failed, read together.
    public var status: (committed: Position, outstanding: Int, failed: Bool) {
        acks.withLock { ($0.committed, $0.outstanding, $0.failed) }
    }

    public var committed: Position { acks.withLock { $0.committed } }

    /// Waits until every piece sent was acknowledged one way or the other. After a stop the
    /// pipeline drains and every acknowledgement resolves, so this ends; the final commit
    /// then counts them (otherwise a restart would send them again).
    public func settle() async {
        while acks.withLock({ $0.waiting > 0 }) {
            // The input's task is cancelled by then: sleep in a fresh task that is not.
            await Task { try? await Task.sleep(for: .milliseconds(5)) }.value
        }
    }
}

extension PositionStore {
    /// A tracker for one file that records its start now and each committed move at once.
    public func tracker(for id: FileIdentity, path: String, start: UInt64) -> PositionTracker<UInt64> {
        update(id, position: start, path: path)
        return PositionTracker(start: start) { [self] position in update(id, position: position, path: path) }
    }
}
