#if canImport(Glibc)
import Glibc
#endif

/// Reads a pipeline's dead-letter queue in order, following the head segment as it grows
/// (the `dead_letter_queue` input). Not thread-safe: one task reads.
///
/// A record cut short or failing its checksum is waited for while its segment is still the
/// writer's head (`N.log.tmp`): the writer may be in the middle of it. Once the segment is
/// sealed, such bytes are a torn or corrupt entry: they are skipped, counted in `skipped`
/// and logged, and reading goes on with the next segment.
public final class DeadLetterReader {
    public let directory: String
    private let logger: Logger
    /// Segment being read (open) or last finished.
    private var segment: Int
    private var offset: Int
    private var fd: Int32 = -1
    private var finished = false
    private var buffer: [UInt8] = []

    /// Torn or corrupt regions skipped (each one ends the rest of its segment).
    public private(set) var skipped = 0
    /// Bytes in those regions.
    public private(set) var skippedBytes = 0

    /// Starts after `position` (a committed position), or at the oldest segment when nil.
    public init(directory: String, from position: DeadLetterPosition?, logger: Logger) {
        self.directory = directory
        self.logger = logger
        segment = position?.segment ?? -1
        offset = max(position?.offset ?? 0, DeadLetterSegment.headerSize)
        finished = position == nil
    }

    deinit { if fd >= 0 { close(fd) } }

    /// Up to `max` entries after the current position; empty when there is nothing new yet.
    public func read(max: Int) -> [DeadLetterEntry] {
        var out: [DeadLetterEntry] = []
        while out.count < max {
            if fd < 0 && !openCurrent() { break }
            let before = out.count
            _ = readRecords(into: &out, max: max)
            if out.count > before { continue }
            // No progress. Unless the writer has let go of the segment, wait for more.
            guard isSealed() else { break }
            // Sealed: what it holds now is all it will hold. Read once more (the writer may
            // have appended just before sealing), then skip any bad tail.
            let again = readRecords(into: &out, max: max)
            if out.count > before { continue }
            let size = fileSize()
            if again != .clean || size > offset {
                let bad = Swift.max(0, size - offset)
                skipped += 1
                skippedBytes += bad
                let what = again == .corrupt ? "a corrupt entry" : "a torn entry"
                logger.warning("dead-letter queue: skipping \(bad) bytes of \(what) at byte \(offset) of segment \(segment) in \(directory)")
            }
            close(fd)
            fd = -1
            finished = true
        }
        return out
    }

    /// Opens the current segment, or the next one when it is finished or gone.
    private func openCurrent() -> Bool {
        if !finished, let f = openSegment(segment) {
            fd = f
            if offset == DeadLetterSegment.headerSize || fileSize() < DeadLetterSegment.headerSize {
                guard checkMagic() else { return false }
            }
            return true
        }
        guard let next = DeadLetterSegment.list(directory).first(where: { $0.num > segment }),
              let f = openSegment(next.num) else { return false }
        segment = next.num
        offset = DeadLetterSegment.headerSize
        finished = false
        fd = f
        return checkMagic()
    }

    private func openSegment(_ num: Int) -> Int32? {
        for name in [DeadLetterSegment.sealedName(num), DeadLetterSegment.headName(num)] {
            let f = open("\(directory)/\(name)", O_RDONLY | O_CLOEXEC)
            if f >= 0 { return f }
        }
        // Renamed between the two opens: try the sealed name once more.
        let f = open("\(directory)/\(DeadLetterSegment.sealedName(num))", O_RDONLY | O_CLOEXEC)
        return f >= 0 ? f : nil
    }

    /// A segment must start with the magic. A head just created may not have it yet: retry later.
    private func checkMagic() -> Bool {
        var head = [UInt8](repeating: 0, count: DeadLetterSegment.headerSize)
        let n = head.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        if n == DeadLetterSegment.headerSize && head == DeadLetterSegment.magic { return true }
        if n < DeadLetterSegment.headerSize && !isSealed() {
            close(fd)
            fd = -1
            return false
        }
        logger.warning("dead-letter queue: segment \(segment) in \(directory) is not a dead-letter segment; skipping it")
        skipped += 1
        skippedBytes += Swift.max(0, fileSize())
        close(fd)
        fd = -1
        finished = true
        // Finished: the next call moves to the following segment.
        return false
    }

    private func fileSize() -> Int {
        var st = stat()
        return fstat(fd, &st) == 0 ? Int(st.st_size) : 0
    }

    /// The writer no longer appends to the segment once its `.tmp` name is gone.
    private func isSealed() -> Bool {
        access("\(directory)/\(DeadLetterSegment.headName(segment))", F_OK) != 0
    }

    /// Reads the good records after `offset` into `out`; returns why it stopped.
    private func readRecords(into out: inout [DeadLetterEntry], max: Int) -> DeadLetterSegment.Stop {
        var window = 1 << 20
        while out.count < max {
            let available = fileSize() - offset
            guard available > 0 else { return .clean }
            let want = Swift.min(available, window)
            if buffer.count < want { buffer = [UInt8](repeating: 0, count: want) }
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, want, off_t(offset)) }
            guard n > 0 else { return .incomplete }
            var records = 0
            let (end, stop) = buffer.withUnsafeBytes { all -> (Int, DeadLetterSegment.Stop) in
                DeadLetterSegment.records(UnsafeRawBufferPointer(rebasing: all[0..<n])) { seq, payload, end in
                    records += 1
                    do {
                        out.append(try DeadLetterSegment.decode(payload, end: DeadLetterPosition(segment: segment, offset: offset + end)))
                    } catch {
                        // The checksum matched, so this is no torn write: skip just this entry.
                        logger.error("dead-letter queue: entry \(seq) of segment \(segment) cannot be decoded (\(error)); skipping it")
                        skipped += 1
                    }
                    return out.count < max
                }
            }
            offset += end
            switch stop {
            case .clean: continue
            case .corrupt: return .corrupt
            case .incomplete:
                // Cut by the window, not by the end of the file: read on, with a window
                // large enough for the next record.
                guard n < available else { return .incomplete }
                if records == 0 {
                    guard n >= PageFile.recordHeader else { return .incomplete }
                    let len = buffer.withUnsafeBytes { Int(PageFile.u32($0, 0)) }
                    guard PageFile.recordHeader + len <= available, PageFile.recordHeader + len > window else { return .incomplete }
                    window = PageFile.recordHeader + len
                }
            }
        }
        return .clean
    }

    // MARK: maintenance

    /// Deletes the sealed segments entirely before `position` (`clean_consumed`); returns
    /// how many were deleted. The writer's head is never touched.
    @discardableResult
    public static func deleteConsumed(in directory: String, before position: DeadLetterPosition) -> Int {
        var deleted = 0
        for seg in DeadLetterSegment.list(directory) where seg.sealed && seg.num <= position.segment {
            let path = "\(directory)/\(DeadLetterSegment.sealedName(seg.num))"
            if seg.num == position.segment {
                // The committed segment itself goes only once read to its very end.
                guard let size = DeadLetterSegment.fileSize(path), position.offset >= size else { continue }
            }
            if unlink(path) == 0 { deleted += 1 }
        }
        return deleted
    }
}
