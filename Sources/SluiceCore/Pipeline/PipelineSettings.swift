#if canImport(Glibc)
import Glibc
#endif

/// Pipeline-wide settings (Logstash's `pipeline.*` and `path.*` names).
public struct PipelineSettings: Sendable {
    public var id = "main"
    /// `pipeline.workers`: defaults to the number of cores.
    public var workers = PipelineSettings.cores
    /// `pipeline.batch.size`
    public var batchSize = 125
    /// `pipeline.batch.delay`
    public var batchDelay: Duration = .milliseconds(50)
    /// `pipeline.ordered`: auto | true | false. Ordered needs one worker.
    public var ordered = "auto"
    /// `pipeline.shutdown_timeout`: after the first SIGINT/SIGTERM, how long in-flight batches
    /// may drain before retries stop and the process exits (unacknowledged events stay at
    /// their source: queue, file position, Kafka offset).
    public var shutdownTimeout: Duration = .seconds(60)
    /// `pipeline.ecs_compatibility`: when set, the default of every plugin's own
    /// `ecs_compatibility` setting (which then decides field names); nil keeps each
    /// plugin's default.
    public var ecsCompatibility: String? = nil
    /// `path.data`: where plugins keep state (sincedb files, queues).
    public var pathData = "data"
    /// `config.support_escapes`
    public var supportEscapes = false
    /// `log.level`: one of `logLevels`.
    public var logLevel = "info"
    /// Events the in-memory queue holds before inputs wait; default: two batches per worker.
    public var queueCapacity: Int? = nil
    /// `queue.*`: the memory or persistent queue.
    public var queue = QueueSettings()
    /// `dead_letter_queue.*` and `path.dead_letter_queue`.
    public var deadLetterQueue = DeadLetterQueueSettings()

    public init() {}

    public static var cores: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    /// The values `log.level` accepts, least severe first.
    public static let logLevels = ["trace", "debug", "info", "warn", "error", "fatal"]

    /// The persistent queue's directory: `path.queue`, or `<path.data>/queue/<pipeline.id>`.
    public var queueDirectory: String { queue.path ?? "\(pathData)/queue/\(id)" }

    var effectiveQueueCapacity: Int { queueCapacity ?? max(workers, 1) * batchSize * 2 }
}

/// Where outputs send events they can never deliver: the pipeline sends events an output
/// rejected (`WriteOutcome.rejected`) or failed with a non-retriable `PluginError`; an
/// output may also call `write` itself. With the dead-letter queue enabled this is a
/// `DeadLetterWriter`; otherwise such events are logged in full at error level, so none
/// disappears silently.
///
/// Logstash also dead-letters events whose conditional evaluation raised. Sluice's
/// conditions never raise (incomparable values compare false), so nothing comes from there.
public struct DeadLetterSink: Sendable {
    private let writer: @Sendable (Event, String, String, String) -> Bool
    private let flusher: @Sendable () -> Bool

    /// `write` gets (event, plugin type, plugin id, reason) and returns false when the entry
    /// could not be stored; `flush` makes stored entries durable, false if it could not.
    public init(write: @escaping @Sendable (_ event: Event, _ pluginType: String, _ pluginId: String, _ reason: String) -> Bool,
                flush: @escaping @Sendable () -> Bool = { true }) {
        writer = write
        flusher = flush
    }

    public init(_ writer: @escaping @Sendable (_ event: Event, _ pluginId: String, _ reason: String) -> Void) {
        self.init(write: { event, _, id, reason in writer(event, id, reason); return true })
    }

    public init(logger: Logger = Logger(label: "sluice.dlq")) {
        self.init(write: { event, type, plugin, reason in
            logger.error("undeliverable event from \(type) \(plugin): \(reason): \(JSON.encodeToString(.object(event.fields)))")
            return true
        })
    }

    /// Entries go to the dead-letter queue on disk.
    public init(writer: DeadLetterWriter) {
        self.init(write: { writer.write($0, pluginType: $1, pluginId: $2, reason: $3) }, flush: { writer.flush() })
    }

    /// Sends an event an output gave up on. An output calling this itself passes its
    /// `settings.id` and `Self.pluginName`. Returns false if the entry could not be stored.
    @discardableResult
    public func write(_ event: Event, pluginType: String = "unknown", pluginId: String, reason: String) -> Bool {
        writer(event, pluginType, pluginId, reason)
    }

    /// Makes what was written durable; the pipeline calls it before acknowledging a batch.
    public func flush() -> Bool { flusher() }
}
