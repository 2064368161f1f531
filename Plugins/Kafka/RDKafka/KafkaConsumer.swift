import CRdKafka
import SluiceCore
#if canImport(Glibc)
import Glibc
#endif

/// One partition of a topic.
struct TopicPartition: Hashable, Sendable, CustomStringConvertible {
    var topic: String
    var partition: Int32
    var description: String { "\(topic)[\(partition)]" }
}

/// A record `KafkaConsumer.poll` handed out. Its bytes belong to librdkafka: read them inside
/// the `poll` closure, never keep the record.
struct ConsumedRecord {
    let partition: TopicPartition
    let offset: Int64
    private let message: UnsafeMutablePointer<rd_kafka_message_t>

    fileprivate init(_ message: UnsafeMutablePointer<rd_kafka_message_t>, partition: TopicPartition) {
        self.message = message
        self.partition = partition
        offset = message.pointee.offset
    }

    /// The payload (empty for a tombstone).
    var value: [UInt8] {
        guard let p = message.pointee.payload, message.pointee.len > 0 else { return [] }
        return Array(UnsafeRawBufferPointer(start: p, count: message.pointee.len))
    }

    /// The key as UTF-8 text (Logstash's default string deserializer); nil without a key.
    var key: String? {
        guard let p = message.pointee.key else { return nil }
        return String(decoding: UnsafeRawBufferPointer(start: p, count: message.pointee.key_len), as: UTF8.self)
    }

    /// Milliseconds since the epoch (create or log-append time), nil when the broker gave none.
    var timestamp: Int64? {
        var type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let ms = rd_kafka_message_timestamp(message, &type)
        return type == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE || ms < 0 ? nil : ms
    }

    /// The headers in order, values as UTF-8 text (a null value as an empty string).
    var headers: [(name: String, value: String)] {
        var headers: OpaquePointer?
        guard rd_kafka_message_headers(message, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR, let headers else { return [] }
        var out: [(String, String)] = []
        var i = 0
        var name: UnsafePointer<CChar>?
        var value: UnsafeRawPointer?
        var size = 0
        while rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
            let text = value.map { String(decoding: UnsafeRawBufferPointer(start: $0, count: size), as: UTF8.self) } ?? ""
            out.append((name.map { String(cString: $0) } ?? "", text))
            i += 1
        }
        return out
    }
}

/// A consumer group change, reported on the polling thread while librdkafka waits for it.
enum Rebalance {
    /// The partitions are now this consumer's (already assigned when this is reported).
    case assigned([TopicPartition])
    /// The partitions are about to be taken away (still assigned while this is reported, so
    /// their offsets can be committed). `lost`: the group already gave them to another member
    /// (session timed out), so a commit would be refused.
    case revoking([TopicPartition], lost: Bool)
}

/// A librdkafka high-level consumer (`rd_kafka_subscribe`, `rd_kafka_consumer_poll`).
///
/// Not thread-safe by design: one thread (the kafka input's poll thread) makes every call,
/// and the rebalance handler runs on that thread inside `poll` and `close`, so assignment,
/// pausing and commits happen in one order. Offsets are never committed by librdkafka
/// (`enable.auto.commit` and `enable.auto.offset.store` are off): only `commit` does.
final class KafkaConsumer: @unchecked Sendable {
    private let client: RDKafkaClient
    private let logger: Logger
    /// Where asynchronous commits report their results (served by `commitResults`).
    private let commitQueue: OpaquePointer
    private var topicNames: [OpaquePointer: String] = [:]
    private var closed = false
    /// Restarts fetching after a full prefetch queue drained (librdkafka before 2.1.0).
    private let waker: FetchWaker?
    /// True while the assigned partitions are paused (kept across rebalances).
    private(set) var isPaused = false
    /// Told of every rebalance, on the polling thread.
    var onRebalance: ((Rebalance) -> Void)?

    init(properties: [String: String], logger: Logger) throws(KafkaError) {
        var p = properties
        p["enable.auto.commit"] = "false"
        p["enable.auto.offset.store"] = "false"
        // Fetch again as soon as a full prefetch queue has drained, not up to 1 s later:
        // librdkafka 2.1.0 has a setting for it, earlier versions need FetchWaker.
        let configurable = rd_kafka_version() >= FetchWaker.configurableSince
        if configurable, p["fetch.queue.backoff.ms"] == nil { p["fetch.queue.backoff.ms"] = "20" }
        let relay = RebalanceRelay()
        client = try RDKafkaClient(kind: .consumer, properties: p, logger: logger, pollsInBackground: false,
                                   rebalance: { rk, err, parts in
                                       if let consumer = relay.consumer {
                                           consumer.rebalance(rk, err, parts)
                                       } else {
                                           // Gone (deinit): just keep librdkafka's assignment in step.
                                           rd_kafka_assign(rk, err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS ? parts : nil)
                                       }
                                   })
        self.logger = logger
        // Fetched messages and consumer events go to the queue `rd_kafka_consumer_poll` serves.
        rd_kafka_poll_set_consumer(client.handle)
        guard let q = rd_kafka_queue_new(client.handle) else {
            client.destroy()
            throw KafkaError.local("cannot create the Kafka commit queue")
        }
        commitQueue = q
        do {
            waker = configurable ? nil : try FetchWaker(handle: client.handle,
                                                        threshold: p["queued.min.messages"].flatMap { Int($0) } ?? 100_000)
        } catch {
            rd_kafka_queue_destroy(q)
            client.destroy()
            throw error
        }
        relay.consumer = self
    }

    /// Wake-ups the fetch waker sent (0 without one).
    var fetchWakeups: Int { waker?.wakeups.load(ordering: .relaxed) ?? 0 }

    deinit { close() }

    /// Subscribes to `topics`; a name starting with `^` is a regular expression (librdkafka).
    func subscribe(_ topics: [String]) throws(KafkaError) {
        let list = rd_kafka_topic_partition_list_new(Int32(topics.count))
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for t in topics { rd_kafka_topic_partition_list_add(list, t, RD_KAFKA_PARTITION_UA) }
        let err = rd_kafka_subscribe(client.handle, list)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err) }
    }

    enum PollResult {
        case record
        case nothing
        /// A consumer error (broker down, unknown topic): librdkafka keeps trying by itself.
        case error(KafkaError)
    }

    /// Waits up to `timeoutMs` for the next record and hands it to `body`. Rebalances are
    /// served here too.
    func poll(timeoutMs: Int32, _ body: (ConsumedRecord) -> Void) -> PollResult {
        guard !closed, let message = rd_kafka_consumer_poll(client.handle, timeoutMs) else { return .nothing }
        defer { rd_kafka_message_destroy(message) }
        if message.pointee.err != RD_KAFKA_RESP_ERR_NO_ERROR {
            let text = rd_kafka_message_errstr(message).map { String(cString: $0) }
            return .error(KafkaError(message.pointee.err, message: text))
        }
        guard let rkt = message.pointee.rkt else { return .nothing }
        body(ConsumedRecord(message, partition: TopicPartition(topic: topicName(rkt), partition: message.pointee.partition)))
        return .record
    }

    private func topicName(_ rkt: OpaquePointer) -> String {
        if let name = topicNames[rkt] { return name }
        let name = String(cString: rd_kafka_topic_name(rkt))
        topicNames[rkt] = name
        return name
    }

    /// Pauses every assigned partition: librdkafka stops fetching them and drops what it had
    /// prefetched; `resume` fetches again from the next offset not yet handed out.
    func pause() {
        guard !isPaused, !closed else { return }
        isPaused = true
        withAssignment { rd_kafka_pause_partitions(client.handle, $0) }
    }

    func resume() {
        guard isPaused, !closed else { return }
        isPaused = false
        withAssignment { rd_kafka_resume_partitions(client.handle, $0) }
    }

    private func withAssignment(_ body: (UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) -> rd_kafka_resp_err_t) {
        var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        guard rd_kafka_assignment(client.handle, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list else { return }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        if list.pointee.cnt > 0 { _ = body(list) }
    }

    /// Commits `offsets` (the next offset to read, per partition) and waits for the broker's
    /// answer. Without a group coordinator librdkafka waits up to `session.timeout.ms`.
    func commitSync(_ offsets: [TopicPartition: Int64], metadata: String? = nil) -> KafkaError? {
        guard !offsets.isEmpty, !closed else { return nil }
        let list = Self.list(offsets, metadata: metadata)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let err = rd_kafka_commit(client.handle, list, 0)
        return err == RD_KAFKA_RESP_ERR_NO_ERROR ? Self.partitionError(list) : KafkaError(err)
    }

    /// Starts committing `offsets`; `commitResults` reports how it went.
    func commitAsync(_ offsets: [TopicPartition: Int64], metadata: String? = nil) {
        guard !offsets.isEmpty, !closed else { return }
        let list = Self.list(offsets, metadata: metadata)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let err = rd_kafka_commit_queue(client.handle, list, commitQueue, { _, _, _, _ in }, nil)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            logger.warning("kafka: cannot commit offsets: \(KafkaError(err))")
        }
    }

    /// Results of earlier `commitAsync` calls: the offsets and the error, nil if committed.
    func commitResults(_ body: ([TopicPartition: Int64], KafkaError?) -> Void) {
        while !closed, let event = rd_kafka_queue_poll(commitQueue, 0) {
            defer { rd_kafka_event_destroy(event) }
            guard rd_kafka_event_type(event) == RD_KAFKA_EVENT_OFFSET_COMMIT else { continue }
            let list = rd_kafka_event_topic_partition_list(event)
            let err = rd_kafka_event_error(event)
            var offsets: [TopicPartition: Int64] = [:]
            if let list {
                for (tp, offset, _) in Self.entries(list) { offsets[tp] = offset }
            }
            let error = err != RD_KAFKA_RESP_ERR_NO_ERROR ? KafkaError(err) : list.flatMap { Self.partitionError($0) }
            body(offsets, error)
        }
    }

    /// Leaves the group (the rebalance handler sees the partitions revoked first) and
    /// destroys the handle. Idempotent.
    func close() {
        guard !closed else { return }
        if let waker {
            waker.stop()
            logger.debug("kafka: the fetch waker woke the partition leaders \(waker.wakeups.load(ordering: .relaxed)) times")
        }
        let err = rd_kafka_consumer_close(client.handle)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { logger.warning("kafka: closing the consumer: \(KafkaError(err))") }
        closed = true
        rd_kafka_queue_destroy(commitQueue)
        client.destroy()
    }

    // MARK: Rebalancing

    fileprivate func rebalance(_ rk: OpaquePointer, _ err: rd_kafka_resp_err_t,
                               _ partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?) {
        let cooperative = rd_kafka_rebalance_protocol(rk).map { String(cString: $0) } == "COOPERATIVE"
        let list = partitions.map { Self.entries($0).map(\.partition) } ?? []
        switch err {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            if cooperative {
                if let e = rd_kafka_incremental_assign(rk, partitions) { report("assign", e) }
            } else {
                let e = rd_kafka_assign(rk, partitions)
                if e != RD_KAFKA_RESP_ERR_NO_ERROR { logger.warning("kafka: cannot assign \(list): \(KafkaError(e))") }
            }
            // Partitions assigned while the input is paused wait too.
            if isPaused, let partitions { rd_kafka_pause_partitions(rk, partitions) }
            logger.info("kafka: assigned \(list.map(\.description).joined(separator: ", "))")
            onRebalance?(.assigned(list))
        case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
            let lost = rd_kafka_assignment_lost(rk) != 0
            logger.info("kafka: \(lost ? "lost" : "revoked") \(list.map(\.description).joined(separator: ", "))")
            onRebalance?(.revoking(list, lost: lost))
            if cooperative {
                if let e = rd_kafka_incremental_unassign(rk, partitions) { report("unassign", e) }
            } else {
                rd_kafka_assign(rk, nil)
            }
        default:
            logger.warning("kafka: rebalance failed: \(KafkaError(err)); dropping the assignment")
            var current: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
            if rd_kafka_assignment(rk, &current) == RD_KAFKA_RESP_ERR_NO_ERROR, let current {
                onRebalance?(.revoking(Self.entries(current).map(\.partition), lost: true))
                rd_kafka_topic_partition_list_destroy(current)
            }
            rd_kafka_assign(rk, nil)
        }
    }

    private func report(_ what: String, _ error: OpaquePointer) {
        logger.warning("kafka: cannot \(what) partitions: \(String(cString: rd_kafka_error_string(error)))")
        rd_kafka_error_destroy(error)
    }

    // MARK: Partition lists

    /// A list of `offsets`, each carrying `metadata` (the commit metadata OffsetFetch returns).
    private static func list(_ offsets: [TopicPartition: Int64], metadata: String? = nil) -> UnsafeMutablePointer<rd_kafka_topic_partition_list_t> {
        let list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t> = rd_kafka_topic_partition_list_new(Int32(offsets.count))
        for (tp, offset) in offsets {
            guard let e = rd_kafka_topic_partition_list_add(list, tp.topic, tp.partition) else { continue }
            e.pointee.offset = offset
            // librdkafka frees the metadata with the list (free()), so it is strdup'ed.
            if let metadata, let copy = strdup(metadata) {
                e.pointee.metadata = UnsafeMutableRawPointer(copy)
                e.pointee.metadata_size = strlen(copy)
            }
        }
        return list
    }

    private static func entries(_ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>)
        -> [(partition: TopicPartition, offset: Int64, err: rd_kafka_resp_err_t)] {
        guard let elems = list.pointee.elems else { return [] }
        return (0..<Int(list.pointee.cnt)).map { i in
            let e = elems[i]
            return (TopicPartition(topic: String(cString: e.topic), partition: e.partition), e.offset, e.err)
        }
    }

    /// The first per-partition error of a commit, naming its partition.
    private static func partitionError(_ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) -> KafkaError? {
        guard let bad = entries(list).first(where: { $0.err != RD_KAFKA_RESP_ERR_NO_ERROR }) else { return nil }
        return KafkaError(bad.err, message: "\(bad.partition): \(String(cString: rd_kafka_err2str(bad.err)))")
    }
}

/// Lets the rebalance callback, set before the consumer exists, reach it.
private final class RebalanceRelay: @unchecked Sendable {
    weak var consumer: KafkaConsumer?
}
