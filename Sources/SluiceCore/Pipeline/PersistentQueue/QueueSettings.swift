/// Logstash's `queue.*` settings.
public struct QueueSettings: Sendable {
    /// `queue.type`: memory | persisted
    public var type = "memory"
    /// `path.queue`; default `<path.data>/queue/<pipeline id>`.
    public var path: String? = nil
    /// `queue.page_capacity` (bytes)
    public var pageCapacity: Int = 64 << 20
    /// `queue.max_bytes`: inputs wait while the live pages hold this much.
    public var maxBytes: Int = 1024 << 20
    /// `queue.max_events`: inputs wait while this many events are unacknowledged; 0 = no limit.
    public var maxEvents: Int = 0
    /// `queue.checkpoint.writes`: fsync and checkpoint after this many written events.
    public var checkpointWrites: Int = 1024
    /// `queue.checkpoint.acks`: checkpoint after this many acknowledged events.
    public var checkpointAcks: Int = 1024
    /// `queue.checkpoint.interval` (ms): also fsync and checkpoint at least this often.
    public var checkpointInterval: Int = 1000
    /// `queue.drain`: deliver everything queued before exiting.
    public var drain = false
    /// Pushed events are also kept in memory while their records take up to this many
    /// bytes, so that workers need not read them back from the page; a backlog beyond it is
    /// read from disk (not a Logstash setting; 0 reads every event from disk).
    public var readCacheBytes: Int = 16 << 20

    public init() {}
}

/// The checkpoint of a persistent queue: its live pages and how far each was acknowledged.
/// Written to a temp file, fsynced and renamed, so a crash leaves the old or the new one.
struct Checkpoint: Equatable {
    struct PageState: Equatable {
        var num: Int
        /// Every record of the page with a lower seq was acknowledged.
        var firstUnacked: UInt64
    }
    var nextSeq: UInt64 = 1
    var pages: [PageState] = []

    static let fileName = "checkpoint"

    func serialized() -> [UInt8] {
        var text = "version 1\nnext_seq \(nextSeq)\n"
        for p in pages { text += "page \(p.num) \(p.firstUnacked)\n" }
        return Array(text.utf8)
    }

    static func read(_ path: String) -> Checkpoint? {
        guard let bytes = FileIO.readFile(path) else { return nil }
        var c = Checkpoint()
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            let f = line.split(separator: " ")
            if f.count == 2, f[0] == "next_seq", let n = UInt64(f[1]) { c.nextSeq = n }
            if f.count == 3, f[0] == "page", let num = Int(f[1]), let u = UInt64(f[2]) {
                c.pages.append(PageState(num: num, firstUnacked: u))
            }
        }
        return c
    }
}
