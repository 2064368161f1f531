import Foundation
import SluiceCore
import SluiceTesting
import Testing
@testable import ElasticsearchPlugins
import SluiceHTTP

extension ElasticsearchFixtureTests {
    /// Throttling, outages, failover and credentials, against the fixtures.
    @Suite struct ResilienceTests {
        func output(_ hosts: String, _ extra: String = "") -> String {
            """
            output { elasticsearch { hosts => \(hosts) index => "events"
                     retry_initial_interval => 0.05 retry_max_interval => 1 resurrect_delay => 1 \(extra) } }
            """
        }

        @Test func a429StormLosesNothingAndDuplicatesNothing() async throws {
            let es = try ESFixture()
            // More rejections than documents: most items are refused at least once, some twice.
            try es.post("item_errors", ["status": 429, "count": 3000])
            let result = try await esHarness(batchSize: 200).run(output("\"\(es.hostPort)\""), events: numbered(2000), chunkSize: 200)
            #expect(result.acks.count == 10 && result.acks.allSatisfy { $0 == .delivered })
            #expect(result.deadLetters.count == 0)
            let docs = try es.documents("events")
            #expect(docs.count == 2000 && Set(docs.map(\.id)).count == 2000 && ints(docs, "n") == Array(0..<2000))
            #expect(try es.counters()["injected_item_errors"] as? Int == 3000)
        }

        @Test func aThirtySecondOutageLosesNothingAndDuplicatesNothing() async throws {
            let es = try ESFixture()
            try es.post("request_errors", ["status": 503, "seconds": 30])
            let started = ContinuousClock.now
            let logs = LogCapture()
            let result = try await esHarness(logs, batchSize: 100).run(output("\"\(es.hostPort)\"", "manage_template => false"),
                                                                       events: numbered(1000), chunkSize: 100)
            #expect(ContinuousClock.now - started >= .seconds(29), "nothing could be written during the outage")
            #expect(result.acks.count == 10 && result.acks.allSatisfy { $0 == .delivered })
            #expect(result.deadLetters.count == 0)
            let docs = try es.documents("events")
            #expect(docs.count == 1000 && Set(docs.map(\.id)).count == 1000 && ints(docs, "n") == Array(0..<1000))
            #expect((try es.counters()["refused_requests"] as? Int ?? 0) > 1)
            #expect(logs.all.contains("set aside") && logs.all.contains("back in rotation"))
        }

        @Test func aFailedNodeIsSetAsideAndProbedAgainAfterResurrectDelay() async throws {
            let es1 = try ESFixture("elasticsearch"), es2 = try ESFixture("elasticsearch_2")
            // Node 1 drops every request for 3 s; node 2 is slow enough that the run outlasts that.
            try es1.post("drop", ["seconds": 3])
            try es2.post("latency", ["seconds": 0.1])
            try es1.post("latency", ["seconds": 0.1])
            let logs = LogCapture()
            let hosts = "[\"\(es1.hostPort)\", \"http://\(es2.hostPort)/\"]"
            let result = try await esHarness(logs, batchSize: 20).run(output(hosts, "flush_size => 10 manage_template => false"), events: numbered(3000), chunkSize: 20)
            #expect(result.acks.allSatisfy { $0 == .delivered } && result.deadLetters.count == 0)
            try es1.post("latency", ["seconds": 0])
            try es2.post("latency", ["seconds": 0])
            let docs1 = try es1.documents("events"), docs2 = try es2.documents("events")
            #expect(docs1.count + docs2.count == 3000, "every event in one of the two")
            #expect(Set(docs1.map(\.id)).isDisjoint(with: docs2.map(\.id)))
            #expect(Set(ints(docs1, "n") + ints(docs2, "n")) == Set(0..<3000))
            #expect(docs2.count > docs1.count, "node 2 took the load while node 1 was set aside")
            #expect(!docs1.isEmpty, "node 1 was probed and written to again after resurrect_delay")
            #expect((try es1.counters()["dropped_requests"] as? Int ?? 0) >= 1)
            #expect(logs.all.contains("set aside") && logs.all.contains("back in rotation"))
        }

        /// `sniffing`: the output starts with the one host it is given and sends to the nodes
        /// the cluster reports (Nodes info API), following the list as it changes; a
        /// master-only node (here an unreachable address) is never written to.
        @Test func sniffingSendsToTheNodesTheClusterReportsAsTheyChange() async throws {
            let es1 = try ESFixture("elasticsearch"), es2 = try ESFixture("elasticsearch_2")
            func bulks(_ es: ESFixture) throws -> Int { try es.counters()["bulk_requests"] as? Int ?? -1 }
            func until(_ condition: () throws -> Bool) async throws -> Bool {
                for _ in 0..<100 {
                    if try condition() { return true }
                    try await Task.sleep(for: .milliseconds(100))
                }
                return false
            }
            for es in [es1, es2] { try es.post("latency", ["seconds": 0.01]) }
            defer { for es in [es1, es2] { try? es.post("latency", ["seconds": 0]) } }
            let logs = LogCapture()
            // More events than the test needs: it stops the pipeline once the nodes changed twice.
            let running = try esHarness(logs, batchSize: 20).start(
                output("\"\(es1.hostPort)\"", "sniffing => true sniffing_delay => 0.3 manage_template => false"),
                events: numbered(60_000), chunkSize: 20)
            #expect(try await until { try bulks(es1) >= 5 })
            #expect(try bulks(es2) == 0, "node 1 reports only itself")

            let masterOnly: [String: Any] = ["publish_address": "127.0.0.1:1", "roles": ["master"]]
            try es1.post("nodes", ["nodes": [["publish_address": es1.hostPort], ["publish_address": es2.hostPort], masterOnly]])
            #expect(try await until { try bulks(es2) >= 5 }, "node 2 joined at a later sniff")

            for es in [es1, es2] { try es.post("nodes", ["nodes": [["publish_address": es2.hostPort]]]) }
            var idle = false
            for _ in 0..<20 where !idle {
                let before = try bulks(es1)
                try await Task.sleep(for: .milliseconds(600))
                idle = try bulks(es1) == before
            }
            #expect(idle, "node 1 left the list: nothing more is sent to it")
            let es2Before = try bulks(es2)
            #expect(try await until { try bulks(es2) > es2Before + 5 }, "node 2 takes every bulk")
            running.stop()
            let result = try await running.finish()
            let delivered = result.acks.filter { $0 == .delivered }.count
            #expect(result.deadLetters.isEmpty && delivered > 0)
            // Batches still queued at the stop fail (to be read again); some of those may
            // have been written already.
            let written = try es1.count("events") + es2.count("events")
            #expect(written >= delivered * 20 && written <= result.acks.count * 20, "\(written) documents, \(delivered) batches delivered")
            #expect(!logs.all.contains("set aside"), "the master-only node was never used: \(logs.all)")
            #expect(logs.all.contains("sniffing: nodes now"))
        }

        @Test func basicAndApiKeyCredentialsWorkAndNeverShowInLogs() async throws {
            let auth = try ESFixture("elasticsearch_auth")
            let user = try TestServices.url("elasticsearch_auth_user")
            let password = try TestServices.url("elasticsearch_auth_password")
            let apiKey = try TestServices.url("elasticsearch_auth_api_key")
            let logs = LogCapture()
            let basic = try await esHarness(logs).run(output("\"\(auth.hostPort)\"", "user => \"\(user)\" password => \"\(password)\""),
                                                      events: numbered(10))
            #expect(basic.acks == [.delivered] && basic.deadLetters.count == 0)
            let key = try await esHarness(logs).run(output("\"\(auth.hostPort)\"", "api_key => \"\(apiKey)\""), events: numbered(10, from: 10))
            #expect(key.acks == [.delivered] && key.deadLetters.count == 0)
            #expect(try auth.count("events", auth: "\(user):\(password)") == 20)
            let lastHeaders = (try auth.counters()["last_bulk"] as? [String: Any])?["headers"] as? [String: String]
            #expect(lastHeaders?["Authorization"]?.hasPrefix("ApiKey ") == true)

            // Refused credentials stop the pipeline at start, and the error shows no secret.
            let wrong = "wrong-\(password)"
            var message = ""
            do {
                _ = try await esHarness(logs).run(output("\"\(auth.hostPort)\"", "user => \"\(user)\" password => \"\(wrong)\""),
                                                  events: numbered(1))
                Issue.record("a refused password must stop the pipeline")
            } catch {
                message = "\(error)"
            }
            #expect(message.contains("credentials refused"))
            let encodedKey = Base64.encode(Array(apiKey.utf8))
            let encodedBasic = Base64.encode(Array("\(user):\(password)".utf8))
            for secret in [password, wrong, apiKey, encodedKey, encodedBasic, String(apiKey.split(separator: ":")[1])] {
                #expect(!logs.all.contains(secret) && !message.contains(secret), "secret in logs or error: \(secret)")
            }
        }
    }
}
