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
    /// `path.data`: where plugins keep state (sincedb files, queues).
    public var pathData = "data"
    /// `config.support_escapes`
    public var supportEscapes = false
    /// Events the in-memory queue holds before inputs wait; default: two batches per worker.
    public var queueCapacity: Int? = nil
    /// `queue.*`: the memory or persistent queue.
    public var queue = QueueSettings()

    public init() {}

    public static var cores: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    var effectiveQueueCapacity: Int { queueCapacity ?? max(workers, 1) * batchSize * 2 }
}

/// Where outputs send events they can never deliver. Until the dead-letter queue is
/// configured, such events are logged in full at error level, so none disappears silently.
public struct DeadLetterSink: Sendable {
    private let writer: @Sendable (Event, String, String) -> Void

    public init(_ writer: @escaping @Sendable (_ event: Event, _ pluginId: String, _ reason: String) -> Void) {
        self.writer = writer
    }

    public init(logger: Logger = Logger(label: "sluice.dlq")) {
        writer = { event, plugin, reason in
            logger.error("undeliverable event from \(plugin): \(reason): \(JSON.encodeToString(.object(event.fields)))")
        }
    }

    public func write(_ event: Event, pluginId: String, reason: String) { writer(event, pluginId, reason) }
}

/// An error from a plugin at run time. `retriable` decides retry-with-backoff vs dead letter.
public struct PluginError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var retriable: Bool
    public init(_ message: String, retriable: Bool) {
        self.message = message
        self.retriable = retriable
    }
    public var description: String { message }
}
