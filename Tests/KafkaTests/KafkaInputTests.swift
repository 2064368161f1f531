import CRdKafka
import Foundation
import SluiceCore
import SluiceTesting
import Synchronization
import Testing
@testable import KafkaPlugins

/// The kafka input against librdkafka's mock cluster (scripts/services.sh): kcat produces; the
/// group's committed offsets are read by a consumer of the test's own that does not join the
/// group, and kcat reads what lies after them. Serialized: one test takes the brokers down.
@Suite(.serialized) struct KafkaInputTests {
    let cluster: KafkaCluster
    init() throws { cluster = try KafkaCluster() }

    private func harness(_ logs: LogCapture? = nil) -> PipelineHarness {
        var r = PluginRegistry()
        KafkaPlugins.register(into: &r)
        r.register(GatedOutput.self)
        var h = PipelineHarness(registry: r)
        h.settings.shutdownTimeout = .seconds(3)
        if let logs { h.logger = logs.logger }
        return h
    }

    private func input(_ topic: String, group: String, _ extra: String = "") -> String {
        """
        kafka { bootstrap_servers => "\(cluster.bootstrap)" topics => ["\(topic)"] group_id => "\(group)"
                auto_offset_reset => "earliest" auto_commit_interval_ms => 200 \(extra) }
        """
    }

    @Test func everyKeyedRecordArrivesWithItsHeadersAndDecoration() async throws {
        let topic = KafkaCluster.topic("in-keyed")
        let group = "g-\(topic)"
        try cluster.control("create \(topic) 3 3")
        try cluster.produce(topic, 0..<100, headers: ["app=sluice", "half=low"])
        try cluster.produce(topic, 100..<200, headers: ["app=sluice", "half=high"])
        let began = Date().timeIntervalSince1970 * 1000 - 60_000
        let running = try harness().start("input { \(input(topic, group: group, #"decorate_events => "extended""#)) }")
        #expect(await running.waitUntil(timeout: .seconds(20)) { $0.events.count >= 200 })
        running.stop()
        let events = try await running.finish().events
        #expect(events.count == 200)
        var seen = Set<String>()
        for e in events {
            let message = e.message ?? ""
            let i = Int(message.dropFirst(2)) ?? -1
            let kafka = e.fields[Event.metadataKey]?.objectValue?["kafka"]?.objectValue
            #expect(kafka?["key"]?.stringValue == "k\(i)", "\(message)")
            #expect(kafka?["topic"]?.stringValue == topic)
            #expect(kafka?["consumer_group"]?.stringValue == group)
            #expect(kafka?["headers"]?.objectValue == headers(["app": "sluice", "half": i < 100 ? "low" : "high"]))
            let partition = kafka?["partition"]?.int ?? -1, offset = kafka?["offset"]?.int ?? -1
            #expect((0..<3).contains(partition) && offset >= 0)
            #expect((kafka?["timestamp"]?.int).map { Double($0) > began } == true)
            seen.insert("\(partition)/\(offset)")
        }
        #expect(Set(events.compactMap(\.message)) == Set((0..<200).map { "m-\($0)" }))
        #expect(seen.count == 200, "one event per record")
        #expect(try cluster.uncommitted(topic, group: group, partitions: 3).isEmpty, "shutdown committed everything acknowledged")
    }

    @Test func jsonLinesRecordsBecomeOneEventPerLine() async throws {
        let topic = KafkaCluster.topic("in-jsonl")
        try cluster.control("create \(topic) 1 3")
        // `|` ends each record, so one record holds two lines.
        let records = (0..<10).map { #"{"n":\#($0),"line":1}"# + "\n" + #"{"n":\#($0),"line":2}"# }
        _ = try cluster.kcat(["-b", cluster.bootstrap, "-P", "-t", topic, "-D", "|"], input: records.joined(separator: "|") + "|")
        let running = try harness().start("input { \(input(topic, group: "g-\(topic)", "codec => json_lines")) }")
        #expect(await running.waitUntil { $0.events.count >= 20 })
        running.stop()
        let events = try await running.finish().events
        #expect(events.count == 20)
        let pairs = Set(events.map { "\($0.fields["n"]?.int ?? -1)/\($0.fields["line"]?.int ?? -1)" })
        #expect(pairs == Set((0..<10).flatMap { ["\($0)/1", "\($0)/2"] }))
    }

    @Test func offsetsDoNotMovePastEventsTheOutputHasNotWritten() async throws {
        let topic = KafkaCluster.topic("in-failing")
        let group = "g-\(topic)"
        try cluster.control("create \(topic) 2 3")
        let gate = Gate.make()
        let logs = LogCapture()
        try cluster.produce(topic, 0..<50)
        let running = try harness(logs).start("""
            input { \(input(topic, group: group, "max_poll_records => 20")) }
            output { gated { gate => "\(gate.name)" } }
            """)
        #expect(await running.waitUntil(timeout: .seconds(20)) { _ in gate.written.count >= 50 })
        #expect(await eventually { try cluster.uncommitted(topic, group: group, partitions: 2).isEmpty }, "the written events were committed")

        // More than the pipeline's queue holds, so the input has to stop reading.
        gate.setOpen(false)
        try cluster.produce(topic, 50..<600)
        try await Task.sleep(for: .seconds(4))
        #expect(gate.written.count == 50, "the output failed every write")
        let left = try cluster.uncommitted(topic, group: group, partitions: 2)
        #expect(Set(left.map(\.payload)) == Set((50..<600).map { "m-\($0)" }), "the committed offsets stay before every unwritten event")
        #expect(logs.all.contains("pausing the assigned partitions"), "the input paused instead of reading on")

        gate.setOpen(true)
        #expect(await running.waitUntil(timeout: .seconds(20)) { _ in Set(gate.written.compactMap(\.message)).count >= 600 })
        #expect(await eventually { try cluster.uncommitted(topic, group: group, partitions: 2).isEmpty }, "once written, committed")
        running.stop()
        _ = try await running.finish()
        #expect(Set(gate.written.compactMap(\.message)) == Set((0..<600).map { "m-\($0)" }), "nothing lost")
    }

    @Test func aStuckInputKeepsCommittingItsPositionStampedSoTheLagMonitorSaysSTALLThenSTOP() async throws {
        let topic = KafkaCluster.topic("in-stamp")
        let group = "g-\(topic)"
        try cluster.control("create \(topic) 1 3")
        let gate = Gate.make()
        try cluster.produce(topic, 0..<50)
        let running = try harness().start("""
            input { \(input(topic, group: group)) }
            output { gated { gate => "\(gate.name)" } }
            """)
        #expect(await running.waitUntil(timeout: .seconds(20)) { _ in gate.written.count >= 50 })
        gate.setOpen(false)
        try cluster.produce(topic, 50..<60)  // lag the stuck output never lets go

        let admin = try KafkaAdmin(properties: ["bootstrap.servers": cluster.bootstrap], logger: Logger(label: "t"))
        let poller = try LagPoller(admin: admin, groups: [group], pattern: nil, topics: [topic], timeoutMs: 5000,
                                   logger: Logger(label: "t"), stopping: { false })
        defer { poller.close() }
        let p = KafkaAdmin.Partition(topic: topic, partition: 0)
        func commit() throws -> KafkaAdmin.Commit? { try admin.committed(group: group, partitions: [p], timeoutMs: 5000)[p] }
        #expect(await eventually { try commit()?.offset == 50 })
        let first = try commit().flatMap { CommitStamp.time($0.metadata) }
        try await Task.sleep(for: .seconds(1))
        let again = try commit()
        #expect(again?.offset == 50, "the unwritten records hold the offset back")
        let later = again.flatMap { CommitStamp.time($0.metadata) }
        #expect(first != nil && later != nil && (later ?? 0) > (first ?? 0), "the same offset is committed again, stamped")

        // kafka_lag's view, 3 polls in the window: commits keep coming, the offset stands, lag 10.
        var history = PartitionLagHistory(window: 3)
        func poll() async throws -> LagStatus {
            try await Task.sleep(for: .milliseconds(700))
            let r = try #require(try poller.poll().get().first)
            #expect(r.committed == 50 && r.logEnd == 60)
            return history.record(LagSample(time: Date().timeIntervalSince1970, committed: r.committed, logEnd: r.logEnd,
                                            commitTime: r.commitTime)).status
        }
        var statuses: [LagStatus] = []
        for _ in 0..<3 { statuses.append(try await poll()) }
        #expect(statuses.last == .stall, "alive but stuck: \(statuses)")
        // The input stops (its last commit at shutdown): once that is older than the window, STOP.
        running.stop()
        _ = try await running.finish()
        for _ in 0..<4 { statuses.append(try await poll()) }
        #expect(statuses.last == .stop, "no commits any more: \(statuses)")
    }

    @Test func aRestartResumesFromTheCommittedOffsetLosingNothing() async throws {
        let topic = KafkaCluster.topic("in-restart")
        let group = "g-\(topic)"
        try cluster.control("create \(topic) 1 3")
        try cluster.produce(topic, 0..<200)
        // First run: the output writes at most 100 events, then fails until shutdown.
        let gate = Gate.make(limit: 100)
        var h = harness()
        h.settings.batchSize = 25
        h.settings.shutdownTimeout = .seconds(2)
        let first = try h.start("""
            input { \(input(topic, group: group, "max_poll_records => 25")) }
            output { gated { gate => "\(gate.name)" } }
            """)
        #expect(await first.waitUntil(timeout: .seconds(20)) { _ in gate.refusals > 0 })
        try await Task.sleep(for: .seconds(1))
        first.stop()
        _ = try await first.finish()
        let delivered = Set(gate.written.compactMap(\.message))
        #expect(delivered.count > 75 && delivered.count <= 100, "\(delivered.count)")

        let left = try cluster.uncommitted(topic, group: group, partitions: 1)
        let leftSet = Set(left.map(\.payload))
        let undelivered = Set((0..<200).map { "m-\($0)" }).subtracting(delivered)
        #expect(undelivered.isSubset(of: leftSet), "no unwritten event lies before the committed offset")
        #expect(left.count - undelivered.count < 25, "at most one input batch is read again: \(left.count) left")

        // Second run, same group: it starts at the committed offset.
        let second = try harness().start("input { \(input(topic, group: group)) }")
        #expect(await second.waitUntil(timeout: .seconds(20)) { $0.events.count >= left.count })
        try await Task.sleep(for: .milliseconds(500))
        second.stop()
        let again = try await second.finish().events.compactMap(\.message)
        #expect(again.count == left.count && Set(again) == leftSet, "exactly what was not committed")
        #expect(delivered.union(again) == Set((0..<200).map { "m-\($0)" }), "nothing lost")
        #expect(delivered.intersection(again).count < 25, "duplicates only from the unacknowledged batch")
    }

    @Test func twoInputsInOneGroupShareThePartitionsAndARebalanceLosesNothing() async throws {
        let topic = KafkaCluster.topic("in-group")
        let group = "g-\(topic)"
        try cluster.control("create \(topic) 4 3")
        let config = "input { \(input(topic, group: group, "session_timeout_ms => 6000 heartbeat_interval_ms => 300")) }"
        var produced = 0
        func produce(_ n: Int) throws {
            try cluster.produce(topic, produced..<(produced + n))
            produced += n
        }
        try produce(100)
        let a = try harness().start(config)
        #expect(await a.waitUntil(timeout: .seconds(20)) { $0.events.count >= 100 })
        let b = try harness().start(config)
        // Keep producing until the second member has partitions of its own.
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(20)
        while b.current.events.isEmpty, clock.now < deadline {
            try produce(20)
            try await Task.sleep(for: .milliseconds(300))
        }
        #expect(!b.current.events.isEmpty, "the second member got partitions")
        let aBefore = a.current.events.count
        try produce(100)
        #expect(await a.waitUntil(timeout: .seconds(10)) { $0.events.count > aBefore }, "the first member kept partitions")
        // The second member leaves: its partitions go back to the first.
        b.stop()
        let bEvents = try await b.finish().events.compactMap(\.message)
        try produce(100)
        let all = Set((0..<produced).map { "m-\($0)" })
        #expect(await a.waitUntil(timeout: .seconds(20)) { Set($0.events.compactMap(\.message)).union(bEvents).isSuperset(of: all) })
        a.stop()
        let aEvents = try await a.finish().events.compactMap(\.message)
        #expect(Set(aEvents).union(bEvents) == all, "nothing lost across two rebalances")
        let duplicates = aEvents.count + bEvents.count - all.count
        #expect(duplicates <= 4 * 500, "duplicates only from unacknowledged batches: \(duplicates)")
        #expect(try cluster.uncommitted(topic, group: group, partitions: 4).isEmpty)
    }

    /// A revocation waits (bounded) for the acknowledgements of the revoked partitions'
    /// batches in flight, then commits them, so their next owner does not read them again.
    @Test func aRevocationWaitsForInFlightAcknowledgementsAndCommitsThem() async throws {
        let prefix = KafkaCluster.topic("revoke")
        let first = prefix + "-a", group = "g-\(prefix)"
        try cluster.control("create \(first) 2 3")
        try cluster.produce(first, 0..<100)
        let gate = Gate.make()
        gate.setOpen(false)
        let logs = LogCapture()
        let h = harness(logs)
        // Only the revocation commits: the periodic commit is a minute away.
        let running = try h.start("""
            input { kafka { bootstrap_servers => "\(cluster.bootstrap)" topics_pattern => "^\(prefix)-.*" group_id => "\(group)"
                            auto_offset_reset => "earliest" auto_commit_interval_ms => 60000
                            kafka_properties => { "topic.metadata.refresh.interval.ms" => "200" } } }
            output { gated { gate => "\(gate.name)" } }
            """)
        #expect(await running.waitUntil(timeout: .seconds(20)) { _ in gate.refusals >= 2 }, "the output refused the records")

        // The mock refuses commits while another member's join is under way
        // (REBALANCE_IN_PROGRESS), so this rebalance is the member's own: a second topic
        // matching its pattern appears, and it revokes everything and joins again while the
        // group is still stable. It revokes the partitions while their 100 records are still
        // unacknowledged, and waits for them.
        try cluster.control("create \(prefix)-b 1 3")
        #expect(await SluiceTesting.eventually(timeout: .seconds(10)) { logs.all.contains("for the acknowledgements of") }, "the revocation waited")
        try await Task.sleep(for: .milliseconds(300))
        #expect(gate.written.isEmpty)
        gate.setOpen(true)
        #expect(await SluiceTesting.eventually(timeout: .seconds(10), every: .milliseconds(300)) {
            ((try? cluster.committed(first, group: group, partitions: 2)) ?? []).reduce(0, +) == 100
        }, "the revocation committed what was acknowledged meanwhile: \(String(describing: try? cluster.committed(first, group: group, partitions: 2)))")
        #expect(!logs.all.contains("cannot commit the offsets of revoked partitions"))

        // Reassigned, the partitions resume after the committed records: nothing is read twice.
        try cluster.produce(first, 100..<120)
        #expect(await running.waitUntil(timeout: .seconds(20)) { _ in gate.written.count >= 120 })
        try await Task.sleep(for: .milliseconds(500))
        running.stop()
        _ = try await running.finish()
        let written = gate.written.compactMap(\.message)
        #expect(written.count == 120 && Set(written) == Set((0..<120).map { "m-\($0)" }), "\(written.count) written")
    }

    @Test func brokersDownAtStartAreWaitedFor() async throws {
        let topic = KafkaCluster.topic("in-down")
        try cluster.control("create \(topic) 2 3")
        try cluster.produce(topic, 0..<50)
        try cluster.control("down -1")
        var upped = false
        defer { if !upped { _ = try? cluster.control("up -1") } }
        let running = try harness().start("input { \(input(topic, group: "g-\(topic)")) }")
        try await Task.sleep(for: .seconds(3))
        #expect(running.current.events.isEmpty)
        try cluster.control("up -1")
        upped = true
        #expect(await running.waitUntil(timeout: .seconds(25)) { $0.events.count >= 50 }, "consumption resumed once the brokers were up")
        try cluster.produce(topic, 50..<60)
        #expect(await running.waitUntil(timeout: .seconds(10)) { $0.events.count >= 60 })
        running.stop()
        let events = try await running.finish().events
        #expect(Set(events.compactMap(\.message)) == Set((0..<60).map { "m-\($0)" }))
    }

    private func headers(_ h: [String: String]) -> FieldMap {
        var m = FieldMap()
        for (k, v) in h.sorted(by: { $0.key < $1.key }) { m.set(k, .string(v)) }
        return m
    }

    /// Polls `condition` for up to 10 s.
    private func eventually(_ condition: () throws -> Bool) async -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(10)
        while clock.now < deadline {
            if (try? condition()) == true { return true }
            try? await Task.sleep(for: .milliseconds(200))
        }
        return (try? condition()) == true
    }
}

extension KafkaCluster {
    /// Produces `m-<i>` with key `k<i>` for each i, with the same headers (`name=value`) on each.
    func produce(_ topic: String, _ range: Range<Int>, headers: [String] = []) throws {
        let lines = range.map { "k\($0):m-\($0)\n" }.joined()
        _ = try kcat(["-b", bootstrap, "-P", "-t", topic, "-K", ":"] + headers.flatMap { ["-H", $0] }, input: lines)
    }

    /// The records of `topic` after the offsets `group` committed (all of them where it
    /// committed none), read by kcat from those offsets.
    func uncommitted(_ topic: String, group: String, partitions: Int) throws -> [Record] {
        try committed(topic, group: group, partitions: partitions).enumerated().flatMap { p, offset in
            try consume(topic, partition: p, from: Int(offset))
        }
    }

    /// The offset `group` committed for each partition of `topic` (negative: none), asked of the
    /// group's coordinator by a librdkafka consumer of the test's own that does not join the
    /// group (kcat's `-o stored` asserts in librdkafka 2.0.2 once the group committed).
    func committed(_ topic: String, group: String, partitions: Int) throws -> [Int64] {
        let conf = rd_kafka_conf_new()
        var errstr = [CChar](repeating: 0, count: 512)
        for (k, v) in [("bootstrap.servers", bootstrap), ("group.id", group)] {
            guard rd_kafka_conf_set(conf, k, v, &errstr, errstr.count) == RD_KAFKA_CONF_OK else { throw Failure("conf \(k)") }
        }
        guard let rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, &errstr, errstr.count) else { throw Failure("rd_kafka_new failed") }
        defer { rd_kafka_destroy(rk) }
        let list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t> = rd_kafka_topic_partition_list_new(Int32(partitions))
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for p in 0..<Int32(partitions) { rd_kafka_topic_partition_list_add(list, topic, p) }
        let err = rd_kafka_committed(rk, list, 10_000)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let elems = list.pointee.elems else {
            throw Failure("rd_kafka_committed: \(String(cString: rd_kafka_err2str(err)))")
        }
        return (0..<partitions).map { elems[$0].offset }
    }
}

extension Value {
    fileprivate var int: Int? {
        switch self {
        case .int(let n): return Int(n)
        default: return Int(renderedString)
        }
    }
}

/// A test output that keeps what it wrote and fails (retriable) while its gate is closed, or
/// when a write would take it past `limit` events.
final class GatedOutput: OutputPlugin {
    static let pluginName = "gated"
    static let summary = "Test output: writes while its gate is open."
    static let settingSpecs = [SettingSpec("gate", .string, required: true, doc: "Gate name.")]
    let gate: Gate?

    init(settings: PluginSettings, context: PluginContext) {
        gate = settings.string("gate").flatMap { Gate.named($0) }
    }

    func write(_ events: [Event]) async throws -> WriteOutcome {
        guard let gate, gate.accept(events) else { throw PluginError("the gate is closed", retriable: true) }
        return .delivered
    }
}

final class Gate: Sendable {
    private static let all = Mutex<[String: Gate]>([:])
    let name: String
    private let state: Mutex<(open: Bool, limit: Int?, written: [Event], refusals: Int)>

    private init(name: String, limit: Int?) {
        self.name = name
        state = Mutex((true, limit, [], 0))
    }

    static func make(limit: Int? = nil) -> Gate {
        let g = Gate(name: "gate-\(UInt32.random(in: 0...UInt32.max))", limit: limit)
        all.withLock { $0[g.name] = g }
        return g
    }

    static func named(_ name: String) -> Gate? { all.withLock { $0[name] } }

    var written: [Event] { state.withLock { $0.written } }
    var refusals: Int { state.withLock { $0.refusals } }
    func setOpen(_ open: Bool) { state.withLock { $0.open = open } }

    func accept(_ events: [Event]) -> Bool {
        state.withLock { s in
            guard s.open, s.written.count + events.count <= (s.limit ?? Int.max) else {
                s.refusals += 1
                return false
            }
            s.written += events
            return true
        }
    }
}
