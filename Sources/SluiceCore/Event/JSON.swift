/// Hand-written JSON for the hot path: bytes to `Value` and back, without Foundation.
///
/// Decoding keeps object key order (a duplicate key keeps its first position and the last
/// value), reads integers that fit as `.int` and everything else as `.double`, and turns
/// invalid UTF-8 and lone surrogates into U+FFFD instead of failing. Encoding writes compact
/// JSON; events lose `@metadata` and write `@timestamp` as an ISO8601 string.
public enum JSON {
    /// Nesting deeper than this is rejected rather than risking the stack of a worker thread.
    public static let maxDepth = 512

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
