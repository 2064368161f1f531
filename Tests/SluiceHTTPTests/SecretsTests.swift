import SluiceTesting
import Foundation
import Logging
import Testing
@testable import SluiceHTTP

/// Credentials reach the server but never a log line or an error description.
@Suite struct SecretsTests {
    let logs = LogCapture()
    let password = "pa55-Wd-q7Zx"
    let token = "tok-9f8e7d6c5b4a"
    let apiKey = "key-31415926535"
    let urlPassword = "urlpw-27182818"
    let proxyPassword = "proxypw-1618033"

    var secrets: [String] {
        [password, token, apiKey, urlPassword, proxyPassword,
         Base64.encode(Array("elastic:\(password)".utf8)), Base64.encode(Array("bob:\(urlPassword)".utf8))]
    }

    func expectNoSecret(in text: String, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        for s in secrets {
            #expect(!text.contains(s), "\(what) contains a secret: \(text)", sourceLocation: sourceLocation)
        }
    }

    @Test func credentialsReachTheServerButNoLogOrError() async throws {
        let sink = try HTTPSink()
        let http = try HTTPClient(configuration: .init(secretHeaders: ["X-Custom-Secret"]), logger: logs.logger)
        defer { http.shutdown() }
        _ = try await http.execute(HTTPRequest(method: .post, url: sink.url("/basic"), body: [1], auth: .basic(user: "elastic", password: password)))
        _ = try await http.execute(HTTPRequest(url: sink.url("/bearer"), auth: .bearer(token)))
        _ = try await http.execute(HTTPRequest(url: sink.url("/apikey"), headers: ["X-Custom-Secret": apiKey],
                                               auth: .header(name: "Authorization", value: "ApiKey " + apiKey)))
        let withUserinfo = sink.base.replacingOccurrences(of: "http://", with: "http://bob:\(urlPassword)@") + sink.prefix + "/userinfo"
        _ = try await http.execute(HTTPRequest(url: withUserinfo))

        func header(_ path: String, _ name: String) throws -> String? {
            (try sink.requests(path).first?["headers"] as? [String: String])?[name]
        }
        #expect(try header("/basic", "authorization") == "Basic " + Base64.encode(Array("elastic:\(password)".utf8)))
        #expect(try header("/bearer", "authorization") == "Bearer " + token)
        #expect(try header("/apikey", "authorization") == "ApiKey " + apiKey)
        #expect(try header("/apikey", "x-custom-secret") == apiKey)
        #expect(try header("/userinfo", "authorization") == "Basic " + Base64.encode(Array("bob:\(urlPassword)".utf8)))

        // Failures: refused and timed out, with every kind of credential.
        let port = try closedPort()
        let timing = try HTTPClient(configuration: .init(requestTimeout: .milliseconds(300)), logger: logs.logger)
        defer { timing.shutdown() }
        try sink.scenario("/slow", ["mode": "slow", "delay_seconds": 2])
        var errors: [String] = []
        for request in [
            HTTPRequest(url: "http://bob:\(urlPassword)@127.0.0.1:\(port)/x?token=\(token)"),
            HTTPRequest(url: "http://127.0.0.1:\(port)/x", auth: .basic(user: "elastic", password: password)),
            HTTPRequest(url: sink.url("/slow"), auth: .bearer(token)),
            HTTPRequest(url: withUserinfo.replacingOccurrences(of: "/userinfo", with: "/slow"), headers: ["X-API-Key": apiKey]),
        ] {
            do {
                _ = try await timing.execute(request)
                Issue.record("expected \(request) to fail")
            } catch {
                errors.append("\(error)")
                #expect("\(error)".contains("127.0.0.1"))
            }
        }
        #expect(errors.count == 4)
        for e in errors { expectNoSecret(in: e, "error") }
        // Headers were logged, with their values hidden.
        #expect(logs.all.contains("Authorization: <redacted>"))
        #expect(logs.all.contains("X-Custom-Secret: <redacted>"))
        #expect(logs.all.contains("bob:***@"))
        expectNoSecret(in: logs.all, "log")
    }

    @Test func proxyCredentialsAndKeyPasswordStayHidden() async throws {
        let port = try closedPort()
        let config = HTTPClientConfiguration(tls: .init(clientKeyPassword: password),
                                             proxy: "http://proxyuser:\(proxyPassword)@127.0.0.1:\(port)")
        expectNoSecret(in: "\(config)", "configuration description")
        let http = try HTTPClient(configuration: config, logger: logs.logger)
        defer { http.shutdown() }
        let error = await #expect(throws: HTTPClientError.self) {
            try await http.execute(HTTPRequest(url: "http://127.0.0.1:1/x"))
        }
        #expect(error?.kind == .proxy)
        #expect(error?.isRetriable == true)
        expectNoSecret(in: "\(String(describing: error))", "error")
        expectNoSecret(in: logs.all, "log")
        expectNoSecret(in: "\(HTTPAuth.basic(user: "u", password: password)) \(HTTPAuth.bearer(token))", "auth description")
    }
}
