import SluiceCore

/// Turns the lines of one spooled file into events: the charset is converted under the
/// decode-error policy, the codec decodes the text (without one, the line is the `message`),
/// and each event gets the headers and `[@metadata][spooldir]` (`path`, `offset`, `line`).
struct SpoolLineDecoder {
    let charset: Charset
    let policy: DecodeErrorPolicy
    let codec: (any Codec)?
    let path: String
    /// `@timestamp`, `@version`, the headers, `message` and `@metadata`, set once per file.
    let template: Event
    let messageAt: Int
    let metadataAt: Int
    let headers: [(FieldReference, Value)]

    init(options: SpoolOptions, codec: (any Codec)?, path: String) {
        charset = options.charset
        policy = options.decodeErrors
        self.codec = codec
        self.path = path
        var headers: [(FieldReference, Value)] = []
        if let key = options.fileHeaderKey { headers.append((key, .string(path))) }
        if let key = options.basenameHeaderKey {
            headers.append((key, .string(path.split(separator: "/").last.map(String.init) ?? path)))
        }
        self.headers = headers
        var t = Event()
        for (key, value) in headers { t.set(key, value) }
        t.fields.set("message", .string(""))
        t.fields.set(Event.metadataKey, .object(FieldMap()))
        template = t
        messageAt = t.fields.position(of: "message") ?? 0
        metadataAt = t.fields.position(of: Event.metadataKey) ?? 0
    }

    /// Appends the events of one line (or piece of an overlong line) that starts at byte
    /// `offset` of the file and is line number `line`. Returns the index in `bytes` of the
    /// first byte that does not decode, under `decode_error_policy => fail` (no event then).
    func append(_ bytes: UnsafeBufferPointer<UInt8>, offset: UInt64, line: Int, into events: inout [Event]) -> Int? {
        let text: [UInt8]?
        switch charset.utf8(bytes, policy: policy) {
        case .unchanged: text = nil
        case .converted(let converted): text = converted
        case .invalid(let at): return at
        }
        let origin = Self.origin(path, offset: offset, line: line)
        if let codec {
            let first = events.count
            if let text { codec.decode(text[...], into: &events) } else { codec.decode(ArraySlice(bytes), into: &events) }
            for i in first..<events.count {
                for (key, value) in headers { events[i].set(key, value) }
                events[i].set(Self.originRef, origin)
            }
            return nil
        }
        let message = text.map { String(decoding: $0, as: UTF8.self) } ?? String(decoding: bytes, as: UTF8.self)
        var e = Event(fields: FieldMap(copying: template.fields, capacity: Event.reservedFieldCount), stamp: false)
        e.fields.setValue(.timestamp(.now()), at: 0)
        e.fields.setValue(.string(message), at: messageAt)
        var meta = FieldMap(minimumCapacity: 1)
        meta.set("spooldir", origin)
        e.fields.setValue(.object(meta), at: metadataAt)
        events.append(consume e)
        return nil
    }

    static let originRef = FieldReference(path: [Event.metadataKey, "spooldir"])

    /// `[@metadata][spooldir]`: where the line came from, so a pipeline can derive an id that
    /// is the same when the line is read again after a crash (a fingerprint of path and offset).
    static func origin(_ path: String, offset: UInt64, line: Int) -> Value {
        var origin = FieldMap(minimumCapacity: 3)
        origin.set("path", .string(path))
        origin.set("offset", .int(Int64(offset)))
        origin.set("line", .int(Int64(line)))
        return .object(origin)
    }
}
