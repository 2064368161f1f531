import SluiceTesting
import Foundation
import Logging
import Testing
@testable import SluiceHTTP

@Suite struct HTTPClientLifecycleTests {
    let logs = LogCapture()

    @Test func streamDeliversChunksAsTheyArrive() async throws {
        let sink = try HTTPSink()
        let http = try HTTPClient(logger: logs.logger)
        defer { http.shutdown() }
        let start = ContinuousClock.now
        let response = try await http.stream(HTTPRequest(url: sink.base + "/_stream?chunks=5&interval=0.3"))
        #expect(response.status == 200)
        #expect(response.headers["Transfer-Encoding"] == "chunked")
        var text = ""
        var firstChunkAfter: Duration? = nil
        for try await chunk in response.body {
            if firstChunkAfter == nil { firstChunkAfter = elapsed(since: start) }
            text += chunk.text
        }
        // The whole stream takes 1.5 s; the first chunk comes long before.
        #expect(try #require(firstChunkAfter) < .milliseconds(700))
        #expect(elapsed(since: start) >= .milliseconds(1400))
        #expect(text == (0..<5).map { "chunk \($0)\n" }.joined())
    }

    @Test(arguments: [false, true])
    func endingTheStreamStopsTheTransfer(explicitly: Bool) async throws {
        let sink = try HTTPSink()
        let http = try HTTPClient(logger: logs.logger)
        defer { http.shutdown() }
        let path = "/_stream?chunks=100&interval=0.1&id=" + sink.prefix.dropFirst()
        do {
            let response = try await http.stream(HTTPRequest(url: sink.base + path))
            var received = 0
            for try await chunk in response.body {
                received += chunk.text.filter { $0 == "\n" }.count
                if received >= 2 { break }
            }
            if explicitly {
                response.cancel()
                let error = await #expect(throws: HTTPClientError.self) { for try await _ in response.body {} }
                #expect(error?.kind == .cancelled)
            }
        }  // otherwise dropping the response ends the transfer
        // The server sees the client go away well before its 10 s stream ends.
        var record: [String: Any]? = nil
        for _ in 0..<40 {
            record = try sink.recorded(prefix: "/_stream").first { ($0["path"] as? String) == path && $0["stream_aborted"] != nil }
            if record != nil { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let rec = try #require(record, "the sink never saw the stream end")
        #expect(rec["stream_aborted"] as? Bool == true)
        #expect((rec["stream_chunks_sent"] as? Int ?? 100) < 60)
    }

    @Test func shutdownCancelsInFlightRequestsPromptly() async throws {
        let sink = try HTTPSink()
        try sink.scenario("/hang", ["mode": "slow", "delay_seconds": 5])
        let http = try HTTPClient(logger: logs.logger)
        let tasks = (0..<5).map { _ in
            Task { try await http.execute(HTTPRequest(url: sink.url("/hang"))) }
        }
        let stream = try await http.stream(HTTPRequest(url: sink.base + "/_stream?chunks=100&interval=0.1"))
        try await Task.sleep(for: .milliseconds(300))
        let start = ContinuousClock.now
        http.shutdown()
        for t in tasks {
            let error = await #expect(throws: HTTPClientError.self) { try await t.value }
            #expect(error?.kind == .cancelled)
        }
        let streamError = await #expect(throws: HTTPClientError.self) { for try await _ in stream.body {} }
        #expect(streamError?.kind == .cancelled)
        #expect(elapsed(since: start) < .seconds(1))
        let late = await #expect(throws: HTTPClientError.self) { try await http.execute(HTTPRequest(url: sink.url("/late"))) }
        #expect(late?.kind == .cancelled)
    }

    @Test func taskCancellationAbortsTheRequest() async throws {
        let sink = try HTTPSink()
        try sink.scenario("/hang", ["mode": "slow", "delay_seconds": 5])
        let http = try HTTPClient(logger: logs.logger)
        defer { http.shutdown() }
        let task = Task { try await http.execute(HTTPRequest(url: sink.url("/hang"))) }
        try await Task.sleep(for: .milliseconds(300))
        let start = ContinuousClock.now
        task.cancel()
        let error = await #expect(throws: HTTPClientError.self) { try await task.value }
        #expect(error?.kind == .cancelled)
        #expect(elapsed(since: start) < .seconds(1))
        // The client still works afterwards.
        #expect(try await http.execute(HTTPRequest(url: sink.url("/after"))).status == 200)
    }
}
