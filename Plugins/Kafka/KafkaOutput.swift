import SluiceCore
import Synchronization

/// Writes events to Kafka topics, with Logstash's `kafka` output settings.
///
/// A batch counts as written only when every message's delivery report succeeded (as `acks`
/// asks). A message whose report failed for a reason a retry can fix (broker down, timed
/// out, not enough replicas) is written again by the host after a backoff; one the broker
/// can never take (too large, topic authorization) goes to the dead-letter queue with the
/// reason. `close` flushes and waits for every report, for a bounded time.
///
/// The default `plain` codec writes what Logstash's plain codec writes for an event:
/// `@timestamp host message` (its `format` setting chooses otherwise, e.g. `%{message}`).
public final class KafkaOutput: OutputPlugin {
    public static let pluginName = "kafka"
    public static let summary = "Writes events to Kafka topics; an event counts as written when its delivery report succeeded."
    public static let settingSpecs: [SettingSpec] = [
        SettingSpec("topic_id", .template, required: true, doc: "Topic of each event (sprintf)."),
        SettingSpec("message_key", .template, doc: "Key of each message (sprintf); no key when unset."),
        SettingSpec("message_headers", .hash, default: .object(FieldMap()), doc: "Headers of each message; values may use sprintf."),
        SettingSpec("acks", .oneOf(["0", "1", "all", "-1"]), default: "1",
                    doc: "Broker acknowledgements a message needs to count as written: `0` none, `1` the leader, `all` every in-sync replica."),
        // Logstash's default is 0, but librdkafka with `linger.ms` 0 sends nearly one request per
        // message: 1 ms gives ~10x the throughput on the mock cluster (see `make bench`).
        SettingSpec("linger_ms", .number, default: 1,
                    doc: "How long to wait for more messages before sending a request (librdkafka `linger.ms`; Logstash's default is 0, which librdkafka turns into a request per message)."),
        SettingSpec("batch_size", .number, default: 16384, doc: "Largest request per partition, in bytes (librdkafka `batch.size`)."),
        SettingSpec("buffer_memory", .number, default: 33554432,
                    doc: "Bytes of messages waiting to be sent at most (librdkafka `queue.buffering.max.kbytes`)."),
        SettingSpec("compression_type", .oneOf(["none", "gzip", "snappy", "lz4", "zstd"]), default: "none",
                    doc: "Compression of message batches."),
        SettingSpec("retries", .number,
                    doc: "Times librdkafka re-sends a failed request (`message.send.max.retries`); default: until `message.timeout.ms`. Events whose messages still fail are retried by Sluice, never dropped."),
        SettingSpec("retry_backoff_ms", .number, default: 100, doc: "Wait before librdkafka re-sends a failed request."),
        SettingSpec("request_timeout_ms", .number, doc: "How long a broker has to acknowledge a request (librdkafka `request.timeout.ms`)."),
        SettingSpec("max_request_size", .number, default: 1048576,
                    doc: "Largest message in bytes (librdkafka `message.max.bytes`); a larger event goes to the dead-letter queue."),
        SettingSpec("enable_idempotence", .boolean, default: false,
                    doc: "Exactly-once, in-order writes per partition (librdkafka `enable.idempotence`; implies `acks => all`)."),
        SettingSpec("partitioner", .oneOf(Array(KafkaOutput.partitioners.keys).sorted()), default: "default",
                    doc: "How keys choose partitions. `default` is Java's: murmur2 of the key, keyless messages spread (librdkafka `murmur2_random`); `round_robin`/`uniform_sticky` spread messages (librdkafka `random`); librdkafka's own names are accepted too."),
        SettingSpec("codec", .codec, default: "plain", doc: "Codec that encodes each event into one message (`plain`, `json`, `json_lines`, ...)."),
    ] + KafkaClientSettings.specs

    /// Logstash's partitioner names and librdkafka's, to librdkafka's.
    static let partitioners: [String: String] = [
        "default": "murmur2_random", "round_robin": "random", "uniform_sticky": "random",
        "murmur2": "murmur2", "murmur2_random": "murmur2_random", "consistent": "consistent",
        "consistent_random": "consistent_random", "random": "random", "fnv1a": "fnv1a", "fnv1a_random": "fnv1a_random",
    ]

    let topic: Template
    let key: Template?
    let headers: [(name: String, value: Template)]
    let codec: any Codec
    /// librdkafka properties of the producer (secrets included: never log them).
    let properties: [String: String]
    let closeTimeout: Duration
    let logger: Logger
    public let writeConcurrency: Int
    private let producer = Mutex<KafkaProducer?>(nil)

    public init(settings: PluginSettings, context: PluginContext) throws {
        guard let topic = settings.template("topic_id") else { throw settings.error("topic_id", "is required") }
        guard let codec = settings.codec else { throw settings.error("codec", "no codec") }
        self.topic = topic
        self.codec = codec
        key = settings.template("message_key")
        headers = settings.hash("message_headers").map { ($0.key, Template($0.value.renderedString)) }
        var p = try KafkaClientSettings.properties(settings)
        var own: [String: String] = [
            "acks": try settings.declaredString("acks"),
            "linger.ms": String(try settings.declaredInt("linger_ms")),
            "batch.size": String(try settings.declaredInt("batch_size")),
            "queue.buffering.max.kbytes": String(max(1, try settings.declaredInt("buffer_memory") / 1024)),
            "compression.codec": try settings.declaredString("compression_type"),
            "retry.backoff.ms": String(try settings.declaredInt("retry_backoff_ms")),
            "message.max.bytes": String(try settings.declaredInt("max_request_size")),
            "enable.idempotence": try settings.declaredBool("enable_idempotence") ? "true" : "false",
            "partitioner": KafkaOutput.partitioners[try settings.declaredString("partitioner")] ?? "murmur2_random",
        ]
        if try settings.declaredBool("enable_idempotence") {
            // Idempotence needs every in-sync replica's acknowledgement (librdkafka refuses less).
            if settings.isSet("acks"), own["acks"] != "all", own["acks"] != "-1" {
                throw settings.error("acks", "must be `all` with `enable_idempotence => true`")
            }
            own["acks"] = "all"
        }
        if let n = settings.int("retries") { own["message.send.max.retries"] = String(n) }
        if let n = settings.int("request_timeout_ms") { own["request.timeout.ms"] = String(n) }
        // kafka_properties win: they were set by KafkaClientSettings and are kept.
        p.merge(own) { passThrough, _ in passThrough }
        // librdkafka checks every property now, without connecting, so `sluice check` reports them.
        do {
            try RDKafkaConfig.check(p)
        } catch {
            throw settings.error("kafka_properties", error.message)
        }
        properties = p
        // `close` comes after the last `write` returned, and a write returns only when its
        // reports are in, so at close only messages of writes cancelled at the shutdown
        // timeout can be left: their events already count as failed; a short flush just
        // spares a duplicate on restart.
        closeTimeout = min(.seconds(1), context.pipeline.shutdownTimeout)
        logger = context.logger
        writeConcurrency = KafkaOutput.batchesInFlight(batchSize: context.pipeline.batchSize)
    }

    public func start() async throws {
        _ = try current()
    }

    /// The producer, created on first use and again after a fatal error.
    func current() throws -> KafkaProducer {
        try producer.withLock { p in
            if let p { return p }
            do {
                let made = try KafkaProducer(properties: properties, logger: logger)
                p = made
                return made
            } catch let error as KafkaError {
                throw PluginError("cannot create the Kafka producer: \(error.message)", retriable: false)
            }
        }
    }

    /// librdkafka raised a fatal error (an idempotent producer whose sequence broke): that
    /// handle can never deliver again, so it is replaced, once, by whichever write saw it
    /// first; the events its reports failed are written again through the new one (Logstash
    /// and librdkafka's own examples just stop there).
    private func replace(_ failed: KafkaProducer, reason: String, firstFailure: KafkaError) async {
        let isCurrent = producer.withLock { p in
            guard p === failed else { return false }
            p = nil
            return true
        }
        guard isCurrent else { return }
        logger.error("kafka: the producer hit a fatal error (\(reason); messages fail with \(firstFailure.name)): it is replaced by a new one and the events are written again")
        _ = await Blocking.run { failed.close(timeout: .zero) }
    }

    public func close() async throws {
        guard let p = producer.withLock({ $0 }) else { return }
        let timeout = closeTimeout
        let left = await Blocking.run { p.close(timeout: timeout) }
        if left > 0 {
            logger.warning("kafka: \(left) messages had no delivery report within \(timeout) at close; their events were not acknowledged")
        }
    }

    /// Each write waits for its delivery reports (a broker round trip and `linger_ms`):
    /// several batches per worker keep librdkafka's queue full meanwhile. Order across
    /// batches is not kept, as with more than one worker. About 4,000 events per worker, at
    /// least 8 batches: with Logstash's 125-event batches, 8 in flight left librdkafka
    /// half-empty requests (`make bench`: 32 took generator -> kafka from ~0.85 to ~1.1
    /// million events/s and its CPU from 1.8 to 1.35 s per million).
    static func batchesInFlight(batchSize: Int) -> Int {
        max(8, 4096 / max(1, batchSize))
    }

    public func write(_ events: [Event]) async throws -> WriteOutcome {
        let producer = try current()
        var messages = KafkaMessages()
        messages.bytes.reserveCapacity(events.count * 128)
        messages.messages.reserveCapacity(events.count)
        let constantTopic = topic.isConstant ? topic.text : nil
        for event in events {
            messages.append(topic: constantTopic ?? topic.render(event),
                            key: key.map { key in { key.render(event, into: &$0) } },
                            value: { codec.encode(event, into: &$0) },
                            headers: headers.map { ($0.name, Array($0.value.render(event).utf8)) })
        }
        let results = await producer.produce(messages)
        // A fatal error fails every message (with `_FATAL`, or the code that caused it).
        if let failed = results.first(where: { $0 != nil }), let failed, let reason = producer.fatalReason {
            await replace(producer, reason: reason, firstFailure: failed)
        }
        var outcome = WriteOutcome()
        for (i, error) in results.enumerated() {
            guard let error else { continue }
            if error.isRetriable {
                outcome.retry.append((i, "kafka: \(error)"))
            } else {
                let m = messages.messages[i]
                outcome.rejected.append((i, "kafka: \(error) (topic \(m.topic), \(m.value.count) bytes)"))
            }
        }
        return outcome
    }
}
