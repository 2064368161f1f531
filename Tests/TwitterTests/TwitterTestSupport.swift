import Foundation
import SluiceCore
import SluiceTesting
import Synchronization
@testable import TwitterPlugins

/// The Twitter fixture (Tests/Fixtures/twitter_fixture.py), driven and read back with the
/// `curl` command-line tool: a client independent of the one under test.
struct TwitterFixture {
    let base: String
    let control: String
    let bearer: String
    let consumerKey: String
    let consumerSecret: String
    let token: String
    let tokenSecret: String

    /// Connects and resets the fixture: no rules, no injections, counters at zero, cursor at 0.
    init() throws {
        base = try TestServices.url("twitter")
        control = try TestServices.url("twitter_control")
        bearer = try TestServices.url("twitter_bearer_token")
        consumerKey = try TestServices.url("twitter_consumer_key")
        consumerSecret = try TestServices.url("twitter_consumer_secret")
        token = try TestServices.url("twitter_oauth_token")
        tokenSecret = try TestServices.url("twitter_oauth_token_secret")
        try post("reset")
    }

    var secrets: [String] { [bearer, consumerSecret, tokenSecret] }

    func post(_ command: String, _ body: [String: Any] = [:]) throws {
        _ = try curl(["-X", "POST", "--data-binary", try json(body), control + "/" + command])
    }

    func counters() throws -> [String: Any] {
        try object(curl([control + "/counters"]))
    }

    func connections(_ kind: String) throws -> Int {
        ((try counters()["connections"] as? [String: Any])?[kind] as? Int) ?? -1
    }

    /// Returns once the v2 volume stream was asked for `n` times (refused ones count), or after 15 s.
    func waitFor(connections n: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(15)
        while try connections("v2_sample") < n, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// The app's stream rules, as GET /2/tweets/search/stream/rules lists them.
    func rules() throws -> [[String: String]] {
        let o = try object(curl(["-H", "Authorization: Bearer \(bearer)", base + "/2/tweets/search/stream/rules"]))
        return (o["data"] as? [[String: String]]) ?? []
    }

    /// Adds a rule as another client of the same app would.
    func addRule(_ value: String, tag: String) throws {
        let body = try json(["add": [["value": value, "tag": tag]]])
        _ = try curl(["-X", "POST", "-H", "Authorization: Bearer \(bearer)", "-H", "Content-Type: application/json",
                      "--data-binary", body, base + "/2/tweets/search/stream/rules"])
    }

    private func json(_ o: Any) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: o), as: UTF8.self)
    }

    private func object(_ text: String) throws -> [String: Any] {
        (try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) ?? [:]
    }

    struct Failure: Error, CustomStringConvertible { let description: String }

    private func curl(_ args: [String]) throws -> String {
        let r = try runProcess("/usr/bin/curl", ["-sS", "--fail", "--noproxy", "*", "--max-time", "10"] + args)
        guard r.status == 0 else { throw Failure(description: "curl \(args.last ?? "") exited \(r.status): \(r.stderr)") }
        return r.output
    }
}

/// The made-up tweets the fixture streams, in order (samples/tweets/).
enum Samples {
    static func lines(_ name: String) throws -> [Value] {
        let parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        let path = (parts.dropLast(3) + ["samples", "tweets", Substring(name)]).joined(separator: "/")
        guard let bytes = FileIO.readFile(path) else { throw TwitterFixture.Failure(description: "cannot read \(path)") }
        return try bytes.split(separator: 10).map { try JSON.decode($0) }
    }

    /// The ids of the v2 sample's tweets.
    static func v2Ids() throws -> [String] {
        try lines("v2.jsonl").map { $0.objectValue?["data"]?.objectValue?["id"]?.stringValue ?? "" }
    }

    /// The words of a v2 tweet's text as the fixture's rule matcher sees them (`[\w#@]+`).
    static func words(_ tweet: Value) -> Set<String> {
        let text = tweet.objectValue?["data"]?.objectValue?["text"]?.stringValue?.lowercased() ?? ""
        return Set(text.split { !($0.isLetter || $0.isNumber || $0 == "_" || $0 == "#" || $0 == "@") }.map(String.init))
    }
}

func twitterHarness(_ logs: LogCapture) -> PipelineHarness {
    var r = PluginRegistry()
    TwitterPlugins.register(into: &r)
    r.register(SlowOutput.self)
    var h = PipelineHarness(registry: r)
    h.settings.batchSize = 125
    h.logger = logs.logger
    return h
}

extension Event {
    /// `[data][id]` of a v2 full tweet.
    var v2Id: String? { value("[data][id]")?.stringValue }

    func value(_ path: String) -> Value? { (try? FieldReference(parsing: path)).flatMap { self[$0] } }
}

/// An output that takes `delay_ms` per batch: a pipeline slower than the stream.
final class SlowOutput: OutputPlugin {
    static let pluginName = "slow_capture"
    static let summary = "Test output: counts events, slowly."
    static let settingSpecs = [SettingSpec("delay_ms", .number, default: 100, doc: "Milliseconds per batch.")]
    static let received = Mutex(0)
    let delay: Duration

    init(settings: PluginSettings, context: PluginContext) throws {
        delay = .milliseconds(try settings.declaredInt("delay_ms"))
    }

    func write(_ events: [Event]) async throws -> WriteOutcome {
        try await Task.sleep(for: delay)
        Self.received.withLock { $0 += events.count }
        return .delivered
    }
}
