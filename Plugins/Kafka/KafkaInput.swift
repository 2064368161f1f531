import SluiceCore
import Synchronization

/// Reads Kafka topics as a member of a consumer group, with Logstash's `kafka` input settings.
///
/// Offsets are committed only up to the last record whose events every output acknowledged,
/// per partition and in order (`KafkaOffsets`): an unacknowledged or failed batch holds its
/// partition's offset back, so a restart or a rebalance reads it again (at least once, never
/// lost). Acknowledged offsets are committed every `auto_commit_interval_ms`, synchronously
/// for the partitions a rebalance revokes (after waiting up to 5 s for their batches in
/// flight, so their next owner reads little again), and at shutdown after waiting (at most
/// `pipeline.shutdown_timeout`) for the batches in flight. `enable_auto_commit => false` only
/// turns committing off; librdkafka never commits by itself.
///
/// Each of `consumer_threads` consumers polls on a thread of its own (`KafkaConsumerLoop`);
/// a full pipeline pauses its partitions rather than buffering. A broker that is down is
/// waited for: librdkafka reconnects with backoff and consumption resumes where it stopped.
///
/// Memory: librdkafka prefetches records into each consumer's queue, which is most of the
/// input's memory (~400 bytes per queued record besides its payload). The input sets
/// `queued.min.messages` to 30,000 (librdkafka's default is 100,000) and keeps fetching going
/// with `FetchWaker` (librdkafka 2.0.2 looks again at a full queue only once a second): on the
/// mock cluster, 100-byte records, 260,000–820,000 records/s from the first record to the
/// last at 80–90 MiB peak RSS, where the defaults gave ~160,000/s at ~115 MiB. `kafka_properties`
/// can set `queued.min.messages` and `queued.max.messages.kbytes` (64 MiB of payload).
public final class KafkaInput: InputPlugin {
    public static let pluginName = "kafka"
    public static let summary = "Reads Kafka topics in a consumer group; offsets are committed only once every output acknowledged the events."
    public static let settingSpecs: [SettingSpec] = [
        SettingSpec("topics", .array, default: .array([.string("logstash")]), doc: "Topics to subscribe to."),
        SettingSpec("topics_pattern", .string,
                    doc: "A regular expression of the topics to subscribe to (librdkafka's syntax); `topics` is then ignored. New matching topics are picked up as they appear."),
        SettingSpec("group_id", .string, default: "logstash",
                    doc: "Consumer group: the members of a group share the partitions of its topics (librdkafka `group.id`)."),
        SettingSpec("group_instance_id", .string,
                    doc: "Static group membership (librdkafka `group.instance.id`): a restart within `session_timeout_ms` keeps the partitions. With several `consumer_threads`, `-N` is appended per thread."),
        SettingSpec("consumer_threads", .number, default: 1, doc: "Consumers in this input, each with a thread of its own; more than the partitions is useless."),
        SettingSpec("auto_offset_reset", .oneOf(["earliest", "latest", "none"]),
                    doc: "Where to start when the group has no committed offset: `earliest`, `latest` (Kafka's default), or `none` (report an error)."),
        SettingSpec("enable_auto_commit", .boolean, default: true,
                    doc: "Commit offsets, always only up to what every output acknowledged. `false` never commits (the group then restarts from `auto_offset_reset`)."),
        SettingSpec("auto_commit_interval_ms", .number, default: 5000, doc: "How often acknowledged offsets are committed, in milliseconds."),
        SettingSpec("max_poll_records", .number, default: 500, doc: "Most records sent into the pipeline as one batch."),
        SettingSpec("max_poll_interval_ms", .number,
                    doc: "Longest time between polls before the member leaves the group (librdkafka `max.poll.interval.ms`; default 300000). The input keeps polling while the pipeline is blocked."),
        SettingSpec("session_timeout_ms", .number, default: 10000,
                    doc: "Time without heartbeats after which the group gives this member's partitions away (librdkafka `session.timeout.ms`)."),
        SettingSpec("heartbeat_interval_ms", .number, doc: "Heartbeat period (librdkafka `heartbeat.interval.ms`; default 3000)."),
        SettingSpec("isolation_level", .oneOf(["read_uncommitted", "read_committed"]), default: "read_uncommitted",
                    doc: "`read_committed` skips records of aborted transactions and waits for open ones."),
        SettingSpec("fetch_min_bytes", .number, doc: "Least data a fetch waits for (librdkafka `fetch.min.bytes`)."),
        SettingSpec("fetch_max_bytes", .number, doc: "Most data one fetch returns (librdkafka `fetch.max.bytes`)."),
        SettingSpec("fetch_max_wait_ms", .number, doc: "Longest wait for `fetch_min_bytes` (librdkafka `fetch.wait.max.ms`)."),
        SettingSpec("max_partition_fetch_bytes", .number, doc: "Most data per partition in one fetch (librdkafka `max.partition.fetch.bytes`)."),
        SettingSpec("partition_assignment_strategy", .oneOf(Array(KafkaInput.strategies.keys).sorted()),
                    doc: "How the group spreads partitions over its members (librdkafka `partition.assignment.strategy`; default `range,roundrobin`)."),
        SettingSpec("decorate_events", .oneOf(["none", "basic", "extended", "false", "true"]), default: "none",
                    doc: "`basic` (or `true`) adds `[@metadata][kafka]`: `topic`, `consumer_group`, `partition`, `offset`, `key`, `timestamp` (ms); `extended` also the record's `headers`."),
        SettingSpec("codec", .codec, default: "plain", doc: "Codec that decodes each record (`plain`, `json`, `json_lines`, ...)."),
    ] + KafkaClientSettings.specs

    /// Logstash's strategy names to librdkafka's.
    static let strategies: [String: String] = [
        "range": "range", "round_robin": "roundrobin", "cooperative_sticky": "cooperative-sticky",
    ]

    enum Decoration { case none, basic, extended }

    let topics: [String]
    let groupId: String
    let decoration: Decoration
    let codec: any Codec
    /// librdkafka properties of each consumer (secrets included: never log them).
    let properties: [[String: String]]
    let options: KafkaConsumerLoop.Options
    let logger: Logger
    private let loops = Mutex<[KafkaConsumerLoop]>([])

    public init(settings: PluginSettings, context: PluginContext) throws {
        guard let codec = settings.codec else { throw settings.error("codec", "no codec") }
        self.codec = codec
        logger = context.logger
        groupId = try settings.declaredString("group_id")
        if let pattern = settings.string("topics_pattern") {
            // librdkafka treats a subscription starting with ^ as a regular expression.
            topics = [pattern.hasPrefix("^") ? pattern : "^" + pattern]
        } else {
            topics = settings.strings("topics")
            guard !topics.isEmpty, !topics.contains("") else { throw settings.error("topics", "needs at least one topic name") }
        }
        switch try settings.declaredString("decorate_events") {
        case "basic", "true": decoration = .basic
        case "extended": decoration = .extended
        default: decoration = .none
        }
        let threads = try settings.declaredInt("consumer_threads")
        guard threads >= 1 else { throw settings.error("consumer_threads", "must be at least 1") }
        let maxRecords = try settings.declaredInt("max_poll_records")
        guard maxRecords >= 1 else { throw settings.error("max_poll_records", "must be at least 1") }
        let interval = try settings.declaredInt("auto_commit_interval_ms")
        guard interval >= 0 else { throw settings.error("auto_commit_interval_ms", "must not be negative") }
        // The pipeline acknowledges or fails every batch within its shutdown timeout.
        options = .init(maxRecords: maxRecords,
                        commitInterval: try settings.declaredBool("enable_auto_commit") ? .milliseconds(interval) : nil,
                        settleTimeout: context.pipeline.shutdownTimeout + .seconds(1))

        var p = try KafkaClientSettings.properties(settings)
        for managed in ["enable.auto.commit", "enable.auto.offset.store"] where settings.hash("kafka_properties")[managed] != nil {
            throw settings.error("kafka_properties", "`\(managed)` is the input's own: it commits only acknowledged offsets (`enable_auto_commit => false` turns commits off)")
        }
        var own: [String: String] = [
            "group.id": groupId,
            "session.timeout.ms": String(try settings.declaredInt("session_timeout_ms")),
            "isolation.level": try settings.declaredString("isolation_level"),
            "enable.partition.eof": "false",
            "queued.min.messages": "30000",
        ]
        if let id = settings.string("group_instance_id") { own["group.instance.id"] = id }
        if let reset = settings.string("auto_offset_reset") { own["auto.offset.reset"] = reset == "none" ? "error" : reset }
        let optional = [("max_poll_interval_ms", "max.poll.interval.ms"), ("heartbeat_interval_ms", "heartbeat.interval.ms"),
                        ("fetch_min_bytes", "fetch.min.bytes"), ("fetch_max_bytes", "fetch.max.bytes"),
                        ("fetch_max_wait_ms", "fetch.wait.max.ms"), ("max_partition_fetch_bytes", "max.partition.fetch.bytes")]
        for (name, property) in optional { if let n = settings.int(name) { own[property] = String(n) } }
        if let s = settings.string("partition_assignment_strategy") { own["partition.assignment.strategy"] = KafkaInput.strategies[s] }
        // kafka_properties win: they were set by KafkaClientSettings and are kept.
        p.merge(own) { passThrough, _ in passThrough }
        // librdkafka checks every property now, without connecting, so `sluice check` reports them.
        do {
            try RDKafkaConfig.check(p)
        } catch {
            throw settings.error("kafka_properties", error.message)
        }
        let base = p
        properties = (0..<threads).map { i in
            var q = base
            if threads > 1 {
                if let id = q["group.instance.id"] { q["group.instance.id"] = "\(id)-\(i)" }
                if let id = q["client.id"] { q["client.id"] = "\(id)-\(i)" }
            }
            return q
        }
    }

    public func start() async throws {
        var started: [KafkaConsumerLoop] = []
        do {
            for p in properties {
                let consumer = try KafkaConsumer(properties: p, logger: logger)
                try consumer.subscribe(topics)
                let loop = KafkaConsumerLoop(consumer: consumer, options: options, logger: logger, decode: decoder())
                try loop.start()
                started.append(loop)
            }
        } catch {
            for loop in started { loop.stop() }
            for loop in started { await loop.finished() }
            throw PluginError("cannot create the Kafka consumer: \(error)", retriable: false)
        }
        loops.withLock { $0 = started }
        logger.info("kafka: consuming \(topics.joined(separator: ", ")) as group \(groupId)")
    }

    public func run(into sink: EventSink) async throws {
        let loops = self.loops.withLock { $0 }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for loop in loops {
                group.addTask {
                    let offsets = loop.offsets
                    while var batch = await loop.handoff.next() {
                        // Moved out, so the queue holds the only reference to each event.
                        var events: [Event] = []
                        swap(&events, &batch.events)
                        let tickets = batch.tickets
                        try await sink.send(events) { offsets.acknowledge(tickets, $0) }
                        if batch.drained { sink.flush() }
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    public func stop() {
        for loop in loops.withLock({ $0 }) { loop.stop() }
    }

    public func close() async throws {
        let loops = self.loops.withLock { $0 }
        for loop in loops { loop.stop() }
        for loop in loops { await loop.finished() }
    }

    /// Decodes one record with the codec and adds `[@metadata][kafka]` as `decorate_events` asks.
    private func decoder() -> KafkaConsumerLoop.Decoder {
        let codec = self.codec, decoration = self.decoration, group = groupId
        return { record, events in
            let start = events.count
            codec.decode(ArraySlice(record.value), into: &events)
            guard decoration != .none, events.count > start else { return }
            var kafka = FieldMap(minimumCapacity: 7)
            kafka.set("topic", .string(record.partition.topic))
            kafka.set("consumer_group", .string(group))
            kafka.set("partition", .int(Int64(record.partition.partition)))
            kafka.set("offset", .int(record.offset))
            if let key = record.key { kafka.set("key", .string(key)) }
            if let ms = record.timestamp { kafka.set("timestamp", .int(ms)) }
            if decoration == .extended {
                var headers = FieldMap()
                for h in record.headers { headers.set(h.name, .string(h.value)) }
                kafka.set("headers", .object(headers))
            }
            let value = Value.object(kafka)
            for i in start..<events.count {
                events[i].fields.modify(Event.metadataKey, default: .object(FieldMap())) { metadata in
                    var m = metadata.objectValue ?? FieldMap()
                    metadata = .null  // m is now the only reference: set below without a copy
                    m.set("kafka", value)
                    metadata = .object(m)
                }
            }
        }
    }
}
