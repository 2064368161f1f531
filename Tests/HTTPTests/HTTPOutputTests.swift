import Foundation
import SluiceCore
import SluiceTesting
import Testing
@testable import HTTPPlugins

/// The `http` output against the HTTP sink fixture, read back with curl (`HTTPSink`).
@Suite(.serialized) struct HTTPOutputTests {
    let sink: HTTPSink
    init() throws { sink = try HTTPSink() }

    private func harness(_ logs: LogCapture? = nil) -> PipelineHarness {
        var r = PluginRegistry()
        HTTPPlugins.register(into: &r)
        var h = PipelineHarness(registry: r)
        h.settings.batchSize = 125
        if let logs { h.logger = logs.logger }
        return h
    }

    private func events(_ n: Int) -> [Event] {
        (0..<n).map { i in
            var e = Event(message: "event \(i)")
            e.fields.set("id", .string("e\(i)"))
            e.fields.set("app", .string(i % 2 == 0 ? "even" : "odd"))
            return e
        }
    }

    /// The `id`s in the ndjson or JSON bodies of the requests that got `status`.
    private func ids(_ requests: [[String: Any]]) throws -> [String] {
        try requests.flatMap { r -> [String] in
            let body = r["body"] as? String ?? ""
            return try body.split(separator: "\n").flatMap { line -> [String] in
                let v = try JSON.decode(String(line))
                let objects = v.arrayValue ?? [v]
                return objects.compactMap { $0.objectValue?["id"]?.stringValue }
            }
        }
    }

    @Test func ndjsonSendsOneRequestPerBatchWithEveryEventOnce() async throws {
        let result = try await harness().run("""
            output { http { url => "\(sink.url("/nd"))" http_method => "post" format => "ndjson" } }
            """, events: events(300), chunkSize: 300)
        #expect(result.acks == [.delivered])
        let requests = try sink.requests("/nd")
        #expect(requests.count >= 3, "batches of at most 125 events: \(requests.count) requests")
        for r in requests {
            #expect((r["headers"] as? [String: String])?["content-type"] == "application/x-ndjson")
            #expect((r["body"] as? String ?? "").split(separator: "\n").count <= 125)
        }
        #expect(try ids(requests).sorted() == (0..<300).map { "e\($0)" }.sorted())
    }

    @Test func anEndpointAnswering503For20SecondsGetsEveryEventExactlyOnceAfterwards() async throws {
        try sink.scenario("/flaky", ["mode": "status", "status": 503, "for_seconds": 20, "then": 200])
        let logs = LogCapture()
        let result = try await harness(logs).run("""
            output { http { url => "\(sink.url("/flaky"))" http_method => "post" format => "json_batch" } }
            """, events: events(250), chunkSize: 50)
        #expect(result.acks.allSatisfy { $0 == .delivered } && result.acks.count == 5)
        #expect(result.deadLetters.isEmpty)
        let requests = try sink.requests("/flaky")
        let accepted = requests.filter { $0["status"] as? Int == 200 }
        #expect(requests.count - accepted.count >= 5, "requests were refused with 503 first")
        let refused = requests.filter { $0["status"] as? Int == 503 }.compactMap { $0["time"] as? Double }
        let first = accepted.compactMap { $0["time"] as? Double }.min() ?? 0
        #expect(first - (refused.min() ?? first) >= 19, "nothing was accepted during the outage")
        #expect(try ids(accepted).sorted() == (0..<250).map { "e\($0)" }.sorted(), "each event once after recovery")
        #expect(logs.all.contains("503"), "the retries are logged")
        #expect(logs.count(.warning) < 20, "retries are not logged one line each")
    }

    @Test func a400SendsTheEventsToTheDeadLetterQueueWithTheStatusAndBody() async throws {
        try sink.scenario("/bad", ["mode": "status", "status": 400, "body": "{\"error\":\"mapper_parsing_exception\"}"])
        let result = try await harness().run("""
            output { http { url => "\(sink.url("/bad"))" http_method => "put" format => "json_batch" } }
            """, events: events(10), chunkSize: 10)
        #expect(result.acks == [.delivered], "a dead-lettered event counts as handled")
        #expect(result.deadLetters.count == 10)
        let reason = result.deadLetters.first?.reason ?? ""
        #expect(reason.contains("HTTP 400") && reason.contains("mapper_parsing_exception"), "\(reason)")
        #expect(try sink.requests("/bad").count == 1, "a 400 is not retried")
    }

    @Test func ignorableCodesCountAsDelivered() async throws {
        try sink.scenario("/gone", ["mode": "status", "status": 404])
        let result = try await harness().run("""
            output { http { url => "\(sink.url("/gone"))" http_method => "post" ignorable_codes => [404] } }
            """, events: events(3))
        #expect(result.deadLetters.isEmpty && result.acks == [.delivered])
    }

    @Test func perEventJSONRendersTheURLAndHeadersOfEachEvent() async throws {
        let result = try await harness().run("""
            output { http { url => "\(sink.url("/ev"))/%{app}" http_method => "post" format => "json"
                            headers => { "X-Event" => "%{id}" } } }
            """, events: events(6))
        #expect(result.acks == [.delivered])
        let requests = try sink.requests("/ev")
        #expect(requests.count == 6)
        for r in requests {
            let headers = r["headers"] as? [String: String] ?? [:]
            let body = try JSON.decode(r["body"] as? String ?? "")
            let id = body.objectValue?["id"]?.stringValue ?? "?"
            let app = body.objectValue?["app"]?.stringValue ?? "?"
            #expect(headers["x-event"] == id)
            #expect((r["path"] as? String)?.hasSuffix("/ev/\(app)") == true)
            #expect(headers["content-type"] == "application/json")
        }
    }

    @Test func httpCompressionSendsGzipBodies() async throws {
        let result = try await harness().run("""
            output { http { url => "\(sink.url("/gz"))" http_method => "post" format => "ndjson" http_compression => true } }
            """, events: events(20))
        #expect(result.acks == [.delivered])
        let requests = try sink.requests("/gz")
        #expect(requests.allSatisfy { ($0["headers"] as? [String: String])?["content-encoding"] == "gzip" })
        #expect(try ids(requests).count == 20)
    }

    @Test func tlsToASelfSignedServerFailsUnlessItsCAIsGiven() async throws {
        let logs = LogCapture()
        var h = harness(logs)
        h.settings.shutdownTimeout = .seconds(1)
        let prefix = sink.prefix + "/tls"
        let running = try h.start("""
            output { http { url => "\(sink.tlsBase)\(prefix)" http_method => "post" } }
            """, events: events(2))
        #expect(await running.waitUntil { _ in logs.all.contains("TLS") })
        running.stop()
        let refused = try await running.finish()
        #expect(refused.acks.allSatisfy { $0 == .failed }, "nothing unverified counts as delivered")
        #expect(try sink.recorded(prefix: prefix).isEmpty)

        let trusted = try await harness().run("""
            output { http { url => "\(sink.tlsBase)\(prefix)" http_method => "post"
                            ssl_certificate_authorities => ["\(sink.caFile)"] } }
            """, events: events(2))
        #expect(trusted.acks == [.delivered])
        #expect(try sink.recorded(prefix: prefix).count == 2)
    }

    @Test func aClosedPortIsRetriedNotDroppedAndShutdownEndsWithinTheTimeout() async throws {
        let logs = LogCapture()
        var h = harness(logs)
        h.settings.shutdownTimeout = .seconds(1)
        let port = try closedPort()
        let running = try h.start("""
            output { http { url => "http://127.0.0.1:\(port)/x" http_method => "post" } }
            """, events: events(5))
        #expect(await running.waitUntil { _ in logs.all.contains("connection refused") })
        let begin = ContinuousClock.now
        running.stop()
        let result = try await running.finish()
        #expect(ContinuousClock.now - begin < .seconds(3))
        #expect(result.acks == [.failed] && result.deadLetters.isEmpty, "neither delivered nor dead-lettered")
    }

    @Test func noSecretFromUserPasswordOrHeadersAppearsInAnyLogLineOrDeadLetter() async throws {
        let secrets = ["pa55-SECRET-pw", "url-SECRET-pw", "tok-SECRET-hdr"]
        try sink.scenario("/auth-bad", ["mode": "status", "status": 401, "body": "denied"])
        let logs = LogCapture()
        var h = harness(logs)
        h.settings.shutdownTimeout = .seconds(1)
        let withUser = sink.base.replacingOccurrences(of: "http://", with: "http://bob:url-SECRET-pw@")
        let result = try await h.run("""
            output {
              http { id => "a" url => "\(sink.url("/auth-user"))" http_method => "post" user => "alice" password => "pa55-SECRET-pw" }
              http { id => "c" url => "\(sink.url("/auth-hdr"))" http_method => "post"
                     headers => { "Authorization" => "Bearer tok-SECRET-hdr" } }
              http { id => "b" url => "\(withUser)\(sink.prefix)/auth-bad" http_method => "post" }
            }
            """, events: events(2))
        #expect(result.deadLetters.count == 2)
        func authorization(_ path: String) throws -> [String] {
            try sink.requests(path).map { ($0["headers"] as? [String: String])?["authorization"] ?? "" }
        }
        let basic = "Basic " + Data("alice:pa55-SECRET-pw".utf8).base64EncodedString()
        #expect(try authorization("/auth-user") == [basic, basic], "the credentials reach the server")
        #expect(try authorization("/auth-hdr") == ["Bearer tok-SECRET-hdr", "Bearer tok-SECRET-hdr"])
        let written = logs.all + result.deadLetters.map(\.reason).joined()
        for s in secrets { #expect(!written.contains(s), "\(s) leaked") }
        // And with the endpoint down, the retry warnings are clean too.
        let port = try closedPort()
        let running = try h.start("""
            output { http { url => "http://bob:url-SECRET-pw@127.0.0.1:\(port)/x" http_method => "post"
                            headers => { "X-API-Key" => "tok-SECRET-hdr" } } }
            """, events: events(1))
        #expect(await running.waitUntil { _ in logs.count(.warning) > 0 })
        running.stop()
        _ = try await running.finish()
        for s in secrets { #expect(!logs.all.contains(s), "\(s) leaked") }
    }
}
