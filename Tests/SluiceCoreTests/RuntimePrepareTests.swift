import SluiceCore
import SluiceTesting
import Synchronization
import Testing

/// `OutputPlugin.prepare` and `retryBackoff`: what an output stores in a batch's events before
/// the first write is what every retry of those events carries (the elasticsearch output keeps
/// its generated document ids this way), and the waits between retries are the output's.
@Suite("Runtime: prepare and per-output backoff", .timeLimit(.minutes(1)))
struct RuntimePrepareTests {
    @Test func retriesCarryWhatPrepareStoredAndWaitTheOutputsBackoff() async throws {
        var registry = runtimeRegistry()
        registry.register(StampingOutput.self)
        var h = PipelineHarness(registry: registry)
        h.settings.batchSize = 10
        StampingOutput.reset()
        let started = ContinuousClock.now
        let result = try await h.run("output { stamping {} }", events: seqEvents(10), chunkSize: 10)
        let elapsed = ContinuousClock.now - started
        #expect(result.acks == [.delivered])
        let attempts = StampingOutput.attempts
        #expect(attempts.count == 3, "a thrown error, then a partial retry, then success")
        #expect(StampingOutput.prepared.withLock { $0 } == 1, "prepare runs once per batch")
        // Every attempt saw the stamps of the first one.
        let first = Dictionary(uniqueKeysWithValues: attempts[0].map { ($0.seq, $0.stamp) })
        #expect(first.count == 10 && Set(first.values).count == 10)
        for attempt in attempts.dropFirst() {
            for e in attempt { #expect(first[e.seq] == e.stamp, "seq \(e.seq) kept its stamp") }
        }
        #expect(attempts[2].map(\.seq) == [0, 2, 4, 6, 8], "only the events asked to retry")
        #expect(elapsed >= .milliseconds(600), "two waits of the output's 300 ms backoff")
    }
}

/// Stamps each event in `prepare`; its first write fails as a dropped connection would, its
/// second asks to retry the even `seq`s, its third accepts.
final class StampingOutput: OutputPlugin {
    static let pluginName = "stamping"
    static let summary = "Test output."
    static let settingSpecs: [SettingSpec] = []
    static let prepared = Mutex(0)
    private static let seen = Mutex<[[(seq: Int, stamp: String)]]>([])
    private static let counter = Atomic<Int>(0)
    static var attempts: [[(seq: Int, stamp: String)]] { seen.withLock { $0 } }
    static func reset() {
        prepared.withLock { $0 = 0 }
        seen.withLock { $0 = [] }
    }
    static let stamp = FieldReference(path: [Event.metadataKey, "stamp"])

    init(settings: PluginSettings, context: PluginContext) {}

    var retryBackoff: Backoff { Backoff(initial: .milliseconds(300), max: .milliseconds(300)) }

    func prepare(_ events: inout [Event]) {
        Self.prepared.withLock { $0 += 1 }
        for i in events.indices {
            events[i].set(Self.stamp, .string("s\(Self.counter.add(1, ordering: .relaxed).newValue)"))
        }
    }

    func write(_ events: [Event]) async throws -> WriteOutcome {
        let view = events.map { (seq: $0.seq ?? -1, stamp: $0[Self.stamp]?.stringValue ?? "") }
        let attempt = Self.seen.withLock { s in s.append(view); return s.count }
        switch attempt {
        case 1: throw PluginError("connection dropped", retriable: true, code: .connection)
        case 2: return WriteOutcome(retry: events.indices.filter { (events[$0].seq ?? 1) % 2 == 0 }.map { ($0, "429") })
        default: return .delivered
        }
    }
}
