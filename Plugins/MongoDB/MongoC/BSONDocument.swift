import CMongoC

/// Owns one heap `bson_t` (libbson's document) and destroys it once.
///
/// `bson_t` is over-aligned, so Swift sees it only as an opaque pointer; documents are built
/// and read through libbson's functions. A document is built on one task and then handed,
/// unchanged, to the thread that runs the bulk write: hence `@unchecked Sendable`.
final class BSONDocument: @unchecked Sendable {
    let pointer: OpaquePointer

    init() {
        // bson_new aborts on allocation failure rather than returning NULL.
        guard let p = bson_new() else { preconditionFailure("bson_new returned NULL (out of memory)") }
        pointer = p
    }

    deinit { bson_destroy(pointer) }

    /// The document as relaxed extended JSON (numbers plain), for reading replies.
    var relaxedJSON: String {
        guard let text = bson_as_relaxed_extended_json(pointer, nil) else { return "{}" }
        defer { bson_free(text) }
        return String(cString: text)
    }
}

/// Room for a `bson_t` that libbson initialises itself (a child document between
/// `bson_append_document_begin` and `_end`, or a reply): 128 bytes aligned to 128, as
/// libbson declares the struct.
struct BSONStorage: ~Copyable {
    let pointer: OpaquePointer
    private let raw: UnsafeMutableRawPointer

    init() {
        raw = UnsafeMutableRawPointer.allocate(byteCount: 128, alignment: 128)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: 128)
        pointer = OpaquePointer(raw)
    }

    deinit { raw.deallocate() }
}

extension bson_error_t {
    /// The error's text.
    var text: String {
        var copy = self
        return withUnsafeBytes(of: &copy.message) { buffer in
            String(decoding: buffer.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
    }
}
