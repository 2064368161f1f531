import SluiceCore
#if canImport(Glibc)
import Glibc
#endif

/// Cuts complete lines of one file into events, in pieces of at most one batch, each with
/// the file offset just past its last line so that every piece is acknowledged on its own.
/// A value type so the file input can run it in child tasks, off the reading task.
struct LineFramer: Sendable {
    struct Piece: Sendable {
        var events: [Event]
        var end: UInt64
    }

    let delimiter: [UInt8]
    let batchSize: Int
    /// The file's event template (`@timestamp`, `@version`, `host`, `path`, `message`).
    let template: Event
    let messageAt: Int
    let codec: (any Codec)?
    let path: String
    let pathRef: FieldReference
    let hostRef: FieldReference

    /// The index just past the last delimiter in `bytes` (0 if there is none).
    func endOfLastLine(_ bytes: [UInt8], searchFrom: Int) -> Int {
        let d = delimiter
        guard bytes.count >= d.count else { return 0 }
        if d.count == 1 {
            // The last line ends near the end of a read, so a backward scan is short.
            var i = bytes.count - 1
            while i >= 0 {
                if bytes[i] == d[0] { return i + 1 }
                i -= 1
            }
            return 0
        }
        var i = bytes.count - d.count
        while i >= searchFrom {
            if bytes[i] == d[0] && bytes[i..<(i + d.count)].elementsEqual(d) { return i + d.count }
            i -= 1
        }
        return 0
    }

    /// Events for every line of `bytes` (which starts at file offset `base`); with
    /// `withFinalLine`, text after the last delimiter is a line too (end of a file in read mode).
    func pieces(_ bytes: [UInt8], base: UInt64, withFinalLine: Bool) -> [Piece] {
        var pieces: [Piece] = []
        var events: [Event] = []
        events.reserveCapacity(batchSize)
        let now = Timestamp.now()
        let d = delimiter
        // Each piece copies the template from storage of its own: its events go to one worker,
        // so the reference counts of the shared strings stay on that worker's core.
        var fields = template.fields.unshared()
        bytes.withUnsafeBufferPointer { buf in
            guard let start0 = buf.baseAddress else { return }
            var start = 0
            while start < buf.count {
                var idx = buf.count
                if d.count == 1 {
                    if let p = memchr(start0 + start, Int32(d[0]), buf.count - start) {
                        idx = start0.distance(to: p.assumingMemoryBound(to: UInt8.self))
                    }
                } else {
                    var i = start
                    while i + d.count <= buf.count {
                        if buf[i] == d[0] && buf[i..<(i + d.count)].elementsEqual(d) { idx = i; break }
                        i += 1
                    }
                }
                if idx == buf.count && !withFinalLine { break }
                append(&events, UnsafeBufferPointer(rebasing: buf[start..<idx]), fields, now: now)
                start = min(buf.count, idx + d.count)
                if events.count >= batchSize {
                    pieces.append(Piece(events: events, end: base + UInt64(start)))
                    events = []
                    events.reserveCapacity(batchSize)
                    fields = template.fields.unshared()
                }
            }
            if !events.isEmpty { pieces.append(Piece(events: events, end: base + UInt64(start))) }
        }
        return pieces
    }

    @inline(__always)
    private func append(_ events: inout [Event], _ line: UnsafeBufferPointer<UInt8>, _ fields: FieldMap, now: Timestamp) {
        if let codec {
            let first = events.count
            codec.decode(ArraySlice(line), into: &events)
            for i in first..<events.count {
                events[i].set(pathRef, .string(path))
                if !events[i].contains(hostRef) { events[i].set(hostRef, .string(Host.name)) }
            }
            return
        }
        // The template's fields in storage of the event's own, with room for what filters add.
        var e = Event(fields: FieldMap(copying: fields, capacity: Event.reservedFieldCount), stamp: false)
        e.fields.setValue(.timestamp(now), at: 0)
        e.fields.setValue(.string(String(decoding: line, as: UTF8.self)), at: messageAt)
        events.append(consume e)  // moved: a plain append retains and releases it
    }
}
