/// Hand-written JSON for the hot path: bytes to `Value` and back, without Foundation.
///
/// Decoding keeps object key order (a duplicate key keeps its first position and the last
/// value) and turns invalid UTF-8 and lone surrogates into U+FFFD instead of failing (the
/// `repairedUTF8` variants say when it did, so codecs can tag the event). Numbers never change
/// silently: integers that fit Int64 are `.int`, other numbers `.double` when the double reads
/// back as the same number, and anything else — integers beyond Int64, more digits than a
/// double keeps, `1e999` — a `.number` holding the digits as written, which encoding writes
/// back verbatim. Encoding writes compact JSON; events lose `@metadata` and write
/// `@timestamp` as an ISO8601 string.
public enum JSON {
    /// Nesting deeper than this is rejected rather than risking the stack of a worker thread.
    public static let maxDepth = 512

    /// The tag of an event whose JSON text held invalid UTF-8 or an unpaired surrogate escape,
    /// now U+FFFD (see the `repairedUTF8` variants of `decode`).
    public static let utf8ReplacedTag = "_utf8_replaced"

    public static func decode(_ bytes: UnsafeBufferPointer<UInt8>) throws(JSONError) -> Value {
        var parser = JSONParser(bytes)
        return try parser.document()
    }

    public static func decode(_ bytes: some Collection<UInt8>) throws(JSONError) -> Value {
        if let r = bytes.withContiguousStorageIfAvailable({ decodeResult($0) }) { return try r.get() }
        return try Array(bytes).withUnsafeBufferPointer { decodeResult($0) }.get()
    }

    public static func decode(_ text: String) throws(JSONError) -> Value {
        try withBytes(text) { decodeResult($0) }.get()
    }

    private static func decodeResult(_ b: UnsafeBufferPointer<UInt8>) -> Result<Value, JSONError> {
        var parser = JSONParser(b)
        return Result { () throws(JSONError) -> Value in try parser.document() }
    }

    /// Decodes, and sets `repairedUTF8` when invalid UTF-8 or an unpaired surrogate escape
    /// became U+FFFD.
    public static func decode(_ bytes: some Collection<UInt8>, repairedUTF8: inout Bool) throws(JSONError) -> Value {
        let (r, repaired) = bytes.withContiguousStorageIfAvailable(decodeNoting)
            ?? Array(bytes).withUnsafeBufferPointer(decodeNoting)
        repairedUTF8 = repaired
        return try r.get()
    }

    public static func decode(_ text: String, repairedUTF8: inout Bool) throws(JSONError) -> Value {
        let (r, repaired) = withBytes(text, decodeNoting)
        repairedUTF8 = repaired
        return try r.get()
    }

    private static func decodeNoting(_ b: UnsafeBufferPointer<UInt8>) -> (Result<Value, JSONError>, Bool) {
        var parser = JSONParser(b)
        let r = Result { () throws(JSONError) -> Value in try parser.document() }
        return (r, parser.replacedUTF8)
    }

    // MARK: encoding

    public static func encode(_ v: Value, into out: inout [UInt8]) {
        JSONWriter.write(v, &out)
    }

    /// An event as codecs serialize it: without `@metadata`.
    public static func encode(event: Event, into out: inout [UInt8]) {
        var buffer = ByteBuffer(capacity: 1024)
        encode(event: event, into: &buffer)
        buffer.withBytes { out.append(contentsOf: $0) }
    }

    /// The same, into a `ByteBuffer`: no uniqueness check per byte, as on `[UInt8]`.
    public static func encode(event: Event, into out: inout ByteBuffer) {
        JSONWriter.writeObject(event.fields, skipMetadata: true, &out)
    }

    public static func encode(_ v: Value) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        encode(v, into: &out)
        return out
    }

    public static func encodeToString(_ v: Value) -> String {
        String(decoding: encode(v), as: UTF8.self)
    }

    public static func encodeToString(event: Event) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        encode(event: event, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `s` as a quoted JSON string.
    public static func appendString(_ s: String, into out: inout [UInt8]) {
        JSONWriter.appendString(s, &out)
    }
}

/// Malformed JSON: what was wrong and at which byte offset of the input.
public struct JSONError: Error, Sendable, Equatable, CustomStringConvertible {
    public let offset: Int
    public let message: String

    public init(offset: Int, message: String) {
        self.offset = offset
        self.message = message
    }

    public var description: String { "\(message) at byte \(offset)" }
}
