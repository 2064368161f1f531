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

    struct State {
        var pages: [Page] = []
        var nextSeq: UInt64 = 1
        /// The records not yet handed to a worker.
        var unread: PendingRecords
        var unacked = 0
        var bytes = 0
        var writesSinceSync = 0
        var syncInFlight = false
        var checkpointInFlight = false
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
        var s = State(unread: PendingRecords(cacheLimit: settings.readCacheBytes))
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
            PersistentQueue.addUnread(scan.records.filter { $0.seq >= acked }, fd: fd, to: &s.unread)
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
                // A cancelled sleep ends the loop: no tick after `finish` wrote the last checkpoint.
                while (try? await Task.sleep(for: .milliseconds(interval))) != nil {
                    self?.checkpoint()
                }
            }
        }
    }

    deinit {
        timer.withLock { $0?.cancel() }
        state.withLock { s in for p in s.pages { Glibc.close(p.fd) } }
    }

    /// Queues recovered records for reading from their page, in runs of consecutive seqs.
    private static func addUnread(_ records: [PageFile.Record], fd: Int32, to unread: inout PendingRecords) {
        var i = 0
        while i < records.count {
            var j = i + 1
            while j < records.count, records[j].seq == records[j - 1].seq + 1, records[j].offset == records[j - 1].payload.upperBound { j += 1 }
            let base = records[i].offset
            let bounds = records[i..<j].map { $0.offset - base } + [records[j - 1].payload.upperBound - base]
            unread.append(.init(firstSeq: records[i].seq, count: j - i, source: .page(fd: fd, base: base, bounds: bounds[...])))
            i = j
        }
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
        var records = RecordBuffer(capacity: events.count)
        for e in events { records.append(e) }
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
            records.seal(firstSeq: first)
            let bytes = records.byteCount
            try ensureHead(&s, room: bytes)
            let h = s.pages.count - 1
            do throws(IOError) {
                let (fd, path) = (s.pages[h].fd, "\(directory)/\(PageFile.name(s.pages[h].num))")
                try records.withBytes { b in Result { () throws(IOError) in try FileIO.writeAll(fd, b, path: path) } }.get()
            } catch {
                // Cut off what part of the batch was written, so the page stays whole.
                _ = ftruncate(s.pages[h].fd, off_t(s.pages[h].size))
                throw error
            }
            if s.pages[h].count == 0 { s.pages[h].minSeq = first; s.pages[h].firstUnacked = first }
            s.unread.append(firstSeq: first, events: events, fd: s.pages[h].fd, base: s.pages[h].size, bounds: records.bounds)
            s.pages[h].count += records.count
            s.pages[h].acked.append(contentsOf: repeatElement(false, count: records.count))
            s.pages[h].size += bytes
            s.nextSeq = first + UInt64(records.count)
            s.unacked += records.count
            s.bytes += bytes
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
        // A head whose last seq is not just before the next one (records lost to a machine
        // crash after the checkpoint counted them) is rolled too: a page's seqs are consecutive.
        if let head = s.pages.last, head.count == 0 || (head.size + room <= settings.pageCapacity && head.maxSeq + 1 == s.nextSeq) { return }
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
            enum Step { case claimed([PendingRecords.Run]), done, wait }
            // Claim records under the lock; read them outside it. Their pages stay open:
            // a page is closed only once all its records are acknowledged.
            let step: Step = state.withLock { s in
                if s.closed && !s.draining { return .done }
                if s.unread.count == 0 { return s.closed ? .done : .wait }
                return .claimed(s.unread.take(max: maxEvents))
            }
            switch step {
            case .done: return nil
            case .wait:
                await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                    let now = state.withLock { s -> Bool in
                        if s.closed || s.unread.count > 0 { return true }
                        s.poppers.append(c)
                        return false
                    }
                    if now { c.resume() }
                }
            case .claimed(let runs):
                return batch(of: runs)
            }
        }
    }

    /// The events of claimed runs: cached ones as they are, the others read from their page.
    private func batch(of runs: [PendingRecords.Run]) -> Batch {
        var events: [Event] = []
        var seqs: [ClosedRange<UInt64>] = []
        for run in runs {
            seqs.append(run.firstSeq...(run.firstSeq + UInt64(run.count) - 1))
            switch run.source {
            case .memory(let cached, let range, _):
                if events.isEmpty && range == cached.indices { events = cached } else { events.append(contentsOf: cached[range]) }
            case .page(let fd, let base, let bounds):
                read(fd: fd, base: base, bounds: bounds, firstSeq: run.firstSeq, into: &events)
            }
        }
        let done = seqs
        let ack = Acknowledgement(pieces: 1) { [weak self] status in
            if status == .delivered { self?.acknowledge(done) }
        }
        return Batch(events: events, acks: [ack])
    }

    /// Reads a run of adjacent records with one pread and decodes them. A record that cannot
    /// be decoded is logged and skipped (its seq is still acknowledged with the batch).
    private func read(fd: Int32, base: Int, bounds: ArraySlice<Int>, firstSeq: UInt64, into events: inout [Event]) {
        guard let first = bounds.first, let last = bounds.last, last > first else { return }
        let length = last - first
        var buffer = [UInt8](repeating: 0, count: length)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, length, off_t(base + first)) }
        if n < length { logger.error("persistent queue: short read of a page (\(n) of \(length) bytes)") }
        buffer.withUnsafeBytes { b in
            var pos = 0
            while pos + PageFile.recordHeader <= n {
                let len = Int(PageFile.u32(b, pos))
                guard len <= n - pos - PageFile.recordHeader else { break }
                do {
                    events.append(try EventSerializer.decode(UnsafeRawBufferPointer(rebasing: b[(pos + PageFile.recordHeader)..<(pos + PageFile.recordHeader + len)])))
                } catch {
                    logger.error("persistent queue: record \(PageFile.u64(b, pos + 8)) cannot be decoded (\(error)); skipping it")
                }
                pos += PageFile.recordHeader + len
            }
        }
    }

    func acknowledge(_ seqs: [ClosedRange<UInt64>]) {
        var wake: [CheckedContinuation<Void, Never>] = []
        state.withLock { s in
            for range in seqs {
                var seq = range.lowerBound
                while seq <= range.upperBound {
                    guard let p = s.pages.firstIndex(where: { $0.count > 0 && $0.minSeq <= seq && seq <= $0.maxSeq }) else { seq += 1; continue }
                    let last = min(range.upperBound, s.pages[p].maxSeq)
                    for i in Int(seq - s.pages[p].minSeq)...Int(last - s.pages[p].minSeq) where !s.pages[p].acked[i] {
                        s.pages[p].acked[i] = true
                        s.pages[p].ackedCount += 1
                        s.unacked -= 1
                        s.acksSinceCheckpoint += 1
                    }
                    while s.pages[p].firstUnacked <= s.pages[p].maxSeq,
                          s.pages[p].acked[Int(s.pages[p].firstUnacked - s.pages[p].minSeq)] {
                        s.pages[p].firstUnacked += 1
                    }
                    if last == UInt64.max { break }
                    seq = last + 1
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
            if s.acksSinceCheckpoint >= settings.checkpointAcks { startCheckpointLocked(&s) }
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

    /// Starts writing the checkpoint in the background if none is being written: a file
    /// write and rename cost more than a batch's worth of work, so neither the lock nor the
    /// worker that acknowledged waits for it. One at a time, so a newer one is never
    /// replaced by an older one.
    private func startCheckpointLocked(_ s: inout State) {
        guard !s.checkpointInFlight else { return }
        s.checkpointInFlight = true
        s.acksSinceCheckpoint = 0
        let cp = checkpointLocked(s)
        DispatchQueue.global().async { [self] in
            write(cp, sync: false)
            state.withLock { s in
                s.checkpointInFlight = false
                if s.acksSinceCheckpoint >= settings.checkpointAcks { startCheckpointLocked(&s) }
            }
        }
    }

    private func checkpointLocked(_ s: State) -> Checkpoint {
        Checkpoint(nextSeq: s.nextSeq, pages: s.pages.map { .init(num: $0.num, firstUnacked: $0.firstUnacked) })
    }

    private func write(_ cp: Checkpoint, sync: Bool) {
        do {
            try FileIO.writeAtomically(directory + "/" + Checkpoint.fileName, cp.serialized(), sync: sync)
        } catch {
            logger.error("persistent queue: cannot write checkpoint: \(error)")
        }
    }

    /// The `queue.checkpoint.interval` tick.
    func checkpoint() {
        state.withLock { s in
            startSyncLocked(&s)
            if s.acksSinceCheckpoint > 0 { startCheckpointLocked(&s) }
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
        while state.withLock({ $0.syncInFlight || $0.checkpointInFlight }) { try? await Task.sleep(for: .milliseconds(1)) }
        let acks = state.withLock { s -> [Acknowledgement] in
            if let head = s.pages.last { fdatasync(head.fd) }
            s.writesSinceSync = 0
            s.acksSinceCheckpoint = 0
            write(checkpointLocked(s), sync: true)
            defer { s.durableWaiting = [] }
            return s.durableWaiting
        }
        for a in acks { a.complete(.delivered) }
    }

    /// Counts for tests and `sluice queue inspect`.
    public var counts: (pages: Int, unread: Int, unacked: Int, bytes: Int) {
        state.withLock { ($0.pages.count, $0.unread.count, $0.unacked, $0.bytes) }
    }
}
