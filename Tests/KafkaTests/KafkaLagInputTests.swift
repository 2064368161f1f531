import Foundation
import SluiceCore
import SluiceTesting
import Testing
@testable import KafkaPlugins

/// The kafka_lag input against librdkafka's mock cluster: groups get committed offsets from
/// `kcat -G`, and the figures are checked against confluent-kafka's `committed()` and
/// `get_watermark_offsets()` (PyPI, pinned in scripts/services.sh's venv). Serialized: one
/// test takes the brokers down.
@Suite(.serialized, .timeLimit(.minutes(2))) struct KafkaLagInputTests {
    let cluster: KafkaCluster
    init() throws { cluster = try KafkaCluster() }

    private func harness(_ logs: LogCapture? = nil) -> PipelineHarness {
        var r = PluginRegistry()
        KafkaPlugins.register(into: &r)
        var h = PipelineHarness(registry: r)
        if let logs { h.logger = logs.logger }
        return h
    }

    /// Writes `count` keyed messages (spread over the partitions by key).
    private func produce(_ topic: String, _ count: Int, from start: Int = 0) throws {
        let lines = (start..<(start + count)).map { "k\($0):message \($0)" }.joined(separator: "\n") + "\n"
        _ = try cluster.kcat(["-b", cluster.bootstrap, "-P", "-t", topic, "-K", ":"], input: lines)
    }

    /// Consumes `count` messages as `group` with kcat's balanced consumer, which commits them.
    private func consume(_ topic: String, group: String, _ count: Int, bootstrap: String? = nil) throws {
        _ = try cluster.kcat(["-b", bootstrap ?? cluster.bootstrap, "-G", group, "-o", "beginning", "-c", String(count), "-q",
                              "-X", "auto.offset.reset=earliest", topic])
    }

    /// Per partition, (committed, high watermark) as confluent-kafka reads them.
    private func independentOffsets(_ group: String, _ topic: String) throws -> [Int: (committed: Int64, high: Int64)] {
        let python = try TestServices.path("python")
        let r = try runProcess(python, ["-c", """
            import json, sys
            from confluent_kafka import Consumer, TopicPartition
            b, group, topic = sys.argv[1:4]
            c = Consumer({"bootstrap.servers": b, "group.id": group, "enable.auto.commit": False})
            md = c.list_topics(topic, timeout=10)
            out = {}
            for tp in c.committed([TopicPartition(topic, p) for p in md.topics[topic].partitions], timeout=10):
                lo, hi = c.get_watermark_offsets(tp, timeout=10)
                out[tp.partition] = [tp.offset, hi]
            c.close()
            print(json.dumps(out))
            """, cluster.bootstrap, group, topic])
        guard r.status == 0, let o = try JSON.decode(r.output).objectValue else {
            throw Failure("confluent-kafka (\(python)) failed: \(r.stderr)")
        }
        var result: [Int: (Int64, Int64)] = [:]
        for (k, v) in zip(o.keys, o.values) {
            let pair = (v.arrayValue ?? []).compactMap { Int64($0.renderedString) }
            guard let partition = Int(k), pair.count == 2 else { throw Failure("confluent-kafka printed \(o)") }
            result[partition] = (pair[0], pair[1])
        }
        return result
    }

    private func config(_ extra: String) -> String {
        "input { kafka_lag { bootstrap_servers => \"\(cluster.bootstrap)\" interval => \"300ms\" \(extra) } }"
    }

    private static func int(_ e: Event, _ f: String) -> Int64? {
        if case .int(let i)? = e[field: f] { return i }
        return nil
    }

    /// The rows of the latest poll (they share one @timestamp).
    private static func lastPoll(_ events: [Event]) -> [Event] {
        guard let t = events.last?.timestamp else { return [] }
        return events.filter { $0.timestamp == t }
    }

    @Test func lagFiguresEqualTheHighWatermarkMinusTheCommittedOffsetReadIndependently() async throws {
        let topic = KafkaCluster.topic("lag")
        let group = KafkaCluster.topic("lag-group")
        try cluster.control("create \(topic) 3")
        try produce(topic, 60)
        try consume(topic, group: group, 25)
        try produce(topic, 20, from: 60)

        let running = try harness().start(config("group_id => \"\(group)\" topics => [\"\(topic)\"] window => 3"))
        #expect(await running.waitUntil { $0.events.count >= 8 }, "two polls of 3 partitions and a total")
        let expected = try independentOffsets(group, topic)
        let committedPartitions = expected.filter { $0.value.committed >= 0 }
        #expect(!committedPartitions.isEmpty)
        var rows = Self.lastPoll(running.current.events)
        try check(rows, against: expected, group: group, topic: topic)

        // The group has no member and stops committing: its lag keeps growing with the log end.
        let lagBefore = rows.last.flatMap { Self.int($0, "lag") } ?? -1
        try produce(topic, 30, from: 80)
        let after = try independentOffsets(group, topic).filter { $0.value.committed >= 0 }
        let lagAfter = after.values.reduce(0) { $0 + $1.high - $1.committed }
        #expect(lagAfter > lagBefore, "some of the 30 new messages went to partitions the group committed on")
        let moved = await running.waitUntil { r in
            Self.lastPoll(r.events).last.flatMap { Self.int($0, "lag") } == lagAfter
        }
        #expect(moved, "the total lag grew to \(lagAfter): \(Self.lastPoll(running.current.events).last.map { "\($0.fields)" } ?? "-")")
        running.stop()
        rows = Self.lastPoll(try await running.finish().events)
        try check(rows, against: try independentOffsets(group, topic), group: group, topic: topic)
    }

    /// Every partition row equals confluent-kafka's figures; the total is their sum.
    private func check(_ rows: [Event], against expected: [Int: (committed: Int64, high: Int64)], group: String, topic: String) throws {
        let committed = expected.filter { $0.value.committed >= 0 }
        let partitionRows = rows.filter { $0[field: "partition"] != nil }
        #expect(partitionRows.count == committed.count, "one row per partition with a commit: \(rows.map(\.fields))")
        for row in partitionRows {
            let p = Int(Self.int(row, "partition") ?? -1)
            guard let e = committed[p] else {
                Issue.record("row for partition \(p) that has no commit")
                continue
            }
            #expect(row[field: "group"] == .string(group))
            #expect(row[field: "topic"] == .string(topic))
            #expect(Self.int(row, "current_offset") == e.committed)
            #expect(Self.int(row, "log_end_offset") == e.high)
            #expect(Self.int(row, "lag") == e.high - e.committed)
            #expect(row[field: "status"]?.stringValue.map { LagStatus(rawValue: $0) != nil } == true)
            #expect(row[field: "lag_seconds"] != nil)
        }
        let totals = rows.filter { $0[field: "partition"] == nil }
        #expect(totals.count == 1)
        #expect(totals.first.flatMap { Self.int($0, "lag") } == committed.values.reduce(0) { $0 + $1.high - $1.committed })
        #expect(totals.first.flatMap { Self.int($0, "current_offset") } == committed.values.reduce(0) { $0 + $1.committed })
    }

    @Test func aMissingGroupAndTopicAreWarnedOnceAndPolledAgainUntilTheyExist() async throws {
        let topic = KafkaCluster.topic("lag-later")
        let group = KafkaCluster.topic("lag-later-group")
        let logs = LogCapture()
        let running = try harness(logs).start(config("group_id => \"\(group)\" topics => [\"\(topic)\"]"))
        try await Task.sleep(for: .seconds(2))  // about six polls
        #expect(running.current.events.isEmpty, "no rows, and no zeros, for what does not exist")
        let warnings = logs.entries.filter { $0.level == .warning && $0.message.contains("`\(topic)` does not exist") }
        #expect(warnings.count == 1, "warned once: \(logs.all)")

        try cluster.control("create \(topic) 2")
        try produce(topic, 10)
        try consume(topic, group: group, 4)
        #expect(await running.waitUntil { $0.events.contains { $0[field: "partition"] == nil } }, "rows once both exist")
        running.stop()
        let rows = Self.lastPoll(try await running.finish().events)
        try check(rows, against: try independentOffsets(group, topic), group: group, topic: topic)
    }

    @Test func aBrokerOutageLeavesAGapOfMissingRowsAndPollingResumes() async throws {
        let topic = KafkaCluster.topic("lag-down")
        let group = KafkaCluster.topic("lag-down-group")
        try cluster.control("create \(topic) 1")
        try produce(topic, 10)
        try consume(topic, group: group, 6)
        let expected = try independentOffsets(group, topic)
        let logs = LogCapture()
        let running = try harness(logs).start(config("group_id => \"\(group)\" topics => [\"\(topic)\"]"))
        #expect(await running.waitUntil { $0.events.count >= 4 })
        try cluster.control("down -1")
        let downAt = Timestamp.now()
        do {
            try await Task.sleep(for: .seconds(4))
            try cluster.control("up -1")
        } catch {
            _ = try? cluster.control("up -1")
            throw error
        }
        let upAt = Timestamp.now()
        let before = running.current.events.count
        #expect(await running.waitUntil(timeout: .seconds(60)) { $0.events.count >= before + 4 }, "polling resumed: \(logs.all)")
        running.stop()
        let events = try await running.finish().events
        // Every row carries the real figures: none is a zero standing in for an unread offset.
        for e in events {
            #expect(Self.int(e, "current_offset") == expected[0]?.committed)
            #expect(Self.int(e, "log_end_offset") == expected[0]?.high)
            #expect(Self.int(e, "lag") == 4)
        }
        // The outage is a gap: polls every 300 ms while the brokers answer, and for at least 2 s of
        // the 4 s outage no row at all. (Where exactly the gap starts depends on how fast the mock
        // drops its connections under load, so the test does not pin it.)
        let polls = Set(events.map(\.timestamp.nanoseconds)).sorted()
        let around = polls.filter { $0 >= downAt.nanoseconds - 1_000_000_000 && $0 <= upAt.nanoseconds + 60_000_000_000 }
        let widest = zip(around, around.dropFirst()).map { $1 - $0 }.max() ?? 0
        #expect(widest >= 2_000_000_000, "no gap of 2 s in the rows around the outage: \(around)")
        let failures = logs.entries.filter { $0.level == .warning && $0.message.contains("cannot read offsets") }
        #expect(failures.count == 1, "one warning for the outage: \(logs.all)")
    }

    @Test func aBrokerThatCannotListGroupsIsWarnedAboutOnceAndNamedGroupsStillReport() async throws {
        let topic = KafkaCluster.topic("lag-pattern")
        let group = KafkaCluster.topic("lag-pattern-group")
        try cluster.control("create \(topic) 1")
        try produce(topic, 5)
        try consume(topic, group: group, 5)
        let logs = LogCapture()
        // librdkafka's mock cluster itself (no proxy) does not implement ListGroups.
        let running = try harness(logs).start(config("group_id => \"\(group)\" group_pattern => \"^lag-\""))
        #expect(await running.waitUntil { $0.events.count >= 4 })
        running.stop()
        let events = try await running.finish().events
        let mine = events.filter { $0[field: "topic"] == .string(topic) }
        #expect(!mine.isEmpty, "without `topics` every topic the group committed on is reported")
        #expect(mine.allSatisfy { Self.int($0, "lag") == 0 && $0[field: "status"] == .string("OK") })
        let warnings = logs.entries.filter { $0.message.contains("cannot list the consumer groups") }
        #expect(warnings.count == 1, "\(logs.all)")
    }

    /// `group_pattern` against brokers that list their groups (the mock behind the
    /// ListGroups proxy): the matching groups are watched, from the first poll or from the
    /// poll after they appear, the others are not, and their figures equal confluent-kafka's.
    @Test func thePatternWatchesTheMatchingGroupsTheBrokersListWithTheirFigures() async throws {
        let listing = try cluster.groupListingBootstrap()
        let topic = KafkaCluster.topic("lag-listed")
        let prefix = KafkaCluster.topic("listed")
        let (a, b, later) = ("\(prefix)-a", "\(prefix)-b", "\(prefix)-later")
        let other = KafkaCluster.topic("unlisted")
        try cluster.control("create \(topic) 3")
        try produce(topic, 40)
        try consume(topic, group: a, 10, bootstrap: listing)
        try consume(topic, group: b, 25, bootstrap: listing)
        try consume(topic, group: other, 5, bootstrap: listing)
        let logs = LogCapture()
        let running = try harness(logs).start("""
            input { kafka_lag { bootstrap_servers => "\(listing)" interval => "300ms" topics => ["\(topic)"]
                                group_pattern => "^\(prefix)-" } }
            """)
        func groups(_ events: [Event]) -> Set<String> { Set(Self.lastPoll(events).compactMap { $0[field: "group"]?.stringValue }) }
        #expect(await running.waitUntil { groups($0.events) == [a, b] }, "\(groups(running.current.events))")
        try consume(topic, group: later, 15, bootstrap: listing)
        #expect(await running.waitUntil { groups($0.events) == [a, b, later] }, "a group that appears later is watched")
        running.stop()
        let rows = Self.lastPoll(try await running.finish().events)
        #expect(!rows.contains { $0[field: "group"] == .string(other) })
        for group in [a, b, later] {
            try check(rows.filter { $0[field: "group"] == .string(group) }, against: try independentOffsets(group, topic),
                      group: group, topic: topic)
        }
        #expect(!logs.all.contains("cannot list"), "\(logs.all)")
    }

    @Test func settingsAreCheckedWithoutConnecting() {
        let h = harness()
        #expect(h.check("input { kafka_lag { } }")?.description.contains("name a group") == true)
        #expect(h.check("input { kafka_lag { group_pattern => \"(\" } }") != nil)
        #expect(h.check("input { kafka_lag { group_id => \"g\" window => 1 } }") != nil)
        #expect(h.check("input { kafka_lag { group_id => \"g\" interval => \"0s\" } }") != nil)
        #expect(h.check("input { kafka_lag { group_id => [\"a\", \"b\"] bootstrap_servers => \"127.0.0.1:1\" } }") == nil)
    }
}
