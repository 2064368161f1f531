import SluiceCore
import SluiceTesting
import Synchronization
import Testing
@testable import KafkaPlugins

/// `group_pattern` on a scripted cluster: the pattern's matching, a group listed twice (two
/// brokers answering while it moves between coordinators) and the failure path, against a
/// `LagSource` of the test's own. KafkaLagInputTests runs the pattern against the mock cluster
/// behind the ListGroups proxy.
@Suite struct LagPollerTests {
    final class ScriptedCluster: LagSource, @unchecked Sendable {
        let groups = Mutex<[String]?>(["app-orders", "app-billing", "other", "app-orders-dlq", "app-orders"])
        let commits: [String: Int64] = ["app-orders": 5, "app-billing": 7, "other": 1, "app-orders-dlq": 2, "fixed": 3, "app-shipping": 4]

        func topics(timeoutMs: Int32) throws(KafkaError) -> [String: Int] { ["t": 1] }
        func listGroups(timeoutMs: Int32) throws(KafkaError) -> [String] {
            guard let g = groups.withLock({ $0 }) else { throw KafkaError.local("ListGroups is not supported") }
            return g
        }
        func committed(group: String, partitions: [KafkaAdmin.Partition], timeoutMs: Int32) throws(KafkaError) -> [KafkaAdmin.Partition: KafkaAdmin.Commit] {
            guard let offset = commits[group] else { return [:] }
            return Dictionary(uniqueKeysWithValues: partitions.map { ($0, KafkaAdmin.Commit(offset: offset, metadata: "")) })
        }
        func logEnd(_ p: KafkaAdmin.Partition, timeoutMs: Int32) throws(KafkaError) -> Int64 { 10 }
        func close() {}
    }

    private func poller(_ cluster: ScriptedCluster, groups: [String], pattern: String?, logs: LogCapture) throws -> LagPoller {
        try LagPoller(admin: cluster, groups: groups, pattern: pattern, topics: [], timeoutMs: 1000, logger: logs.logger, stopping: { false })
    }

    @Test func thePatternAddsEveryListedGroupItMatchesOnceAndPicksUpNewOnes() throws {
        let cluster = ScriptedCluster()
        let logs = LogCapture()
        let p = try poller(cluster, groups: ["fixed", "app-billing"], pattern: "^app-[a-z]+$", logs: logs)
        let first = try p.poll().get()
        // group_id groups first, in their order, then the matches not already named, sorted.
        #expect(first.map(\.group) == ["fixed", "app-billing", "app-orders"])
        #expect(first.map(\.committed) == [3, 7, 5])
        #expect(first.allSatisfy { $0.logEnd == 10 })
        cluster.groups.withLock { $0?.append("app-shipping") }
        #expect(try p.poll().get().map(\.group).contains("app-shipping"), "a group that appears later is watched from the next poll")
        #expect(!logs.all.contains("warning"))
    }

    @Test func aClusterThatCannotListGroupsWarnsOnceAndTheNamedGroupsAreStillWatched() throws {
        let cluster = ScriptedCluster()
        cluster.groups.withLock { $0 = nil }
        let logs = LogCapture()
        let p = try poller(cluster, groups: ["fixed"], pattern: "^app-", logs: logs)
        #expect(try p.poll().get().map(\.group) == ["fixed"])
        #expect(try p.poll().get().map(\.group) == ["fixed"])
        let warnings = logs.entries.filter { $0.message.contains("cannot list the consumer groups for `group_pattern`") }
        #expect(warnings.count == 1, "warned once, not at every poll")
    }
}
