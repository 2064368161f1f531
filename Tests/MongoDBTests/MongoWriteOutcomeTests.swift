import CMongoC
import SluiceCore
import Testing
@testable import MongoDBPlugins

/// How the output reads libmongoc's bulk replies, for the codes a real MongoDB sends that
/// nx-27017 never does (121 validation, 10107 not primary, keyPattern, write concern errors),
/// and how the uri's password is kept out of messages.
@Suite struct MongoWriteOutcomeTests {
    private func output(_ given: [String: Value] = [:]) throws -> MongoDBOutput {
        var values: [String: Value] = [:]
        for spec in MongoDBOutput.settingSpecs { if let d = spec.defaultValue { values[spec.name] = d } }
        values["uri"] = "mongodb://u:pw-1234%40x@127.0.0.1:1/"
        values["database"] = "db"
        values["collection"] = "c"
        values.merge(given) { _, new in new }
        return try MongoDBOutput(settings: PluginSettings(pluginName: "mongodb", id: "mongodb_1", values: values),
                                 context: PluginContext(logger: Logger(label: "test"), pipeline: PipelineSettings()))
    }

    private func item(_ index: Int, _ code: Int, _ message: String, keyPattern: [String]? = nil) -> BulkReply.ItemError {
        BulkReply.ItemError(index: index, code: code, message: message, keyPattern: keyPattern)
    }

    @Test func eachFailedItemIsDeliveredRetriedOrRejectedByItsCode() throws {
        let out = try output()
        var reply = BulkReply()
        reply.writeErrors = [
            item(0, 11000, "E11000 duplicate key error collection: db.c index: _id_ dup key: { _id: \"a\" }", keyPattern: ["_id"]),
            item(1, 11000, "E11000 duplicate key error collection: db.c index: email_1 dup key", keyPattern: ["email"]),
            item(2, 121, "Document failed validation"),
            item(3, 10107, "not primary"),
            item(4, 189, "primary stepped down"),
            item(5, 11000, "E11000 duplicate key error collection: db.c index: _id_ dup key: { _id: \"b\" }"),
        ]
        reply.refused = [(6, "invalid document for insert: keys cannot contain \".\": \"a.b\"")]
        var outcome = WriteOutcome()
        // The chunk maps request indices to the batch's: here event i+10 is operation i.
        let error = out.examine(reply, chunk: Array(10...17), collection: "c", into: &outcome)
        #expect(error == nil)
        #expect(outcome.rejected.map(\.index) == [16, 11, 12], "the refused key, another unique index, validation")
        #expect(outcome.rejected.allSatisfy { $0.reason.contains("db.c") })
        #expect(outcome.rejected[2].reason.contains("121") && outcome.rejected[2].reason.contains("Document failed validation"))
        #expect(outcome.retry.map(\.index) == [13, 14])
        // 10, 15 (duplicate _id of a replayed insert) and 17 (no error) were delivered.
    }

    @Test func aDuplicateIdOnAnUpsertIsRetriedNotDelivered() throws {
        let out = try output(["action": "upsert", "document_id": "%{id}"])
        var reply = BulkReply()
        reply.writeErrors = [item(0, 11000, "E11000 duplicate key error", keyPattern: ["_id"])]
        var outcome = WriteOutcome()
        _ = out.examine(reply, chunk: [0], collection: "c", into: &outcome)
        #expect(outcome.retry.map(\.index) == [0])
    }

    @Test func aWriteConcernErrorRetriesWhatWasNotConfirmed() throws {
        let out = try output()
        var reply = BulkReply()
        reply.writeErrors = [item(1, 121, "Document failed validation")]
        reply.writeConcernErrors = [(64, "waiting for replication timed out")]
        var outcome = WriteOutcome()
        _ = out.examine(reply, chunk: [0, 1, 2], collection: "c", into: &outcome)
        #expect(outcome.retry.map(\.index) == [0, 2])
        #expect(outcome.rejected.map(\.index) == [1])
    }

    @Test func aFailedBulkIsRetriableWhenTheNetworkOrThePrimaryFailed() throws {
        let out = try output()
        let cases: [(BulkFailure, Bool)] = [
            (BulkFailure(domain: UInt32(MONGOC_ERROR_STREAM.rawValue), code: 0, message: "socket error", labels: []), true),
            (BulkFailure(domain: UInt32(MONGOC_ERROR_SERVER_SELECTION.rawValue), code: 0, message: "no suitable servers", labels: []), true),
            (BulkFailure(domain: UInt32(MONGOC_ERROR_SERVER.rawValue), code: 10107, message: "not primary", labels: []), true),
            (BulkFailure(domain: UInt32(MONGOC_ERROR_SERVER.rawValue), code: 2, message: "bad value", labels: ["RetryableWriteError"]), true),
            (BulkFailure(domain: UInt32(MONGOC_ERROR_SERVER.rawValue), code: 73, message: "Invalid namespace", labels: []), false),
        ]
        for (failure, retriable) in cases {
            var outcome = WriteOutcome()
            let error = out.examine(BulkReply(failure: failure), chunk: [0], collection: "c", into: &outcome)
            #expect(error?.retriable == retriable, "\(failure.message)")
            #expect(outcome.rejected.isEmpty && outcome.retry.isEmpty)
        }
    }

    @Test func thePasswordIsRedactedAsWrittenAndDecoded() throws {
        let uri = try MongoURI("mongodb://writer:pw-1234%40x@127.0.0.1:1/?authSource=admin", defaultSelectionTimeoutMS: 100)
        #expect(Set(uri.secrets) == ["pw-1234%40x", "pw-1234@x"])
        #expect(uri.redact("auth failed for pw-1234@x and pw-1234%40x") == "auth failed for <redacted> and <redacted>")
        #expect(try MongoURI("mongodb://127.0.0.1/", defaultSelectionTimeoutMS: 100).secrets.isEmpty)
        // An unparsable uri's error does not echo the password either.
        do {
            _ = try MongoURI("mongodb://writer:pw-9876@host:notaport/", defaultSelectionTimeoutMS: 100)
            Issue.record("a bad port parsed")
        } catch {
            #expect(!error.message.contains("pw-9876"), "\(error.message)")
        }
    }

    @Test func settingsThatCannotWorkAreConfigErrors() throws {
        #expect(throws: ConfigError.self) { try output(["action": "update"]) }
        #expect(throws: ConfigError.self) { try output(["write_concern": "0"]) }
        #expect(throws: ConfigError.self) { try output(["bulk_size": 0]) }
        _ = try output(["action": "replace", "filter": ["key": "%{k}"]])
    }
}

/// BSON keys are C strings: a NUL inside a field name would cut it short.
@Suite struct BSONEncoderKeyTests {
    @Test func aNulInAFieldNameBecomesAReplacementCharacter() {
        var event = Event(fields: FieldMap())
        event.fields.set("a\u{0}b", .int(1))
        event.fields.set("plain", .string("x"))
        let json = BSONEncoder(isodate: false).document(for: event).relaxedJSON
        #expect(json.contains("\"a\u{FFFD}b\" : 1"), "\(json)")
        #expect(json.contains("\"plain\" : \"x\""), "\(json)")
    }
}
