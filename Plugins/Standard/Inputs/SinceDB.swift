import SluiceCore
#if canImport(Glibc)
import Glibc
#endif

/// Identity of a file on disk: inode and device, as Logstash's sincedb keys files.
struct FileIdentity: Hashable, Sendable, CustomStringConvertible {
    let inode: UInt64
    let major: UInt64
    let minor: UInt64

    init(inode: UInt64, major: UInt64, minor: UInt64) {
        self.inode = inode
        self.major = major
        self.minor = minor
    }

    init(_ st: stat) {
        let dev = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
        major = ((dev >> 8) & 0xfff) | ((dev >> 32) & ~UInt64(0xfff))
        minor = (dev & 0xff) | ((dev >> 12) & ~UInt64(0xff))
    }

    var description: String { "\(inode) \(major) \(minor)" }
}

/// Where each file was read up to (and acknowledged), in Logstash's sincedb format:
/// `inode major minor position last_active_epoch path`, one file per line.
struct SinceDB {
    struct Entry {
        var position: UInt64
        var lastActive: Double
        var path: String
    }

    let path: String
    var entries: [FileIdentity: Entry] = [:]
    var dirty = false

    init(path: String) {
        self.path = path
        guard let bytes = FileIO.readFile(path) else { return }
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 5)
            guard parts.count >= 4, let ino = UInt64(parts[0]), let maj = UInt64(parts[1]),
                  let min = UInt64(parts[2]), let pos = UInt64(parts[3]) else { continue }
            let active = parts.count > 4 ? Double(parts[4]) ?? 0 : 0
            let p = parts.count > 5 ? String(parts[5]) : ""
            entries[FileIdentity(inode: ino, major: maj, minor: min)] = Entry(position: pos, lastActive: active, path: p)
        }
    }

    mutating func update(_ id: FileIdentity, position: UInt64, path p: String) {
        let now = Double(Timestamp.now().nanoseconds) / 1e9
        if entries[id]?.position != position || entries[id]?.path != p { dirty = true }
        entries[id] = Entry(position: position, lastActive: now, path: p)
    }

    /// Drops entries of files not active for `age` seconds (`sincedb_clean_after`).
    mutating func forget(inactiveFor age: Double, now: Double) {
        let before = entries.count
        entries = entries.filter { now - $0.value.lastActive <= age }
        if entries.count != before { dirty = true }
    }

    mutating func save() throws {
        guard dirty else { return }
        var text = ""
        for (id, e) in entries.sorted(by: { $0.value.path < $1.value.path }) {
            text += "\(id) \(e.position) \(e.lastActive) \(e.path)\n"
        }
        try FileIO.makeDirectories(FileIO.directoryName(path))
        try FileIO.writeAtomically(path, Array(text.utf8))
        dirty = false
    }
}

/// Tracks acknowledgements of the chunks read from one file. Chunks may be acknowledged
/// out of order (several workers); the committed position only moves over a contiguous
/// run of acknowledged chunks, so a restart never skips an unacknowledged line.
struct AckTracker {
    private var pending: [(seq: UInt64, end: UInt64, done: Bool)] = []
    private var nextSeq: UInt64 = 0
    private(set) var committed: UInt64
    private(set) var failed = false

    init(start: UInt64) { committed = start }

    var outstanding: Int { pending.count }

    mutating func register(end: UInt64) -> UInt64 {
        defer { nextSeq += 1 }
        pending.append((nextSeq, end, false))
        return nextSeq
    }

    /// Starts over at `position` (the file was truncated). Sequence numbers keep counting,
    /// so a late acknowledgement of a piece from before cannot complete a new piece.
    mutating func restart(at position: UInt64) {
        pending = []
        committed = position
        failed = false
    }

    mutating func acknowledge(_ seq: UInt64, _ status: AckStatus) {
        guard status == .delivered else { failed = true; return }
        guard let i = pending.firstIndex(where: { $0.seq == seq }) else { return }
        pending[i].done = true
        var n = 0
        while n < pending.count, pending[n].done { committed = pending[n].end; n += 1 }
        pending.removeFirst(n)
    }
}
