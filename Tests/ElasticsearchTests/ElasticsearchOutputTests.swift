import Foundation
import SluiceCore
import SluiceTesting
import Testing
@testable import ElasticsearchPlugins

extension ElasticsearchFixtureTests {
    /// The `elasticsearch` output against the Elasticsearch fixture, read back with Python `requests`.
    @Suite struct OutputTests {
        let es: ESFixture
        init() throws { es = try ESFixture() }

        func output(_ extra: String = "", hosts: String? = nil, index: String = "events") -> String {
            """
            output { elasticsearch { hosts => \(hosts ?? "\"\(es.hostPort)\"") index => "\(index)"
                     retry_initial_interval => 0.05 retry_max_interval => 0.5 \(extra) } }
            """
        }

        @Test func everyEventIsIndexedOnceWithAGeneratedId() async throws {
            let result = try await esHarness().run(output("flush_size => 100"), events: numbered(1000), chunkSize: 250)
            #expect(result.acks.count == 4 && result.acks.allSatisfy { $0 == .delivered })
            #expect(result.deadLetters.count == 0)
            let docs = try es.documents("events")
            #expect(ints(docs, "n") == Array(0..<1000))
            #expect(Set(docs.map(\.id)).count == 1000 && docs.allSatisfy { $0.id.count == 20 })
            #expect(docs.allSatisfy { $0.source["@metadata"] == nil && $0.source["message"] != nil && $0.source["@timestamp"] != nil })
            let counters = try es.counters()
            #expect(counters["bulk_items"] as? Int == 1000)
            #expect((counters["bulk_requests"] as? Int ?? 0) >= 10, "flush_size cuts bulks at 100 documents")
            let last = counters["last_bulk"] as? [String: Any]
            #expect((last?["path"] as? String)?.contains("filter_path=") == true)
            let template = try es.get("/_index_template/events") as? [String: Any]
            #expect((template?["index_templates"] as? [Any])?.count == 1, "the managed template for `events`")
        }

        @Test func onlyFailedItemsAreRetriedAndRejectionsReachTheDeadLetterQueue() async throws {
            // In the first bulk: 5 items answered 429, 2 answered 500, 3 answered 400, inside an HTTP 200.
            try es.post("item_errors", ["status": 429, "count": 5])
            try es.post("item_errors", ["status": 500, "count": 2])
            try es.post("item_errors", ["status": 400, "count": 3, "type": "mapper_parsing_exception", "reason": "failed to parse field [n]"])
            let result = try await esHarness(batchSize: 50).run(output(), events: numbered(50), chunkSize: 50)
            #expect(result.acks == [.delivered])
            #expect(result.deadLetters.count == 3)
            #expect(result.deadLetters.allSatisfy { $0.reason.contains("HTTP 400 mapper_parsing_exception: failed to parse field [n]") })
            #expect(result.deadLetters.allSatisfy { $0.reason.contains("index [events]") })
            let rejected = Set(result.deadLetters.compactMap { $0.event[field: "n"].flatMap { Int($0.renderedString) } })
            let docs = try es.documents("events")
            #expect(Set(ints(docs, "n")).union(rejected) == Set(0..<50) && docs.count == 47, "every event indexed or dead-lettered")
            let counters = try es.counters()
            #expect(counters["bulk_items"] as? Int == 50 + 7, "only the 7 transient failures were sent again")
        }

        /// A cluster whose `http.max_content_length` is below `bulk_max_bytes` answers 413 to
        /// the whole bulk. Logstash dead-letters every document of it; here the bulk is sent in
        /// halves until each part fits, and only a document too large on its own is dead-lettered.
        @Test func aBulkTooLargeForTheClusterIsSentInHalvesAndOnlyADocumentTooLargeAloneIsDeadLettered() async throws {
            try es.post("max_content_length", ["bytes": 4096])
            var events = numbered(200)
            events[37].fields.set("blob", .string(String(repeating: "x", count: 5000)))
            let logs = LogCapture()
            let result = try await esHarness(logs, batchSize: 100).run(output("flush_size => 500"), events: events, chunkSize: 100)
            #expect(result.acks == [.delivered, .delivered])
            #expect(result.deadLetters.count == 1)
            #expect(result.deadLetters.first?.event[field: "n"]?.renderedString == "37")
            #expect(result.deadLetters.first?.reason.contains("HTTP 413") == true)
            #expect(result.deadLetters.first?.reason.contains("http.max_content_length") == true)
            let docs = try es.documents("events")
            #expect(ints(docs, "n") == Array(0..<200).filter { $0 != 37 }, "every other document indexed once")
            let refused = try es.counters()["too_large_requests"] as? Int ?? 0
            #expect(refused >= 2, "the first bulk and the document alone were refused")
            let warnings = logs.entries.filter { $0.message.contains("sent in halves") }
            #expect(warnings.count == 1 && warnings[0].message.contains("bulk_max_bytes"), "\(logs.all)")
        }

        /// Logstash's `version`/`version_type`: with external versions a write older than the
        /// stored document is answered 409 and counts as done (not retried, not dead-lettered),
        /// a newer one replaces it.
        @Test func externalVersionsKeepTheNewestDocument() async throws {
            func versioned(_ v: Int64, _ text: String) -> [Event] {
                (0..<10).map { i in
                    var e = Event(message: text)
                    e.fields.set("n", .int(Int64(i)))
                    e.fields.set("v", .int(v))
                    return e
                }
            }
            let config = output(#"document_id => "%{n}" version => "%{v}" version_type => "external""#)
            _ = try await esHarness().run(config, events: versioned(5, "five"))
            let stale = try await esHarness().run(config, events: versioned(3, "three"))
            #expect(stale.acks == [.delivered] && stale.deadLetters.isEmpty, "an older version has nothing left to do")
            var docs = try es.documents("events")
            #expect(docs.count == 10 && docs.allSatisfy { $0.version == 5 && $0.source["message"] as? String == "five" })
            _ = try await esHarness().run(config, events: versioned(7, "seven"))
            docs = try es.documents("events")
            #expect(docs.allSatisfy { $0.version == 7 && $0.source["message"] as? String == "seven" })
            #expect((try es.counters()["items_by_status"] as? [String: Int])?["409"] == 10)
            // A version that is not a number is the event's fault: dead-lettered with the reason.
            var bad = Event(message: "x")
            bad.fields.set("n", .int(99))
            bad.fields.set("v", .string("latest"))
            let refused = try await esHarness().run(config, events: [bad])
            #expect(refused.deadLetters.first?.reason.contains("`version` must render a whole number, got `latest`") == true)
        }

        @Test func upsertParametersAndSilencedErrors() async throws {
            let logs = LogCapture()
            var e = Event(message: "new")
            e.fields.set("n", .int(1))
            let config = output(#"action => "update" document_id => "%{n}" upsert => '{"created_by":"upsert"}' parameters => { "refresh" => "wait_for" }"#)
            let upsert = try await esHarness(logs).run(config, events: [e])
            #expect(upsert.acks == [.delivered] && upsert.deadLetters.isEmpty)
            #expect(try es.documents("events").first?.source["created_by"] as? String == "upsert", "the missing document was created from `upsert`")
            let last = try es.counters()["last_bulk"] as? [String: Any]
            #expect((last?["path"] as? String)?.contains("&refresh=wait_for") == true)

            try es.post("item_errors", ["status": 400, "count": 2, "type": "mapper_parsing_exception", "reason": "failed to parse field [n]"])
            let silenced = try await esHarness(logs).run(output(#"silence_errors_in_log => ["mapper_parsing_exception"]"#),
                                                         events: numbered(5))
            #expect(silenced.deadLetters.count == 2, "silenced errors still reach the dead-letter queue")
            #expect(!logs.all.contains("documents rejected"), "but are not logged")
        }

        @Test func createOfAnExistingIdCountsAsDeliveredAndUpdateDeleteWork() async throws {
            let create = output(#"action => "create" document_id => "doc-%{n}""#)
            _ = try await esHarness().run(create, events: numbered(10))
            let again = try await esHarness().run(create, events: numbered(10))
            #expect(again.deadLetters.count == 0 && again.acks == [.delivered], "409 on create is not a failure")
            let counters = try es.counters()
            #expect((counters["items_by_status"] as? [String: Int])?["409"] == 10)
            var changed = numbered(3)
            for i in changed.indices { changed[i].fields.set("extra", .string("u")) }
            let upsert = output(#"action => "update" document_id => "doc-%{n}" doc_as_upsert => true"#)
            _ = try await esHarness().run(upsert, events: changed + numbered(1, from: 100))
            let deleted = try await esHarness().run(output(#"action => "delete" document_id => "doc-%{n}""#), events: numbered(2, from: 8))
            #expect(deleted.deadLetters.count == 0)
            let docs = try es.documents("events")
            #expect(Set(docs.map(\.id)) == Set((0..<8).map { "doc-\($0)" } + ["doc-100"]))
            #expect(docs.filter { $0.source["extra"] as? String == "u" }.count == 3)
        }

        @Test func aDroppedConnectionOrATimeoutResendsTheSameIds() async throws {
            // Dropped before an answer: the bulk is sent again.
            try es.post("drop", ["count": 2])
            let result = try await esHarness(batchSize: 100).run(output(), events: numbered(300), chunkSize: 100)
            #expect(result.acks.allSatisfy { $0 == .delivered } && result.deadLetters.count == 0)
            #expect(try es.counters()["dropped_requests"] as? Int == 2)
            #expect(try es.count("events") == 300)

            // Stored, but the answer came too late (request_timeout): the re-sent bulk overwrites
            // the documents the first attempt stored instead of adding new ones.
            let second = try ESFixture()
            try second.post("latency", ["seconds": 1.5])
            let running = try esHarness(batchSize: 100).start(output("request_timeout => 1 manage_template => false"), events: numbered(300), chunkSize: 100)
            try await Task.sleep(for: .seconds(4))
            try second.post("latency", ["seconds": 0])
            let late = try await running.finish()
            #expect(late.acks.count == 3 && late.acks.allSatisfy { $0 == .delivered })
            let docs = try second.documents("events")
            #expect(docs.count == 300, "_count equals the events sent")
            #expect(Set(docs.map(\.id)).count == 300 && ints(docs, "n") == Array(0..<300))
            #expect(docs.contains { $0.version > 1 }, "some bulks were stored twice: overwritten, not duplicated")
        }

        @Test func routingPipelineAndCompressionReachTheBulkRequest() async throws {
            var events = numbered(20)
            for i in events.indices { events[i].fields.set("app", .string(i % 2 == 0 ? "even" : "odd")) }
            let result = try await esHarness().run(
                output(#"routing => "%{app}" pipeline => "enrich-%{app}" http_compression => true"#, index: "logs-%{app}"),
                events: events)
            #expect(result.acks == [.delivered] && result.deadLetters.count == 0)
            #expect(try es.count("logs-even") == 10 && es.count("logs-odd") == 10)
            let counters = try es.counters()
            #expect(counters["bulk_items_by_pipeline"] as? [String: Int] == ["enrich-even": 10, "enrich-odd": 10])
            #expect((counters["gzip_requests"] as? Int ?? 0) >= 1)
            #expect((counters["bulk_bytes"] as? Int ?? 0) < (counters["bulk_bytes_inflated"] as? Int ?? 0))
            let doc = try es.get("/logs-even/_doc/" + (try es.documents("logs-even").first?.id ?? "")) as? [String: Any]
            #expect(doc?["_routing"] as? String == "even")
        }

        @Test func workersAndCodecOfTheSeedFileAreAcceptedWithAnInfoLine() async throws {
            let logs = LogCapture()
            let seed = """
                output {
                  elasticsearch {
                    codec => json
                    hosts => "\(es.hostPort)"
                    index => "twitter-%{+YYYYMMdd}"
                    workers => 1
                  }
                }
                """
            #expect(esHarness().check(seed) == nil)
            let result = try await esHarness(logs).run(seed, events: numbered(5))
            #expect(result.acks == [.delivered])
            let info = logs.entries.filter { $0.level == .info }.map(\.message)
            #expect(info.contains { $0.contains("`workers` changes nothing") })
            #expect(info.contains { $0.contains("`codec` changes nothing") })
            let index = Template("twitter-%{+YYYYMMdd}").render(Event())
            #expect(try es.count(index) == 5)
        }

        @Test func aFailedSniffKeepsTheHostsGivenAndWarnsOnce() async throws {
            let logs = LogCapture()
            // A path where this cluster has no Nodes info API: every sniff fails (404).
            let config = output("sniffing => true sniffing_delay => 0.1 sniffing_path => \"/_no_nodes_here\"")
            let result = try await esHarness(logs, batchSize: 10).run(config, events: numbered(300), chunkSize: 10)
            #expect(result.acks.count == 30 && result.acks.allSatisfy { $0 == .delivered })
            #expect(try es.count("events") == 300, "written to the host given")
            let warnings = logs.entries.filter { $0.level == .warning && $0.message.contains("sniffing failed") }
            #expect(warnings.count == 1, "\(logs.all)")
            #expect(warnings.first?.message.contains("the nodes stay") == true)
        }

        @Test func badSettingsAreConfigErrors() {
            #expect(esHarness().check(output(#"action => "upsert""#)) != nil)
            #expect(esHarness().check(output(#"action => "update""#)) != nil, "update needs document_id")
            #expect(esHarness().check(output(#"bulk_max_bytes => "50mb""#)) != nil, "20 MiB cap")
            #expect(esHarness().check(output(#"api_key => "no-colon""#)) != nil)
            #expect(esHarness().check(output("", hosts: #""ftp://x""#)) != nil)
            #expect(esHarness().check(output(#"cloud_id => "x:bm90LWl0""#)) != nil, "cloud_id and hosts exclude each other")
            #expect(esHarness().check(output(#"retry_initial_interval => 5 retry_max_interval => 1"#)) != nil)
            #expect(esHarness().check(output(#"flush_sise => 5"#))?.description.contains("flush_size") == true)
        }
    }
}
