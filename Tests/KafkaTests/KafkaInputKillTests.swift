import Foundation
import SluiceTesting
import Testing

/// `kill -9` of the real binary while it consumes, then restarts: every record arrives at
/// least once; what is read again is only what was written but not yet committed.
@Suite(.serialized) struct KafkaInputKillTests {
    let cluster: KafkaCluster
    init() throws { cluster = try KafkaCluster() }

    /// Waits for `p` to exit; one that is still running after 90 s is killed and the test fails
    /// (a stuck process must not hang the suite).
    private func waitForExit(_ p: Process) async throws {
        let deadline = ContinuousClock.now + .seconds(90)
        while p.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        if p.isRunning {
            kill(p.processIdentifier, SIGKILL)
            Issue.record("sluice did not exit within 90 s of its signal")
            while p.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        }
    }

    private func size(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0
    }

    private func lines(_ path: String) -> [Substring] {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n")
    }

    @Test func killNineMidStreamAndRestartLosesNothing() async throws {
        let topic = KafkaCluster.topic("in-kill")
        let total = 100_000
        try cluster.control("create \(topic) 2 3")
        try cluster.produce(topic, 0..<total)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-kafka-kill-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // A short session timeout: a killed member leaves the group quickly, so the restart is
        // assigned its partitions soon.
        let config = """
            input { kafka { bootstrap_servers => "\(cluster.bootstrap)" topics => ["\(topic)"] group_id => "g-\(topic)"
                            auto_offset_reset => "earliest" auto_commit_interval_ms => 100 max_poll_records => 200
                            session_timeout_ms => 3000 heartbeat_interval_ms => 500 } }
            output { file { path => "\(dir)/out.log" codec => line { format => "%{message}" } flush_interval => 0 } }
            """
        try config.write(toFile: dir + "/pipeline.conf", atomically: true, encoding: .utf8)
        let args = ["-f", dir + "/pipeline.conf", "--path.data", dir + "/data", "--log.level", "error"]

        // Kill each run once it wrote something more (so each kill lands mid-stream).
        var kills = 0
        for _ in 0..<3 {
            let before = size(dir + "/out.log")
            let p = try SluiceBinary.start(args)
            let clock = ContinuousClock()
            let deadline = clock.now + .seconds(15)
            while p.isRunning, size(dir + "/out.log") <= before, clock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            try await Task.sleep(for: .milliseconds(Int.random(in: 50...300)))
            // A streaming input never ends by itself: a run that already read everything is
            // stopped with SIGTERM instead (and the next runs have nothing left to read).
            let allRead = Set(lines(dir + "/out.log")).count >= total
            kill(p.processIdentifier, allRead ? SIGTERM : SIGKILL)
            if !allRead { kills += 1 }
            try await waitForExit(p)
            if allRead { break }
        }
        // The last run reads the rest, then stops on SIGTERM.
        let last = try SluiceBinary.start(args)
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(30)
        while Set(lines(dir + "/out.log")).count < total, clock.now < deadline {
            try await Task.sleep(for: .milliseconds(300))
        }
        // Past start-up, so that the signal finds the pipeline running (it drains and exits 0).
        try await Task.sleep(for: .seconds(2))
        kill(last.processIdentifier, SIGTERM)
        try await waitForExit(last)

        let written = lines(dir + "/out.log")
        let distinct = Set(written)
        let missing = Set((0..<total).map { "m-\($0)"[...] }).subtracting(distinct).count
        let duplicates = written.count - distinct.count
        print("kafka kill -9 test: \(kills) kills, \(written.count) lines, \(missing) missing, \(duplicates) duplicates")
        #expect(kills >= 1, "a kill landed mid-stream")
        #expect(missing == 0)
        #expect(distinct.count == total)
        #expect(last.terminationStatus == 0)
    }
}
