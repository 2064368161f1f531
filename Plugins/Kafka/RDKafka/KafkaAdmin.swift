import CRdKafka
import SluiceCore

/// Reads what a lag monitor needs from the cluster, without joining any group: the topics
/// and their partition counts, the log-end offset (high watermark) of a partition, a
/// group's committed offsets and the list of groups.
///
/// Committed offsets come from `rd_kafka_committed` on a consumer handle carrying the
/// group's `group.id` (one handle per group, made on first use and never subscribed, so the
/// group's members are not disturbed). Every call blocks for up to `timeoutMs`: call them off
/// Swift's cooperative pool (`Blocking.run`), from one thread at a time.
final class KafkaAdmin: @unchecked Sendable {
    struct Partition: Hashable, Sendable {
        var topic: String
        var partition: Int32
    }

    private let properties: [String: String]
    private let logger: Logger
    /// Metadata and watermarks; no group.
    private let base: RDKafkaClient
    private var groups: [String: RDKafkaClient] = [:]

    /// - Parameter properties: librdkafka properties (connection and security); secrets never
    ///   reach logs or errors.
    init(properties: [String: String], logger: Logger) throws(KafkaError) {
        var p = properties
        // Never commit. (Topics are never created by asking: metadata is asked for all topics.)
        p["enable.auto.commit"] = "false"
        self.properties = p
        self.logger = logger
        base = try RDKafkaClient(kind: .consumer, properties: p, logger: logger, pollsInBackground: false)
    }

    /// Every topic's partition count (internal `__` topics left out).
    func topics(timeoutMs: Int32) throws(KafkaError) -> [String: Int] {
        var md: UnsafePointer<rd_kafka_metadata>? = nil
        let err = rd_kafka_metadata(base.handle, 1, nil, &md, timeoutMs)
        serve(base)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let md else { throw KafkaError(err) }
        defer { rd_kafka_metadata_destroy(md) }
        var out: [String: Int] = [:]
        for i in 0..<Int(md.pointee.topic_cnt) {
            let t = md.pointee.topics[i]
            guard let name = t.topic.map({ String(cString: $0) }), !name.hasPrefix("__"),
                  t.err == RD_KAFKA_RESP_ERR_NO_ERROR, t.partition_cnt > 0 else { continue }
            out[name] = Int(t.partition_cnt)
        }
        return out
    }

    /// The log-end offset (high watermark) of one partition, asked of its leader.
    func logEnd(_ p: Partition, timeoutMs: Int32) throws(KafkaError) -> Int64 {
        var low: Int64 = 0, high: Int64 = 0
        let err = rd_kafka_query_watermark_offsets(base.handle, p.topic, p.partition, &low, &high, timeoutMs)
        serve(base)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err) }
        return high
    }

    /// A committed offset and the metadata committed with it (empty when none).
    struct Commit: Sendable, Equatable {
        var offset: Int64
        var metadata: String
    }

    /// The offsets `group` committed on `partitions`; partitions without a commit are absent.
    func committed(group: String, partitions: [Partition], timeoutMs: Int32) throws(KafkaError) -> [Partition: Commit] {
        guard !partitions.isEmpty else { return [:] }
        let client = try handle(for: group)
        guard let list = rd_kafka_topic_partition_list_new(Int32(partitions.count)) else {
            throw KafkaError.local("cannot allocate a partition list")
        }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for p in partitions { rd_kafka_topic_partition_list_add(list, p.topic, p.partition) }
        let err = rd_kafka_committed(client.handle, list, timeoutMs)
        serve(client)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err) }
        var out: [Partition: Commit] = [:]
        for i in 0..<Int(list.pointee.cnt) {
            let e = list.pointee.elems[i]
            // A partition-level error (e.g. UNKNOWN_TOPIC_OR_PART) means no commit to report.
            guard e.err == RD_KAFKA_RESP_ERR_NO_ERROR, e.offset >= 0, let topic = e.topic else { continue }
            let metadata = e.metadata.map { String(decoding: UnsafeRawBufferPointer(start: $0, count: e.metadata_size), as: UTF8.self) }
            out[Partition(topic: String(cString: topic), partition: e.partition)] = Commit(offset: e.offset, metadata: metadata ?? "")
        }
        return out
    }

    /// The consumer groups the brokers know (ListGroups). Not every broker implements it
    /// (librdkafka's mock cluster does not): the error says so.
    func listGroups(timeoutMs: Int32) throws(KafkaError) -> [String] {
        var list: UnsafePointer<rd_kafka_group_list>? = nil
        let err = rd_kafka_list_groups(base.handle, nil, &list, timeoutMs)
        serve(base)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let list else { throw KafkaError(err) }
        defer { rd_kafka_group_list_destroy(list) }
        return (0..<Int(list.pointee.group_cnt)).compactMap { i in list.pointee.groups[i].group.map { String(cString: $0) } }
    }

    /// Destroys every handle. Call once, after the last call.
    func close() {
        for (_, client) in groups { client.destroy() }
        groups = [:]
        base.destroy()
    }

    private func handle(for group: String) throws(KafkaError) -> RDKafkaClient {
        if let c = groups[group] { return c }
        var p = properties
        p["group.id"] = group
        let c = try RDKafkaClient(kind: .consumer, properties: p, logger: logger, pollsInBackground: false)
        groups[group] = c
        return c
    }

    /// Runs the handle's queued log and error callbacks (no poll thread serves them).
    private func serve(_ client: RDKafkaClient) { rd_kafka_poll(client.handle, 0) }
}
