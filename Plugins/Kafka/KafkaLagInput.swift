import SluiceCore
import Synchronization

/// Reports consumer-group lag, the seed's lag monitor done properly: every `interval`, for
/// each group and its topics, the committed and log-end offsets of every partition become
/// one event per partition and one total per group and topic, with `lag_seconds`
/// (kafka-lag-exporter's interpolation) and a Burrow `status` (LagEvaluator.swift).
///
/// STALL (commits keep coming, the offset stands still) and STOP (no commit for longer than
/// the window) are told apart from the commit times Sluice's kafka input stamps on its commits
/// (`CommitStamp`); for other consumers they are inferred from how long the offset stood still.
///
/// It never joins a group, so groups with no active members are reported as well. A group
/// or topic that is missing is warned about once and asked for again every interval. When
/// the cluster does not answer, the poll is retried with a growing backoff and those polls
/// simply produce no rows: no zeros stand in for offsets nobody read.
public final class KafkaLagInput: InputPlugin {
    public static let pluginName = "kafka_lag"
    public static let summary = "Reports Kafka consumer-group lag per partition and per topic, with lag in seconds and Burrow's status."
    public static let settingSpecs: [SettingSpec] = [
        SettingSpec("group_id", .array, default: .array([]), doc: "Consumer group(s) to watch (a name or an array of names)."),
        SettingSpec("group_pattern", .string,
                    doc: "Regular expression: also watch every group the brokers list (ListGroups) whose name matches."),
        SettingSpec("topics", .array, default: .array([]),
                    doc: "Only these topics; default: every topic the group committed offsets on."),
        SettingSpec("interval", .duration, default: 10, doc: "Time between polls."),
        SettingSpec("window", .number, default: 10,
                    doc: "Polls in Burrow's evaluation window of each partition; its span must be longer than the groups' commit interval (a group whose last commit is older than the span is STOP)."),
    ] + KafkaClientSettings.specs

    let groups: [String]
    let groupPattern: String?
    let topicFilter: [String]
    let interval: Duration
    /// How long one librdkafka request may take: the interval, within 2 to 10 seconds.
    let requestTimeoutMs: Int32
    let window: Int
    let properties: [String: String]
    let logger: Logger
    private let stopping = Atomic<Bool>(false)
    private let poller = Mutex<LagPoller?>(nil)

    public init(settings: PluginSettings, context: PluginContext) throws {
        groups = settings.strings("group_id")
        groupPattern = settings.string("group_pattern")
        if let groupPattern {
            do { _ = try Regex(groupPattern) } catch { throw settings.error("group_pattern", "\(error)") }
        }
        guard !groups.isEmpty || groupPattern != nil else {
            throw settings.error("group_id", "name a group (`group_id`) or a pattern (`group_pattern`)")
        }
        topicFilter = settings.strings("topics")
        let seconds = try settings.declaredDouble("interval")
        guard seconds > 0 else { throw settings.error("interval", "must be more than 0") }
        interval = .milliseconds(Int64(seconds * 1000))
        requestTimeoutMs = Int32(min(max(seconds, 2), 10) * 1000)
        window = try settings.declaredInt("window")
        guard window >= 2 else { throw settings.error("window", "must be 2 or more") }
        let p = try KafkaClientSettings.properties(settings)
        do { try RDKafkaConfig.check(p) } catch { throw settings.error("kafka_properties", error.message) }
        properties = p
        logger = context.logger
    }

    public func start() async throws {
        let (props, logger) = (properties, logger)
        let made = await Blocking.run { Result { () throws(KafkaError) in try KafkaAdmin(properties: props, logger: logger) } }
        switch made {
        case .success(let admin):
            do {
                let p = try LagPoller(admin: admin, groups: groups, pattern: groupPattern, topics: topicFilter,
                                      timeoutMs: requestTimeoutMs, logger: logger,
                                      stopping: { [weak self] in self?.stopping.load(ordering: .relaxed) ?? true })
                poller.withLock { $0 = p }
            } catch {
                await Blocking.run { admin.close() }
                throw PluginError("kafka_lag: `group_pattern`: \(error)", retriable: false)
            }
        case .failure(let error):
            throw PluginError("kafka_lag: cannot create the Kafka client: \(error.message)", retriable: false)
        }
    }

    public func run(into sink: EventSink) async throws {
        guard let poller = poller.withLock({ $0 }) else { throw PluginError("kafka_lag: not started", retriable: true) }
        var histories: [LagKey: PartitionLagHistory] = [:]
        var failures = 0
        while !stopping.load(ordering: .relaxed) {
            let started = ContinuousClock.now
            let now = Timestamp.now()
            switch await Blocking.run({ poller.poll() }) {
            case .success(let readings):
                if failures > 0 { logger.info("kafka_lag: the cluster answers again; polling every \(interval)") }
                failures = 0
                let events = LagRows.events(readings, at: now, histories: &histories, window: window)
                if !events.isEmpty { try await sink.send(events) }
            case .failure(let error):
                if stopping.load(ordering: .relaxed) { break }
                failures += 1
                if failures == 1 {
                    logger.warning("kafka_lag: cannot read offsets: \(error); retrying with backoff, no rows until it answers")
                } else {
                    logger.debug("kafka_lag: poll \(failures) failed: \(error)")
                }
            }
            try await pause(until: started + delay(afterFailures: failures))
        }
    }

    /// The interval, or after failures a doubling backoff capped at max(interval, 60 s).
    func delay(afterFailures n: Int) -> Duration {
        guard n > 0 else { return interval }
        let cap = max(interval, .seconds(60))
        let grown = interval * (1 << min(n, 16))
        return min(grown, cap)
    }

    /// Sleeps in short steps so `stop` ends the wait soon.
    private func pause(until deadline: ContinuousClock.Instant) async throws {
        while !stopping.load(ordering: .relaxed), ContinuousClock.now < deadline {
            try await Task.sleep(for: min(.milliseconds(100), deadline - ContinuousClock.now))
        }
    }

    public func stop() { stopping.store(true, ordering: .relaxed) }

    public func close() async throws {
        guard let p = poller.withLock({ s in defer { s = nil }; return s }) else { return }
        await Blocking.run { p.close() }
    }
}

/// One partition of one group as read in a poll.
struct LagReading: Sendable, Equatable {
    var group: String
    var topic: String
    var partition: Int32
    var committed: Int64
    var logEnd: Int64
    /// When the group last committed, if its consumer stamps its commits (`CommitStamp`).
    var commitTime: Double? = nil
}

struct LagKey: Hashable, Sendable {
    var group: String
    var topic: String
    var partition: Int32
}

