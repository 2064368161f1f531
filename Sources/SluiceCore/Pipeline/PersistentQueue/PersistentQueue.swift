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
        /// Offset of the next record not yet handed to a worker.
        var readOffset: Int
        var maxSeq: UInt64 { minSeq + UInt64(count) - 1 }
    }

    struct State {
        var pages: [Page] = []
        var nextSeq: UInt64 = 1
        var unread = 0
        var unacked = 0
        var bytes = 0
        var writesSinceCheckpoint = 0
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
                    s.pages.append(Page(num: num, fd: fd, size: scan.validEnd, minSeq: s.nextSeq, firstUnacked: s.nextSeq,
                                        readOffset: scan.validEnd))
                } else {
                    Glibc.close(fd); unlink(path)
                }
                continue
            }
            let acked = checkpoint.pages.first { $0.num == num }?.firstUnacked ?? first.seq
            var page = Page(num: num, fd: fd, size: scan.validEnd, minSeq: first.seq, firstUnacked: max(acked, first.seq),
                            readOffset: scan.validEnd)
            page.count = scan.records.count
            page.acked = scan.records.map { $0.seq < acked }
            page.ackedCount = page.acked.filter { $0 }.count
            if let firstOpen = scan.records.first(where: { $0.seq >= acked }) { page.readOffset = firstOpen.offset }
            let open = page.count - page.ackedCount
            if open == 0 {
                Glibc.close(fd); unlink(path)
                continue
            }
            s.unread += open
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
        var payloads: [[UInt8]] = []
        payloads.reserveCapacity(events.count)
        for e in events {
            var p: [UInt8] = []
            p.reserveCapacity(256)
            EventSerializer.encode(e, into: &p)
            payloads.append(p)
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
        var fire: [Acknowledgement] = []
        var wake: [CheckedContinuation<Void, Never>] = []
        try state.withLock { s throws(IOError) in
            var buffer: [UInt8] = []
            buffer.reserveCapacity(payloads.reduce(0) { $0 + $1.count + PageFile.recordHeader })
            let first = s.nextSeq
            for (i, p) in payloads.enumerated() { PageFile.appendRecord(seq: first + UInt64(i), payload: p, to: &buffer) }
            try ensureHead(&s, room: buffer.count)
            let h = s.pages.count - 1
            try FileIO.writeAll(s.pages[h].fd, buffer, path: "\(directory)/\(PageFile.name(s.pages[h].num))")
            if s.pages[h].count == 0 { s.pages[h].minSeq = first; s.pages[h].firstUnacked = first }
            s.pages[h].count += payloads.count
            s.pages[h].acked.append(contentsOf: repeatElement(false, count: payloads.count))
            s.pages[h].size += buffer.count
            s.nextSeq = first + UInt64(payloads.count)
            s.unread += payloads.count
            s.unacked += payloads.count
            s.bytes += buffer.count
            s.writesSinceCheckpoint += payloads.count
            if let ack { s.durableWaiting.append(ack) }
            if s.writesSinceCheckpoint >= settings.checkpointWrites { fire = checkpointLocked(&s) }
            wake = s.poppers
            s.poppers = []
        }
        for c in wake { c.resume() }
        for a in fire { a.complete(.delivered) }
    }

    /// Makes sure the head page can take `room` more bytes, rolling to a new page if not.
    private func ensureHead(_ s: inout State, room: Int) throws(IOError) {
        if let head = s.pages.last, head.size + room <= settings.pageCapacity || head.count == 0 { return }
        if let head = s.pages.last { fsync(head.fd) }
        let num = (s.pages.last?.num ?? (PersistentQueue.pageNumbers(in: directory).last ?? 0)) + 1
        let path = "\(directory)/\(PageFile.name(num))"
        let fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw IOError("open", path: path) }
        try FileIO.writeAll(fd, PageFile.magic, path: path)
        s.pages.append(Page(num: num, fd: fd, size: PageFile.headerSize, minSeq: s.nextSeq, firstUnacked: s.nextSeq,
                            readOffset: PageFile.headerSize))
        s.bytes += PageFile.headerSize
    }

    // MARK: reading and acknowledging

    public func pop(maxEvents: Int, maxDelay: Duration) async -> Batch? {
        while true {
            enum Step { case records([(UInt64, [UInt8])]), done, wait }
            let step: Step = state.withLock { s in
                if s.closed && !s.draining { return .done }
                if s.unread == 0 { return s.closed ? .done : .wait }
                var out: [(UInt64, [UInt8])] = []
                for i in s.pages.indices where out.count < maxEvents && s.pages[i].readOffset < s.pages[i].size {
                    let recs = PageFile.read(fd: s.pages[i].fd, from: s.pages[i].readOffset, limit: s.pages[i].size,
                                             max: maxEvents - out.count)
                    for r in recs { s.pages[i].readOffset += PageFile.recordHeader + r.1.count }
                    out += recs
                }
                s.unread -= out.count
                return out.isEmpty ? .wait : .records(out)
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
            case .records(let records):
                var events: [Event] = []
                events.reserveCapacity(records.count)
                for (seq, payload) in records {
                    do {
                        events.append(try payload.withUnsafeBytes { b throws(EventSerializer.Corrupt) in try EventSerializer.decode(b) })
                    } catch {
                        logger.error("persistent queue: record \(seq) cannot be decoded (\(error)); skipping it")
                    }
                }
                let seqs = records.map(\.0)
                let ack = Acknowledgement(pieces: 1) { [weak self] status in
                    if status == .delivered { self?.acknowledge(seqs) }
                }
                return Batch(events: events, acks: [ack])
            }
        }
    }

    func acknowledge(_ seqs: [UInt64]) {
        var wake: [CheckedContinuation<Void, Never>] = []
        var fire: [Acknowledgement] = []
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
            if s.acksSinceCheckpoint >= settings.checkpointAcks { fire = checkpointLocked(&s) }
            wake = s.pushers
            s.pushers = []
        }
        for c in wake { c.resume() }
        for a in fire { a.complete(.delivered) }
    }

    // MARK: checkpoints

    /// fsyncs the pages and writes the checkpoint; returns the input acknowledgements now durable.
    private func checkpointLocked(_ s: inout State) -> [Acknowledgement] {
        for p in s.pages.suffix(2) { fsync(p.fd) }
        let cp = Checkpoint(nextSeq: s.nextSeq, pages: s.pages.map { .init(num: $0.num, firstUnacked: $0.firstUnacked) })
        do {
            try FileIO.writeAtomically(directory + "/" + Checkpoint.fileName, cp.serialized())
            let dfd = open(directory, O_RDONLY | O_DIRECTORY)
            if dfd >= 0 { fsync(dfd); Glibc.close(dfd) }
        } catch {
            logger.error("persistent queue: cannot write checkpoint: \(error)")
            return []
        }
        s.writesSinceCheckpoint = 0
        s.acksSinceCheckpoint = 0
        defer { s.durableWaiting = [] }
        return s.durableWaiting
    }

    func checkpoint(force: Bool) {
        let fire = state.withLock { s -> [Acknowledgement] in
            guard force || s.writesSinceCheckpoint > 0 || s.acksSinceCheckpoint > 0 else { return [] }
            return checkpointLocked(&s)
        }
        for a in fire { a.complete(.delivered) }
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
        checkpoint(force: true)
    }

    /// Counts for tests and `sluice queue inspect`.
    public var counts: (pages: Int, unread: Int, unacked: Int, bytes: Int) {
        state.withLock { ($0.pages.count, $0.unread, $0.unacked, $0.bytes) }
    }
}
