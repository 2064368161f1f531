import Foundation
import SluiceCore
import SluiceTesting
import StandardPlugins
import Testing
@testable import KafkaPlugins
#if canImport(Glibc)
import Glibc
#endif

/// pipelines/seed1/kafka-lag-to-csv.conf as shipped, against the mock cluster: the `<topic>.lag`
/// file it writes, read back with Python's csv module, holds the group's real lag.
@Suite(.timeLimit(.minutes(1))) struct KafkaLagPipelineTests {
    @Test func theShippedLagPipelineWritesTheTopicsLagFileForGrafana() async throws {
        let cluster = try KafkaCluster()
        let python = try TestServices.path("python")
        let topic = KafkaCluster.topic("personal-info-topic")
        let group = KafkaCluster.topic("group-1")
        try cluster.control("create \(topic) 2")
        let lines = (0..<50).map { "k\($0):person \($0)" }.joined(separator: "\n") + "\n"
        _ = try cluster.kcat(["-b", cluster.bootstrap, "-P", "-t", topic, "-K", ":"], input: lines)
        _ = try cluster.kcat(["-b", cluster.bootstrap, "-G", group, "-c", "20", "-q", "-X", "auto.offset.reset=earliest", topic])

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-lag-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let env = ["KAFKA_BOOTSTRAP": cluster.bootstrap, "KAFKA_GROUP": group, "KAFKA_TOPIC": topic,
                   "LAG_DIR": dir, "LAG_INTERVAL": "300ms"]
        for (k, v) in env { setenv(k, v, 1) }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let config = try String(contentsOf: root.appendingPathComponent("pipelines/seed1/kafka-lag-to-csv.conf"), encoding: .utf8)

        var registry = PluginRegistry()
        StandardPlugins.register(into: &registry)
        KafkaPlugins.register(into: &registry)
        let running = try PipelineHarness(registry: registry).start(config)
        let file = "\(dir)/\(topic).lag"
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline, (try? String(contentsOfFile: file, encoding: .utf8))?.split(separator: "\n").count ?? 0 < 4 {
            try await Task.sleep(for: .milliseconds(100))
        }
        running.stop()
        _ = try await running.finish()

        // The independent figures: confluent-kafka's committed offsets and high watermarks.
        let expected = try run(python, ["-c", """
            import sys
            from confluent_kafka import Consumer, TopicPartition
            b, group, topic = sys.argv[1:4]
            c = Consumer({"bootstrap.servers": b, "group.id": group, "enable.auto.commit": False})
            parts = [TopicPartition(topic, p) for p in c.list_topics(topic, timeout=10).topics[topic].partitions]
            print(sum(c.get_watermark_offsets(tp, timeout=10)[1] - tp.offset for tp in c.committed(parts, timeout=10) if tp.offset >= 0))
            c.close()
            """, cluster.bootstrap, group, topic]).trimmingCharacters(in: .whitespacesAndNewlines)
        let rows = try run(python, ["-c", "import csv, json, sys; print(json.dumps(list(csv.reader(open(sys.argv[1], newline='')))))", file])
        guard let table = try JSONSerialization.jsonObject(with: Data(rows.utf8)) as? [[String]] else {
            throw Failure("python printed \(rows)")
        }
        #expect(table.first == ["lag", "time", "lag_seconds", "status"], "one header")
        #expect(table.count >= 4)
        #expect(Int(expected) ?? 0 > 0)
        for row in table.dropFirst() {
            #expect(row.count == 4)
            #expect(row.first == expected, "the topic's lag is \(expected): \(row)")
            #expect(row.count > 1 && row[1].wholeMatch(of: /\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/) != nil, "\(row)")
            #expect(row.count > 2 && Double(row[2]) != nil)
            #expect(row.count > 3 && ["OK", "WARN", "ERR"].contains(row[3]))
        }
    }

    private func run(_ executable: String, _ arguments: [String]) throws -> String {
        let r = try runProcess(executable, arguments)
        guard r.status == 0 else { throw Failure("\(executable) failed: \(r.stderr)") }
        return r.output
    }
}
