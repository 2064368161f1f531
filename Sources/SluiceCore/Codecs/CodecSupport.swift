/// Pieces the built-in codecs share.
enum CodecSupport {
    /// A logger that drops everything, for codecs built without a plugin context (tests, tools).
    static let silentLogger = Logger(label: "sluice.codec", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Calls `body` with each piece between `delimiter`s; a trailing delimiter does not start
    /// another (empty) piece. No array is built: a framed line is usually the only piece.
    static func forEachPiece(_ bytes: ArraySlice<UInt8>, by delimiter: [UInt8], _ body: (ArraySlice<UInt8>) -> Void) {
        guard let first = delimiter.first else { return body(bytes) }
        var start = bytes.startIndex
        var i = bytes.startIndex
        var emitted = false
        while i < bytes.endIndex {
            if bytes[i] == first && bytes[i...].starts(with: delimiter) {
                body(bytes[start..<i])
                emitted = true
                i += delimiter.count
                start = i
            } else {
                i += 1
            }
        }
        if start < bytes.endIndex || !emitted { body(bytes[start..<bytes.endIndex]) }
    }

    static func isBlank(_ bytes: ArraySlice<UInt8>) -> Bool {
        bytes.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
    }

    /// Decodes one JSON document into events, as Logstash's json codecs do: an object is one
    /// event, an array of objects one event per object, blank input none. Anything else, or
    /// invalid JSON, becomes one event with the text in `message` and tag `_jsonparsefailure`.
    /// With `target`, the decoded object goes under that field of a fresh event. Events whose
    /// text held invalid UTF-8 (now U+FFFD) are tagged `_utf8_replaced`. Returns false for
    /// blank input, which makes no event.
    @discardableResult
    static func decodeJSON(_ bytes: ArraySlice<UInt8>, charset: Charset, target: FieldReference?,
                           logger: Logger, into events: inout [Event]) -> Bool {
        if isBlank(bytes) { return false }
        let utf8 = charset == .utf8 ? nil : charset.utf8(bytes)
        let result: Result<Value, JSONError>
        var repaired = false
        if let utf8 {
            result = Result { () throws(JSONError) -> Value in try JSON.decode(utf8, repairedUTF8: &repaired) }
        } else {
            result = Result { () throws(JSONError) -> Value in try JSON.decode(bytes, repairedUTF8: &repaired) }
        }
        let first = events.count
        defer {
            if repaired { for k in first..<events.count { events[k].addTag(JSON.utf8ReplacedTag) } }
        }
        func failure(_ reason: String) {
            let text = utf8.map { String(decoding: $0, as: UTF8.self) } ?? String(decoding: bytes, as: UTF8.self)
            logger.warning("JSON parse error, original data now in message field", metadata: ["error": "\(reason)"])
            var e = Event(message: text)
            e.addTag("_jsonparsefailure")
            events.append(e)
        }
        func event(_ m: FieldMap) -> Event {
            guard let target else { return Event(fields: m) }
            var e = Event()
            e.set(target, .object(m))
            return e
        }
        // Consuming the result leaves each FieldMap uniquely referenced, so the event can
        // update `@timestamp` in place instead of copying the decoded fields.
        switch consume result {
        case .failure(let error):
            failure(error.description)
            repaired = false  // the failure tag already marks the event
        case .success(.object(let m)):
            events.append(event(m))
        case .success(.array(let items)):
            var objects: [FieldMap] = []
            for item in items {
                guard case .object(let m) = item else {
                    failure("JSON array holds a \(item.typeName), not only objects")
                    repaired = false
                    return true
                }
                objects.append(m)
            }
            for m in objects { events.append(event(m)) }
        case .success(let other):
            failure("JSON object expected, got \(other.typeName)")
            repaired = false
        }
        return true
    }
}

extension Event {
    /// Logstash's `Event#to_s`: `"<@timestamp> <host> <message>"`, with `%{host}` and
    /// `%{message}` standing in for missing fields, and no timestamp part without `@timestamp`.
    func appendLogstashText<S: ByteSink & ~Copyable>(to out: inout S) {
        if case .timestamp(let t)? = fields[Event.timestampKey] {
            t.writeISO8601(to: &out)
            out.append(UInt8(ascii: " "))
        }
        for (k, name) in ["host", "message"].enumerated() {
            if k > 0 { out.append(UInt8(ascii: " ")) }
            if let v = fields[name], !v.isNull { v.writeRendered(to: &out) }
            else { out.append(utf8: "%{\(name)}") }
        }
    }
}
