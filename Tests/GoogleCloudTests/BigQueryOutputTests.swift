import Foundation
import SluiceHTTP
import Synchronization
import SluiceCore
import SluiceTesting
import Testing
@testable import GoogleCloudPlugins

/// The `google_bigquery` output against bqemulator (with the fixture's shim), read back with
/// an independent client over the REST `/queries` endpoint.
@Suite(.serialized) struct BigQueryOutputTests {
    let bq: BigQueryFixture
    init() throws { bq = try BigQueryFixture() }

    @Test func everySampleTweetLandsOnceWithADerivedSchema() async throws {
        let tweets = try sampleTweets()
        #expect(tweets.count == 1000)
        let result = try await bigqueryHarness(batchSize: 250).run(
            bq.output("tweets", #"schema_mode => "auto" overflow_field => "overflow" batch_size => 250"#),
            events: tweets, chunkSize: 250)
        #expect(result.acks.count == 4 && result.acks.allSatisfy { $0 == .delivered })
        #expect(result.deadLetters.isEmpty, "\(result.deadLetters.first?.reason ?? "")")
        let rows = try bq.query("SELECT id_str, user.screen_name AS screen_name FROM \(bq.table("tweets"))")
        let ids = rows.compactMap { $0["id_str"] as? String }
        let expected = tweets.compactMap { $0.fields["id_str"]?.stringValue }
        #expect(ids.count == 1000, "each tweet once")
        #expect(Set(ids) == Set(expected) && Set(ids).count == 1000)
        #expect(rows.allSatisfy { ($0["screen_name"] as? String)?.isEmpty == false }, "nested records are columns")
        let schema = try bq.schema("tweets")
        let byName = Dictionary(schema.map { ($0["name"] as? String ?? "", $0) }, uniquingKeysWith: { a, _ in a })
        #expect(byName["user"]?["type"] as? String == "RECORD")
        #expect(byName["timestamp"]?["type"] as? String == "TIMESTAMP", "@timestamp becomes the TIMESTAMP column `timestamp`")
        #expect(byName["overflow"]?["type"] as? String == "JSON")
        #expect(byName["id"]?["type"] as? String == "INT64")
        let entities = (byName["entities"]?["fields"] as? [[String: Any]]) ?? []
        #expect(entities.contains { $0["name"] as? String == "hashtags" && $0["mode"] as? String == "REPEATED" })
        // Every tweet's text survived, whether as a column or in the overflow JSON.
        let texts = try bq.query("SELECT id_str, text FROM \(bq.table("tweets"))")
        let byId = Dictionary(texts.map { ($0["id_str"] as? String ?? "", $0["text"] as? String) }, uniquingKeysWith: { a, _ in a })
        for tweet in tweets.prefix(50) {
            #expect(byId[tweet.fields["id_str"]?.stringValue ?? ""] == tweet.fields["text"]?.stringValue)
        }
    }

    @Test func aFieldThatAppearsLateBecomesAColumnAndNoRowIsLost() async throws {
        var events: [Event] = []
        for i in 0..<300 {
            var e = Event(message: "row \(i)")
            e.fields.set("n", .int(Int64(i)))
            if i >= 200 {
                e.fields.set("late", ["x": .int(Int64(i)), "tags": ["a", "b"]])
                e.fields.set("user", ["name": .string("u\(i)")])
            } else if i >= 100 {
                e.fields.set("user", ["id": .int(Int64(i))])
            }
            events.append(e)
        }
        let logs = LogCapture()
        let result = try await bigqueryHarness(logs, batchSize: 50).run(
            bq.output("late", #"schema_mode => "auto" overflow_field => "overflow""#), events: events, chunkSize: 50)
        #expect(result.acks.allSatisfy { $0 == .delivered } && result.deadLetters.isEmpty)
        let rows = try bq.query("SELECT n, late.x AS x, late.tags AS tags, user.id AS uid, user.name AS uname, overflow FROM \(bq.table("late")) ORDER BY n")
        #expect(rows.count == 300)
        #expect(rows.map { Int($0["n"] as? String ?? "") } == (0..<300).map { $0 })
        #expect(rows.filter { $0["x"] is String }.count == 100, "the late column holds the late rows")
        #expect(rows.last?["tags"] as? [String] == ["a", "b"])
        #expect(rows.filter { $0["uid"] is String }.count == 100 && rows.filter { $0["uname"] is String }.count == 100,
                "a field new inside an existing RECORD became a column too")
        #expect(rows.allSatisfy { $0["overflow"] == nil || $0["overflow"] is NSNull }, "nothing needed the overflow column")
        #expect(logs.all.contains("added"), "the columns were added with tables.patch")
    }

    @Test func valuesThatCannotBeColumnsGoToTheOverflowColumn() async throws {
        func event(_ i: Int, _ pairs: [(String, Value)]) -> Event {
            var e = Event(message: "e\(i)")
            e.fields.set("i", .int(Int64(i)))
            for (k, v) in pairs { e.fields.set(k, v) }
            return e
        }
        let first = [event(0, [("k", 1), ("when", "2021-08-03T10:00:00Z"), ("obj", ["a": 1])])]
        let second = [
            event(1, [("k", "text")]),                       // STRING into INT64
            event(2, [("k", 2.5)]),                          // FLOAT64 into an existing INT64
            event(3, [("bad-name", 1), ("nested", [[1, 2]])]),  // a name BigQuery refuses, an array of arrays
            event(4, [("obj", ["a": "x", "b": true]), ("none", nil)]),  // a conflict inside a record, a null-only field
            event(5, [("when", "not a time")]),              // STRING into TIMESTAMP
        ]
        let h = bigqueryHarness(batchSize: 10)
        let out = bq.output("conflict", #"schema_mode => "auto" overflow_field => "overflow""#)
        _ = try await h.run(out, events: first)
        let result = try await h.run(out, events: second)
        #expect(result.acks.allSatisfy { $0 == .delivered } && result.deadLetters.isEmpty)
        let rows = try bq.query("SELECT i, k, obj.a AS a, obj.b AS b, overflow FROM \(bq.table("conflict")) ORDER BY i")
        #expect(rows.count == 6)
        func overflow(_ i: Int) -> [String: Any] {
            guard let text = rows[i]["overflow"] as? String else { return [:] }
            return (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) ?? [:]
        }
        #expect(rows[0]["k"] as? String == "1" && rows[0]["overflow"] is NSNull)
        #expect(rows[1]["k"] is NSNull && overflow(1)["k"] as? String == "text")
        #expect(overflow(2)["k"] as? Double == 2.5)
        #expect(overflow(3)["bad-name"] as? Int == 1 && (overflow(3)["nested"] as? [[Int]]) == [[1, 2]])
        #expect((overflow(4)["obj"] as? [String: Any])?["a"] as? String == "x", "the conflicting part of a record")
        #expect(rows[4]["b"] as? String == "true", "the fitting new part of the record is a column")
        #expect(overflow(4).keys.contains("none"), "a field seen only as null is kept")
        #expect(overflow(5)["when"] as? String == "not a time")
    }

    @Test func insertIdKeepsRetriesFromDuplicatingRows() async throws {
        let events = (0..<400).map { i -> Event in
            var e = Event(message: "row \(i)")
            e.fields.set("n", .int(Int64(i)))
            return e
        }
        let h = bigqueryHarness(batchSize: 100)
        let out = bq.output("dedup", #"schema_mode => "auto""#)
        _ = try await h.run(out, events: Array(events.prefix(1)))  // the table exists before the faults
        // Two requests are applied but their responses lost (503 after the insert), one fails
        // outright, and one reports a transient error for each of its rows.
        try bq.control("lose", ["count": 2])
        try bq.control("fail", ["status": 503, "count": 1])
        try bq.control("row_errors", ["reason": "backendError", "count": 1])
        let before = try bq.stats()
        let result = try await h.run(out, events: Array(events.dropFirst()), chunkSize: 100)
        #expect(result.acks.allSatisfy { $0 == .delivered } && result.deadLetters.isEmpty)
        let after = try bq.stats()
        #expect((after["duplicates_dropped"] ?? 0) - (before["duplicates_dropped"] ?? 0) >= 2 * 99,
                "the lost responses' rows were sent again with the same insertIds")
        let rows = try bq.query("SELECT n, COUNT(*) AS c FROM \(bq.table("dedup")) GROUP BY n")
        #expect(rows.count == 400)
        #expect(rows.allSatisfy { $0["c"] as? String == "1" }, "no row twice")
    }

    @Test func invalidRowsGoToTheDeadLetterQueueWithBigQuerysReasonAndTheOthersLand() async throws {
        let events = (0..<20).map { i -> Event in
            var e = Event(message: "row \(i)")
            e.fields.set("n", i % 7 == 3 ? .string("not a number \(i)") : .int(Int64(i)))
            return e
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bq-errors-\(UInt32.random(in: 0...UInt32.max))").path
        let result = try await bigqueryHarness(batchSize: 20).run(
            bq.output("fixed", #"csv_schema => "n:INTEGER,message:STRING" ignore_unknown_values => true error_directory => "\#(dir)""#),
            events: events, chunkSize: 20)
        #expect(result.acks.allSatisfy { $0 == .delivered })
        let bad = events.indices.filter { $0 % 7 == 3 }
        #expect(result.deadLetters.map { $0.event.fields["message"] } == bad.map { .string("row \($0)") })
        #expect(result.deadLetters.allSatisfy { $0.reason.contains("invalid") && $0.reason.contains("at n") }, "\(result.deadLetters.first?.reason ?? "")")
        let rows = try bq.query("SELECT n FROM \(bq.table("fixed")) ORDER BY n")
        #expect(rows.compactMap { Int($0["n"] as? String ?? "") } == events.indices.filter { $0 % 7 != 3 },
                "the rows BigQuery stopped because of the invalid ones were retried")
        let files = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        #expect(files.count == 1 && files.first?.hasPrefix("fixed-") == true)
        let lines = try String(contentsOfFile: dir + "/" + (files.first ?? ""), encoding: .utf8).split(separator: "\n")
        #expect(lines.count == bad.count && lines.allSatisfy { $0.contains("not a number") && $0.contains("invalid") })
        try? FileManager.default.removeItem(atPath: dir)
    }

    @Test func aFixedSchemaWithAnOverflowColumnKeepsWhatDoesNotFit() async throws {
        var e = Event(message: "m")
        e.fields.set("n", "not a number")
        e.fields.set("extra", ["a": 1])
        let result = try await bigqueryHarness(batchSize: 10).run(
            bq.output("fixed_overflow", #"csv_schema => "n:INTEGER,message:STRING" overflow_field => "rest""#), events: [e])
        #expect(result.deadLetters.isEmpty && result.acks == [.delivered])
        let rows = try bq.query("SELECT n, message, rest FROM \(bq.table("fixed_overflow"))")
        #expect(rows.count == 1 && rows.first?["n"] is NSNull && rows.first?["message"] as? String == "m")
        let rest = (rows.first?["rest"] as? String).flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] } ?? [:]
        #expect(rest["n"] as? String == "not a number" && (rest["extra"] as? [String: Int]) == ["a": 1])
        #expect(rest["timestamp"] == nil && rest["@timestamp"] is String, "fields with no column keep their event names")
    }

    @Test func unknownFieldErrorsAreRetriedWithAutoAndRejectedWhenFixed() async throws {
        let events = (0..<10).map { i -> Event in
            var e = Event(message: "row \(i)")
            e.fields.set("n", .int(Int64(i)))
            return e
        }
        let h = bigqueryHarness(batchSize: 10)
        // As BigQuery answers for a while after a column was added: `invalid`, "no such field".
        try bq.control("row_errors", ["reason": "invalid", "message": "no such field: n.", "count": 1])
        let auto = try await h.run(bq.output("unknown_auto", #"schema_mode => "auto""#), events: events, chunkSize: 10)
        #expect(auto.deadLetters.isEmpty && auto.acks == [.delivered])
        #expect(try bq.query("SELECT n FROM \(bq.table("unknown_auto"))").count == 10)
        try bq.control("row_errors", ["reason": "invalid", "message": "no such field: n.", "count": 1])
        let fixed = try await h.run(bq.output("unknown_fixed", #"csv_schema => "n:INTEGER" ignore_unknown_values => true"#),
                                    events: events, chunkSize: 10)
        #expect(fixed.deadLetters.count == 10 && fixed.deadLetters.allSatisfy { $0.reason.contains("no such field") })
    }
}

/// The Authorization header comes from the shared token source; a 401 refreshes it once.
@Suite(.serialized) struct BigQueryCredentialTests {
    final class Tokens: GoogleTokenSource {
        let state = Mutex((issued: 0, invalidated: 0))
        func authorization() async throws -> String? {
            "Bearer secret-token-" + String(state.withLock { $0.issued += 1; return $0.issued })
        }
        func invalidate() { state.withLock { $0.invalidated += 1 } }
    }

    @Test func a401RefreshesTheTokenOnceAndNoTokenIsLogged() async throws {
        let bq = try BigQueryFixture()
        let logs = LogCapture()
        let tokens = Tokens()
        let http = try HTTPClient(configuration: HTTPClientConfiguration(), logger: logs.logger)
        defer { http.shutdown() }
        let client = BigQueryClient(http: http, service: GoogleService(baseURL: bq.url, tokens: tokens, emulated: false),
                                    project: bq.project, dataset: bq.dataset, stallTimeout: nil)
        _ = try await client.create("auth", schema: [BigQueryField("n", "INT64")])
        try bq.control("fail", ["status": 401, "count": 1])
        let body = Array(#"{"rows":[{"insertId":"1","json":{"n":1}}]}"#.utf8)
        let ok = try await client.insertAll("auth", body: body)
        #expect(ok.status == 200)
        #expect(tokens.state.withLock { $0.invalidated } == 1, "the 401 dropped the token")
        try bq.control("fail", ["status": 401, "count": 2])
        do {
            _ = try await client.insertAll("auth", body: body)
            Issue.record("a second 401 in a row is an error")
        } catch let e as PluginError {
            #expect(!e.retriable && e.code == .authentication)
            #expect(!e.message.contains("secret-token"))
        }
        #expect(try bq.query("SELECT n FROM \(bq.table("auth"))").count == 1)
        #expect(!logs.all.contains("secret-token"))
    }

    @Test func secretSettingsStayOutOfTheLogs() async throws {
        let bq = try BigQueryFixture()
        let logs = LogCapture()
        var h = bigqueryHarness(logs, batchSize: 10)
        h.logger.logLevel = .trace
        try bq.control("fail", ["status": 503, "count": 2])
        let result = try await h.run(bq.output("secrets", #"schema_mode => "auto" key_password => "p12-password-not-logged""#),
                                     events: [Event(message: "a")])
        #expect(result.acks == [.delivered])
        #expect(logs.all.contains("503"), "the failures were logged")
        #expect(!logs.all.contains("p12-password-not-logged"))
    }
}
