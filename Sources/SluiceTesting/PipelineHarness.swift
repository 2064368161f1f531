import SluiceCore
import Synchronization

/// Runs a pipeline string over given events in memory and collects what the outputs got
/// and how each input batch was acknowledged. Every plugin's tests use it.
///
/// ```swift
/// let result = try await PipelineHarness(registry: registry)
///     .run("filter { mutate { add_tag => ['x'] } }", events: [Event(message: "hi")])
/// #expect(result.events[0].hasTag("x"))
/// ```
public struct PipelineHarness {
    public var registry: PluginRegistry
    public var settings = PipelineSettings()
    /// When set, dead letters are also written to this queue on disk (and flushed per batch).
    public var deadLetterQueue: DeadLetterWriter? = nil
    /// The plugins' and the pipeline's logger (a `LogCapture`'s, to check what was logged).
    public var logger = Logger(label: "sluice.test")

    public init(registry: PluginRegistry = PluginRegistry()) {
        var r = registry
        r.register(HarnessInput.self)
        r.register(CaptureOutput.self)
        self.registry = r
        settings.workers = 1
        settings.batchDelay = .milliseconds(1)
    }

    public struct Result: Sendable {
        /// Events that reached a `capture` output (the default output), in delivery order.
        public var events: [Event]
        /// Per `capture` output id, what it received.
        public var byOutput: [String: [Event]]
        /// Acknowledgement statuses of the harness input's batches.
        public var acks: [AckStatus]
        /// What outputs sent to the dead-letter queue, in order.
        public var deadLetters: [DeadLetter]
    }

    /// An event an output gave up on, with the output's id and the reason.
    public struct DeadLetter: Sendable {
        public var event: Event
        public var pluginId: String
        public var reason: String
    }

    /// Validates `config` (no input section needed) and returns the errors, or nil if valid.
    public func check(_ config: String, file: String = "test.conf") -> ConfigErrors? {
        do {
            _ = try plan(config, session: Session())
            return nil
        } catch let e as ConfigErrors {
            return e
        } catch let e as ConfigError {
            return ConfigErrors(e)
        } catch {
            return ConfigErrors(ConfigError(message: "\(error)"))
        }
    }

    /// Runs `config` with `events` fed by an in-memory input (unless the config has its own
    /// inputs) and a capture output (unless it has its own outputs).
    public func run(_ config: String, events: [Event] = [], chunkSize: Int = 50,
                    queue: (any EventQueue)? = nil) async throws -> Result {
        let session = Session()
        session.input = events
        session.chunkSize = chunkSize
        let pipeline = Pipeline(plan: try plan(config, session: session), settings: settings, queue: queue)
        try await pipeline.run()
        return session.result()
    }

    /// Starts `config` in the background, for inputs that never end on their own (tail a
    /// file, consume a topic): watch `current`, then `stop()` or `abort()` and `finish()`.
    public func start(_ config: String, events: [Event] = [], chunkSize: Int = 50,
                      queue: (any EventQueue)? = nil) throws -> Running {
        let session = Session()
        session.input = events
        session.chunkSize = chunkSize
        let pipeline = Pipeline(plan: try plan(config, session: session), settings: settings, queue: queue)
        return Running(pipeline: pipeline, session: session, task: Task { try await pipeline.run() })
    }

    /// A pipeline started by `start`.
    public final class Running: Sendable {
        public let pipeline: Pipeline
        let session: Session
        let task: Task<Void, any Error>

        init(pipeline: Pipeline, session: Session, task: Task<Void, any Error>) {
            self.pipeline = pipeline
            self.session = session
            self.task = task
        }

        /// What was captured and acknowledged so far.
        public var current: Result { session.result() }

        /// Polls until `condition` holds on what was captured so far, or `timeout` passes.
        /// Returns whether it held.
        @discardableResult
        public func waitUntil(timeout: Duration = .seconds(30), _ condition: (Result) -> Bool) async -> Bool {
            let deadline = ContinuousClock.now.advanced(by: timeout)
            while ContinuousClock.now < deadline {
                if condition(session.result()) { return true }
                try? await Task.sleep(for: .milliseconds(10))
            }
            return condition(session.result())
        }

        public func stop() { pipeline.stop() }
        public func abort() { pipeline.abort() }

        /// Waits for `run` to return (after `stop`, or when the inputs finished).
        public func finish() async throws -> Result {
            try await task.value
            return session.result()
        }
    }

    private func plan(_ config: String, session: Session) throws -> PipelinePlan {
        var parsed = try ConfigLoader.load(string: config, supportEscapes: settings.supportEscapes)
        let id = Sessions.shared.add(session)
        if !parsed.hasInputs {
            parsed.inputs += try ConfigLoader.load(string: "input { harness_input { session => \"\(id)\" } }", supportEscapes: false).inputs
        }
        if !parsed.hasOutputs {
            parsed.outputs += try ConfigLoader.load(string: "output { capture { session => \"\(id)\" } }", supportEscapes: false).outputs
        }
        let dlq = deadLetterQueue
        let sink = DeadLetterSink(write: { event, type, id, reason in
            session.deadLetter(event, id, reason)
            return dlq?.write(event, pluginType: type, pluginId: id, reason: reason) ?? true
        }, flush: { dlq?.flush() ?? true })
        let context = PluginContext(logger: logger, pipeline: settings, deadLetters: sink)
        return try PipelinePlan(config: parsed, registry: registry, context: context)
    }
}

/// Shared state between a harness run and its plugins (found by session id).
final class Session: @unchecked Sendable {
    private let lock = Mutex(())
    var input: [Event] = []
    var chunkSize = 50
    private var captured: [(String, Event)] = []
    private var acks: [AckStatus] = []
    private var deadLetters: [PipelineHarness.DeadLetter] = []

    func capture(_ id: String, _ events: [Event]) { lock.withLock { _ in captured += events.map { (id, $0) } } }
    func ack(_ s: AckStatus) { lock.withLock { _ in acks.append(s) } }
    func deadLetter(_ e: Event, _ pluginId: String, _ reason: String) {
        lock.withLock { _ in deadLetters.append(.init(event: e, pluginId: pluginId, reason: reason)) }
    }

    func result() -> PipelineHarness.Result {
        lock.withLock { _ in
            var by: [String: [Event]] = [:]
            for (id, e) in captured { by[id, default: []].append(e) }
            return PipelineHarness.Result(events: captured.map(\.1), byOutput: by, acks: acks, deadLetters: deadLetters)
        }
    }
}

final class Sessions: Sendable {
    static let shared = Sessions()
    private let table = Mutex<[String: Session]>([:])
    private let counter = Atomic<Int>(0)

    func add(_ s: Session) -> String {
        let id = "s\(counter.add(1, ordering: .relaxed).newValue)"
        table.withLock { $0[id] = s }
        return id
    }
    func get(_ id: String) -> Session? { table.withLock { $0[id] } }
}

/// Feeds the session's events in chunks, recording each chunk's acknowledgement.
final class HarnessInput: InputPlugin {
    static let pluginName = "harness_input"
    static let summary = "Test input: emits the events given to PipelineHarness."
    static let settingSpecs = [SettingSpec("session", .string, required: true, doc: "Harness session id.")]
    let session: Session?

    init(settings: PluginSettings, context: PluginContext) {
        session = settings.string("session").flatMap { Sessions.shared.get($0) }
    }

    func run(into sink: EventSink) async throws {
        guard let session else { return }
        var i = 0
        let events = session.input
        while i < events.count {
            let end = min(i + session.chunkSize, events.count)
            try await sink.send(Array(events[i..<end])) { session.ack($0) }
            i = end
        }
    }
}

/// Records what it receives into the session.
final class CaptureOutput: OutputPlugin {
    static let pluginName = "capture"
    static let summary = "Test output: records events for PipelineHarness."
    static let settingSpecs = [SettingSpec("session", .string, required: true, doc: "Harness session id.")]
    let session: Session?
    let id: String

    init(settings: PluginSettings, context: PluginContext) {
        session = settings.string("session").flatMap { Sessions.shared.get($0) }
        id = settings.id
    }

    func write(_ events: [Event]) async throws -> WriteOutcome {
        session?.capture(id, events)
        return .delivered
    }
}
