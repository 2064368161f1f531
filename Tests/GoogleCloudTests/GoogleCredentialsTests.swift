import Foundation
import SluiceCore
import SluiceHTTP
import SluiceTesting
import Synchronization
import Testing
@testable import GoogleCloudPlugins

/// Service-account credentials against the token fixture, which checks each JWT's RS256
/// signature with the test key pair's public key (openssl) and serves an API that accepts only
/// its live tokens.
@Suite(.serialized) struct GoogleCredentialsTests {
    let fixture: TokenFixture
    init() throws { fixture = try TokenFixture() }

    func settings(_ values: [String: String]) -> PluginSettings {
        var all: [String: Value] = [:]
        for spec in GoogleCredentials.settingSpecs { if let d = spec.defaultValue { all[spec.name] = d } }
        for (k, v) in values { all[k] = .string(v) }
        return PluginSettings(pluginName: "google_cloud_storage", id: "gcs_test", values: all)
    }

    func service(_ values: [String: String], logger: Logger) throws -> GoogleService {
        try GoogleCredentials.service(settings(values.merging(["endpoint": fixture.url]) { a, _ in a }), environment: [:],
                                      emulatorVariable: "STORAGE_EMULATOR_HOST", productionURL: "https://unused.invalid",
                                      scope: "https://www.googleapis.com/auth/devstorage.read_write", logger: logger)
    }

    func api(_ service: GoogleService, _ http: HTTPClient) async throws -> Int {
        try await service.execute(HTTPRequest(url: fixture.url + "/api/objects"), with: http).status
    }

    @Test func jsonKeyGetsOneSignedTokenThatTheAPIAccepts() async throws {
        let key = try TestKeyPair(email: "json-\(UInt32.random(in: 0...UInt32.max))@p.iam.gserviceaccount.com")
        try fixture.register(key)
        let capture = LogCapture()
        let file = try key.jsonKeyFile(tokenURI: fixture.tokenURI)
        let service = try service(["json_key_file": file], logger: capture.logger)
        #expect(service.keyFile == file && service.emulated)
        let http = try HTTPClient(logger: capture.logger)
        defer { http.shutdown() }
        // Concurrent first callers share one token request.
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<20 { group.addTask { try await api(service, http) } }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(statuses == Array(repeating: 200, count: 20))
        let log = try fixture.log(key.email)
        let tokens = log.filter { $0["kind"] as? String == "token" }
        #expect(tokens.count == 1 && tokens.allSatisfy { $0["status"] as? Int == 200 }, "one token, its signature verified: \(tokens)")
        #expect(tokens.first?["kid"] as? String == "kid-1")
        #expect(tokens.first?["scope"] as? String == "https://www.googleapis.com/auth/devstorage.read_write")
        let token = try #require(tokens.first?["token"] as? String)
        #expect(!capture.all.contains(token) && !capture.all.contains("BEGIN PRIVATE KEY"), "no token or key in the logs")
    }

    @Test func tokenIsRefreshedBeforeItExpires() async throws {
        let key = try TestKeyPair(email: "refresh-\(UInt32.random(in: 0...UInt32.max))@p.iam.gserviceaccount.com")
        try fixture.register(key, expiresIn: 4)
        let service = try service(["json_key_file": try key.jsonKeyFile(tokenURI: fixture.tokenURI)], logger: LogCapture().logger)
        let http = try HTTPClient(logger: LogCapture().logger)
        defer { http.shutdown() }
        // 10 s of calls on 4 s tokens (refreshed after 2 s): never a 401, because each token is
        // replaced before its end.
        let end = ContinuousClock.now + .seconds(10)
        var calls = 0
        while ContinuousClock.now < end {
            #expect(try await api(service, http) == 200)
            calls += 1
            try await Task.sleep(for: .milliseconds(100))
        }
        let log = try fixture.log(key.email)
        let issued = log.filter { $0["kind"] as? String == "token" }.compactMap { $0["at"] as? Double }
        #expect(issued.count >= 3, "tokens were refreshed: \(issued.count) in \(calls) calls")
        for (a, b) in zip(issued, issued.dropFirst()) { #expect(b - a < 4, "the next token came before the last expired") }
        #expect(!log.contains { $0["kind"] as? String == "api" && $0["status"] as? Int == 401 }, "no request met an expired token")
    }

    @Test func a401RefreshesOnceThenASecond401NamesTheKeyFileOnly() async throws {
        let key = try TestKeyPair(email: "revoked-\(UInt32.random(in: 0...UInt32.max))@p.iam.gserviceaccount.com")
        try fixture.register(key)
        let capture = LogCapture()
        let file = try key.jsonKeyFile(tokenURI: fixture.tokenURI)
        let service = try service(["json_key_file": file], logger: capture.logger)
        let http = try HTTPClient(logger: capture.logger)
        defer { http.shutdown() }
        #expect(try await api(service, http) == 200)
        // The token is revoked: one 401, a new token, and the call succeeds.
        try fixture.revoke(key.email)
        #expect(try await api(service, http) == 200)
        var log = try fixture.log(key.email)
        #expect(log.filter { $0["kind"] as? String == "token" }.count == 2)
        #expect(log.filter { $0["kind"] as? String == "api" }.map { $0["status"] as? Int } == [200, 401, 200])
        // The account loses access: 401 with the fresh token too, a permanent error.
        try fixture.register(key, rejectAPI: true)
        do {
            _ = try await api(service, http)
            Issue.record("a second 401 must throw")
        } catch let e as PluginError {
            #expect(!e.retriable && e.code == .authentication)
            #expect(e.message.contains(file), "names the key file: \(e.message)")
            #expect(!e.message.contains("PRIVATE KEY") && !e.message.contains("ya29."))
        }
        log = try fixture.log(key.email)
        #expect(log.filter { $0["kind"] as? String == "token" }.count == 3, "refreshed once, not in a loop")
        for token in log.compactMap({ $0["token"] as? String }) { #expect(!capture.all.contains(token)) }
    }

    @Test(arguments: [false, true]) func p12KeyWithPasswordAndServiceAccount(legacy: Bool) async throws {
        let key = try TestKeyPair(email: "p12-\(UInt32.random(in: 0...UInt32.max))@p.iam.gserviceaccount.com")
        try fixture.register(key)
        let p12 = try key.p12File(password: "notasecret", legacy: legacy)
        // key_password defaults to Google's `notasecret`.
        let service = try service(["key_path": p12, "service_account": key.email, "token_uri": fixture.tokenURI],
                                  logger: LogCapture().logger)
        let http = try HTTPClient(logger: LogCapture().logger)
        defer { http.shutdown() }
        #expect(try await api(service, http) == 200)
        #expect(try fixture.log(key.email).filter { $0["kind"] as? String == "token" && $0["status"] as? Int == 200 }.count == 1)
    }

    @Test func badKeysAreErrorsNamingTheFileNotTheSecret() throws {
        let key = try TestKeyPair()
        let p12 = try key.p12File(password: "s3cret-pw", legacy: false)
        #expect {
            try service(["key_path": p12, "service_account": key.email, "key_password": "wrong-pw"], logger: LogCapture().logger)
        } throws: { e in
            let text = "\(e)"
            return text.contains(p12) && text.contains("key_password") && !text.contains("wrong-pw") && !text.contains("s3cret-pw")
        }
        #expect {
            try service(["key_path": p12], logger: LogCapture().logger)
        } throws: { e in "\(e)".contains("service_account") }
        let broken = key.dir + "/broken.json"
        try #"{"type": "service_account", "client_email": "a@b", "private_key": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"}"#
            .write(toFile: broken, atomically: true, encoding: .utf8)
        #expect {
            try service(["json_key_file": broken], logger: LogCapture().logger)
        } throws: { e in "\(e)".contains(broken) && !"\(e)".contains("AAAA") }
    }

    @Test func emulatorVariableNeedsNoCredentials() throws {
        let s = try GoogleCredentials.service(settings(["json_key_file": "/does/not/exist.json"]),
                                              environment: ["STORAGE_EMULATOR_HOST": "127.0.0.1:4443/"],
                                              emulatorVariable: "STORAGE_EMULATOR_HOST", productionURL: "https://storage.googleapis.com",
                                              scope: "s")
        #expect(s.baseURL == "http://127.0.0.1:4443" && s.emulated && s.keyFile == nil)
        #expect(throws: PluginError.self) {
            try GoogleCredentials.service(settings([:]), environment: [:], emulatorVariable: "STORAGE_EMULATOR_HOST",
                                          productionURL: "https://storage.googleapis.com", scope: "s")
        }
    }
}
