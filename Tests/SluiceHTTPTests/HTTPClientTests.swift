import SluiceTesting
import Foundation
import Logging
import SluiceCore
import Testing
@testable import SluiceHTTP

@Suite struct HTTPClientTests {
    let logs = LogCapture()

    func client(_ configure: (inout HTTPClientConfiguration) -> Void = { _ in }) throws -> HTTPClient {
        var c = HTTPClientConfiguration()
        configure(&c)
        return try HTTPClient(configuration: c, logger: logs.logger)
    }

    @Test func postedBodyAndHeadersReachTheServer() async throws {
        let sink = try HTTPSink()
        let http = try client()
        defer { http.shutdown() }
        let body = Array(#"{"message":"hello","n":1}"#.utf8)
        let r = try await http.execute(HTTPRequest(method: .post, url: sink.url("/docs?x=1"),
                                                   headers: ["Content-Type": "application/json", "X-Trace": "abc"], body: body))
        #expect(r.status == 200)
        #expect(r.headers["content-type"] == "application/json")
        #expect(r.bodyText.contains("\"ok\""))
        #expect(r.effectiveURL == sink.url("/docs?x=1"))
        let recorded = try sink.requests("/docs")
        try #require(recorded.count == 1)
        #expect(recorded[0]["method"] as? String == "POST")
        #expect(recorded[0]["path"] as? String == sink.prefix + "/docs?x=1")
        #expect(recorded[0]["body"] as? String == body.text)
        let headers = recorded[0]["headers"] as? [String: String] ?? [:]
        #expect(headers["content-type"] == "application/json")
        #expect(headers["x-trace"] == "abc")
        #expect(headers["user-agent"] == "Sluice")
        #expect(headers["expect"] == nil)
    }

    @Test func putDeleteAndHeadUseTheirMethods() async throws {
        let sink = try HTTPSink()
        let http = try client()
        defer { http.shutdown() }
        #expect(try await http.execute(HTTPRequest(method: .put, url: sink.url("/m"), body: Array("p".utf8))).status == 200)
        #expect(try await http.execute(HTTPRequest(method: .delete, url: sink.url("/m"))).status == 200)
        let head = try await http.execute(HTTPRequest(method: .head, url: sink.url("/m")))
        #expect(head.status == 200 && head.body.isEmpty)
        let recorded = try sink.requests("/m")
        #expect(recorded.map { $0["method"] as? String } == ["PUT", "DELETE", "HEAD"])
        #expect(recorded.first?["body"] as? String == "p")
    }

    @Test func gzipRequestBodyArrivesCompressedAndDecodes() async throws {
        let sink = try HTTPSink()
        let http = try client { $0.compressRequestBody = true }
        defer { http.shutdown() }
        let line = String(repeating: "{\"message\":\"a repetitive log line\"}\n", count: 200)
        let r = try await http.execute(HTTPRequest(method: .post, url: sink.url("/gz"), body: Array(line.utf8)))
        #expect(r.status == 200)
        let rec = try #require(try sink.requests("/gz").first)
        #expect((rec["headers"] as? [String: String])?["content-encoding"] == "gzip")
        #expect(rec["body"] as? String == line)
        let wire = try #require(rec["raw_length"] as? Int)
        #expect(wire < line.utf8.count / 10)
        // A request can turn it off again.
        _ = try await http.execute(HTTPRequest(method: .post, url: sink.url("/plain"), body: Array("x".utf8), compressBody: false))
        #expect((try sink.requests("/plain").first?["headers"] as? [String: String])?["content-encoding"] == nil)
    }

    @Test func gzipResponsesAreDecoded() async throws {
        let sink = try HTTPSink()
        let http = try client()
        defer { http.shutdown() }
        let r = try await http.execute(HTTPRequest(url: sink.base + "/_gzip"))
        #expect(r.bodyText == #"{"gzipped":true}"#)
    }

    @Test func sequentialRequestsReuseAConnection() async throws {
        let sink = try HTTPSink()
        let http = try client()
        defer { http.shutdown() }
        var opened = 0
        for i in 0..<50 {
            let r = try await http.execute(HTTPRequest(method: .post, url: sink.url("/ka"), body: Array("\(i)".utf8)))
            #expect(r.status == 200)
            opened += r.connectionsOpened
        }
        #expect(opened <= 2)
        let ports = Set(try sink.requests("/ka").compactMap { $0["client_port"] as? Int })
        #expect(ports.count <= 2, "client ports \(ports)")
        #expect(try sink.requests("/ka").count == 50)
    }

    @Test func connectionRefusedIsARetriableConnectErrorAndFast() async throws {
        let port = try closedPort()
        let http = try client()
        defer { http.shutdown() }
        let start = ContinuousClock.now
        let error = await #expect(throws: HTTPClientError.self) {
            try await http.execute(HTTPRequest(url: "http://127.0.0.1:\(port)/x"))
        }
        #expect(elapsed(since: start) < .milliseconds(500))
        #expect(error?.kind == .connectionRefused)
        #expect(error?.isRetriable == true)
        #expect(HTTPRetryPolicy().classify(error: try #require(error)) == .retry)
        #expect(error?.description.contains("127.0.0.1:\(port)") == true)
    }

    @Test func slowServerHitsTheRequestTimeout() async throws {
        let sink = try HTTPSink()
        try sink.scenario("/slow", ["mode": "slow", "delay_seconds": 3])
        let http = try client { $0.requestTimeout = .milliseconds(400) }
        defer { http.shutdown() }
        let start = ContinuousClock.now
        let error = await #expect(throws: HTTPClientError.self) {
            try await http.execute(HTTPRequest(url: sink.url("/slow")))
        }
        #expect(elapsed(since: start) < .seconds(2))
        #expect(error?.kind == .timeout)
        #expect(error?.isRetriable == true)
        // A per-request timeout overrides the configuration.
        let r = try await http.execute(HTTPRequest(url: sink.url("/slow"), timeout: .seconds(10)))
        #expect(r.status == 200)
    }

    @Test func statusesAreClassifiedForRetry() async throws {
        let sink = try HTTPSink()
        try sink.scenario("/busy", ["mode": "status", "status": 503, "for_requests": 1, "headers": ["Retry-After": "7"]])
        try sink.scenario("/bad", ["mode": "status", "status": 400])
        let http = try client()
        defer { http.shutdown() }
        let policy = HTTPRetryPolicy()
        let busy = try await http.execute(HTTPRequest(method: .post, url: sink.url("/busy"), body: [1]))
        #expect(busy.status == 503)
        #expect(policy.classify(busy) == .retry)
        #expect(HTTPRetryPolicy.retryAfter(busy) == .seconds(7))
        let again = try await http.execute(HTTPRequest(method: .post, url: sink.url("/busy"), body: [1]))
        #expect(policy.classify(again) == .success)
        let bad = try await http.execute(HTTPRequest(method: .post, url: sink.url("/bad"), body: [1]))
        #expect(bad.status == 400)
        #expect(policy.classify(bad) == .permanentFailure)
        #expect(HTTPRetryPolicy(retryableStatuses: [400]).classify(bad) == .retry)
    }

    @Test func droppedConnectionIsARetriableReceiveError() async throws {
        let sink = try HTTPSink()
        try sink.scenario("/drop", ["mode": "close"])
        let http = try client()
        defer { http.shutdown() }
        let error = await #expect(throws: HTTPClientError.self) {
            try await http.execute(HTTPRequest(method: .post, url: sink.url("/drop"), body: [1]))
        }
        #expect(error?.kind == .receive)
        #expect(error?.isRetriable == true)
    }

    @Test func hundredConcurrentRequestsComplete() async throws {
        let sink = try HTTPSink()
        let http = try client { $0.maxConnections = 16; $0.maxConnectionsPerHost = 16 }
        defer { http.shutdown() }
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 0..<100 {
                group.addTask {
                    try await http.execute(HTTPRequest(method: .post, url: sink.url("/many/\(i)"), body: Array("\(i)".utf8))).status
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(statuses.count == 100 && statuses.allSatisfy { $0 == 200 })
        let recorded = try sink.requests("/many/")
        #expect(Set(recorded.compactMap { $0["body"] as? String }) == Set((0..<100).map { "\($0)" }))
        #expect(Set(recorded.compactMap { $0["client_port"] as? Int }).count <= 16)
    }

    @Test func maxConnectionsLimitsParallelism() async throws {
        let sink = try HTTPSink()
        try sink.scenario("/lim", ["mode": "slow", "delay_seconds": 0.3])
        let http = try client { $0.maxConnections = 2 }
        defer { http.shutdown() }
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<6 { group.addTask { _ = try await http.execute(HTTPRequest(url: sink.url("/lim"))) } }
            try await group.waitForAll()
        }
        // Six 0.3 s requests over two connections take three rounds.
        #expect(elapsed(since: start) >= .milliseconds(850))
        #expect(Set(try sink.requests("/lim").compactMap { $0["client_port"] as? Int }).count == 2)
    }
}
