import SluiceCore
import Synchronization

/// Which offsets the kafka input may commit, per assigned partition.
///
/// Every batch the input sends registers, per partition, the run of offsets it holds; the
/// batch's acknowledgement (from a worker thread) marks those runs delivered or failed. A
/// partition's commit position is the offset after the last run that was delivered with
/// every run before it (`AckTracker`), so an unacknowledged or failed batch holds it back, and
/// a failure is never passed by later acknowledgements.
///
/// Each assignment of a partition is a new generation: acknowledgements of batches read
/// before a partition was revoked find no generation of theirs and change nothing.
final class KafkaOffsets: Sendable {
    /// One partition's run of offsets in one batch.
    struct Ticket: Sendable {
        let partition: TopicPartition
        let generation: UInt64
        let seq: UInt64
    }

    private struct Tracked {
        let generation: UInt64
        /// Created at the first record read after the assignment, starting at its offset
        /// (already the group's position, or the reset position: it needs no commit).
        var acks: AckTracker<Int64>?
        var start: Int64 = 0

        /// The commit position, if anything was acknowledged since reading began.
        var progress: Int64? {
            guard let acks, acks.committed > start else { return nil }
            return acks.committed
        }
    }

    private struct State {
        var partitions: [TopicPartition: Tracked] = [:]
        var generations: UInt64 = 0
    }

    private let state = Mutex(State())

    /// Starts tracking newly assigned partitions.
    func assign(_ partitions: [TopicPartition]) {
        state.withLock { s in
            for p in partitions {
                s.generations += 1
                s.partitions[p] = Tracked(generation: s.generations)
            }
        }
    }

    func isAssigned(_ p: TopicPartition) -> Bool { state.withLock { $0.partitions[p] != nil } }

    /// Registers the records `first...last` of partition `p` sent in one batch; nil if the
    /// partition is not assigned.
    func register(_ p: TopicPartition, first: Int64, last: Int64) -> Ticket? {
        state.withLock { s in
            guard var t = s.partitions[p] else { return nil }
            if t.acks == nil { t.start = first }
            var acks = t.acks ?? AckTracker(start: first)
            let seq = acks.register(end: last + 1)
            t.acks = acks
            s.partitions[p] = t
            return Ticket(partition: p, generation: t.generation, seq: seq)
        }
    }

    /// Records how a batch ended (an `EventSink` acknowledgement).
    func acknowledge(_ tickets: [Ticket], _ status: AckStatus) {
        state.withLock { s in
            for ticket in tickets {
                guard var t = s.partitions[ticket.partition], t.generation == ticket.generation, t.acks != nil else { continue }
                t.acks?.acknowledge(ticket.seq, status)
                s.partitions[ticket.partition] = t
            }
        }
    }

    /// Commit positions of `partitions` (all when nil) that got past where reading began.
    func acknowledged(_ partitions: [TopicPartition]? = nil) -> [TopicPartition: Int64] {
        state.withLock { s in
            var out: [TopicPartition: Int64] = [:]
            for p in partitions ?? Array(s.partitions.keys) {
                guard let position = s.partitions[p]?.progress else { continue }
                out[p] = position
            }
            return out
        }
    }

    /// Stops tracking `partitions` (all when nil); later acknowledgements of theirs are ignored.
    func forget(_ partitions: [TopicPartition]? = nil) {
        state.withLock { s in
            guard let partitions else { s.partitions = [:]; return }
            for p in partitions { s.partitions[p] = nil }
        }
    }

    /// Batches sent whose acknowledgement has not come yet.
    var waiting: Int { state.withLock { $0.partitions.values.reduce(0) { $0 + ($1.acks?.waiting ?? 0) } } }

    /// Runs of `partitions` sent whose acknowledgement has not come yet.
    func waiting(_ partitions: [TopicPartition]) -> Int {
        state.withLock { s in partitions.reduce(0) { $0 + (s.partitions[$1]?.acks?.waiting ?? 0) } }
    }
}
