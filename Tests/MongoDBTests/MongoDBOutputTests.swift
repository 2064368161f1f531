import Foundation
import SluiceCore
import SluiceTesting
import Testing
@testable import MongoDBPlugins

/// The mongodb output against nx-27017 (scripts/services.sh, or a server of the test's own
/// when it must go down), read back with pymongo.
@Suite(.serialized) struct MongoDBOutputTests {
    let uri: String
    init() throws { uri = try TestServices.url("mongodb") }

    private func harness(_ logs: LogCapture? = nil) -> PipelineHarness {
        var r = PluginRegistry()
        MongoDBPlugins.register(into: &r)
        var h = PipelineHarness(registry: r)
        h.settings.batchSize = 125
        if let logs { h.logger = logs.logger }
        return h
    }

    private func events(_ n: Int, from first: Int = 0) -> [Event] {
        (first..<(first + n)).map { i in
            var e = Event(message: "event \(i)")
            e.fields.set("id", .string("e\(i)"))
            e.fields.set("n", .int(Int64(i)))
            e.fields.set("app", .string(i % 2 == 0 ? "even" : "odd"))
            return e
        }
    }

    @Test func documentsEqualTheEventsWithTheirTypes() async throws {
        let db = uniqueDatabase("types")
        var e = Event(message: "hello", timestamp: Timestamp(year: 2024, month: 5, day: 1, hour: 10, minute: 2, second: 3, nanosecond: 456_000_000))
        e.fields.set("small", .int(42))
        e.fields.set("big", .int(9_000_000_000))
        e.fields.set("ratio", .double(0.25))
        e.fields.set("ok", .bool(true))
        e.fields.set("nothing", .null)
        e.fields.set("empty", .string(""))
        e.fields.set("tags", .array([.string("a"), .int(1), .array([.bool(false)])]))
        e.fields.set("user", ["name": "ann", "age": 31, "geo": ["lat": 1.5]])
        e.fields.set(Event.metadataKey, ["secret": "not written"])
        let result = try await harness().run("""
            output { mongodb { uri => "\(uri)" database => "\(db)" collection => "events" isodate => true } }
            """, events: [e])
        #expect(result.acks == [.delivered])
        let docs = try PyMongo.find(uri, db, "events")
        try #require(docs.count == 1)
        let d = docs[0]
        func t(_ key: String) -> String? { d[key]?.objectValue?["t"]?.stringValue }
        func v(_ key: String) -> Value? { d[key]?.objectValue?["v"] }
        #expect(t("_id") == "ObjectId")
        #expect(t("message") == "str" && v("message") == "hello")
        #expect(t("@timestamp") == "datetime")
        #expect(v("@timestamp")?.stringValue?.hasPrefix("2024-05-01T10:02:03.456") == true, "\(String(describing: v("@timestamp")))")
        #expect(t("@version") == "str" && v("@version") == "1")
        #expect(t("small") == "int" && v("small") == .int(42))
        #expect(t("big") == "Int64" && v("big") == .int(9_000_000_000), "pymongo reads BSON int64 as Int64")
        #expect(t("ratio") == "float" && v("ratio") == .double(0.25))
        #expect(t("ok") == "bool" && v("ok") == .bool(true))
        #expect(t("nothing") == "NoneType")
        #expect(t("empty") == "str" && v("empty") == "")
        #expect(t("tags") == "list")
        let tags = v("tags")?.arrayValue?.compactMap(\.objectValue) ?? []
        #expect(tags.map { $0["t"]?.stringValue ?? "" } == ["str", "int", "list"])
        #expect(t("user") == "dict")
        let user = v("user")?.objectValue
        #expect(user?["age"]?.objectValue?["t"] == "int" && user?["age"]?.objectValue?["v"] == .int(31))
        #expect(user?["geo"]?.objectValue?["t"] == "dict")
        #expect(d[Event.metadataKey] == nil, "@metadata is never written")
        #expect(Set(d.keys) == ["_id", "message", "@timestamp", "@version", "small", "big", "ratio", "ok", "nothing", "empty", "tags", "user"])
    }

    @Test func withoutIsodateTheTimestampIsLogstashsString() async throws {
        let db = uniqueDatabase("noiso")
        let e = Event(message: "x", timestamp: Timestamp(year: 2024, month: 5, day: 1, hour: 10))
        let result = try await harness().run("""
            output { mongodb { uri => "\(uri)" database => "\(db)" collection => "c" } }
            """, events: [e])
        #expect(result.acks == [.delivered])
        let d = try PyMongo.find(uri, db, "c")
        #expect(d.first?["@timestamp"]?.objectValue?["v"] == "2024-05-01T10:00:00.000Z")
    }

    @Test func theCollectionComesFromTheEvent() async throws {
        let db = uniqueDatabase("sprintf")
        let result = try await harness().run("""
            output { mongodb { uri => "\(uri)" database => "\(db)" collection => "logs_%{app}" bulk_size => 7 } }
            """, events: events(100))
        #expect(result.acks.allSatisfy { $0 == .delivered })
        // nx-27017 takes only [A-Za-z0-9_] in collection names (MongoDB takes `-` too).
        #expect(try PyMongo.collections(uri, db) == ["logs_even", "logs_odd"])
        for app in ["even", "odd"] {
            let docs = try PyMongo.find(uri, db, "logs_\(app)")
            #expect(docs.count == 50)
            #expect(docs.allSatisfy { $0["app"]?.objectValue?["v"]?.stringValue == app })
        }
    }

    @Test func anUpsertReplayedTwiceLeavesOneDocumentWithTheLastValues() async throws {
        let db = uniqueDatabase("upsert")
        let config = """
            output { mongodb { uri => "\(uri)" database => "\(db)" collection => "c" action => "upsert" document_id => "%{id}" } }
            """
        _ = try await harness().run(config, events: events(200))
        var replay = events(200)
        for i in replay.indices { replay[i].fields.set("round", .int(2)) }
        let second = try await harness().run(config, events: replay)
        #expect(second.acks.allSatisfy { $0 == .delivered })
        #expect(second.deadLetters.isEmpty)
        let docs = try PyMongo.find(uri, db, "c")
        #expect(docs.count == 200)
        #expect(Set(docs.compactMap { $0["_id"]?.objectValue?["v"]?.stringValue }) == Set((0..<200).map { "e\($0)" }))
        #expect(docs.allSatisfy { $0["round"]?.objectValue?["v"] == .int(2) }, "the replay overwrote")
    }

    @Test func aReplayedInsertIsDeliveredNotDuplicated() async throws {
        let db = uniqueDatabase("replay")
        let config = """
            output { mongodb { uri => "\(uri)" database => "\(db)" collection => "c" document_id => "%{id}" } }
            """
        _ = try await harness().run(config, events: events(100))
        // The first 100 again (E11000 on each) and 50 new ones, in one bulk.
        let second = try await harness().run(config, events: events(150))
        #expect(second.acks.allSatisfy { $0 == .delivered })
        #expect(second.deadLetters.isEmpty, "\(second.deadLetters.map(\.reason))")
        #expect(try PyMongo.count(uri, db, "c") == 150)
    }

    @Test func updateSetsFieldsOnTheDocumentTheFilterFinds() async throws {
        let db = uniqueDatabase("update")
        _ = try await harness().run("""
            output { mongodb { uri => "\(uri)" database => "\(db)" collection => "c" document_id => "%{id}" } }
            """, events: events(10))
        var changes: [Event] = []
        for i in 0..<10 {
            var e = Event(fields: FieldMap(), stamp: false)
            e.fields.set("key", .string("e\(i)"))
            e.fields.set("status", .string("seen"))
            changes.append(e)
        }
        let result = try await harness().run("""
            output { mongodb { uri => "\(uri)" database => "\(db)" collection => "c" action => "update" filter => { "_id" => "%{key}" } } }
            """, events: changes)
        #expect(result.acks.allSatisfy { $0 == .delivered })
        let docs = try PyMongo.find(uri, db, "c")
        #expect(docs.count == 10)
        #expect(docs.allSatisfy { $0["status"]?.objectValue?["v"] == "seen" && $0["message"] != nil })
    }

    @Test func generateIdGivesNewObjectIdsAndReplaceOverwritesWithoutInserting() async throws {
        let db = uniqueDatabase("genid")
        var withId = events(5)
        for i in withId.indices { withId[i].fields.set("_id", .string("ignored-\(i)")) }
        _ = try await harness().run("""
            output { mongodb { uri => "\(uri)" database => "\(db)" collection => "g" generateId => true } }
            """, events: withId)
        let generated = try PyMongo.find(uri, db, "g")
        #expect(generated.count == 5)
        #expect(generated.allSatisfy { $0["_id"]?.objectValue?["t"] == "ObjectId" })
        #expect(Set(generated.compactMap { $0["_id"]?.objectValue?["v"]?.stringValue }).count == 5)

        _ = try await harness().run("""
            output { mongodb { uri => "\(uri)" database => "\(db)" collection => "r" document_id => "%{id}" } }
            """, events: events(3))
        var replacements = events(5)  // e3 and e4 do not exist: replace (no upsert) leaves them out
        for i in replacements.indices { replacements[i].fields.set("message", .string("replaced")) }
        let result = try await harness().run("""
            output { mongodb { uri => "\(uri)" database => "\(db)" collection => "r" action => "replace" document_id => "%{id}" } }
            """, events: replacements)
        #expect(result.acks.allSatisfy { $0 == .delivered })
        let docs = try PyMongo.find(uri, db, "r")
        #expect(docs.count == 3)
        #expect(docs.allSatisfy { $0["message"]?.objectValue?["v"] == "replaced" })
    }

    @Test func aServerDownAtStartIsWaitedForThenWritten() async throws {
        let server = try OwnMongoServer()
        let h = harness()
        let config = """
            output { mongodb { uri => "\(server.uri)/?serverSelectionTimeoutMS=300" database => "down" collection => "c"
                               document_id => "%{id}" retry_delay => 0.05 } }
            """
        let running = try h.start(config, events: events(300))
        try await Task.sleep(for: .seconds(1.5))
        #expect(running.current.acks.isEmpty, "nothing can be acknowledged while the server is down")
        try server.start()
        let result = try await running.finish()
        #expect(result.acks.allSatisfy { $0 == .delivered })
        #expect(try PyMongo.count(server.uri, "down", "c") == 300)
    }

    @Test func aServerKilledMidRunLosesNothing() async throws {
        let server = try OwnMongoServer()
        try server.start()
        var h = harness()
        h.settings.batchSize = 50
        let n = 6000
        let config = """
            output { mongodb { uri => "\(server.uri)/?serverSelectionTimeoutMS=300&connectTimeoutMS=300" database => "killed"
                               collection => "c" document_id => "%{id}" retry_delay => 0.05 } }
            """
        let running = try h.start(config, events: events(n), chunkSize: 50)
        let started = await running.waitUntil(timeout: .seconds(60)) { $0.acks.count >= 10 }
        #expect(started)
        server.kill()
        let before = running.current.acks.count
        try await Task.sleep(for: .seconds(1))
        try server.start()
        let result = try await running.finish()
        #expect(before < n / 50, "the server went down mid-run")
        #expect(result.acks.count == n / 50)
        #expect(result.acks.allSatisfy { $0 == .delivered })
        #expect(result.deadLetters.isEmpty, "\(result.deadLetters.prefix(3).map(\.reason))")
        let docs = try PyMongo.find(server.uri, "killed", "c")
        let ids = docs.compactMap { $0["_id"]?.objectValue?["v"]?.stringValue }
        #expect(ids.count == n, "nothing lost, nothing duplicated")
        #expect(Set(ids) == Set((0..<n).map { "e\($0)" }))
    }

    @Test func aDocumentTheServerRefusesGoesToTheDeadLetterQueue() async throws {
        // nx-27017's `create` command drops validators, so the collection is made with its
        // $jsonSchema validator directly in the server's SQLite file (a CHECK constraint); the
        // server then refuses with code 11000 and "CHECK constraint failed" (MongoDB says 121).
        let server = try OwnMongoServer()
        _ = try PyMongo.run(["validated", server.dataDir, "valid", "people"])
        try server.start()
        var good: [Event] = events(10)
        for i in good.indices { good[i].fields.set("age", .int(20 + Int64(i))) }
        var bad = Event(message: "no age")
        bad.fields.set("id", "bad-1")
        var wrongType = Event(message: "age is text")
        wrongType.fields.set("id", "bad-2")
        wrongType.fields.set("age", "old")
        let result = try await harness().run("""
            output { mongodb { uri => "\(server.uri)" database => "valid" collection => "people" document_id => "%{id}" } }
            """, events: good + [bad, wrongType])
        #expect(result.acks == [.delivered])
        #expect(result.deadLetters.map { $0.event[field: "id"]?.stringValue } == ["bad-1", "bad-2"])
        #expect(result.deadLetters.allSatisfy { $0.reason.contains("CHECK constraint failed") && $0.reason.contains("valid.people") },
                "\(result.deadLetters.map(\.reason))")
        #expect(try PyMongo.count(server.uri, "valid", "people") == 10)
    }

    @Test func theUriPasswordNeverAppearsInLogsOrErrors() async throws {
        let password = "S3cr3t-Pa55w0rd"
        let port = try closedPort()
        let logs = LogCapture()
        let h = harness(logs)
        let running = try h.start("""
            output { mongodb { uri => "mongodb://writer:\(password)@127.0.0.1:\(port)/?serverSelectionTimeoutMS=200"
                               database => "d" collection => "c" } }
            """, events: events(1))
        try await Task.sleep(for: .seconds(2))
        running.abort()
        _ = try? await running.finish()
        #expect(logs.all.contains("cannot reach the server"), "the start failures were logged: \(logs.all)")
        #expect(!logs.all.contains(password))
        // A uri libmongoc cannot parse is a config error that does not show the password either.
        let errors = h.check("""
            output { mongodb { uri => "mongodb://writer:\(password)@127.0.0.1:port\(port)/" database => "d" collection => "c" } }
            """)
        let text = try #require(errors).description
        #expect(text.contains("uri"), "\(text)")
        #expect(!text.contains(password), "\(text)")
    }
}
