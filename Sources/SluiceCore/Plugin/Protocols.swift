/// Everything the host tells a plugin at construction time.
public struct PluginContext: Sendable {
    public let logger: Logger
    public let pipeline: PipelineSettings
    public let deadLetters: DeadLetterSink

    public init(logger: Logger, pipeline: PipelineSettings, deadLetters: DeadLetterSink = DeadLetterSink()) {
        self.logger = logger
        self.pipeline = pipeline
        self.deadLetters = deadLetters
    }
}

/// What every plugin type declares about itself.
public protocol PluginDescribing {
    /// The name used in pipeline files (Logstash's name where one exists).
    static var pluginName: String { get }
    /// One line shown by `sluice plugins`.
    static var summary: String { get }
    /// The plugin's own settings; the kind's common settings are added by the host.
    static var settingSpecs: [SettingSpec] { get }
}

/// An input produces events into a sink until its source ends or the task is cancelled.
///
/// The sink applies backpressure (`send` suspends while the queue is full) and tells the
/// input, through the acknowledgement callback, when a batch was handled by every output:
/// only then may the input commit its position.
///
/// Lifecycle (as Logstash's `register`, `run`, `stop`, `close`): `init` validates settings
/// and does no I/O (`sluice check` builds every plugin); `start` connects; `run` produces;
/// `stop` is called once when the pipeline stops, from another task, to interrupt a `run`
/// blocked outside Swift (Task cancellation reaches the rest); `close` runs exactly once
/// after `run` returned, if `start` succeeded.
public protocol InputPlugin: PluginDescribing, AnyObject, Sendable {
    init(settings: PluginSettings, context: PluginContext) throws
    /// Connects and prepares (Logstash's `register`). Throw a retriable `PluginError` for a
    /// transient failure (retried with backoff while the pipeline waits); any other error
    /// stops the pipeline before anything runs.
    func start() async throws
    func run(into sink: EventSink) async throws
    /// The pipeline is stopping: make `run` return soon. Called at most once, from any thread.
    func stop()
    /// Releases resources; called exactly once, after the last `run`.
    func close() async throws
}

extension InputPlugin {
    public func start() async throws {}
    public func stop() {}
    public func close() async throws {}
}

/// How a filter handled one event. Decorations (`add_field`, `add_tag`, ...) apply on `.matched`.
public enum FilterResult: Sendable {
    case matched
    case unmatched
    case drop
}

/// Per-worker scratch space handed to filters: events a filter creates (split, clone)
/// go into `emitted` and continue through the rest of the pipeline.
public struct FilterContext {
    public var emitted: [Event] = []
    public init() {}
}

/// A filter transforms events synchronously. One instance is built per worker, so a
/// filter may keep per-worker state (PCRE2 match data) without locks.
public protocol FilterPlugin: PluginDescribing, AnyObject {
    init(settings: PluginSettings, context: PluginContext) throws
    func filter(_ event: inout Event, _ context: inout FilterContext) -> FilterResult
}

/// What became of a batch handed to an output, event by event.
public struct WriteOutcome: Sendable {
    /// Events (by index into the written array) that can never be delivered, with the reason;
    /// they go to the dead-letter queue.
    public var rejected: [(index: Int, reason: String)]
    /// Events that failed for a reason a retry can fix (a 429 or 5xx for that item): the host
    /// writes only these again, after a backoff, so the others are not duplicated.
    /// Everything neither rejected nor to retry was confirmed by the destination.
    public var retry: [(index: Int, reason: String)]
    public init(rejected: [(index: Int, reason: String)] = [], retry: [(index: Int, reason: String)] = []) {
        self.rejected = rejected
        self.retry = retry
    }
    public static let delivered = WriteOutcome()
}

/// An output delivers events and returns only when its destination confirmed them.
/// Transient failures are thrown as retriable `PluginError`s: the host retries with backoff
/// (and cancels the write's task when the shutdown timeout passes). A destination gone for
/// good (stdout's reader exited) is thrown as a `PluginError` with code `.closed`: the pipeline
/// stops, and the batch is not acknowledged. One instance is shared by all workers, so
/// outputs are `Sendable`.
///
/// Lifecycle: `init` validates settings and does no I/O; `start` connects, creates templates
/// or checks the destination; `write` is called concurrently by the workers; `close` runs
/// exactly once after the last `write`, if `start` succeeded (also on shutdown by signal).
public protocol OutputPlugin: PluginDescribing, AnyObject, Sendable {
    init(settings: PluginSettings, context: PluginContext) throws
    /// Connects and prepares (Logstash's `register`). Throw a retriable `PluginError` for a
    /// transient failure (retried with backoff while the pipeline waits); any other error
    /// stops the pipeline before any input starts.
    func start() async throws
    func write(_ events: [Event]) async throws -> WriteOutcome
    /// Flushes and releases resources at shutdown.
    func close() async throws
    /// How many batches one worker may have in this output's `write` at once. 1 (the
    /// default) keeps a worker's batches in order; an output whose destination confirms
    /// asynchronously (Kafka's delivery reports) declares more, so a worker does not wait
    /// out a round trip per batch. A pipeline uses the smallest value of its outputs, and 1
    /// when `pipeline.ordered` keeps order (`true`, or `auto` with one worker).
    var writeConcurrency: Int { get }
    /// Called once per batch before its first `write`, on the events that every retry of the
    /// batch will pass again: what an output stores here (a generated document id in
    /// `@metadata`) is the same on every attempt, so a re-sent batch overwrites instead of
    /// adding. The default changes nothing.
    func prepare(_ events: inout [Event])
    /// The waits between writes of events that failed transiently (Logstash's
    /// `retry_initial_interval`/`retry_max_interval`). Default: 100 ms doubling to 30 s.
    var retryBackoff: Backoff { get }
}

extension OutputPlugin {
    public func start() async throws {}
    public func close() async throws {}
    public var writeConcurrency: Int { 1 }
    public func prepare(_ events: inout [Event]) {}
    public var retryBackoff: Backoff { Backoff(initial: .milliseconds(100), max: .seconds(30)) }
}

/// How a stream is cut into messages before a codec decodes them.
public enum Framing: Sendable, Equatable {
    /// Each read is one message (Kafka records, HTTP bodies).
    case message
    /// Messages end at this byte sequence (line, json_lines).
    case delimited([UInt8])
}

/// A codec turns one message into events and an event into bytes.
public protocol Codec: PluginDescribing, Sendable {
    init(settings: PluginSettings, context: PluginContext) throws
    /// How streaming inputs should frame bytes for this codec.
    var framing: Framing { get }
    func decode(_ message: ArraySlice<UInt8>, into events: inout [Event])
    func encode(_ event: Event, into buffer: inout [UInt8])
    /// The same into an output's batch buffer. Codecs on the hot path write here directly;
    /// the default goes through `[UInt8]`.
    func encode(_ event: Event, into buffer: inout ByteBuffer)
}

extension Codec {
    public func encode(_ event: Event, into buffer: inout ByteBuffer) {
        var bytes: [UInt8] = []
        encode(event, into: &bytes)
        buffer.append(bytes)
    }
}
