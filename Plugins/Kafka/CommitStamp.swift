#if canImport(Glibc)
import Glibc
#endif

/// The commit metadata the kafka input writes with every offset it commits: when it committed.
///
/// OffsetFetch answers with the committed offset and its metadata string, never the commit's
/// time, so a lag monitor cannot tell a consumer that keeps committing the same offset (alive,
/// stuck: Burrow's STALL) from one that stopped committing (STOP). The input commits every
/// acknowledged position at each `auto_commit_interval_ms`, moved or not (as Kafka's Java
/// consumer does), stamped with the time; the kafka_lag input reads the stamp back. Other
/// consumers' metadata is not a stamp, and kafka_lag then judges from the offsets alone.
enum CommitStamp {
    static let prefix = "sluice-commit-ms="

    /// The metadata for a commit made now.
    static func now() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return prefix + String(Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000)
    }

    /// Seconds since the epoch of a stamped commit; nil for any other metadata.
    static func time(_ metadata: String) -> Double? {
        guard metadata.hasPrefix(prefix), let ms = Int64(metadata.dropFirst(prefix.count)), ms > 0 else { return nil }
        return Double(ms) / 1000
    }
}
