import CRdKafka
import SluiceCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Restarts a consumer's fetching as soon as its prefetch queue has room again.
///
/// librdkafka stops fetching a partition once the consumer's queue holds `queued.min.messages`
/// records, and before 2.1.0 nothing tells the broker thread when the application has drained
/// it: the thread looks again only when it next wakes, after up to a second
/// (`rd_kafka_max_block_ms`; 2.1.0 added `fetch.queue.backoff.ms`, also 1 s by default). A
/// consumer faster than that waits most of each second (the mock cluster: ~150,000 records/s
/// at the default 100,000, and throughput proportional to the prefetch, so to memory).
///
/// This thread samples the queue's length every 5 ms. While the queue is below the threshold
/// (so its partitions are fetchable) but draining from at least a quarter of it, it asks the
/// assigned partitions' leaders for their end offsets (`rd_kafka_offsets_for_times`, one small
/// ListOffsets request per leader, its answer not waited for): the request wakes each leader's
/// broker thread, which finds its partitions fetchable again. A consumer that keeps up (its
/// queue never a quarter full) sends nothing; one catching up sends at most one request per
/// leader every 5 ms. With librdkafka 2.1.0 or later `KafkaConsumer` sets
/// `fetch.queue.backoff.ms` instead and no waker runs.
final class FetchWaker: @unchecked Sendable {
    /// The first librdkafka whose fetch back-off after a full queue is configurable.
    static let configurableSince: Int32 = 0x0201_00ff
    static let interval: useconds_t = 5_000

    private let handle: OpaquePointer
    private let queue: OpaquePointer
    private let threshold: Int
    private let stopping = Atomic<Bool>(false)
    private var thread: OSThread?
    /// Wake-ups sent (tests read it).
    let wakeups = Atomic<Int>(0)

    /// - Parameter threshold: the consumer's `queued.min.messages`.
    init(handle: OpaquePointer, threshold: Int) throws(KafkaError) {
        guard let q = rd_kafka_queue_get_consumer(handle) else {
            throw KafkaError.local("cannot read the consumer queue (no group.id)")
        }
        self.handle = handle
        queue = q
        self.threshold = max(1, threshold)
        do {
            thread = try OSThread.start { [self] in run() }
        } catch {
            rd_kafka_queue_destroy(q)
            throw KafkaError.local("cannot start the Kafka fetch waker thread (\(error.code))")
        }
    }

    /// Stops the thread; call before the handle is closed. Once.
    func stop() {
        stopping.store(true, ordering: .releasing)
        thread?.join()
        rd_kafka_queue_destroy(queue)
    }

    private func run() {
        var previous = 0
        while !stopping.load(ordering: .acquiring) {
            usleep(Self.interval)
            let length = Int(rd_kafka_queue_length(queue))
            if length < threshold, length < previous, previous >= threshold / 4 { wakeLeaders() }
            previous = length
        }
    }

    private func wakeLeaders() {
        var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        guard rd_kafka_assignment(handle, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list else { return }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        guard list.pointee.cnt > 0, let elems = list.pointee.elems else { return }
        // A timestamp of -1 asks for the end offset. The answers are not needed, and not
        // waited for (timeout 0): sending the requests is what wakes the broker threads, and
        // an answer can queue behind a fetch the broker holds for `fetch.wait.max.ms` (500 ms),
        // which stalled every other leader's wake-up meanwhile.
        for i in 0..<Int(list.pointee.cnt) { elems[i].offset = -1 }
        _ = rd_kafka_offsets_for_times(handle, list, 0)
        wakeups.add(1, ordering: .relaxed)
    }
}
