/// Consumer-lag arithmetic for the kafka_lag input, kept free of I/O so that scripted offset
/// histories test it: the time estimate of lag (kafka-lag-exporter's interpolation) and the
/// status of a partition and of a group (Burrow's evaluation rules).

/// Burrow's statuses. A partition is OK, WARN, STALL, STOP or REWIND; a group (the total row
/// of a group and topic) is OK, WARN or ERR (some partition stalled, stopped or rewound).
public enum LagStatus: String, Sendable, CaseIterable {
    case ok = "OK", warn = "WARN", stall = "STALL", stop = "STOP", rewind = "REWIND", err = "ERR"

    /// The group's status from its partitions', as Burrow sums them up.
    public static func group(_ partitions: [LagStatus]) -> LagStatus {
        if partitions.contains(where: { $0 == .stall || $0 == .stop || $0 == .rewind || $0 == .err }) { return .err }
        return partitions.contains(.warn) ? .warn : .ok
    }
}

/// One poll of one partition: when, the group's committed offset and the log-end offset,
/// and when the group last committed, when its commits say so (Sluice's do: `CommitStamp`).
public struct LagSample: Sendable, Equatable {
    public var time: Double
    public var committed: Int64
    public var logEnd: Int64
    public var commitTime: Double?
    public init(time: Double, committed: Int64, logEnd: Int64, commitTime: Double? = nil) {
        self.time = time
        self.committed = committed
        self.logEnd = logEnd
        self.commitTime = commitTime
    }
    /// Messages not yet consumed; never negative (a commit can run ahead of a stale log end).
    public var lag: Int64 { max(0, logEnd - committed) }
}

/// kafka-lag-exporter's lookup table: recent (time, log-end offset) points of a partition.
/// The time a committed offset was produced is read off it by interpolation, so lag in
/// seconds never comes from wall-clock differences alone. A run of equal offsets keeps only
/// its first and last point: a static log end adds no points and cannot dilute the rate.
public struct LogEndTable: Sendable {
    public private(set) var points: [(time: Double, offset: Int64)] = []
    public let capacity: Int

    public init(capacity: Int = 60) { self.capacity = max(2, capacity) }

    public mutating func add(time: Double, offset: Int64) {
        if let last = points.last, offset < last.offset {
            points = []  // the log was truncated or the topic re-created: old points lie
        }
        let n = points.count
        if n >= 2, points[n - 1].offset == offset, points[n - 2].offset == offset {
            points[n - 1].time = time
        } else {
            points.append((time, offset))
        }
        if points.count > capacity { points.removeFirst(points.count - capacity) }
    }

    /// Seconds between when `committed` was the log end and `now`: 0 when the consumer is
    /// at the log end. Between two points it interpolates; before the oldest point it
    /// extrapolates with the production rate while the log end moved; with no rate known
    /// (the log end never moved while watched) it gives the age of the oldest point, a
    /// lower bound that grows only with the time actually watched.
    public func lagSeconds(committed: Int64, now: Double) -> Double {
        guard let last = points.last, committed < last.offset, let first = points.first else { return 0 }
        let produced: Double
        if let i = points.firstIndex(where: { $0.offset > committed }), i > 0 {
            let lo = points[i - 1], hi = points[i]
            produced = lo.time + Double(committed - lo.offset) / Double(hi.offset - lo.offset) * (hi.time - lo.time)
        } else if let rate = productionRate, rate > 0 {
            produced = first.time - Double(first.offset - committed) / rate
        } else {
            produced = first.time
        }
        return max(0, now - produced)
    }

    /// Offsets per second over the segments where the log end moved.
    var productionRate: Double? {
        var offsets = 0.0, seconds = 0.0
        for (a, b) in zip(points, points.dropFirst()) where b.offset > a.offset {
            offsets += Double(b.offset - a.offset)
            seconds += b.time - a.time
        }
        return seconds > 0 ? offsets / seconds : nil
    }
}

/// What the input remembers about one partition of one group: the last `window` samples
/// (Burrow's window), the log-end table and since when the committed offset stands still.
public struct PartitionLagHistory: Sendable {
    public let window: Int
    public private(set) var samples: [LagSample] = []
    public private(set) var table: LogEndTable
    /// When the current committed offset was first seen.
    public private(set) var unchangedSince: Double = 0

    public init(window: Int, tableSize: Int = 60) {
        self.window = max(2, window)
        table = LogEndTable(capacity: tableSize)
    }

    /// Adds a poll and returns the partition's lag in seconds and its status.
    public mutating func record(_ sample: LagSample) -> (lagSeconds: Double, status: LagStatus) {
        if samples.last?.committed != sample.committed { unchangedSince = sample.time }
        samples.append(sample)
        if samples.count > window { samples.removeFirst(samples.count - window) }
        table.add(time: sample.time, offset: sample.logEnd)
        let seconds = sample.lag == 0 ? 0 : table.lagSeconds(committed: sample.committed, now: sample.time)
        return (seconds, status)
    }

    /// Burrow's rules over the window. With commit times (stamped commits): STOP when the
    /// last commit is older than the window's span, STALL when commits keep coming but the
    /// offset stood still over the whole window. Without them (OffsetFetch carries no commit
    /// time, and other consumers' metadata is no stamp) a consumer re-committing the same
    /// offset looks like one that stopped committing: an offset unchanged over a full window
    /// is STALL, and unchanged for another whole window beyond it is STOP. Lag is taken from
    /// every poll, so it keeps growing while a group does not commit (Burrow's stalls at the
    /// last commit).
    public var status: LagStatus {
        guard let current = samples.last, let first = samples.first else { return .ok }
        // REWIND: the committed offset moved back within the window.
        if zip(samples, samples.dropFirst()).contains(where: { $1.committed < $0.committed }) { return .rewind }
        // Caught up, or caught up at some point in the window: OK (idle partitions too).
        if current.lag == 0 || samples.contains(where: { $0.lag == 0 }) { return .ok }
        guard samples.count == window else { return .ok }  // too little history to judge a trend
        let span = current.time - first.time
        if let committedAt = current.commitTime {
            if current.time - committedAt > span { return .stop }
            if samples.allSatisfy({ $0.committed == first.committed }) { return .stall }
        } else if samples.allSatisfy({ $0.committed == first.committed }) {
            return current.time - unchangedSince > 2 * span ? .stop : .stall
        }
        // WARN: the consumer moves but the lag grew at every poll of the window.
        if zip(samples, samples.dropFirst()).allSatisfy({ $1.lag > $0.lag }) { return .warn }
        return .ok
    }
}
