import SluiceCore

/// How the output names its files and when it rolls to a new one.
///
/// Two styles: without `file_prefix` the rendered `path` is the file (Logstash's webhdfs);
/// with it, the rendered `path` is a directory holding `<prefix><epoch ms><suffix>` files,
/// written under `<name><in_use_suffix>` and renamed when rolled or closed (Flume's HDFS sink).
/// With `single_file_per_thread` each concurrent writer (slot) has its own files, so writers
/// never contend for a lease: `.<slot>` after a Logstash-style name, `-<slot>` after the
/// Flume-style stamp. A rolled Logstash-style file continues as `<name>.1`, `.2`, ...
struct WebHDFSNaming: Sendable {
    var filePrefix: String?
    var fileSuffix: String
    var inUseSuffix: String
    var perSlot: Bool
    var rollInterval: Double
    var rollSize: Int64
    var rollCount: Int
    var idleTimeout: Double

    /// The name a file ends with (after close) and the name it is written under.
    func names(key: String, slot: Int, serial: Int, stamp: Int64) -> (final: String, writing: String) {
        if let prefix = filePrefix {
            let dir = key.hasSuffix("/") ? String(key.dropLast()) : key
            let name = "\(dir)/\(prefix)\(stamp)\(perSlot ? "-\(slot)" : "")\(fileSuffix)"
            return (name, name + inUseSuffix)
        }
        let name = key + (perSlot ? ".\(slot)" : "") + (serial > 0 ? ".\(serial)" : "") + fileSuffix
        return (name, name)
    }

    /// Whether a file must be rolled before `adding` more bytes of `events` more events.
    func mustRoll(_ f: WebHDFSFile, adding: Int, events: Int, now: ContinuousClock.Instant) -> Bool {
        guard f.written > 0 else { return false }
        if rollInterval > 0 && now - f.opened >= .milliseconds(Int64(rollInterval * 1000)) { return true }
        if idleTimeout > 0 && now - f.lastWrite >= .milliseconds(Int64(idleTimeout * 1000)) { return true }
        if rollSize > 0 && f.written + Int64(adding) > rollSize { return true }
        if rollCount > 0 && f.events + events > rollCount { return true }
        return false
    }
}

/// One file the output writes to.
struct WebHDFSFile: Sendable {
    enum Known: Sendable, Equatable {
        /// Not looked up yet (GETFILESTATUS before the first write).
        case unknown
        case missing
        case length(Int64)
    }
    var final: String
    var writing: String
    var serial: Int
    var stamp: Int64
    var known: Known = .unknown
    /// Bytes and events written by this process.
    var written: Int64 = 0
    var events = 0
    var opened = ContinuousClock.now
    var lastWrite = ContinuousClock.now
}

/// Hands out writer slots: with `single_file_per_thread`, one per concurrent `write` (each
/// owning its own files); without, a single slot that writes wait for, so that two writers
/// never append to one file at once. A slot's open files travel with it.
actor WebHDFSSlots {
    private let limit: Int?
    private var free: [Int] = []
    private var created = 0
    private var waiters: [CheckedContinuation<Int, Never>] = []
    private var files: [Int: [String: WebHDFSFile]] = [:]

    init(limit: Int?) { self.limit = limit }

    func acquire() async -> (slot: Int, files: [String: WebHDFSFile]) {
        let slot: Int
        if let s = free.popLast() {
            slot = s
        } else if limit.map({ created < $0 }) ?? true {
            slot = created
            created += 1
        } else {
            slot = await withCheckedContinuation { waiters.append($0) }
        }
        return (slot, files[slot] ?? [:])
    }

    func release(_ slot: Int, files slotFiles: [String: WebHDFSFile]) {
        files[slot] = slotFiles
        if !waiters.isEmpty {
            waiters.removeFirst().resume(returning: slot)
        } else {
            free.append(slot)
            free.sort(by: >)
        }
    }

    /// Files of idle slots that `naming` says are done by time (`roll_interval`,
    /// `idle_timeout`), taken out so that the next write starts a new file.
    func takeExpired(_ naming: WebHDFSNaming, now: ContinuousClock.Instant) -> [WebHDFSFile] {
        var out: [WebHDFSFile] = []
        for slot in free {
            guard var map = files[slot] else { continue }
            for (key, f) in map where naming.mustRoll(f, adding: 0, events: 0, now: now) {
                out.append(f)
                map[key] = nil
            }
            files[slot] = map
        }
        return out
    }

    /// Every slot's files, emptied (at close, when no write runs).
    func takeAll() -> [WebHDFSFile] {
        defer { files = [:] }
        return files.values.flatMap(\.values)
    }
}
