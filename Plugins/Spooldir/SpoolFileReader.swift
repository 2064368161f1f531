import SluiceCore
#if canImport(Glibc)
import Glibc
#endif

/// Reads one spooled file from its committed position to the size it had when it was found,
/// and sends its lines in pieces of `batch_size`, each acknowledged on its own so that the
/// committed position follows the deliveries.
///
/// Lines are cut by SluiceCore's `LineFramer` at `\n` (a `\r` before it stays, as in Flume and
/// Logstash); the last line needs no newline (the file is complete). A line longer than
/// `max_line_length` bytes is passed on in pieces of that size, cut before a UTF-8 character
/// rather than inside one; each piece has its own offset and the line's number.
final class SpoolFileReader {
    let options: SpoolOptions
    let sink: EventSink
    let file: SpoolFile
    let decoder: SpoolLineDecoder
    /// The number of the line being read (1-based).
    private var line = 1
    /// Events not sent yet, and the file offset just past the last line they hold.
    private var events: [Event] = []
    private var end: UInt64 = 0
    /// Pieces ready to send: events with the offset their acknowledgement commits.
    private var ready: [(events: [Event], end: UInt64)] = []
    /// The first byte that does not decode (`decode_error_policy => fail`): the file offset.
    private var badByte: UInt64?

    init(options: SpoolOptions, codec: (any Codec)?, sink: EventSink, file: SpoolFile) {
        self.options = options
        self.sink = sink
        self.file = file
        decoder = SpoolLineDecoder(options: options, codec: codec, path: file.path)
    }

    /// Reads the file from `start`. Sets `file.readDone` unless the task was cancelled first,
    /// and `file.problem` if the file changed while it was read, or did not decode.
    func read(from start: UInt64) async throws {
        let path = file.path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            file.problem = "could not be opened: \(IOError("open", path: path))"
            file.readDone = true
            return
        }
        defer { close(fd) }
        let size = file.candidate.stamp.size
        end = start
        if start > 0 {
            guard let before = Self.countLines(fd, upTo: start) else {
                file.problem = "could not be read: \(IOError("read", path: path))"
                file.readDone = true
                return
            }
            line = before + 1
        }
        var framer = LineFramer(delimiter: [10])
        var position = start
        var buffer = [UInt8](repeating: 0, count: options.chunkSize)
        while position < size && badByte == nil {
            if Task.isCancelled { return }
            let want = Int(min(UInt64(options.chunkSize), size - position))
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, want, off_t(position)) }
            if n < 0 {
                if errno == EINTR { continue }
                file.problem = "could not be read at byte \(position): \(IOError("read", path: path))"
                break
            }
            if n == 0 { break }  // shorter than when it was found: reported below
            let regionBase = position - UInt64(framer.pending.count)
            let region = buffer.withUnsafeBytes { framer.completeLines(appending: UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            position += UInt64(n)
            region.withUnsafeBufferPointer { frame($0, base: regionBase, final: false) }
            // An overlong line whose newline was not read yet goes on in pieces now, so that
            // memory stays bounded by `max_line_length`.
            let max = options.maxLineLength
            while badByte == nil && max > 0 && framer.pending.count > max {
                let pieceBase = position - UInt64(framer.pending.count)
                let cut = framer.pending.withUnsafeBufferPointer { cutPoint($0, max: max) }
                let piece = framer.takePending(prefix: cut)
                piece.withUnsafeBufferPointer { emit($0, base: pieceBase, end: pieceBase + UInt64(cut), completesLine: false) }
            }
            try await sendReady()
        }
        if badByte == nil && file.problem == nil {
            let tail = framer.takePending()
            tail.withUnsafeBufferPointer { frame($0, base: position - UInt64(tail.count), final: true) }
        }
        if !events.isEmpty { ready.append((events, end)); events = [] }
        try await sendReady()
        sink.flush()  // the end of a file: the last lines need not wait for a fuller batch
        if let badByte {
            file.problem = "holds bytes that are not valid \(options.charsetName) at byte offset \(badByte) (line \(line)); with decode_error_policy => fail the \(file.sent) events before it were delivered and the rest of the file was not read"
        } else if file.problem == nil {
            var st = stat()
            if fstat(fd, &st) == 0, FileStamp(st) != file.candidate.stamp {
                file.problem = "was modified while it was read (\(file.candidate.stamp) when found, now \(FileStamp(st))); the \(file.sent) events read before were delivered, what changed was not read"
            }
        }
        file.readDone = true
    }

    private func sendReady() async throws {
        for i in ready.indices {
            var batch: [Event] = []
            swap(&batch, &ready[i].events)
            let n = batch.count
            let tracker = file.tracker
            let seq = tracker.register(end: ready[i].end)
            // The acknowledgement (on a worker) commits the position and records it.
            try await sink.send(consume batch) { status in tracker.acknowledge(seq, status) }
            file.sent += n
        }
        ready.removeAll(keepingCapacity: true)
    }

    /// Emits every line of `buf` (file offset `base`); with `final`, text after the last
    /// newline is a line too.
    private func frame(_ buf: UnsafeBufferPointer<UInt8>, base: UInt64, final: Bool) {
        LineFramer(delimiter: [10]).forEachLine(in: buf, includingFinal: final) { range, next in
            guard badByte == nil else { return }
            var start = range.lowerBound
            let max = options.maxLineLength
            while max > 0 && range.upperBound - start > max && badByte == nil {
                let cut = cutPoint(UnsafeBufferPointer(rebasing: buf[start..<range.upperBound]), max: max)
                emit(UnsafeBufferPointer(rebasing: buf[start..<(start + cut)]), base: base + UInt64(start),
                     end: base + UInt64(start + cut), completesLine: false)
                start += cut
            }
            guard badByte == nil else { return }
            emit(UnsafeBufferPointer(rebasing: buf[start..<range.upperBound]), base: base + UInt64(start),
                 end: base + UInt64(next), completesLine: true)
        }
    }

    /// Decodes one line or piece into the pending events; a full batch becomes ready.
    private func emit(_ bytes: UnsafeBufferPointer<UInt8>, base: UInt64, end pieceEnd: UInt64, completesLine: Bool) {
        if let bad = decoder.append(bytes, offset: base, line: line, into: &events) {
            badByte = base + UInt64(bad)
            return
        }
        end = pieceEnd
        if completesLine { line += 1 }
        if events.count >= options.batchSize {
            ready.append((events, end))
            events = []
            events.reserveCapacity(options.batchSize)
        }
    }

    /// Where to cut an overlong line (`buf.count > max`): at `max`, or before the character
    /// that `max` would split (UTF-8 only; other charsets have one byte per character).
    private func cutPoint(_ buf: UnsafeBufferPointer<UInt8>, max: Int) -> Int {
        guard options.charset == .utf8 else { return max }
        var cut = max
        while cut > max - 3 && buf[cut] & 0xC0 == 0x80 { cut -= 1 }
        return buf[cut] & 0xC0 == 0x80 ? max : cut
    }

    /// The number of newlines in the first `limit` bytes (the line a resumed read starts in),
    /// or nil if the file cannot be read.
    static func countLines(_ fd: Int32, upTo limit: UInt64) -> Int? {
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var position: UInt64 = 0
        var count = 0
        while position < limit {
            let want = Int(min(UInt64(buffer.count), limit - position))
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, want, off_t(position)) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return n == 0 ? count : nil }
            buffer.withUnsafeBufferPointer { b in
                guard let base = b.baseAddress else { return }
                var p = base
                var left = n
                while left > 0, let hit = memchr(p, 10, left) {
                    count += 1
                    let next = UnsafePointer(hit.assumingMemoryBound(to: UInt8.self)) + 1
                    left -= p.distance(to: next)
                    p = next
                }
            }
            position += UInt64(n)
        }
        return count
    }
}
