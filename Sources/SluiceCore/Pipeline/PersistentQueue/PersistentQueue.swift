import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The persistent queue (`queue.type: persisted`): events are appended to page files and
/// survive a crash of the process (and, once checkpointed, of the machine).
///
/// An input's batch is acknowledged to it once its records are fsynced, so an input may
/// commit its source position then. A worker's batch acknowledgement marks its records
/// done; a page is deleted once all its records are. On start, a torn last record is cut
/// off and everything not acknowledged at the last checkpoint is delivered again.
public final class PersistentQueue: EventQueue {
    struct Page {
        var num: Int
        var fd: Int32
        var size: Int
        var minSeq: UInt64
        var count = 0
        var acked: [Bool] = []
        var ackedCount = 0
        var firstUnacked: UInt64
        var maxSeq: UInt64 { minSeq + UInt64(count) - 1 }
    }

    struct RecordLocation {
        var fd: Int32
        var offset: Int
        var length: Int
    }

    struct State {
        var pages: [Page] = []
        var nextSeq: UInt64 = 1
        /// Where the records not yet handed to a worker are, oldest first.
        var unreadIndex: [RecordLocation] = []
        var unreadHead = 0
        var unread: Int { unreadIndex.count - unreadHead }
        var unacked = 0
        var bytes = 0
        var writesSinceSync = 0
        var syncInFlight = false
        var acksSinceCheckpoint = 0
        var durableWaiting: [Acknowledgement] = []
        var closed = false
        var draining = true
        var pushers: [CheckedContinuation<Void, Never>] = []
        var poppers: [CheckedContinuation<Void, Never>] = []
    }

    public let directory: String
    public let settings: QueueSettings
    private let logger: Logger
    private let state: Mutex<State>
    private let timer = Mutex<Task<Void, Never>?>(nil)

    /// What recovery found: events delivered again, bytes cut from a torn tail.
    public struct Recovery: Sendable {
        public var pages = 0
        public var unacked = 0
        public var tornBytes = 0
    }
    public let recovery: Recovery

    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let message: String
        public var description: String { message }
    }

    public init(directory: String, settings: QueueSettings, logger: Logger) throws {
        self.directory = directory
        self.settings = settings
        self.logger = logger
        do { try FileIO.makeDirectories(directory) } catch { throw Failure(message: "cannot create queue directory: \(error)") }
        let checkpoint = Checkpoint.read(directory + "/" + Checkpoint.fileName) ?? Checkpoint()
        var s = State()
        var rec = Recovery()
        let nums = PersistentQueue.pageNumbers(in: directory)
        for (i, num) in nums.enumerated() {
            let path = "\(directory)/\(PageFile.name(num))"
            guard let scan = PageFile.scan(path) else { continue }
            if scan.badBytes > 0 {
                guard i == nums.count - 1 else {
                    throw Failure(message: "queue page \(path) is corrupt at byte \(scan.validEnd) (not its end); run `sluice queue repair --path.queue \(directory)`")
                }
                // A torn write at the end of the head page: cut it off. Its event was never
                // acknowledged to an input, so the input will send it again.
                truncate(path, off_t(scan.validEnd))
                rec.tornBytes = scan.badBytes
                logger.warning("persistent queue: cut \(scan.badBytes) bytes of a torn record from the end of \(path)")
            }
            let fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC)
            guard fd >= 0 else { throw Failure(message: "\(IOError("open", path: path))") }
            guard let first = scan.records.first else {
                // An empty page: keep it only as the head.
                if i == nums.count - 1 {
                    s.pages.append(Page(num: num, fd: fd, size: scan.validEnd, minSeq: s.nextSeq, firstUnacked: s.nextSeq))
                } else {
                    Glibc.close(fd); unlink(path)
                }
                continue
            }
            let acked = checkpoint.pages.first { $0.num == num }?.firstUnacked ?? first.seq
            var page = Page(num: num, fd: fd, size: scan.validEnd, minSeq: first.seq, firstUnacked: max(acked, first.seq))
            page.count = scan.records.count
            page.acked = scan.records.map { $0.seq < acked }
            page.ackedCount = page.acked.filter { $0 }.count
            for r in scan.records where r.seq >= acked {
                s.unreadIndex.append(RecordLocation(fd: fd, offset: r.offset, length: r.payload.count + PageFile.recordHeader))
            }
            let open = page.count - page.ackedCount
            if open == 0 {
                Glibc.close(fd); unlink(path)
                continue
            }
            s.unacked += open
            s.bytes += page.size
            s.nextSeq = max(s.nextSeq, page.maxSeq + 1)
            s.pages.append(page)
        }
        s.nextSeq = max(s.nextSeq, checkpoint.nextSeq)
        if let head = s.pages.last, head.count == 0 { s.pages[s.pages.count - 1].minSeq = s.nextSeq; s.pages[s.pages.count - 1].firstUnacked = s.nextSeq }
        rec.pages = s.pages.count
        rec.unacked = s.unacked
        recovery = rec
        state = Mutex(s)
        if rec.unacked > 0 {
            logger.info("persistent queue: \(rec.unacked) events from an earlier run will be delivered (at least once)")
        }
        let interval = max(1, settings.checkpointInterval)
        timer.withLock { t in
            t = Task { [weak self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(interval))
                    self?.checkpoint(force: false)
                }
            }
        }
    }

    deinit {
        timer.withLock { $0?.cancel() }
        state.withLock { s in for p in s.pages { Glibc.close(p.fd) } }
    }

    static func pageNumbers(in dir: String) -> [Int] {
        guard let d = opendir(dir) else { return [] }
        defer { closedir(d) }
        var nums: [Int] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name.hasPrefix("page."), let n = Int(name.dropFirst(5)) { nums.append(n) }
        }
        return nums.sorted()
    }

    // MARK: writing

    public func push(_ events: [Event], ack: Acknowledgement?) async throws {
        // Serialize and checksum outside the lock; only seqs are filled in under it.
        var buffer: [UInt8] = []
        buffer.reserveCapacity(events.count * 256)
        var records: [(offset: Int, crc: UInt32)] = []
        records.reserveCapacity(events.count)
        var payload: [UInt8] = []
        for e in events {
            payload.removeAll(keepingCapacity: true)
            EventSerializer.encode(e, into: &payload)
            let at = buffer.count
            records.append((at, PageFile.appendUnsealed(payload: payload, to: &buffer)))
        }
        while true {
            enum Step { case go, wait, closed }
            let step: Step = state.withLock { s in
                if s.closed { return .closed }
                let full = (s.bytes >= settings.maxBytes) || (settings.maxEvents > 0 && s.unacked >= settings.maxEvents)
                return full && s.unacked > 0 ? .wait : .go
            }
            switch step {
            case .closed: throw QueueClosedError()
            case .go: break
            case .wait:
                await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                    let now = state.withLock { s -> Bool in
                        let full = (s.bytes >= settings.maxBytes) || (settings.maxEvents > 0 && s.unacked >= settings.maxEvents)
                        if s.closed || !full || s.unacked == 0 { return true }
                        s.pushers.append(c)
                        return false
                    }
                    if now { c.resume() }
                }
                continue
            }
            break
        }
        var wake: [CheckedContinuation<Void, Never>] = []
        try state.withLock { s throws(IOError) in
            let first = s.nextSeq
            for (i, r) in records.enumerated() {
                PageFile.seal(&buffer, at: r.offset, seq: first + UInt64(i), payloadCRC: r.crc)
            }
            try ensureHead(&s, room: buffer.count)
            let h = s.pages.count - 1
            try FileIO.writeAll(s.pages[h].fd, buffer, path: "\(directory)/\(PageFile.name(s.pages[h].num))")
            if s.pages[h].count == 0 { s.pages[h].minSeq = first; s.pages[h].firstUnacked = first }
            let base = s.pages[h].size
            for (i, r) in records.enumerated() {
                let end = i + 1 < records.count ? records[i + 1].offset : buffer.count
                s.unreadIndex.append(RecordLocation(fd: s.pages[h].fd, offset: base + r.offset, length: end - r.offset))
            }
            s.pages[h].count += records.count
            s.pages[h].acked.append(contentsOf: repeatElement(false, count: records.count))
            s.pages[h].size += buffer.count
            s.nextSeq = first + UInt64(records.count)
            s.unacked += records.count
            s.bytes += buffer.count
            s.writesSinceSync += records.count
            if let ack { s.durableWaiting.append(ack) }
            if s.writesSinceSync >= settings.checkpointWrites { startSyncLocked(&s) }
            wake = s.poppers
            s.poppers = []
        }
        for c in wake { c.resume() }
    }

    /// Makes sure the head page can take `room` more bytes, rolling to a new page if not.
    private func ensureHead(_ s: inout State, room: Int) throws(IOError) {
        if let head = s.pages.last, head.size + room <= settings.pageCapacity || head.count == 0 { return }
        // The full page is synced now (rare: once per page); the new page's directory entry too.
        if let head = s.pages.last { fdatasync(head.fd) }
        let num = (s.pages.last?.num ?? (PersistentQueue.pageNumbers(in: directory).last ?? 0)) + 1
        let path = "\(directory)/\(PageFile.name(num))"
        let fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw IOError("open", path: path) }
        try FileIO.writeAll(fd, PageFile.magic, path: path)
        s.pages.append(Page(num: num, fd: fd, size: PageFile.headerSize, minSeq: s.nextSeq, firstUnacked: s.nextSeq))
        s.bytes += PageFile.headerSize
        let dfd = open(directory, O_RDONLY | O_DIRECTORY)
        if dfd >= 0 { fsync(dfd); Glibc.close(dfd) }
    }

    // MARK: reading and acknowledging

    public func pop(maxEvents: Int, maxDelay: Duration) async -> Batch? {
        while true {
            enum Step { case claimed(ArraySlice<RecordLocation>), done, wait }
            // Claim records under the lock; read them outside it. Their pages stay open:
            // a page is closed only once all its records are acknowledged.
            let step: Step = state.withLock { s in
                if s.closed && !s.draining { return .done }
                if s.unread == 0 { return s.closed ? .done : .wait }
                let n = min(maxEvents, s.unread)
                let claimed = s.unreadIndex[s.unreadHead..<(s.unreadHead + n)]
                s.unreadHead += n
                if s.unreadHead > 4096 && s.unreadHead * 2 > s.unreadIndex.count {
                    s.unreadIndex.removeFirst(s.unreadHead)
                    s.unreadHead = 0
                    return .claimed(ArraySlice(Array(claimed)))
                }
                return .claimed(claimed)
            }
            switch step {
            case .done: return nil
            case .wait:
                await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                    let now = state.withLock { s -> Bool in
                        if s.closed || s.unread > 0 { return true }
                        s.poppers.append(c)
                        return false
                    }
                    if now { c.resume() }
                }
            case .claimed(let locations):
                return batch(reading: locations)
            }
        }
    }

    /// Reads claimed records (one pread per run of adjacent records) and decodes them.
    private func batch(reading locations: ArraySlice<RecordLocation>) -> Batch {
        var events: [Event] = []
        events.reserveCapacity(locations.count)
        var seqs: [UInt64] = []
        seqs.reserveCapacity(locations.count)
        var buffer: [UInt8] = []
        var i = locations.startIndex
        while i < locations.endIndex {
            var j = i + 1
            while j < locations.endIndex, locations[j].fd == locations[i].fd,
                  locations[j].offset == locations[j - 1].offset + locations[j - 1].length { j += 1 }
            let start = locations[i].offset
            let length = locations[j - 1].offset + locations[j - 1].length - start
            if buffer.count < length { buffer = [UInt8](repeating: 0, count: length) }
            let n = buffer.withUnsafeMutableBytes { pread(locations[i].fd, $0.baseAddress, length, off_t(start)) }
            buffer.withUnsafeBytes { b in
                var pos = 0
                while pos + PageFile.recordHeader <= min(n, length) {
                    let len = Int(PageFile.u32(b, pos))
                    guard pos + PageFile.recordHeader + len <= n else { break }
                    let seq = PageFile.u64(b, pos + 8)
                    seqs.append(seq)
                    do {
                        events.append(try EventSerializer.decode(UnsafeRawBufferPointer(rebasing: b[(pos + PageFile.recordHeader)..<(pos + PageFile.recordHeader + len)])))
                    } catch {
                        logger.error("persistent queue: record \(seq) cannot be decoded (\(error)); skipping it")
                    }
                    pos += PageFile.recordHeader + len
                }
            }
            i = j
        }
        let done = seqs
        let ack = Acknowledgement(pieces: 1) { [weak self] status in
            if status == .delivered { self?.acknowledge(done) }
        }
        return Batch(events: events, acks: [ack])
    }

    func acknowledge(_ seqs: [UInt64]) {
        var wake: [CheckedContinuation<Void, Never>] = []
        state.withLock { s in
            var p = 0
            for seq in seqs {
                while p < s.pages.count, s.pages[p].count > 0, seq > s.pages[p].maxSeq { p += 1 }
                if p == s.pages.count { p = 0; continue }
                guard seq >= s.pages[p].minSeq, seq <= s.pages[p].maxSeq else { continue }
                let i = Int(seq - s.pages[p].minSeq)
                if s.pages[p].acked[i] { continue }
                s.pages[p].acked[i] = true
                s.pages[p].ackedCount += 1
                s.unacked -= 1
                s.acksSinceCheckpoint += 1
                while s.pages[p].firstUnacked <= s.pages[p].maxSeq,
                      s.pages[p].acked[Int(s.pages[p].firstUnacked - s.pages[p].minSeq)] {
                    s.pages[p].firstUnacked += 1
                }
            }
            // Pages fully acknowledged (except the head, still being written) are deleted.
            var i = 0
            while i < s.pages.count - 1 {
                let page = s.pages[i]
                if page.ackedCount == page.count {
                    Glibc.close(page.fd)
                    unlink("\(directory)/\(PageFile.name(page.num))")
                    s.bytes -= page.size
                    s.pages.remove(at: i)
                } else {
                    i += 1
                }
            }
            if s.acksSinceCheckpoint >= settings.checkpointAcks { writeCheckpointLocked(&s) }
            wake = s.pushers
            s.pushers = []
        }
        for c in wake { c.resume() }
    }

    // MARK: durability and checkpoints
    //
    // Two separate jobs. Making written records durable is an fdatasync of the head page,
    // run off the lock by a background sync so that writers never wait for the disk; the
    // inputs' acknowledgements fire when it completes. Recording how far records were
    // acknowledged is the checkpoint file, written without fsync: losing it to a machine
    // crash only means records are delivered again, never that one is lost.

    /// Starts a background sync if records wait for one and none is running.
    private func startSyncLocked(_ s: inout State) {
        guard !s.syncInFlight, s.writesSinceSync > 0 || !s.durableWaiting.isEmpty, let head = s.pages.last else { return }
        let fd = dup(head.fd)  // the page may be rolled and deleted while we sync
        guard fd >= 0 else { return }
        s.syncInFlight = true
        s.writesSinceSync = 0
        let acks = s.durableWaiting
        s.durableWaiting = []
        DispatchQueue.global().async { [self] in
            let ok = fdatasync(fd) == 0
            Glibc.close(fd)
            if !ok { logger.error("persistent queue: fdatasync failed: \(IOError("fdatasync", path: directory))") }
            for a in acks { a.complete(ok ? .delivered : .failed) }
            state.withLock { s in
                s.syncInFlight = false
                if s.writesSinceSync >= settings.checkpointWrites { startSyncLocked(&s) }
            }
        }
    }

    /// Records the acknowledged positions.
    private func writeCheckpointLocked(_ s: inout State, sync: Bool = false) {
        let cp = Checkpoint(nextSeq: s.nextSeq, pages: s.pages.map { .init(num: $0.num, firstUnacked: $0.firstUnacked) })
        do {
            try FileIO.writeAtomically(directory + "/" + Checkpoint.fileName, cp.serialized(), sync: sync)
            s.acksSinceCheckpoint = 0
        } catch {
            logger.error("persistent queue: cannot write checkpoint: \(error)")
        }
    }

    /// The `queue.checkpoint.interval` tick.
    func checkpoint(force: Bool) {
        state.withLock { s in
            startSyncLocked(&s)
            if force || s.acksSinceCheckpoint > 0 { writeCheckpointLocked(&s) }
        }
    }

    public func close(drain: Bool) {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            // A close without drain wins over a later one with it (stop, then inputs end).
            s.draining = s.closed ? (s.draining && drain) : drain
            s.closed = true
            defer { s.pushers = []; s.poppers = [] }
            return s.pushers + s.poppers
        }
        for c in waiters { c.resume() }
    }

    public func finish() async {
        timer.withLock { $0?.cancel() }
        while state.withLock({ $0.syncInFlight }) { try? await Task.sleep(for: .milliseconds(1)) }
        let acks = state.withLock { s -> [Acknowledgement] in
            if let head = s.pages.last { fdatasync(head.fd) }
            s.writesSinceSync = 0
            writeCheckpointLocked(&s, sync: true)
            defer { s.durableWaiting = [] }
            return s.durableWaiting
        }
        for a in acks { a.complete(.delivered) }
    }

    /// Counts for tests and `sluice queue inspect`.
    public var counts: (pages: Int, unread: Int, unacked: Int, bytes: Int) {
        state.withLock { ($0.pages.count, $0.unread, $0.unacked, $0.bytes) }
    }
}
