#if canImport(Glibc)
import Glibc
#endif

/// A place in a dead-letter queue: a segment number and a byte offset in it (a record boundary).
public struct DeadLetterPosition: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var segment: Int
    public var offset: Int

    public init(segment: Int, offset: Int) {
        self.segment = segment
        self.offset = offset
    }

    public static func < (a: Self, b: Self) -> Bool { (a.segment, a.offset) < (b.segment, b.offset) }
    public var description: String { "\(segment) \(offset)" }

    /// Parses `description` (the input's commit file).
    public init?(parsing text: String) {
        let f = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard f.count == 2, let s = Int(f[0]), let o = Int(f[1]), s >= 0, o >= 0 else { return nil }
        self.init(segment: s, offset: o)
    }
}

/// One dead-letter entry: the event and why, where and when it was given up on.
public struct DeadLetterEntry: Sendable {
    public var event: Event
    public var pluginType: String
    public var pluginId: String
    public var reason: String
    public var entryTime: Timestamp
    /// Where the entry ends: reading resumes from here.
    public var end: DeadLetterPosition
}

/// The on-disk form. A segment is `N.log` (sealed) or `N.log.tmp` (still being written), as
/// in Logstash; it starts with the magic `SLD1` and holds persistent-queue records
/// (`PageFile`: `[u32 len][u32 crc32c][u64 seq][payload]`). The payload is one
/// `EventSerializer` object `{plugin_type, plugin_id, reason, entry_time, event}`, so the
/// event keeps its value types and `@metadata`.
enum DeadLetterSegment {
    static let magic: [UInt8] = Array("SLD1".utf8)
    static let headerSize = PageFile.headerSize

    static func sealedName(_ n: Int) -> String { "\(n).log" }
    static func headName(_ n: Int) -> String { "\(n).log.tmp" }

    struct Listed: Equatable {
        var num: Int
        var sealed: Bool
    }

    /// The segments of `dir`, by number. Other files (the lock, temp files) are ignored.
    static func list(_ dir: String) -> [Listed] {
        guard let d = opendir(dir) else { return [] }
        defer { closedir(d) }
        var found: [Int: Bool] = [:]
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name.hasSuffix(".log.tmp"), let n = Int(name.dropLast(8)), n >= 0 {
                found[n] = found[n] ?? false
            } else if name.hasSuffix(".log"), let n = Int(name.dropLast(4)), n >= 0 {
                found[n] = true
            }
        }
        return found.map { Listed(num: $0.key, sealed: $0.value) }.sorted { $0.num < $1.num }
    }

    static func fileSize(_ path: String) -> Int? {
        var st = stat()
        return stat(path, &st) == 0 ? Int(st.st_size) : nil
    }

    // MARK: entries

    static func encode(_ event: Event, pluginType: String, pluginId: String, reason: String, time: Timestamp) -> [UInt8] {
        var m = FieldMap(minimumCapacity: 5)
        m.set("plugin_type", .string(pluginType))
        m.set("plugin_id", .string(pluginId))
        m.set("reason", .string(reason))
        m.set("entry_time", .timestamp(time))
        m.set("event", .object(event.fields))
        var out: [UInt8] = []
        out.reserveCapacity(256)
        EventSerializer.encode(Event(fields: m, stamp: false), into: &out)
        return out
    }

    static func decode(_ payload: UnsafeRawBufferPointer, end: DeadLetterPosition) throws(EventSerializer.Corrupt) -> DeadLetterEntry {
        let wrapper = try EventSerializer.decode(payload).fields
        guard case .object(let fields)? = wrapper["event"], case .timestamp(let time)? = wrapper["entry_time"] else {
            throw EventSerializer.Corrupt(offset: 0)
        }
        return DeadLetterEntry(event: Event(fields: fields, stamp: false),
                               pluginType: wrapper["plugin_type"]?.stringValue ?? "",
                               pluginId: wrapper["plugin_id"]?.stringValue ?? "",
                               reason: wrapper["reason"]?.stringValue ?? "", entryTime: time, end: end)
    }

    // MARK: records

    enum Stop: Equatable {
        /// Every byte was part of a good record.
        case clean
        /// The last record is cut short (being written, or torn by a crash).
        case incomplete
        /// A whole record whose checksum does not match.
        case corrupt
    }

    /// Walks the verified records of `b` (which starts at a record boundary), calling `visit`
    /// with each record's seq, payload and end offset within `b`; `visit` returns false to stop.
    /// Returns where the last good record ends and why the walk stopped.
    static func records(_ b: UnsafeRawBufferPointer,
                        _ visit: (UInt64, UnsafeRawBufferPointer, Int) -> Bool) -> (end: Int, stop: Stop) {
        var pos = 0
        while pos < b.count {
            guard b.count - pos >= PageFile.recordHeader else { return (pos, .incomplete) }
            let len = Int(PageFile.u32(b, pos)), crc = PageFile.u32(b, pos + 4)
            guard len <= b.count - pos - PageFile.recordHeader else { return (pos, .incomplete) }
            let end = pos + PageFile.recordHeader + len
            let seqBytes = UnsafeRawBufferPointer(rebasing: b[(pos + 8)..<(pos + PageFile.recordHeader)])
            let body = UnsafeRawBufferPointer(rebasing: b[(pos + PageFile.recordHeader)..<end])
            guard PageFile.checksum(payload: body, seq: seqBytes) == crc else { return (pos, .corrupt) }
            let payload = UnsafeRawBufferPointer(rebasing: b[(pos + PageFile.recordHeader)..<end])
            if !visit(PageFile.u64(b, pos + 8), payload, end) { return (end, .clean) }
            pos = end
        }
        return (pos, .clean)
    }

    /// What a whole-segment check found (writer start-up, counting dropped entries).
    struct Scan {
        var records = 0
        var lastSeq: UInt64 = 0
        /// End of the last good record (the header size for an empty segment, 0 if the header is bad).
        var validEnd = 0
        var badBytes = 0
    }

    static func scan(_ path: String) -> Scan? {
        guard let bytes = FileIO.readFile(path) else { return nil }
        var s = Scan()
        guard bytes.count >= headerSize, Array(bytes[0..<headerSize]) == magic else {
            s.badBytes = bytes.count
            return s
        }
        bytes.withUnsafeBytes { all in
            let body = UnsafeRawBufferPointer(rebasing: all[headerSize...])
            let (end, _) = records(body) { seq, _, _ in
                s.records += 1
                s.lastSeq = seq
                return true
            }
            s.validEnd = headerSize + end
            s.badBytes = all.count - s.validEnd
        }
        return s
    }
}
