import SluiceCore
import SluiceTesting
import Testing

/// A compatible service behind a private CA (`api_base_url`): the stream request goes out only
/// over a verified connection, and `ssl_certificate_authorities` is how the input trusts it.
/// The HTTP sink's TLS port stands in for the service and records every request it gets.
@Suite(.serialized) struct TwitterTLSTests {
    @Test func aServerOfAPrivateCAIsReachedOnlyWithItsCertificateAuthority() async throws {
        let sink = try HTTPSink()
        let prefix = sink.prefix + "/twitter-tls"
        func run(_ extra: String) async throws -> LogCapture {
            let logs = LogCapture()
            var h = twitterHarness(logs)
            h.settings.shutdownTimeout = .seconds(1)
            let running = try h.start("""
                input { twitter { consumer_key => "k" consumer_secret => "s" oauth_token => "t" oauth_token_secret => "ts"
                                  use_samples => true api_base_url => "\(sink.tlsBase)\(prefix)" \(extra) } }
                """)
            _ = await running.waitUntil(timeout: .seconds(3)) { _ in
                logs.all.contains("certificate") || ((try? sink.recorded(prefix: prefix).isEmpty) == false)
            }
            running.stop()
            _ = try await running.finish()
            return logs
        }
        let refused = try await run("")
        #expect(try sink.recorded(prefix: prefix).isEmpty, "no request over an unverified connection")
        #expect(refused.all.contains("certificate"), "the reconnect log says why")
        _ = try await run(#"ssl_certificate_authorities => ["\#(sink.caFile)"]"#)
        let requests = try sink.recorded(prefix: prefix)
        #expect(!requests.isEmpty, "with the CA the stream request reached the server")
        #expect(requests.allSatisfy { ($0["path"] as? String)?.contains("statuses/sample") == true }, "\(requests)")
    }
}
