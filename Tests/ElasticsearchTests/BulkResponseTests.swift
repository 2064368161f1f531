import SluiceCore
import Testing
@testable import ElasticsearchPlugins
import SluiceHTTP

/// The response interpreter, on bodies shaped as the Elasticsearch 8 "Bulk API" reference
/// shows them (a 200 whose items mix successes and failures).
@Suite struct BulkResponseTests {
    func item(_ action: BulkAction, _ i: Int, id: String? = nil) -> BulkItem {
        BulkItem(event: i, action: action, index: "twitter-20210803", id: id ?? "id\(i)")
    }

    @Test func everyItemOfA200IsJudgedOnItsOwn() throws {
        let body = """
            {"took":30,"errors":true,"items":[
             {"index":{"_index":"twitter-20210803","_id":"id0","_version":1,"result":"created","status":201}},
             {"index":{"_index":"twitter-20210803","_id":"id1","status":429,"error":{"type":"es_rejected_execution_exception","reason":"rejected execution of coordinating operation"}}},
             {"create":{"_index":"twitter-20210803","_id":"id2","status":409,"error":{"type":"version_conflict_engine_exception","reason":"[id2]: version conflict, document already exists (current version [1])"}}},
             {"index":{"_index":"twitter-20210803","_id":"id3","status":400,"error":{"type":"document_parsing_exception","reason":"[1:4] failed to parse field [n] of type [long]","caused_by":{"type":"illegal_argument_exception","reason":"For input string: \\"x\\""}}}},
             {"delete":{"_index":"twitter-20210803","_id":"id4","_version":1,"result":"not_found","status":404}},
             {"update":{"_index":"twitter-20210803","_id":"id5","status":404,"error":{"type":"document_missing_exception","reason":"[id5]: document missing"}}},
             {"index":{"_index":"twitter-20210803","_id":"id6","status":503,"error":{"type":"unavailable_shards_exception","reason":"primary shard is not active"}}}
            ]}
            """
        let items = [item(.index, 0), item(.index, 1), item(.create, 2), item(.index, 3), item(.delete, 4), item(.update, 5), item(.index, 6)]
        let results = try #require(BulkResponse.results(Array(body.utf8), for: items))
        #expect(results[0] == .delivered)
        guard case .retry(let r1) = results[1] else { Issue.record("429 retries: \(results[1])"); return }
        #expect(r1.contains("429") && r1.contains("es_rejected_execution_exception"))
        #expect(results[2] == .delivered, "409 on create: the document is there")
        guard case .reject(let r3) = results[3] else { Issue.record("400 is rejected: \(results[3])"); return }
        #expect(r3.contains("HTTP 400 document_parsing_exception") && r3.contains("For input string") && r3.contains("id [id3]"))
        #expect(results[4] == .delivered, "a delete of a missing document is done")
        guard case .reject(let r5) = results[5] else { Issue.record("404 is rejected: \(results[5])"); return }
        #expect(r5.contains("document_missing_exception"))
        guard case .retry = results[6] else { Issue.record("503 retries: \(results[6])"); return }
    }

    @Test func theFieldLimitRejectionNamesIndexLimitAndSetting() throws {
        let reason = "[1:6230] failed to parse: Limit of total fields [1000] has been exceeded while adding new fields [37]"
        let body = """
            {"errors":true,"items":[{"index":{"status":400,"error":{"type":"document_parsing_exception","reason":"\(reason)",
             "caused_by":{"type":"illegal_argument_exception","reason":"Limit of total fields [1000] has been exceeded while adding new fields [37]"}}}}]}
            """
        let results = try #require(BulkResponse.results(Array(body.utf8), for: [item(.index, 0)]))
        guard case .reject(let text) = results[0] else { Issue.record("rejected: \(results[0])"); return }
        #expect(text.contains("index [twitter-20210803]"))
        #expect(text.contains("allows 1000 fields"))
        #expect(text.contains("index.mapping.total_fields.limit"))
        #expect(text.contains("index_settings =>"))
        #expect(BulkResponse.fieldLimit("Limit of total fields [2500] has been exceeded") == 2500)
        #expect(BulkResponse.fieldLimit("failed to parse field [a]") == nil)
    }

    @Test func aBodyWithTheWrongNumberOfItemsIsNotTrusted() {
        let body = #"{"errors":false,"items":[{"index":{"status":201}}]}"#
        #expect(BulkResponse.results(Array(body.utf8), for: [item(.index, 0), item(.index, 1)]) == nil)
        #expect(BulkResponse.results(Array("<html>".utf8), for: [item(.index, 0)]) == nil)
    }

    @Test func hostsTakeLogstashForms() throws {
        #expect(try HostPool.urls(["es1:9200"], ssl: nil, path: nil) == ["http://es1:9200"])
        #expect(try HostPool.urls(["es1"], ssl: true, path: nil) == ["https://es1:9200"])
        #expect(try HostPool.urls(["https://es1/"], ssl: nil, path: nil) == ["https://es1:9200"])
        #expect(try HostPool.urls(["http://es1:9201/proxy/"], ssl: nil, path: "/ignored") == ["http://es1:9201/proxy"])
        #expect(try HostPool.urls(["[::1]"], ssl: nil, path: "es") == ["http://[::1]:9200/es"])
        #expect(try HostPool.urls(["[::1]:9300"], ssl: nil, path: nil) == ["http://[::1]:9300"])
        #expect(throws: HostError.self) { _ = try HostPool.urls(["ftp://es1"], ssl: nil, path: nil) }
        // The example of Elastic's docs: "my-deployment:" + base64("us-east-1.aws.found.io$abc$def").
        let id = "my-deployment:" + Base64.encode(Array("us-east-1.aws.found.io$abc123$def456".utf8))
        #expect(try HostPool.cloudURL(id) == "https://abc123.us-east-1.aws.found.io:443")
        let withPort = "x:" + Base64.encode(Array("example.com:9243$es$kb".utf8))
        #expect(try HostPool.cloudURL(withPort) == "https://es.example.com:9243")
    }

    @Test func theRoundRobinSkipsNodesSetAside() {
        let (a, b, c) = ("http://a:9200", "http://b:9200", "http://c:9200")
        let pool = HostPool(urls: [a, b, c])
        #expect((0..<3).compactMap { _ in pool.next() } == [a, b, c])
        pool.setAside(b)
        #expect((0..<4).compactMap { _ in pool.next() } == [a, c, a, c])
        pool.setAside(a)
        pool.setAside(c)
        #expect(pool.next() == nil)
        pool.restore(b)
        #expect(pool.next() == b)
    }

    @Test func sniffedNodesReplaceThePoolAndKeepTheirSetAsideMarks() {
        let (a, b, c) = ("http://a:9200", "http://b:9200", "http://c:9200")
        let pool = HostPool(urls: [a, b])
        pool.setAside(b)
        let change = pool.replace(with: [b, c, c])
        #expect(change.added == [c] && change.removed == [a])
        #expect(pool.urls == [b, c])
        #expect(pool.setAsideNodes == [b], "a node set aside stays set aside until a probe answers")
        #expect((0..<2).compactMap { _ in pool.next() } == [c, c])
        #expect(pool.replace(with: []).added.isEmpty && pool.urls == [b, c], "an empty sniff changes nothing")
        #expect(!pool.setAside(a), "a node no longer in the pool cannot be set aside")
    }

    @Test func publishAddressesOfANodesInfoAnswer() {
        #expect(ElasticsearchClient.address("10.0.0.5:9200") == "10.0.0.5:9200")
        #expect(ElasticsearchClient.address("es-1.example/10.0.0.5:9201") == "es-1.example:9201", "the host name, as Logstash")
        #expect(ElasticsearchClient.address("[::1]:9200") == "[::1]:9200")
        #expect(ElasticsearchClient.address("/10.0.0.5:9200") == "10.0.0.5:9200")
        #expect(ElasticsearchClient.address("no-port") == nil)
        let body = """
            {"nodes": {"n1": {"roles": ["data", "ingest"], "http": {"publish_address": "10.0.0.1:9200"}},
                       "n2": {"roles": ["master"], "http": {"publish_address": "10.0.0.2:9200"}},
                       "n3": {"roles": ["master", "data"], "http": {"publish_address": "db/10.0.0.3:9200"}},
                       "n4": {"roles": ["data"]}}}
            """
        #expect(ElasticsearchClient.publishAddresses(Array(body.utf8)) == ["10.0.0.1:9200", "db:9200"],
                "master-only nodes and nodes without HTTP left out")
        #expect(ElasticsearchClient.publishAddresses(Array("{}".utf8)) == nil)
        #expect(ElasticsearchClient.origin("https://es1:9200/proxy/es") == "https://es1:9200", "sniffing_path is from the root")
        #expect(ElasticsearchClient.origin("http://[::1]:9200") == "http://[::1]:9200")
    }

    @Test func templatePatternsComeFromTheIndex() {
        #expect(IndexSetup.pattern(for: "twitter-%{+YYYYMMdd}") == "twitter-*")
        #expect(IndexSetup.pattern(for: "logstash-%{+YYYY.MM.dd}") == "logstash-*")
        #expect(IndexSetup.pattern(for: "%{[app]}-%{+YYYY}") == "*-*")
        #expect(IndexSetup.pattern(for: "fixed") == "fixed")
    }

    @Test func bulkBodiesAreCutByEventsAndBytes() {
        func encoder(maxEvents: Int, maxBytes: Int) -> BulkEncoder {
            BulkEncoder(index: Template("i"), documentId: Template("%{n}"), action: Template("index"), routing: nil,
                        pipeline: nil, docAsUpsert: false, retryOnConflict: 1, maxEvents: maxEvents, maxBytes: maxBytes)
        }
        let events = (0..<10).map { i -> Event in
            var e = Event(fields: FieldMap(), stamp: false)
            e.fields.set("n", .int(Int64(i)))
            return e
        }
        #expect(encoder(maxEvents: 3, maxBytes: 1 << 20).encode(events).chunks.map(\.items.count) == [3, 3, 3, 1])
        let one = encoder(maxEvents: 100, maxBytes: 1 << 20).encode(Array(events.prefix(1))).chunks[0]
        let oneBytes = one.body.count
        #expect(String(decoding: one.body, as: UTF8.self) == "{\"index\":{\"_index\":\"i\",\"_id\":\"0\"}}\n{\"n\":0}\n")
        let chunks = encoder(maxEvents: 100, maxBytes: oneBytes * 4).encode(events).chunks
        #expect(chunks.map(\.items.count) == [4, 4, 2])
        #expect(chunks.allSatisfy { $0.body.count <= oneBytes * 4 })
        #expect(chunks.flatMap { $0.items.map(\.event) } == Array(0..<10))
    }

    @Test func generatedIdsAreUniqueAndKept() {
        let enc = BulkEncoder(index: Template("i"), documentId: nil, action: Template("index"), routing: nil, pipeline: nil,
                              docAsUpsert: false, retryOnConflict: 1, maxEvents: 10, maxBytes: 1 << 20)
        let ids = IdGenerator()
        var events = (0..<1000).map { _ in Event(message: "x") }
        enc.assignIds(&events, ids)
        let first = events.compactMap { $0[BulkEncoder.generatedIdField]?.stringValue }
        #expect(Set(first).count == 1000 && first.allSatisfy { $0.count == 20 })
        enc.assignIds(&events, ids)
        #expect(events.compactMap { $0[BulkEncoder.generatedIdField]?.stringValue } == first, "a second pass keeps them")
        let body = String(decoding: enc.encode(Array(events.prefix(1))).chunks[0].body, as: UTF8.self)
        #expect(body.contains("\"_id\":\"\(first[0])\"") && !body.contains("_sluice_es_id"), "@metadata is not indexed")
    }
}
