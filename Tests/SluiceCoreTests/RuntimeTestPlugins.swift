import SluiceCore
import SluiceTesting
import Synchronization

// Small plugins that exist only to drive the runtime from tests. They share state with the
// test through a `Probe`, found by the id given in the `probe` setting.

/// What the test plugins observed, in the order it happened.
final class Probe: Sendable {
    enum Entry: Equatable, Sendable {
        /// An output returned successfully from `write` with these `seq` values.
        case wrote(output: String, seqs: [Int])
        /// The input's chunk number `chunk` was acknowledged.
        case ack(chunk: Int, AckStatus)
        /// A lifecycle step of a plugin: "out start", "in run", "out close", ...
        case step(String)
    }

    private static let table = Mutex<[String: Probe]>([:])
    private static let counter = Atomic<Int>(0)

    let id: String
    private let state = Mutex<(log: [Entry], attempts: [String: Int], received: [String: [Event]])>(([], [:], [:]))

    private init(id: String) { self.id = id }

    /// A fresh probe; its `id` goes into the `probe` setting of the test plugins.
    static func make() -> Probe {
        let p = Probe(id: "p\(counter.add(1, ordering: .relaxed).newValue)")
        table.withLock { $0[p.id] = p }
        return p
    }

    static func find(_ settings: PluginSettings) -> Probe? {
        settings.string("probe").flatMap { id in table.withLock { $0[id] } }
    }

    func record(_ e: Entry) { state.withLock { $0.log.append(e) } }
    /// Records a successful write of `events` by `output`.
    func wrote(_ output: String, _ events: [Event]) {
        state.withLock { s in
            s.log.append(.wrote(output: output, seqs: events.compactMap(\.seq)))
            s.received[output, default: []] += events
        }
    }
    /// Events written by `output`, in write order.
    func events(by output: String) -> [Event] { state.withLock { $0.received[output] ?? [] } }
    var log: [Entry] { state.withLock { $0.log } }

    /// Counts a write attempt by `output`; returns the attempt number (1-based).
    func attempt(_ output: String) -> Int {
        state.withLock { s in
            s.attempts[output, default: 0] += 1
            return s.attempts[output]!
        }
    }
    func attempts(_ output: String) -> Int { state.withLock { $0.attempts[output] ?? 0 } }

    /// `seq` values written by `output`, in write order.
    func written(by output: String) -> [Int] {
        log.flatMap { e -> [Int] in
            if case .wrote(output, let seqs) = e { return seqs }
            return []
        }
    }

    /// Acknowledgements in the order they fired.
    var acks: [(chunk: Int, status: AckStatus)] {
        log.compactMap { e in
            if case .ack(let c, let s) = e { return (c, s) }
            return nil
        }
    }
}

extension Event {
    /// The test events' sequence number.
    var seq: Int? {
        if case .int(let i)? = fields["seq"] { return Int(i) }
        return nil
    }
}

/// The test plugins registered over an empty registry (core codecs only).
func runtimeRegistry() -> PluginRegistry {
    var r = PluginRegistry()
    r.register(ProbeInput.self)
    r.register(RecordOutput.self)
    r.register(FlakyOutput.self)
    r.register(RejectingOutput.self)
    r.register(MarkFilter.self)
    r.register(MissFilter.self)
    r.register(DiscardFilter.self)
    r.register(EmitFilter.self)
    r.register(LifecycleOutput.self)
    r.register(LifecycleInput.self)
    r.register(PartialOutput.self)
    return r
}

private let probeSetting = SettingSpec("probe", .string, doc: "Probe id.")

/// Emits `count` events (`seq` 0..<count, message "e<seq>") in chunks of `chunk`, recording
/// each chunk's acknowledgement. `fields` are set on every event before sending.
final class ProbeInput: InputPlugin {
    static let pluginName = "probe_input"
    static let summary = "Test input."
    static let settingSpecs = [
        probeSetting,
        SettingSpec("count", .number, default: 10, doc: "Events to emit."),
        SettingSpec("chunk", .number, default: 5, doc: "Events per send call."),
        SettingSpec("fields", .hash, default: .object(FieldMap()), doc: "Fields set on every event."),
    ]
    let probe: Probe?
    let count: Int, chunk: Int
    let fields: FieldMap

    init(settings: PluginSettings, context: PluginContext) {
        probe = Probe.find(settings)
        count = settings.int("count") ?? 10
        chunk = max(1, settings.int("chunk") ?? 5)
        fields = settings.hash("fields")
    }

    func run(into sink: EventSink) async throws {
        var start = 0, n = 0
        while start < count {
            let events = (start..<min(start + chunk, count)).map { i -> Event in
                var e = Event(message: "e\(i)")
                e.fields.set("seq", .int(Int64(i)))
                for (k, v) in fields { e.fields.set(k, v) }
                return e
            }
            let c = n, probe = self.probe
            try await sink.send(events) { probe?.record(.ack(chunk: c, $0)) }
            start += chunk
            n += 1
        }
    }
}

/// Records what it is given, optionally after `delay` (a slow destination).
final class RecordOutput: OutputPlugin {
    static let pluginName = "record"
    static let summary = "Test output."
    static let settingSpecs = [probeSetting, SettingSpec("delay", .duration, default: 0, doc: "Seconds per write."),
                               SettingSpec("concurrency", .number, default: 1, doc: "writeConcurrency.")]
    let probe: Probe?
    let id: String
    let delay: Double
    let writeConcurrency: Int
    /// Writes running now, and the most seen at once.
    let running = Mutex((now: 0, most: 0))

    init(settings: PluginSettings, context: PluginContext) {
        probe = Probe.find(settings)
        id = settings.id
        delay = settings.seconds("delay") ?? 0
        writeConcurrency = settings.int("concurrency") ?? 1
    }

    func write(_ events: [Event]) async throws -> WriteOutcome {
        running.withLock { r in
            r.now += 1
            r.most = max(r.most, r.now)
            probe?.record(.step("\(id) concurrent \(r.most)"))
        }
        defer { running.withLock { $0.now -= 1 } }
        if delay > 0 { try? await Task.sleep(for: .milliseconds(Int(delay * 1000))) }
        probe?.wrote(id, events)
        return .delivered
    }
}

/// Throws a `PluginError` on its first `failures` write attempts (every one if negative), then records.
final class FlakyOutput: OutputPlugin {
    static let pluginName = "flaky"
    static let summary = "Test output."
    static let settingSpecs = [
        probeSetting,
        SettingSpec("failures", .number, default: 1, doc: "Attempts that fail; negative: all."),
        SettingSpec("retriable", .boolean, default: true, doc: "Whether the failures are retriable."),
    ]
    let probe: Probe?
    let id: String
    let failures: Int
    let retriable: Bool

    init(settings: PluginSettings, context: PluginContext) {
        probe = Probe.find(settings)
        id = settings.id
        failures = settings.int("failures") ?? 1
        retriable = settings.bool("retriable") ?? true
    }

    func write(_ events: [Event]) async throws -> WriteOutcome {
        let n = probe?.attempt(id) ?? 1
        if failures < 0 || n <= failures {
            throw PluginError("attempt \(n) failed", retriable: retriable)
        }
        probe?.record(.wrote(output: id, seqs: events.compactMap(\.seq)))
        return .delivered
    }
}

/// Rejects events whose `seq` is divisible by `every`; records the others.
final class RejectingOutput: OutputPlugin {
    static let pluginName = "rejecting"
    static let summary = "Test output."
    static let settingSpecs = [probeSetting, SettingSpec("every", .number, default: 3, doc: "Reject seq % every == 0.")]
    let probe: Probe?
    let id: String
    let every: Int

    init(settings: PluginSettings, context: PluginContext) {
        probe = Probe.find(settings)
        id = settings.id
        every = max(1, settings.int("every") ?? 3)
    }

    func write(_ events: [Event]) async throws -> WriteOutcome {
        var rejected: [(index: Int, reason: String)] = []
        var kept: [Int] = []
        for (i, e) in events.enumerated() {
            let s = e.seq ?? -1
            if s % every == 0 { rejected.append((i, "seq \(s) is not wanted")) } else { kept.append(s) }
        }
        probe?.record(.wrote(output: id, seqs: kept))
        return WriteOutcome(rejected: rejected)
    }
}

/// Succeeds without changing the event (so only the common options act), appending
/// `mark` to the `marks` array when set.
final class MarkFilter: FilterPlugin {
    static let pluginName = "mark"
    static let summary = "Test filter."
    static let settingSpecs = [SettingSpec("mark", .string, doc: "Appended to `marks`.")]
    let mark: String?
    init(settings: PluginSettings, context: PluginContext) { mark = settings.string("mark") }
    func filter(_ event: inout Event, _ context: inout FilterContext) -> FilterResult {
        if let mark {
            var marks = event.fields["marks"]?.arrayValue ?? []
            marks.append(.string(mark))
            event.fields.set("marks", .array(marks))
        }
        return .matched
    }
}

/// Never matches: the common options must not act.
final class MissFilter: FilterPlugin {
    static let pluginName = "miss"
    static let summary = "Test filter."
    static let settingSpecs: [SettingSpec] = []
    init(settings: PluginSettings, context: PluginContext) {}
    func filter(_ event: inout Event, _ context: inout FilterContext) -> FilterResult { .unmatched }
}

/// Drops every event.
final class DiscardFilter: FilterPlugin {
    static let pluginName = "discard"
    static let summary = "Test filter."
    static let settingSpecs: [SettingSpec] = []
    init(settings: PluginSettings, context: PluginContext) {}
    func filter(_ event: inout Event, _ context: inout FilterContext) -> FilterResult { .drop }
}

/// Emits `copies` extra events after each event, with `copy` 1...copies and the same `seq`.
final class EmitFilter: FilterPlugin {
    static let pluginName = "emit"
    static let summary = "Test filter."
    static let settingSpecs = [SettingSpec("copies", .number, default: 1, doc: "Extra events per event.")]
    let copies: Int
    init(settings: PluginSettings, context: PluginContext) { copies = settings.int("copies") ?? 1 }
    func filter(_ event: inout Event, _ context: inout FilterContext) -> FilterResult {
        for c in 0..<copies {
            var e = event
            e.fields.set("copy", .int(Int64(c + 1)))
            context.emitted.append(e)
        }
        return .matched
    }
}

/// Records its lifecycle steps (`<id> start`, `<id> write`, `<id> close`); its `start` fails
/// `start_failures` times (negative: always), retriably or not.
final class LifecycleOutput: OutputPlugin {
    static let pluginName = "lifecycle"
    static let summary = "Test output."
    static let settingSpecs = [
        probeSetting,
        SettingSpec("start_failures", .number, default: 0, doc: "Starts that fail; negative: all."),
        SettingSpec("retriable", .boolean, default: true, doc: "Whether the start failures are retriable."),
        SettingSpec("write_fails", .boolean, default: false, doc: "Every write fails retriably."),
    ]
    let probe: Probe?
    let id: String
    let startFailures: Int
    let retriable: Bool
    let writeFails: Bool

    init(settings: PluginSettings, context: PluginContext) {
        probe = Probe.find(settings)
        id = settings.id
        startFailures = settings.int("start_failures") ?? 0
        retriable = settings.bool("retriable") ?? true
        writeFails = settings.bool("write_fails") ?? false
    }

    func start() async throws {
        let n = probe?.attempt("\(id) start") ?? 1
        probe?.record(.step("\(id) start"))
        if startFailures < 0 || n <= startFailures {
            throw PluginError("bucket `b` does not answer (attempt \(n))", retriable: retriable, code: .connection)
        }
    }

    func write(_ events: [Event]) async throws -> WriteOutcome {
        _ = probe?.attempt(id)
        if writeFails { throw PluginError("destination down", retriable: true, code: .connection) }
        probe?.wrote(id, events)
        probe?.record(.step("\(id) write"))
        return .delivered
    }

    func close() async throws { probe?.record(.step("\(id) close")) }
}

/// Records its lifecycle steps; `run` emits `count` events then, with `wait`, waits until stopped.
final class LifecycleInput: InputPlugin {
    static let pluginName = "lifecycle_input"
    static let summary = "Test input."
    static let settingSpecs = [
        probeSetting,
        SettingSpec("count", .number, default: 3, doc: "Events to emit."),
        SettingSpec("wait", .boolean, default: false, doc: "Wait for `stop` after emitting."),
        SettingSpec("start_failures", .number, default: 0, doc: "Starts that fail permanently; negative: all."),
    ]
    let probe: Probe?
    let id: String
    let count: Int
    let wait: Bool
    let startFailures: Int
    private let stopped = Atomic<Bool>(false)

    init(settings: PluginSettings, context: PluginContext) {
        probe = Probe.find(settings)
        id = settings.id
        count = settings.int("count") ?? 3
        wait = settings.bool("wait") ?? false
        startFailures = settings.int("start_failures") ?? 0
    }

    func start() async throws {
        let n = probe?.attempt("\(id) start") ?? 1
        probe?.record(.step("\(id) start"))
        if startFailures < 0 || n <= startFailures { throw PluginError("no such topic", retriable: false, code: .notFound) }
    }

    func run(into sink: EventSink) async throws {
        probe?.record(.step("\(id) run"))
        let probe = self.probe
        try await sink.send(seqEvents(count)) { probe?.record(.ack(chunk: 0, $0)) }
        // Stands for a plugin blocked in a C call: only `stop` gets it out, not cancellation.
        while wait && !stopped.load(ordering: .acquiring) {
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    func stop() {
        probe?.record(.step("\(id) stop"))
        stopped.store(true, ordering: .releasing)
    }

    func close() async throws { probe?.record(.step("\(id) close")) }
}

/// Fails each event whose `seq` is divisible by `every` on its first write, as a bulk API
/// answers one item with 429; records the events it accepted.
final class PartialOutput: OutputPlugin {
    static let pluginName = "partial"
    static let summary = "Test output."
    static let settingSpecs = [probeSetting, SettingSpec("every", .number, default: 2, doc: "Fail seq % every == 0 once.")]
    let probe: Probe?
    let id: String
    let every: Int
    private let failedOnce = Mutex<Set<Int>>([])

    init(settings: PluginSettings, context: PluginContext) {
        probe = Probe.find(settings)
        id = settings.id
        every = max(1, settings.int("every") ?? 2)
    }

    func write(_ events: [Event]) async throws -> WriteOutcome {
        var retry: [(index: Int, reason: String)] = []
        var accepted: [Event] = []
        for (i, e) in events.enumerated() {
            let seq = e.seq ?? -1
            if seq % every == 0, failedOnce.withLock({ $0.insert(seq).inserted }) {
                retry.append((i, "429 Too Many Requests"))
            } else {
                accepted.append(e)
            }
        }
        probe?.wrote(id, accepted)
        return WriteOutcome(retry: retry)
    }
}
