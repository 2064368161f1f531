import CMongoC
import SluiceCore

/// Turns an event into a BSON document, keeping each value's type: integers as int32 when
/// they fit and int64 otherwise (as MongoDB's own drivers do), floats as double, booleans,
/// null, nested objects and arrays as such, and timestamps as BSON dates when `isodate`
/// (otherwise as ISO 8601 strings, as Logstash writes them). `@metadata` is never written.
struct BSONEncoder {
    var isodate: Bool

    /// The event's fields as a document, with `_id` set first when given.
    func document(for event: Event, id: BSONValue? = nil) -> BSONDocument {
        let doc = BSONDocument()
        if let id { append(id, key: "_id", to: doc.pointer) }
        for (key, value) in event.fields where key != Event.metadataKey {
            if id != nil, key == "_id" { continue }
            append(value, key: key, to: doc.pointer)
        }
        return doc
    }

    /// A document of the given fields (a filter such as `{_id: ...}`).
    func document(_ fields: [(key: String, value: Value)]) -> BSONDocument {
        let doc = BSONDocument()
        for (key, value) in fields { append(value, key: key, to: doc.pointer) }
        return doc
    }

    /// `{"$set": fields of event}` for the `update` action.
    func setDocument(for event: Event) -> BSONDocument {
        let doc = BSONDocument()
        let child = BSONStorage()
        bson_append_document_begin(doc.pointer, "$set", 4, child.pointer)
        for (key, value) in event.fields where key != Event.metadataKey && key != "_id" {
            append(value, key: key, to: child.pointer)
        }
        bson_append_document_end(doc.pointer, child.pointer)
        return doc
    }

    /// A value that is not a `Value`: an ObjectId made here (`generateId`).
    enum BSONValue {
        case value(Value)
        case newObjectId
    }

    private func append(_ v: BSONValue, key: String, to doc: OpaquePointer) {
        switch v {
        case .value(let value):
            append(value, key: key, to: doc)
        case .newObjectId:
            var oid = bson_oid_t()
            bson_oid_init(&oid, nil)
            withKey(key) { k, n in _ = bson_append_oid(doc, k, n, &oid) }
        }
    }

    func append(_ value: Value, key: String, to doc: OpaquePointer) {
        withKey(key) { k, n in
            switch value {
            case .null:
                _ = bson_append_null(doc, k, n)
            case .bool(let b):
                _ = bson_append_bool(doc, k, n, b)
            case .int(let i):
                if let small = Int32(exactly: i) {
                    _ = bson_append_int32(doc, k, n, small)
                } else {
                    _ = bson_append_int64(doc, k, n, i)
                }
            case .double(let d):
                _ = bson_append_double(doc, k, n, d)
            case .number(let literal):
                // Too large or too precise for int64/double: Decimal128 keeps its digits.
                var dec = bson_decimal128_t()
                if bson_decimal128_from_string(literal.text, &dec) {
                    _ = bson_append_decimal128(doc, k, n, &dec)
                } else {
                    _ = bson_append_double(doc, k, n, literal.doubleValue)
                }
            case .string(let s):
                appendString(s, key: k, keyLength: n, to: doc)
            case .timestamp(let t):
                if isodate {
                    _ = bson_append_date_time(doc, k, n, t.epochMilliseconds)
                } else {
                    appendString(t.iso8601, key: k, keyLength: n, to: doc)
                }
            case .array(let items):
                let child = BSONStorage()
                _ = bson_append_array_begin(doc, k, n, child.pointer)
                for (i, item) in items.enumerated() { append(item, key: String(i), to: child.pointer) }
                _ = bson_append_array_end(doc, child.pointer)
            case .object(let fields):
                let child = BSONStorage()
                _ = bson_append_document_begin(doc, k, n, child.pointer)
                for (childKey, item) in fields { append(item, key: childKey, to: child.pointer) }
                _ = bson_append_document_end(doc, child.pointer)
            }
        }
    }

    private func appendString(_ s: String, key: UnsafePointer<CChar>, keyLength: Int32, to doc: OpaquePointer) {
        var s = s
        s.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { chars in
                // libbson appends null for a NULL value: an empty string needs a real pointer.
                if let base = chars.baseAddress {
                    _ = bson_append_utf8(doc, key, keyLength, base, Int32(chars.count))
                } else {
                    _ = "".withCString { bson_append_utf8(doc, key, keyLength, $0, 0) }
                }
            }
        }
    }

    /// BSON keys are C strings: a NUL inside a field name is replaced, not allowed to cut it.
    private func withKey(_ key: String, _ body: (UnsafePointer<CChar>, Int32) -> Void) {
        var k = key.utf8.contains(0) ? key.replacing("\0", with: "\u{FFFD}") : key
        k.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { chars in
                // An empty buffer may have no base address; libbson wants a pointer anyway.
                if let base = chars.baseAddress {
                    body(base, Int32(chars.count))
                } else {
                    "".withCString { body($0, 0) }
                }
            }
        }
    }
}
