import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Identity of a file on disk: inode and device, as Logstash's sincedb keys files (a
/// renamed file keeps its identity; a new file under an old name gets a new one).
public struct FileIdentity: Hashable, Sendable, CustomStringConvertible {
    public let inode: UInt64
    public let major: UInt64
    public let minor: UInt64

    public init(inode: UInt64, major: UInt64, minor: UInt64) {
        self.inode = inode
        self.major = major
        self.minor = minor
    }

    public init(_ st: stat) {
        let dev = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
        major = ((dev >> 8) & 0xfff) | ((dev >> 32) & ~UInt64(0xfff))
        minor = (dev & 0xff) | ((dev >> 12) & ~UInt64(0xff))
    }

    /// The identity of the file at `path`, or nil if it cannot be stat'ed.
    public init?(path: String) {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        self.init(st)
    }

    public var description: String { "\(inode) \(major) \(minor)" }
}

/// Where each file was read up to (and acknowledged), kept in Logstash's sincedb format:
/// `inode major minor position last_active_epoch path`, one file per line.
///
/// Safe to update from any thread (acknowledgements arrive on the workers). Updates only
/// change memory; the file is written in the background, coalesced: at most one write is
/// under way, and it writes the latest state, so a burst of updates costs one or two
/// writes. Each write is atomic (a temp file, then rename) and not fsync'ed: after a crash
/// of the machine, at worst an older position is read back, and lines are read again.
public final class PositionStore: Sendable {
    public struct Entry: Sendable, Equatable {
        public var position: UInt64
        /// Seconds since the epoch of the last update (`sincedb_clean_after` measures from it).
        public var lastActive: Double
        public var path: String

        public init(position: UInt64, lastActive: Double, path: String) {
            self.position = position
            self.lastActive = lastActive
            self.path = path
        }
    }

    /// The sincedb file.
    public let path: String
    /// Seconds between writes at least: 0 writes as soon as a position moves.
    public let minimumInterval: Double
    private let onError: @Sendable (IOError) -> Void
    private let state: Mutex<State>
    /// Runs the writes, one at a time.
    private let queue = DispatchQueue(label: "sluice.position-store")

    private struct State {
        var entries: [FileIdentity: Entry]
        /// Changed since the last write began.
        var dirty = false
        /// A write is scheduled or under way; it picks up later changes before it ends.
        var writing = false
        /// When the next write may start (`minimumInterval` after the last one).
        var notBefore = 0.0
        var directoryMade = false
    }

    /// Loads `path` if it exists (unreadable lines are skipped).
    /// - Parameters:
    ///   - minimumInterval: seconds between two writes at least; 0 writes as soon as
    ///     a position moves (the latest state, once the write under way is done).
    ///   - onError: told when a write fails (the next change tries again).
    public init(path: String, minimumInterval: Double = 0, onError: @escaping @Sendable (IOError) -> Void = { _ in }) {
        self.path = path
        self.minimumInterval = max(0, minimumInterval)
        self.onError = onError
        var entries: [FileIdentity: Entry] = [:]
        if let bytes = FileIO.readFile(path) {
            for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
                let parts = line.split(separator: " ", maxSplits: 5)
                guard parts.count >= 4, let ino = UInt64(parts[0]), let maj = UInt64(parts[1]),
                      let min = UInt64(parts[2]), let pos = UInt64(parts[3]) else { continue }
                let active = parts.count > 4 ? Double(parts[4]) ?? 0 : 0
                let p = parts.count > 5 ? String(parts[5]) : ""
                entries[FileIdentity(inode: ino, major: maj, minor: min)] = Entry(position: pos, lastActive: active, path: p)
            }
        }
        state = Mutex(State(entries: entries))
    }

    public var entries: [FileIdentity: Entry] { state.withLock { $0.entries } }

    public func entry(for id: FileIdentity) -> Entry? { state.withLock { $0.entries[id] } }

    /// Records `position` for a file; a changed position or path is written soon.
    public func update(_ id: FileIdentity, position: UInt64, path p: String) {
        let now = Self.now()
        state.withLock { s in
            if s.entries[id]?.position != position || s.entries[id]?.path != p { s.dirty = true }
            s.entries[id] = Entry(position: position, lastActive: now, path: p)
            scheduleLocked(&s)
        }
    }

    /// Forgets a file (it was completed and will not be read again); written soon.
    public func remove(_ id: FileIdentity) {
        state.withLock { s in
            guard s.entries.removeValue(forKey: id) != nil else { return }
            s.dirty = true
            scheduleLocked(&s)
        }
    }

    /// Marks files as still active without writing (their times go out with the next write).
    public func touch(_ ids: some Sequence<FileIdentity>) {
        let now = Self.now()
        state.withLock { s in
            for id in ids { s.entries[id]?.lastActive = now }
        }
    }

    /// Drops entries of files not active for `age` seconds (`sincedb_clean_after`).
    public func forget(inactiveFor age: Double, now: Double = PositionStore.now()) {
        state.withLock { s in
            let before = s.entries.count
            s.entries = s.entries.filter { now - $0.value.lastActive <= age }
            if s.entries.count != before {
                s.dirty = true
                scheduleLocked(&s)
            }
        }
    }

    /// Writes what changed now (after a write under way) and returns once it is on disk.
    public func flush() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            queue.async { [self] in
                _ = writeOnce(endingDrain: false)
                c.resume()
            }
        }
    }

    /// Where an input keeps its positions unless told otherwise:
    /// `PATH_DATA/plugins/inputs/PLUGIN/.sincedb_HASH`, one file per `key` (what the input
    /// reads: its path patterns, its directory), as Logstash names its sincedb files.
    public static func defaultPath(pathData: String, plugin: String, key: String) -> String {
        var h: UInt64 = 0xcbf29ce484222325  // FNV-1a
        for b in key.utf8 { h = (h ^ UInt64(b)) &* 0x100000001b3 }
        return "\(pathData)/plugins/inputs/\(plugin)/.sincedb_\(String(h, radix: 16))"
    }

    /// Seconds since the epoch.
    public static func now() -> Double { Double(Timestamp.now().nanoseconds) / 1e9 }

    // MARK: writing

    private func scheduleLocked(_ s: inout State) {
        guard s.dirty, !s.writing else { return }
        s.writing = true
        let wait = s.notBefore - Self.now()
        if wait > 0 {
            queue.asyncAfter(deadline: .now() + wait) { [self] in drain() }
        } else {
            queue.async { [self] in drain() }
        }
    }

    /// Writes until nothing changed meanwhile; with an interval (or after a failure), the
    /// next write is scheduled for when it is due instead.
    private func drain() {
        while true {
            switch writeOnce(endingDrain: true) {
            case .clean:
                return
            case .wrote where minimumInterval == 0:
                continue
            case .wrote, .failed:
                state.withLock { s in
                    s.writing = false
                    scheduleLocked(&s)
                }
                return
            }
        }
    }

    private enum WriteResult { case clean, wrote, failed }

    /// Writes the current entries if they changed since the last write. With `endingDrain`,
    /// finding nothing to write ends the write under way (in the same lock as the check, so
    /// a change made meanwhile schedules a new one).
    private func writeOnce(endingDrain: Bool) -> WriteResult {
        let snapshot: (entries: [FileIdentity: Entry], makeDirectory: Bool)? = state.withLock { s in
            guard s.dirty else {
                if endingDrain { s.writing = false }
                return nil
            }
            s.dirty = false
            return (s.entries, !s.directoryMade)
        }
        guard let snapshot else { return .clean }
        var text = ""
        for (id, e) in snapshot.entries.sorted(by: { $0.value.path < $1.value.path }) {
            text += "\(id) \(e.position) \(e.lastActive) \(e.path)\n"
        }
        do {
            if snapshot.makeDirectory { try FileIO.makeDirectories(FileIO.directoryName(path)) }
            try FileIO.writeAtomically(path, Array(text.utf8), sync: false)
        } catch {
            state.withLock { s in
                // Tried again in a second at the earliest, so a lasting failure is not a busy loop.
                s.dirty = true
                s.directoryMade = false
                s.notBefore = Self.now() + max(1, minimumInterval)
            }
            onError(error)
            return .failed
        }
        state.withLock { s in
            s.directoryMade = true
            s.notBefore = Self.now() + minimumInterval
        }
        return .wrote
    }
}
