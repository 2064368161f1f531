import Foundation
import SluiceCore
import SluiceTesting
import Testing
@testable import KafkaPlugins

/// The kafka input's settings: validated without connecting, mapped to librdkafka's names.
@Suite struct KafkaInputSettingsTests {
    private func check(_ body: String) -> String? {
        var r = PluginRegistry()
        KafkaPlugins.register(into: &r)
        return PipelineHarness(registry: r).check("input { kafka { \(body) } }").map { "\($0)" }
    }

    /// A kafka input built from `values` over the declared defaults.
    private func input(_ values: [String: Value]) throws -> KafkaInput {
        var all: [String: Value] = [:]
        for spec in KafkaInput.settingSpecs + CommonSettings.input { if let d = spec.defaultValue { all[spec.name] = d } }
        all.merge(values) { _, new in new }
        let settings = PluginSettings(pluginName: "kafka", id: "k", values: all,
                                      codec: PlainCodec(settings: PluginSettings(pluginName: "plain", id: "p", values: [:])))
        return try KafkaInput(settings: settings, context: PluginContext(logger: Logger(label: "t"), pipeline: PipelineSettings()))
    }

    @Test func validSettingsPassWithoutABroker() {
        #expect(check("""
            bootstrap_servers => "127.0.0.1:1" topics => ["a", "b"] group_id => "g" consumer_threads => 2
            auto_offset_reset => "earliest" decorate_events => "extended" isolation_level => "read_committed"
            partition_assignment_strategy => "cooperative_sticky" codec => json_lines
            kafka_properties => { "fetch.error.backoff.ms" => "100" }
            """) == nil)
    }

    @Test func badValuesAreRefusedByName() {
        #expect(check(#"decorate_events => "full""#)?.contains("decorate_events") == true)
        #expect(check(#"auto_offset_reset => "smallest""#)?.contains("auto_offset_reset") == true)
        #expect(check(#"consumer_threads => 0"#)?.contains("consumer_threads") == true)
        #expect(check(#"max_poll_records => 0"#)?.contains("max_poll_records") == true)
        #expect(check(#"topics => []"#)?.contains("topics") == true)
        let unknown = check(#"kafka_properties => { "no.such.property" => "1" }"#) ?? ""
        #expect(unknown.contains("no.such.property"), "\(unknown)")
    }

    @Test func librdkafkasOwnCommitsCannotBeSwitchedOnThroughKafkaProperties() {
        let e = check(#"kafka_properties => { "enable.auto.commit" => "true" }"#) ?? ""
        #expect(e.contains("enable.auto.commit") && e.contains("acknowledged"), "\(e)")
        #expect(check(#"kafka_properties => { "enable.auto.offset.store" => "true" }"#)?.contains("enable.auto.offset.store") == true)
    }

    @Test func settingsBecomeLibrdkafkaProperties() throws {
        let k = try input([
            "bootstrap_servers": .string("127.0.0.1:1"), "group_id": .string("g1"), "auto_offset_reset": .string("none"),
            "session_timeout_ms": .int(6000), "max_poll_interval_ms": .int(60000), "partition_assignment_strategy": .string("round_robin"),
            "consumer_threads": .int(2), "group_instance_id": .string("host-a"), "client_id": .string("c"),
        ])
        #expect(k.properties.count == 2)
        let p = k.properties[0]
        #expect(p["group.id"] == "g1")
        #expect(p["auto.offset.reset"] == "error", "Logstash's `none` is librdkafka's `error`")
        #expect(p["session.timeout.ms"] == "6000")
        #expect(p["max.poll.interval.ms"] == "60000")
        #expect(p["isolation.level"] == "read_uncommitted", "Logstash's default, not librdkafka's")
        #expect(p["partition.assignment.strategy"] == "roundrobin")
        #expect(k.properties.map { $0["group.instance.id"] } == ["host-a-0", "host-a-1"])
        #expect(k.properties.map { $0["client.id"] } == ["c-0", "c-1"])
        #expect(k.groupId == "g1")
        #expect(k.topics == ["logstash"])
        #expect(k.options.commitInterval == .milliseconds(5000))
        #expect(k.options.maxRecords == 500)
    }

    @Test func aPatternSubscribesByRegularExpressionAndAutoCommitOffTurnsCommitsOff() throws {
        let k = try input(["topics_pattern": .string("logs-.*"), "enable_auto_commit": .bool(false)])
        #expect(k.topics == ["^logs-.*"])
        #expect(k.options.commitInterval == nil)
        #expect(k.properties[0]["enable.auto.commit"] == nil, "the consumer forces it off itself")
    }
}

/// `KafkaOffsets`: what may be committed, per partition, from acknowledgements in any order.
@Suite struct KafkaOffsetsTests {
    let p0 = TopicPartition(topic: "t", partition: 0)
    let p1 = TopicPartition(topic: "t", partition: 1)

    @Test func thePositionMovesOnlyOverContiguousAcknowledgedBatches() throws {
        let o = KafkaOffsets()
        o.assign([p0])
        let a = try #require(o.register(p0, first: 5, last: 9))
        let b = try #require(o.register(p0, first: 10, last: 19))
        let c = try #require(o.register(p0, first: 20, last: 29))
        #expect(o.acknowledged().isEmpty, "nothing acknowledged: the start needs no commit")
        #expect(o.waiting == 3)
        o.acknowledge([c], .delivered)
        #expect(o.acknowledged().isEmpty, "a later batch cannot pass an unacknowledged one")
        o.acknowledge([a], .delivered)
        #expect(o.acknowledged() == [p0: 10])
        o.acknowledge([b], .delivered)
        #expect(o.acknowledged() == [p0: 30])
        #expect(o.waiting == 0)
    }

    @Test func aFailedBatchHoldsThePositionBackForGood() throws {
        let o = KafkaOffsets()
        o.assign([p0])
        let a = try #require(o.register(p0, first: 0, last: 9))
        let b = try #require(o.register(p0, first: 10, last: 19))
        let c = try #require(o.register(p0, first: 20, last: 29))
        o.acknowledge([a], .delivered)
        o.acknowledge([b], .failed)
        o.acknowledge([c], .delivered)
        #expect(o.acknowledged() == [p0: 10])
    }

    @Test func partitionsAreTrackedApartAndOnlyWhileAssigned() throws {
        let o = KafkaOffsets()
        #expect(o.register(p0, first: 0, last: 1) == nil, "not assigned")
        o.assign([p0, p1])
        let t0 = try #require(o.register(p0, first: 0, last: 4))
        let t1 = try #require(o.register(p1, first: 100, last: 104))
        o.acknowledge([t0, t1], .delivered)
        #expect(o.acknowledged() == [p0: 5, p1: 105])
        #expect(o.acknowledged([p1]) == [p1: 105])
        o.forget([p1])
        #expect(!o.isAssigned(p1))
        #expect(o.acknowledged() == [p0: 5])
    }

    @Test func lateAcknowledgementsOfARevokedAssignmentChangeNothing() throws {
        let o = KafkaOffsets()
        o.assign([p0])
        let old = try #require(o.register(p0, first: 0, last: 9))
        o.forget([p0])
        o.assign([p0])
        let new = try #require(o.register(p0, first: 0, last: 4))
        o.acknowledge([old], .delivered)
        #expect(o.acknowledged().isEmpty, "the old batch (up to 9) is not this assignment's")
        #expect(o.waiting == 1)
        o.acknowledge([new], .delivered)
        #expect(o.acknowledged() == [p0: 5])
    }

    @Test func theCommitStampRoundTripsAndOtherMetadataIsNoStamp() throws {
        let stamp = CommitStamp.now()
        let t = try #require(CommitStamp.time(stamp))
        #expect(abs(t - Date().timeIntervalSince1970) < 5)
        #expect(CommitStamp.time("") == nil)
        #expect(CommitStamp.time("consumer-7 generation 3") == nil)
        #expect(CommitStamp.time(CommitStamp.prefix + "x") == nil)
    }
}
