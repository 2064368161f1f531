import SluiceCore

/// What a lag poll asks of the cluster (`KafkaAdmin`; tests give a scripted one).
protocol LagSource: AnyObject, Sendable {
    func topics(timeoutMs: Int32) throws(KafkaError) -> [String: Int]
    func listGroups(timeoutMs: Int32) throws(KafkaError) -> [String]
    func committed(group: String, partitions: [KafkaAdmin.Partition], timeoutMs: Int32) throws(KafkaError) -> [KafkaAdmin.Partition: KafkaAdmin.Commit]
    func logEnd(_ p: KafkaAdmin.Partition, timeoutMs: Int32) throws(KafkaError) -> Int64
    func close()
}

extension KafkaAdmin: LagSource {}

/// One poll of the kafka_lag input, run on a blocking thread (librdkafka calls wait on the
/// network): which groups, which of their partitions, their committed and log-end offsets.
/// Used from one thread at a time (the input awaits each poll before the next).
final class LagPoller: @unchecked Sendable {
    private let admin: any LagSource
    private let groups: [String]
    private let pattern: Regex?
    private let topicFilter: [String]
    private let timeoutMs: Int32
    private let logger: Logger
    private let stopping: @Sendable () -> Bool
    /// Missing groups and topics already warned about; a key leaves when it is found again.
    private var warned: Set<String> = []

    init(admin: any LagSource, groups: [String], pattern: String?, topics: [String], timeoutMs: Int32,
         logger: Logger, stopping: @escaping @Sendable () -> Bool) throws {
        self.admin = admin
        self.groups = groups
        self.pattern = try pattern.map { p throws in try Regex(p) }
        topicFilter = topics
        self.timeoutMs = timeoutMs
        self.logger = logger
        self.stopping = stopping
    }

    /// The readings of every watched group, or the error that made this poll fail (the
    /// cluster is down or timed out): then no rows at all, never partial zeros.
    func poll() -> Result<[LagReading], KafkaError> {
        do throws(KafkaError) {
            return .success(try read())
        } catch {
            return .failure(error)
        }
    }

    private func read() throws(KafkaError) -> [LagReading] {
        let topics = try admin.topics(timeoutMs: timeoutMs)
        var missing: [String: String] = [:]  // key -> warning
        var watched = groups
        if let pattern {
            do {
                let listed = try admin.listGroups(timeoutMs: timeoutMs)
                // Each broker lists the groups it coordinates: a group moving between
                // coordinators while they answer can be listed twice.
                watched += Set(listed).filter { pattern.matches($0) && !groups.contains($0) }.sorted()
            } catch {
                missing["pattern"] = "cannot list the consumer groups for `group_pattern` (\(error)); only `group_id` groups are watched"
            }
        }
        var candidates: [String] = topicFilter.isEmpty ? topics.keys.sorted() : []
        for t in topicFilter {
            if topics[t] == nil {
                missing["topic \(t)"] = "topic `\(t)` does not exist"
            } else {
                candidates.append(t)
            }
        }
        let partitions = candidates.flatMap { t in (0..<(topics[t] ?? 0)).map { KafkaAdmin.Partition(topic: t, partition: Int32($0)) } }
        var logEnds: [KafkaAdmin.Partition: Int64] = [:]
        var readings: [LagReading] = []
        for group in watched {
            if stopping() { return [] }
            let committed = try admin.committed(group: group, partitions: partitions, timeoutMs: timeoutMs)
            if committed.isEmpty {
                missing["group \(group)"] = topicFilter.isEmpty
                    ? "group `\(group)` has no committed offsets (no such group, or it never committed)"
                    : "group `\(group)` has no committed offsets on \(candidates.map { "`\($0)`" }.joined(separator: ", "))"
            } else if !topicFilter.isEmpty {
                for t in candidates where !committed.keys.contains(where: { $0.topic == t }) {
                    missing["group \(group) topic \(t)"] = "group `\(group)` has no committed offsets on topic `\(t)`"
                }
            }
            for p in committed.keys.sorted(by: { ($0.topic, $0.partition) < ($1.topic, $1.partition) }) {
                if stopping() { return [] }
                let end: Int64
                if let known = logEnds[p] {
                    end = known
                } else {
                    end = try admin.logEnd(p, timeoutMs: timeoutMs)
                    logEnds[p] = end
                }
                let commit = committed[p]
                readings.append(LagReading(group: group, topic: p.topic, partition: p.partition,
                                           committed: commit?.offset ?? 0, logEnd: end,
                                           commitTime: commit.flatMap { CommitStamp.time($0.metadata) }))
            }
        }
        for (key, text) in missing.sorted(by: { $0.key < $1.key }) where !warned.contains(key) {
            logger.warning("kafka_lag: \(text); asking again every poll")
        }
        warned = Set(missing.keys)
        return readings
    }

    func close() { admin.close() }
}

/// Readings of one poll to events: one per partition, then one total per group and topic.
enum LagRows {
    static func events(_ readings: [LagReading], at time: Timestamp, histories: inout [LagKey: PartitionLagHistory],
                       window: Int) -> [Event] {
        let seconds = Double(time.nanoseconds) / 1e9
        var events: [Event] = []
        var i = 0
        while i < readings.count {
            // Readings come grouped by group, then topic.
            let group = readings[i].group, topic = readings[i].topic
            var total = (committed: Int64(0), logEnd: Int64(0), lag: Int64(0), lagSeconds: 0.0)
            var statuses: [LagStatus] = []
            while i < readings.count, readings[i].group == group, readings[i].topic == topic {
                let r = readings[i]
                let sample = LagSample(time: seconds, committed: r.committed, logEnd: r.logEnd, commitTime: r.commitTime)
                let key = LagKey(group: group, topic: topic, partition: r.partition)
                var history = histories[key] ?? PartitionLagHistory(window: window)
                let (lagSeconds, status) = history.record(sample)
                histories[key] = history
                events.append(row(group, topic, Int64(r.partition), sample.committed, sample.logEnd, sample.lag, lagSeconds, status, time))
                total.committed += sample.committed
                total.logEnd += sample.logEnd
                total.lag += sample.lag
                total.lagSeconds = max(total.lagSeconds, lagSeconds)
                statuses.append(status)
                i += 1
            }
            events.append(row(group, topic, nil, total.committed, total.logEnd, total.lag, total.lagSeconds,
                              LagStatus.group(statuses), time))
        }
        return events
    }

    /// The columns of `kafka-consumer-groups --describe`, plus lag_seconds and status. A total
    /// has no `partition`.
    private static func row(_ group: String, _ topic: String, _ partition: Int64?, _ current: Int64, _ end: Int64,
                            _ lag: Int64, _ lagSeconds: Double, _ status: LagStatus, _ time: Timestamp) -> Event {
        var e = Event(timestamp: time)
        e.fields.set("group", .string(group))
        e.fields.set("topic", .string(topic))
        if let partition { e.fields.set("partition", .int(partition)) }
        e.fields.set("current_offset", .int(current))
        e.fields.set("log_end_offset", .int(end))
        e.fields.set("lag", .int(lag))
        e.fields.set("lag_seconds", .double((lagSeconds * 1000).rounded() / 1000))
        e.fields.set("status", .string(status.rawValue))
        return e
    }
}
