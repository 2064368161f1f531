import SluiceCore
#if canImport(Glibc)
import Glibc
#endif

/// Turns complete lines of one file into events, in pieces of at most one batch, each with
/// the file offset just past its last line so that every piece is acknowledged on its own.
/// The lines are cut by SluiceCore's `LineFramer`. A value type so the file input can run
/// it in child tasks, off the reading task.
struct FileLineDecoder: Sendable {
    struct Piece: Sendable {
        var events: [Event]
        var end: UInt64
    }

    let framer: LineFramer
    let batchSize: Int
    /// The file's event template (`@timestamp`, `@version`, `host`, `path`, `message`).
    let template: Event
    let messageAt: Int
    let codec: (any Codec)?
    let path: String
    let pathRef: FieldReference
    let hostRef: FieldReference

    /// Events for every line of `bytes` (which starts at file offset `base`); with
    /// `withFinalLine`, text after the last delimiter is a line too (end of a file in read mode).
    func pieces(_ bytes: [UInt8], base: UInt64, withFinalLine: Bool) -> [Piece] {
        var pieces: [Piece] = []
        var events: [Event] = []
        events.reserveCapacity(batchSize)
        let now = Timestamp.now()
        // Each piece copies the template from storage of its own: its events go to one worker,
        // so the reference counts of the shared strings stay on that worker's core.
        var fields = template.fields.unshared()
        var end = 0
        bytes.withUnsafeBufferPointer { buf in
            framer.forEachLine(in: buf, includingFinal: withFinalLine) { line, next in
                append(&events, UnsafeBufferPointer(rebasing: buf[line]), fields, now: now)
                end = next
                if events.count >= batchSize {
                    pieces.append(Piece(events: events, end: base + UInt64(next)))
                    events = []
                    events.reserveCapacity(batchSize)
                    fields = template.fields.unshared()
                }
            }
        }
        if !events.isEmpty { pieces.append(Piece(events: events, end: base + UInt64(end))) }
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
