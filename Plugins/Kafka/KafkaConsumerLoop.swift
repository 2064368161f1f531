import Dispatch
import SluiceCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Records read by the poll thread, as events, with the offsets they cover.
struct PolledBatch: Sendable {
    var events: [Event]
    var tickets: [KafkaOffsets.Ticket]
    /// The poll came back with fewer records than asked: nothing more is waiting now.
    var drained: Bool
}

/// Runs one `KafkaConsumer` on a thread of its own: `rd_kafka_consumer_poll` blocks, so it
/// never runs on Swift's cooperative pool. The thread decodes records into events and hands
/// them, one batch at a time, to the input's task (`handoff`), which sends them into the
/// pipeline. It commits acknowledged offsets every `commitInterval`, and on every revocation
/// for the revoked partitions once their batches in flight were acknowledged (bounded by
/// `revokeTimeout`); at `stop` it waits (bounded) for what is in flight, commits
/// what was acknowledged and leaves the group.
///
/// Backpressure: while the pipeline is full the handoff slot stays taken and the thread waits
/// for it. A short wait (up to a second) just stops polling: librdkafka's prefetch queue is
/// bounded (`queued.max.messages.kbytes`), so nothing grows. Past that the thread pauses the
/// assigned partitions (`rd_kafka_pause_partitions`: no fetching, prefetched records dropped
/// and fetched again on resume) and keeps polling, so rebalances are served at once and
/// `max.poll.interval.ms` never expires however long the outputs are blocked. Pausing only
/// after a second avoids dropping and refetching the prefetch queue at every short stall.
final class KafkaConsumerLoop: @unchecked Sendable {
    struct Options {
        var maxRecords: Int
        /// How often acknowledged offsets are committed; nil: never (`enable_auto_commit => false`).
        var commitInterval: Duration?
        /// How long `stop` waits for the acknowledgements of batches in flight.
        var settleTimeout: Duration
        /// How long a revocation waits for the acknowledgements of the revoked partitions'
        /// batches in flight before committing (the group waits for this member meanwhile).
        var revokeTimeout: Duration = .seconds(5)
    }

    /// Appends the events of one record (decoded, decorated).
    typealias Decoder = @Sendable (ConsumedRecord, inout [Event]) -> Void

    let handoff = BatchHandoff()
    let offsets = KafkaOffsets()
    private let consumer: KafkaConsumer
    private let options: Options
    private let decode: Decoder
    private let logger: Logger
    private let stopping = Atomic<Bool>(false)
    private let done = Mutex<(finished: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    // Poll-thread state.
    private var pending = PendingBatch()
    private var assigned: Set<TopicPartition> = []
    private var lastError: (text: String, at: ContinuousClock.Instant)?

    init(consumer: KafkaConsumer, options: Options, logger: Logger, decode: @escaping Decoder) {
        self.consumer = consumer
        self.options = options
        self.logger = logger
        self.decode = decode
        consumer.onRebalance = { [weak self] in self?.rebalanced($0) }
    }

    /// Starts the poll thread.
    func start() throws(KafkaError) {
        do {
            try OSThread.start { [self] in run() }.detach()
        } catch {
            throw KafkaError.local("cannot start the Kafka consumer thread (\(error.code))")
        }
    }

    /// Stops reading: the batch not yet taken by the input's task counts as failed. Any thread.
    func stop() {
        stopping.store(true, ordering: .releasing)
        if let left = handoff.close() { offsets.acknowledge(left.tickets, .failed) }
    }

    /// Returns once the thread committed and closed the consumer.
    func finished() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = done.withLock { d -> Bool in
                if d.finished { return true }
                d.waiters.append(c)
                return false
            }
            if now { c.resume() }
        }
    }

    // MARK: The poll thread

    private func run() {
        let clock = ContinuousClock()
        var nextCommit = options.commitInterval.map { clock.now + $0 }
        while !stopping.load(ordering: .acquiring) {
            serveCommitResults()
            if let due = nextCommit, let interval = options.commitInterval, clock.now >= due {
                // Every acknowledged position, moved or not: the stamped commit tells a lag
                // monitor this consumer is alive (CommitStamp), and retries a failed commit.
                consumer.commitAsync(offsets.acknowledged(), metadata: CommitStamp.now())
                nextCommit = clock.now + interval
            }
            if handoff.isFull {
                if handoff.waitForRoom(consumer.isPaused ? .milliseconds(100) : .seconds(1)) { continue }
                if !consumer.isPaused {
                    logger.debug("kafka: the pipeline is full; pausing the assigned partitions")
                    consumer.pause()
                }
                pollOne(timeoutMs: 0)  // serves rebalances, keeps max.poll.interval.ms
                continue
            }
            consumer.resume()
            var timeout: Int32 = 100
            while pending.records < options.maxRecords, !stopping.load(ordering: .relaxed), pollOne(timeoutMs: timeout) {
                timeout = 0
            }
            if pending.records > 0 { handOver() }
        }
        shutdown()
        let waiters = done.withLock { d in
            d.finished = true
            defer { d.waiters = [] }
            return d.waiters
        }
        for w in waiters { w.resume() }
    }

    /// Polls once; true if a record came.
    @discardableResult
    private func pollOne(timeoutMs: Int32) -> Bool {
        switch consumer.poll(timeoutMs: timeoutMs, { add($0) }) {
        case .record: return true
        case .nothing: return false
        case .error(let e):
            logOnce("kafka: \(e)")
            return false
        }
    }

    private func add(_ record: ConsumedRecord) {
        // A record fetched before its partition was revoked: its new owner reads it. (Records
        // come in runs of one partition: only a new partition needs the set.)
        guard pending.isLast(record.partition) || assigned.contains(record.partition) else { return }
        let before = pending.events.count
        decode(record, &pending.events)
        pending.add(record.partition, offset: record.offset, events: pending.events.count - before)
    }

    private func handOver() {
        var tickets: [KafkaOffsets.Ticket] = []
        tickets.reserveCapacity(pending.ranges.count)
        for (p, range) in zip(pending.partitions, pending.ranges) {
            if let t = offsets.register(p, first: range.first, last: range.last) { tickets.append(t) }
        }
        let batch = PolledBatch(events: pending.events, tickets: tickets, drained: pending.records < options.maxRecords)
        pending = PendingBatch()
        if !handoff.put(batch) { offsets.acknowledge(tickets, .failed) }
    }

    private func rebalanced(_ change: Rebalance) {
        switch change {
        case .assigned(let partitions):
            offsets.assign(partitions)
            assigned.formUnion(partitions)
        case .revoking(let partitions, let lost):
            pending.drop(Set(partitions))
            assigned.subtract(partitions)
            if !lost, options.commitInterval != nil {
                settle(partitions)
                let acknowledged = offsets.acknowledged(partitions)
                if let e = consumer.commitSync(acknowledged, metadata: CommitStamp.now()) {
                    logger.warning("kafka: cannot commit the offsets of revoked partitions: \(e); their unacknowledged events will be read again")
                }
            }
            offsets.forget(partitions)
        }
    }

    /// Waits (up to `revokeTimeout`) until no batch holding records of `partitions` is
    /// waiting for its acknowledgement, so that the commit before they go covers as much as
    /// possible and their next owner reads little again. Runs inside the rebalance callback:
    /// the group waits for it (well within `max.poll.interval.ms`).
    private func settle(_ partitions: [TopicPartition]) {
        let inFlight = offsets.waiting(partitions)
        guard inFlight > 0 else { return }
        logger.info("kafka: waiting up to \(options.revokeTimeout) for the acknowledgements of \(inFlight) batches of the revoked partitions")
        let clock = ContinuousClock()
        let deadline = clock.now + options.revokeTimeout
        while offsets.waiting(partitions) > 0, clock.now < deadline, !stopping.load(ordering: .relaxed) {
            usleep(5_000)
        }
        let left = offsets.waiting(partitions)
        if left > 0 {
            logger.warning("kafka: \(left) batches of the revoked partitions were not acknowledged within \(options.revokeTimeout); their next owner reads them again")
        }
    }

    private func serveCommitResults() {
        consumer.commitResults { _, error in
            guard let error else { return }
            logOnce("kafka: cannot commit offsets (retried at the next commit): \(error)")
        }
    }

    /// Logs `text` at warning level, unless it was the last line logged less than a minute ago
    /// (a broker that is down reports the same error at every poll).
    private func logOnce(_ text: String) {
        let now = ContinuousClock.now
        if let last = lastError, last.text == text, now - last.at < .seconds(60) { return }
        lastError = (text, now)
        logger.warning("\(text)")
    }

    private func shutdown() {
        consumer.pause()
        pending = PendingBatch()
        let clock = ContinuousClock()
        let deadline = clock.now + options.settleTimeout
        // Keep polling (partitions paused) so the group keeps this member while it waits.
        while offsets.waiting > 0, clock.now < deadline {
            pollOne(timeoutMs: 50)
            serveCommitResults()
        }
        pending = PendingBatch()
        let left = offsets.waiting
        if left > 0 {
            logger.warning("kafka: \(left) batches were not acknowledged within \(options.settleTimeout); their offsets stay uncommitted and they will be read again")
        }
        if options.commitInterval != nil, let e = consumer.commitSync(offsets.acknowledged(), metadata: CommitStamp.now()) {
            logger.warning("kafka: cannot commit the acknowledged offsets at shutdown: \(e); their events will be read again")
        }
        offsets.forget()
        consumer.close()
    }
}

/// The records polled since the last handover: their events, and per partition the offsets.
private struct PendingBatch {
    var events: [Event] = []
    /// Per event, the index of its partition (to drop a revoked partition's events).
    var owners: [Int] = []
    var partitions: [TopicPartition] = []
    var ranges: [(first: Int64, last: Int64, records: Int)] = []
    var records = 0
    private var index: [TopicPartition: Int] = [:]
    private var last: Int?

    /// Whether `p` is the partition of the last record added (it is assigned, then).
    func isLast(_ p: TopicPartition) -> Bool { last.map { partitions[$0] == p } ?? false }

    mutating func add(_ p: TopicPartition, offset: Int64, events n: Int) {
        let i: Int
        if let l = last, partitions[l] == p {
            i = l
            ranges[i].last = offset
            ranges[i].records += 1
        } else if let known = index[p] {
            i = known
            ranges[i].last = offset
            ranges[i].records += 1
        } else {
            i = partitions.count
            index[p] = i
            partitions.append(p)
            ranges.append((offset, offset, 1))
        }
        last = i
        records += 1
        for _ in 0..<n { owners.append(i) }
    }

    mutating func drop(_ revoked: Set<TopicPartition>) {
        guard partitions.contains(where: { revoked.contains($0) }) else { return }
        let old = self
        self = PendingBatch()
        for (i, p) in old.partitions.enumerated() where !revoked.contains(p) {
            index[p] = partitions.count
            partitions.append(p)
            ranges.append(old.ranges[i])
        }
        for (event, owner) in zip(old.events, old.owners) {
            guard let i = index[old.partitions[owner]] else { continue }
            events.append(event)
            owners.append(i)
        }
        records = ranges.reduce(0) { $0 + $1.records }
    }
}

/// One batch at a time from the poll thread to the input's task.
final class BatchHandoff: Sendable {
    private struct State {
        var batch: PolledBatch?
        var waiter: CheckedContinuation<PolledBatch?, Never>?
        var closed = false
    }

    private let state = Mutex(State())
    /// Signalled when the task takes a batch (or at close), to wake the poll thread.
    private let taken = DispatchSemaphore(value: 0)

    var isFull: Bool { state.withLock { $0.batch != nil } }

    /// Poll thread: hands `batch` over (the slot is empty); false once closed.
    func put(_ batch: PolledBatch) -> Bool {
        let (accepted, waiter) = state.withLock { s -> (Bool, CheckedContinuation<PolledBatch?, Never>?) in
            if s.closed { return (false, nil) }
            if let w = s.waiter {
                s.waiter = nil
                return (true, w)
            }
            s.batch = batch
            return (true, nil)
        }
        waiter?.resume(returning: batch)
        return accepted
    }

    /// Poll thread: waits up to `timeout` for the slot to empty; true if it is empty.
    func waitForRoom(_ timeout: Duration) -> Bool {
        let ms = Int(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        let deadline = DispatchTime.now() + .milliseconds(ms)
        // The semaphore also counts takes that happened while nobody waited: a stale signal
        // must not end the wait while the slot is still full (that paused the partitions,
        // dropping librdkafka's prefetched messages, after nearly every batch).
        while isFull {
            if taken.wait(timeout: deadline) == .timedOut { return !isFull }
        }
        return true
    }

    /// The input's task: the next batch; nil once closed or when the task is cancelled.
    func next() async -> PolledBatch? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<PolledBatch?, Never>) in
                let ready = state.withLock { s -> PolledBatch?? in
                    if let b = s.batch {
                        s.batch = nil
                        return .some(b)
                    }
                    if s.closed || Task.isCancelled { return .some(nil) }
                    s.waiter = c
                    return nil
                }
                guard let ready else { return }
                if ready != nil { taken.signal() }
                c.resume(returning: ready)
            }
        } onCancel: {
            let w = state.withLock { s in
                defer { s.waiter = nil }
                return s.waiter
            }
            w?.resume(returning: nil)
        }
    }

    /// No more batches: a waiting task gets nil. Returns the batch nobody took.
    func close() -> PolledBatch? {
        let (left, waiter) = state.withLock { s -> (PolledBatch?, CheckedContinuation<PolledBatch?, Never>?) in
            s.closed = true
            defer { s.batch = nil; s.waiter = nil }
            return (s.batch, s.waiter)
        }
        waiter?.resume(returning: nil)
        taken.signal()
        return left
    }
}
