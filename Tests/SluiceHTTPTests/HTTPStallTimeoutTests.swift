import Logging
import SluiceCore
import SluiceTesting
import Testing
@testable import SluiceHTTP

/// `HTTPRequest.stallTimeout` means "no byte for this long": a stream that trickles (a
/// keep-alive newline now and then) lives on, one that goes silent fails with `.timeout`.
@Suite struct HTTPStallTimeoutTests {
    let logs = LogCapture()

    @Test func aStreamWithGapsShorterThanTheLimitIsNotStalled() async throws {
        let sink = try HTTPSink()
        let http = try HTTPClient(logger: logs.logger)
        defer { http.shutdown() }
        let response = try await http.stream(HTTPRequest(url: sink.base + "/_stream?chunks=4&interval=0.7",
                                                         stallTimeout: .milliseconds(1500)))
        var text = ""
        for try await chunk in response.body { text += chunk.text }
        #expect(text == (0..<4).map { "chunk \($0)\n" }.joined())
    }

    @Test func aSilentServerFailsWithATimeoutAfterTheLimit() async throws {
        let sink = try HTTPSink()
        try sink.scenario("/silent", ["mode": "slow", "delay_seconds": 6])
        let http = try HTTPClient(logger: logs.logger)
        defer { http.shutdown() }
        let start = ContinuousClock.now
        let error = await #expect(throws: HTTPClientError.self) {
            _ = try await http.execute(HTTPRequest(url: sink.url("/silent"), stallTimeout: .seconds(1)))
        }
        #expect(error?.kind == .timeout)
        #expect(error?.message.contains("stalled") == true)
        #expect(error?.isRetriable == true)
        // Checked about once a second: after the limit, and before the server's answer at 6 s.
        let took = elapsed(since: start)
        #expect(took >= .milliseconds(950) && took < .milliseconds(5500), "took \(took)")
    }
}
