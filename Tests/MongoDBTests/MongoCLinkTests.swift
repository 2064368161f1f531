import CMongoC
import Testing

@testable import MongoDBPlugins

/// The CMongoC module imports and links: libmongoc initialises and reports its version, and
/// libbson round-trips a document through its binary form.
@Suite struct MongoCLinkTests {
    @Test func initialisesAndReportsItsVersion() {
        MongoC.initialiseOnce()
        MongoC.initialiseOnce()  // a second call is harmless
        let v = MongoC.version
        #expect(v.split(separator: ".").compactMap { Int($0) }.count >= 3, "\(v)")
        #expect(mongoc_get_major_version() >= 1)
        #expect(v.hasPrefix("\(mongoc_get_major_version()).\(mongoc_get_minor_version())."), "\(v)")
    }

    @Test func aBSONDocumentRoundTrips() throws {
        // bson_t is imported as an opaque pointer (it is over-aligned), so the document is
        // built and read through libbson's functions only.
        let doc = try #require(bson_new())
        #expect(bson_append_utf8(doc, "message", -1, "hello", -1))
        #expect(bson_append_int64(doc, "count", -1, 42))
        // Take the serialized bytes, as a server would receive them, and parse them again.
        var length: UInt32 = 0
        let bytes = try #require(bson_destroy_with_steal(doc, true, &length))
        defer { bson_free(bytes) }
        #expect(length > 0)
        let copy = try #require(bson_new_from_data(bytes, Int(length)))
        defer { bson_destroy(copy) }
        #expect(bson_count_keys(copy) == 2)
        #expect(bson_has_field(copy, "message"))
        let json = try #require(bson_as_canonical_extended_json(copy, nil))
        defer { bson_free(json) }
        #expect(String(cString: json) == #"{ "message" : "hello", "count" : { "$numberLong" : "42" } }"#)
    }
}
