import Foundation
import Logging
import SluiceTesting
import Testing
@testable import SluiceHTTP

@Suite struct HTTPClientTLSAndRedirectTests {
    let logs = LogCapture()

    @Test func tlsFailsWithoutTheCAAndSucceedsWithIt() async throws {
        let sink = try HTTPSink()
        let plain = try HTTPClient(logger: logs.logger)
        defer { plain.shutdown() }
        let error = await #expect(throws: HTTPClientError.self) {
            try await plain.execute(HTTPRequest(url: sink.tlsBase + sink.prefix + "/tls-no-ca"))
        }
        #expect(error?.kind == .tls)
        #expect(error?.isRetriable == false)

        let trusting = try HTTPClient(configuration: .init(tls: .init(certificateAuthorities: [sink.caFile])), logger: logs.logger)
        defer { trusting.shutdown() }
        let r = try await trusting.execute(HTTPRequest(method: .post, url: sink.tlsBase + sink.prefix + "/secure", body: Array("secure".utf8)))
        #expect(r.status == 200)
        let rec = try #require(try sink.requests("/secure").first)
        #expect(rec["tls"] as? Bool == true)
        #expect(rec["body"] as? String == "secure")
        #expect(logs.count(.warning) == 0)
    }

    @Test func severalCAFilesAreTrustedTogether() async throws {
        let sink = try HTTPSink()
        // A second, unrelated CA file next to the right one: curl gets both as one bundle.
        let other = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-other-ca-\(UUID()).pem").path
        let ca = try String(contentsOfFile: sink.caFile, encoding: .utf8)
        try ca.write(toFile: other, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: other) }
        let http = try HTTPClient(configuration: .init(tls: .init(certificateAuthorities: [other, sink.caFile])), logger: logs.logger)
        defer { http.shutdown() }
        #expect(try await http.execute(HTTPRequest(url: sink.tlsBase + sink.prefix + "/two-cas")).status == 200)
        // A missing CA file is reported when the client is created.
        #expect(throws: HTTPClientError.self) {
            _ = try HTTPClient(configuration: .init(tls: .init(certificateAuthorities: ["/nonexistent/ca.pem"])), logger: logs.logger)
        }
    }

    @Test func caDirectoryIsTrusted() async throws {
        let sink = try HTTPSink()
        // OpenSSL looks a CA up in a directory by its subject hash: HASH.0.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-ca-dir-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let hash = Process()
        hash.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        hash.arguments = ["x509", "-noout", "-subject_hash", "-in", sink.caFile]
        let pipe = Pipe()
        hash.standardOutput = pipe
        try hash.run()
        let name = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        hash.waitUntilExit()
        try FileManager.default.copyItem(atPath: sink.caFile, toPath: dir + "/" + name + ".0")
        let http = try HTTPClient(configuration: .init(tls: .init(certificateAuthorityDirectory: dir)), logger: logs.logger)
        defer { http.shutdown() }
        #expect(try await http.execute(HTTPRequest(url: sink.tlsBase + sink.prefix + "/ca-dir")).status == 200)
        let empty = try HTTPClient(configuration: .init(tls: .init(certificateAuthorityDirectory: "/nonexistent")), logger: logs.logger)
        defer { empty.shutdown() }
        let error = await #expect(throws: HTTPClientError.self) {
            try await empty.execute(HTTPRequest(url: sink.tlsBase + sink.prefix + "/ca-dir-missing"))
        }
        #expect(error?.kind == .tls)
    }

    @Test func verificationNoneConnectsAndWarnsOnce() async throws {
        let sink = try HTTPSink()
        let http = try HTTPClient(configuration: .init(tls: .init(verificationMode: .none)), logger: logs.logger)
        defer { http.shutdown() }
        for _ in 0..<3 {
            #expect(try await http.execute(HTTPRequest(url: sink.tlsBase + sink.prefix + "/insecure")).status == 200)
        }
        #expect(logs.count(.warning) == 1)
        #expect(logs.all.contains("verification is disabled"))
    }

    @Test func redirectIsNotFollowedByDefaultAndExposesLocation() async throws {
        let sink = try HTTPSink()
        let http = try HTTPClient(logger: logs.logger)
        defer { http.shutdown() }
        let r = try await http.execute(HTTPRequest(method: .put, url: sink.base + "/_redirect307" + sink.prefix + "/target",
                                                   body: Array("data".utf8)))
        #expect(r.status == 307)
        #expect(r.location == sink.prefix + "/target")
        #expect(try sink.requests("/target").isEmpty)
    }

    @Test func followedRedirectResendsMethodAndBody() async throws {
        let sink = try HTTPSink()
        let http = try HTTPClient(logger: logs.logger)
        defer { http.shutdown() }
        let body = Array(String(repeating: "block of file data\n", count: 1000).utf8)
        let r = try await http.execute(HTTPRequest(method: .put, url: sink.base + "/_redirect307" + sink.prefix + "/datanode?op=CREATE",
                                                   body: body, followRedirects: true))
        #expect(r.status == 200)
        #expect(r.location == nil)
        #expect(r.effectiveURL == sink.url("/datanode?op=CREATE"))
        let rec = try #require(try sink.requests("/datanode").first)
        #expect(rec["method"] as? String == "PUT")
        #expect(rec["body"] as? String == body.text)
        // The configuration can turn following on for every request.
        let following = try HTTPClient(configuration: .init(followRedirects: true), logger: logs.logger)
        defer { following.shutdown() }
        let r2 = try await following.execute(HTTPRequest(method: .post, url: sink.base + "/_redirect307" + sink.prefix + "/again",
                                                         body: Array("x".utf8)))
        #expect(r2.status == 200)
        #expect(try sink.requests("/again").first?["body"] as? String == "x")
    }
}

@Suite struct HTTPClientMutualTLSAndProxyTests {
    let logs = LogCapture()

    @Test func clientCertificateWithEncryptedKey() async throws {
        let sink = try HTTPSink()
        let mtls = try TestServices.url("http_sink_mtls")
        let keyPassword = try TestServices.url("http_sink_client_key_password")
        let tls = HTTPTLSConfiguration(certificateAuthorities: [sink.caFile],
                                       clientCertificate: try TestServices.path("http_sink_client_cert"),
                                       clientKey: try TestServices.path("http_sink_client_key"),
                                       clientKeyPassword: keyPassword)
        let http = try HTTPClient(configuration: .init(tls: tls), logger: logs.logger)
        defer { http.shutdown() }
        let r = try await http.execute(HTTPRequest(method: .post, url: mtls + sink.prefix + "/mtls", body: Array("m".utf8)))
        #expect(r.status == 200)
        let rec = try #require(try sink.requests("/mtls").first)
        #expect(rec["client_cert_subject"] as? String == "sluice-client")

        // A wrong key password and a missing certificate both fail.
        var wrong = tls
        wrong.clientKeyPassword = "not-the-password"
        let bad = try HTTPClient(configuration: .init(tls: wrong), logger: logs.logger)
        defer { bad.shutdown() }
        let e1 = await #expect(throws: HTTPClientError.self) { try await bad.execute(HTTPRequest(url: mtls + sink.prefix + "/nokey")) }
        #expect(e1?.kind == .tls)
        #expect(e1?.description.contains("not-the-password") == false)
        let anonymous = try HTTPClient(configuration: .init(tls: .init(certificateAuthorities: [sink.caFile])), logger: logs.logger)
        defer { anonymous.shutdown() }
        let e2 = await #expect(throws: HTTPClientError.self) { try await anonymous.execute(HTTPRequest(url: mtls + sink.prefix + "/nocert")) }
        // Under TLS 1.3 the server rejects the missing certificate after the handshake: curl
        // reports the alert (.tls) or, when the server closed first, a failed send or read.
        #expect([.tls, .send, .receive].contains(e2?.kind), "\(String(describing: e2))")
        #expect(try sink.requests("/no").isEmpty)
        #expect(!logs.all.contains(keyPassword))
    }

    @Test func requestsGoThroughTheProxyWithItsCredentials() async throws {
        let sink = try HTTPSink()
        let proxyPassword = "proxy-pw-5772156649"
        let proxy = sink.base.replacingOccurrences(of: "http://", with: "http://puser:\(proxyPassword)@")
        let http = try HTTPClient(configuration: .init(proxy: proxy), logger: logs.logger)
        defer { http.shutdown() }
        let target = "http://origin.invalid" + sink.prefix + "/via-proxy"
        let r = try await http.execute(HTTPRequest(method: .post, url: target, body: Array("p".utf8)))
        #expect(r.status == 200)
        let rec = try #require(try sink.requests("/via-proxy").first)
        #expect(rec["proxy_target"] as? String == target)
        #expect((rec["headers"] as? [String: String])?["proxy-authorization"] == "Basic " + Base64.encode(Array("puser:\(proxyPassword)".utf8)))
        #expect(!logs.all.contains(proxyPassword))
    }
}
