/// Logstash's `dead_letter_queue.*` settings.
public struct DeadLetterQueueSettings: Sendable, Equatable {
    /// What happens to a new entry when the queue holds `max_bytes`.
    public enum StoragePolicy: String, Sendable, CaseIterable {
        /// Refuse the new entry (counted and logged).
        case dropNewer = "drop_newer"
        /// Delete the oldest segments to make room (their entries are counted and logged).
        case dropOlder = "drop_older"
    }

    /// `dead_letter_queue.enable`
    public var enabled = false
    /// `path.dead_letter_queue`; default `<path.data>/dead_letter_queue`. Entries go under `<path>/<pipeline id>/`.
    public var path: String? = nil
    /// `dead_letter_queue.max_bytes`: the most the segments of one pipeline may hold.
    public var maxBytes: Int = 1024 << 20
    /// `dead_letter_queue.storage_policy`
    public var storagePolicy: StoragePolicy = .dropNewer
    /// `dead_letter_queue.retain.age` in seconds: older segments are deleted; nil keeps them.
    public var retainAge: Double? = nil
    /// `dead_letter_queue.flush_interval` (ms): a segment idle this long is sealed (`N.log.tmp` -> `N.log`).
    public var flushInterval: Int = 5000
    /// Size at which the writer starts a new segment (Logstash uses 10 MB). Not a sluice.yml key;
    /// lowered below `max_bytes` so `drop_older` has whole segments to drop.
    public var segmentCapacity: Int = 10 << 20

    public init() {}

    /// The directory of one pipeline's segments.
    public func directory(pathData: String, pipelineId: String) -> String {
        "\(path ?? "\(pathData)/dead_letter_queue")/\(pipelineId)"
    }

    /// The segment size actually used: at most a quarter of `max_bytes`, so a full queue
    /// always has older segments that `drop_older` can remove.
    var effectiveSegmentCapacity: Int { max(64, min(segmentCapacity, maxBytes / 4)) }
}
