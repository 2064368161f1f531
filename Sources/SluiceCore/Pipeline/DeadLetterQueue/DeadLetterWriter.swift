import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Writes one pipeline's dead-letter queue: segment files `N.log.tmp` (the head, being
/// written) and `N.log` (sealed) under `directory`, in the format of `DeadLetterSegment`.
///
/// Durability: `write` appends without fsync; `flush` fsyncs what was appended. The pipeline
/// calls `flush` after a batch's outputs returned and before it acknowledges the batch, so an
/// entry is on disk before its input commits — one fsync per batch that dead-lettered
/// anything (shared by concurrent workers), not one per entry. A failed write or fsync makes
/// the batch fail (`AckStatus.failed`): its events are sent again rather than lost.
///
/// Every method is safe to call from several workers at once (one lock; appends are short).
/// A `.lock` file keeps a second process from writing the same directory.
public final class DeadLetterWriter: Sendable {
    /// Counters (Logstash's DLQ metrics), for logs and tests.
    public struct Stats: Sendable, Equatable {
        /// Entries appended.
        public var written = 0
        /// `drop_newer` (or an entry larger than `max_bytes`): entries refused for lack of room.
        public var droppedNewer = 0
        /// `drop_older`: entries deleted with old segments to make room.
        public var droppedOlder = 0
        /// Entries deleted with segments older than `retain.age`.
        public var expired = 0
        /// Events that had come out of a dead-letter queue (`[@metadata][dead_letter_queue]`);
        /// not written again, as in Logstash, so they cannot loop.
        public var skippedReprocessed = 0
        /// Writes or fsyncs that failed.
        public var failures = 0
        /// Bytes the segments hold.
        public var bytes = 0
        public var lastError: String? = nil
    }

    /// What opening found: segments left unsealed by a crash, and torn bytes cut from them.
    public struct Recovery: Sendable {
        public var sealedSegments = 0
        public var tornBytes = 0
    }

    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let message: String
        public var description: String { message }
    }

    struct Segment {
        var num: Int
        var size: Int
        /// Entries in it, when known (counted on demand for the drop counters).
        var records: Int?
    }

    struct Head {
        var num: Int
        var fd: Int32
        var size: Int
        var records = 0
        var lastWrite: ContinuousClock.Instant
        var unsynced = false
    }

    struct State {
        var sealed: [Segment] = []
        var head: Head?
        var nextNum = 1
        var nextSeq: UInt64 = 1
        var bytes = 0
        var stats = Stats()
        var closed = false
        /// A sealed segment's fsync failed: the next `flush` reports it.
        var syncFailed = false
        var lastDropLog: ContinuousClock.Instant?
    }

    public let directory: String
    public let settings: DeadLetterQueueSettings
    public let recovery: Recovery
    private let logger: Logger
    private let lockFd: Int32
    private let state: Mutex<State>
    private let timer = Mutex<Task<Void, Never>?>(nil)
    private static let metadataRef = FieldReference(path: [Event.metadataKey, "dead_letter_queue"])

    public init(directory: String, settings: DeadLetterQueueSettings, logger: Logger) throws(Failure) {
        self.directory = directory
        self.settings = settings
        self.logger = logger
        do { try FileIO.makeDirectories(directory) } catch { throw Failure(message: "cannot create \(directory): \(error)") }
        let lockPath = directory + "/.lock"
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Failure(message: "\(IOError("open", path: lockPath))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            Glibc.close(fd)
            throw Failure(message: "the dead-letter queue \(directory) is in use by another writer (\(lockPath) is locked)")
        }
        lockFd = fd
        var s = State()
        var rec = Recovery()
        for seg in DeadLetterSegment.list(directory) {
            if seg.sealed {
                let size = DeadLetterSegment.fileSize("\(directory)/\(DeadLetterSegment.sealedName(seg.num))") ?? 0
                s.sealed.append(Segment(num: seg.num, size: size))
                continue
            }
            // A head left by a crash: cut a torn last entry, then seal it so readers move on.
            let tmp = "\(directory)/\(DeadLetterSegment.headName(seg.num))"
            guard let scan = DeadLetterSegment.scan(tmp) else { continue }
            if scan.badBytes > 0 {
                truncate(tmp, off_t(scan.validEnd))
                rec.tornBytes += scan.badBytes
                logger.warning("dead-letter queue: cut \(scan.badBytes) bytes of a torn entry from the end of \(tmp)")
            }
            if scan.records == 0 { unlink(tmp); continue }
            guard rename(tmp, "\(directory)/\(DeadLetterSegment.sealedName(seg.num))") == 0 else {
                Glibc.close(fd)
                throw Failure(message: "\(IOError("rename", path: tmp))")
            }
            rec.sealedSegments += 1
            s.sealed.append(Segment(num: seg.num, size: scan.validEnd, records: scan.records))
        }
        s.nextNum = (s.sealed.last?.num ?? 0) + 1
        if let last = s.sealed.last, let scan = DeadLetterSegment.scan("\(directory)/\(DeadLetterSegment.sealedName(last.num))") {
            s.nextSeq = scan.lastSeq + 1
        }
        s.bytes = s.sealed.reduce(0) { $0 + $1.size }
        recovery = rec
        state = Mutex(s)
        state.withLock { expire(&$0) }
        let period = Duration.milliseconds(max(10, min(settings.flushInterval, 1000)))
        timer.withLock { t in
            t = Task { [weak self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: period)
                    self?.tick()
                }
            }
        }
    }

    deinit {
        timer.withLock { $0?.cancel() }
        let open = state.withLock { s -> Bool in
            if let h = s.head { Glibc.close(h.fd) }
            return !s.closed
        }
        if open { Glibc.close(lockFd) }
    }

    // MARK: writing

    /// Appends an entry (no fsync; see `flush`). Returns false if it could not be written;
    /// an entry refused by the storage policy counts as handled (true), as in Logstash.
    @discardableResult
    public func write(_ event: Event, pluginType: String, pluginId: String, reason: String) -> Bool {
        if event[DeadLetterWriter.metadataRef] != nil {
            state.withLock { $0.stats.skippedReprocessed += 1 }
            logger.warning("dead-letter queue: event from \(pluginId) came out of a dead-letter queue; not writing it again (\(reason))")
            return true
        }
        let payload = DeadLetterSegment.encode(event, pluginType: pluginType, pluginId: pluginId, reason: reason, time: .now())
        // Room for the record and, if a new segment is needed, its header.
        let need = PageFile.recordHeader + payload.count + DeadLetterSegment.headerSize
        var dropLog: String?
        let ok = state.withLock { s -> Bool in
            if s.closed { return false }
            if s.bytes + need > settings.maxBytes {
                remeasure(&s)  // a reader with clean_consumed may have deleted segments
                if s.bytes + need > settings.maxBytes, settings.storagePolicy == .dropOlder { dropOldest(&s, need: need) }
                if s.bytes + need > settings.maxBytes {
                    s.stats.droppedNewer += 1
                    dropLog = dropMessage(&s)
                    return true
                }
            }
            do {
                try append(&s, payload)
            } catch {
                s.stats.failures += 1
                s.stats.lastError = "\(error)"
                logger.error("dead-letter queue: cannot write an entry from \(pluginId): \(error)")
                return false
            }
            return true
        }
        if let dropLog { logger.warning("\(dropLog)") }
        return ok
    }

    /// fsyncs the entries appended so far. Returns false if they may not be on disk.
    public func flush() -> Bool {
        state.withLock { s -> Bool in
            var ok = !s.syncFailed
            s.syncFailed = false
            if let h = s.head, h.unsynced {
                if fsync(h.fd) == 0 {
                    s.head?.unsynced = false
                } else {
                    noteFailure(&s, IOError("fsync", path: headPath(h.num)))
                    ok = false
                }
            }
            return ok
        }
    }

    /// Seals the head segment and releases the directory. Later writes return false.
    public func close() {
        timer.withLock { $0?.cancel() }
        let stats = state.withLock { s -> Stats? in
            guard !s.closed else { return nil }
            seal(&s)
            s.closed = true
            flock(lockFd, LOCK_UN)
            Glibc.close(lockFd)
            return s.stats
        }
        if let stats, stats.droppedNewer + stats.droppedOlder + stats.expired > 0 {
            logger.info("dead-letter queue \(directory): \(stats.written) entries written, \(stats.droppedNewer) dropped (newer), \(stats.droppedOlder) dropped (older), \(stats.expired) expired")
        }
    }

    public var stats: Stats {
        state.withLock { s in
            var st = s.stats
            st.bytes = s.bytes
            return st
        }
    }

    // MARK: internals (called with the lock held)

    private func headPath(_ num: Int) -> String { "\(directory)/\(DeadLetterSegment.headName(num))" }
    private func sealedPath(_ num: Int) -> String { "\(directory)/\(DeadLetterSegment.sealedName(num))" }

    private func append(_ s: inout State, _ payload: [UInt8]) throws(IOError) {
        var record: [UInt8] = []
        record.reserveCapacity(PageFile.recordHeader + payload.count)
        PageFile.appendRecord(seq: s.nextSeq, payload: payload, to: &record)
        if let h = s.head, h.records > 0, h.size + record.count > settings.effectiveSegmentCapacity { seal(&s) }
        if s.head == nil { try openHead(&s) }
        guard let h = s.head else { return }
        do {
            try FileIO.writeAll(h.fd, record, path: headPath(h.num))
        } catch {
            // Cut a partial record off (or, failing that, leave it to end a sealed segment,
            // where readers skip it) and go on in a fresh segment.
            _ = ftruncate(h.fd, off_t(h.size))
            seal(&s)
            throw error
        }
        s.head?.size += record.count
        s.head?.records += 1
        s.head?.lastWrite = .now
        s.head?.unsynced = true
        s.bytes += record.count
        s.nextSeq += 1
        s.stats.written += 1
    }

    private func openHead(_ s: inout State) throws(IOError) {
        let num = s.nextNum
        let path = headPath(num)
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw IOError("open", path: path) }
        do {
            try FileIO.writeAll(fd, DeadLetterSegment.magic, path: path)
        } catch {
            Glibc.close(fd)
            unlink(path)
            throw error
        }
        // The new name must survive a crash for the entries fsynced into it to.
        let dfd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 { fsync(dfd); Glibc.close(dfd) }
        s.nextNum += 1
        s.bytes += DeadLetterSegment.headerSize
        s.head = Head(num: num, fd: fd, size: DeadLetterSegment.headerSize, lastWrite: .now)
    }

    /// Ends the head segment: fsync, close, rename to `N.log` (or delete it when empty).
    private func seal(_ s: inout State) {
        guard let h = s.head else { return }
        s.head = nil
        if h.unsynced, fsync(h.fd) != 0 {
            noteFailure(&s, IOError("fsync", path: headPath(h.num)))
            s.syncFailed = true
        }
        Glibc.close(h.fd)
        if h.records == 0 {
            unlink(headPath(h.num))
            s.bytes -= h.size
            return
        }
        if rename(headPath(h.num), sealedPath(h.num)) != 0 {
            noteFailure(&s, IOError("rename", path: headPath(h.num)))
        }
        s.sealed.append(Segment(num: h.num, size: h.size, records: h.records))
    }

    private func noteFailure(_ s: inout State, _ error: IOError) {
        s.stats.failures += 1
        s.stats.lastError = "\(error)"
        logger.error("dead-letter queue: \(error)")
    }

    /// Forgets segments deleted behind our back and recounts the bytes.
    private func remeasure(_ s: inout State) {
        s.sealed.removeAll { DeadLetterSegment.fileSize(sealedPath($0.num)) == nil }
        s.bytes = s.sealed.reduce(0) { $0 + $1.size } + (s.head?.size ?? 0)
    }

    /// Deletes segments, oldest first, until `need` more bytes fit (the head too, if it must).
    private func dropOldest(_ s: inout State, need: Int) {
        while s.bytes + need > settings.maxBytes {
            if s.sealed.isEmpty {
                guard let h = s.head, h.records > 0 else { return }
                seal(&s)
                continue
            }
            let seg = s.sealed.removeFirst()
            s.stats.droppedOlder += deleteSegment(seg)
            s.bytes -= seg.size
        }
        if let msg = dropMessage(&s) { logger.warning("\(msg)") }
    }

    /// Deletes a sealed segment; returns how many entries it held.
    private func deleteSegment(_ seg: Segment) -> Int {
        let path = sealedPath(seg.num)
        let records = seg.records ?? DeadLetterSegment.scan(path)?.records ?? 0
        unlink(path)
        return records
    }

    /// A warning about drops, at most every 10 seconds.
    private func dropMessage(_ s: inout State) -> String? {
        let now = ContinuousClock.now
        if let last = s.lastDropLog, now - last < .seconds(10) { return nil }
        s.lastDropLog = now
        return "dead-letter queue \(directory) is full (max_bytes \(settings.maxBytes), storage_policy \(settings.storagePolicy.rawValue)): \(s.stats.droppedNewer) new entries dropped, \(s.stats.droppedOlder) old entries deleted so far"
    }

    /// retain.age: deletes sealed segments last written before the cutoff, oldest first.
    private func expire(_ s: inout State) {
        guard let age = settings.retainAge else { return }
        let cutoff = Double(Timestamp.now().nanoseconds) / 1e9 - age
        var expired = 0
        while let seg = s.sealed.first {
            var st = stat()
            if stat(sealedPath(seg.num), &st) == 0 {
                let mtime = Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9
                guard mtime < cutoff else { break }
                expired += deleteSegment(seg)
            }
            s.sealed.removeFirst()
            s.bytes -= seg.size
        }
        if expired > 0 {
            s.stats.expired += expired
            logger.info("dead-letter queue: deleted \(expired) entries older than retain.age")
        }
    }

    /// The timer: seals a head idle for `flush_interval`, applies `retain.age`.
    func tick() {
        state.withLock { s in
            guard !s.closed else { return }
            if let h = s.head, ContinuousClock.now - h.lastWrite >= .milliseconds(settings.flushInterval) { seal(&s) }
            expire(&s)
        }
    }
}
