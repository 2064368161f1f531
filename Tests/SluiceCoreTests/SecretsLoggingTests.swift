import SluiceCore
import SluiceTesting
import Testing

/// An output with a password setting whose start fails with a message quoting it, as a
/// client library echoing a connection string would.
final class LeakyOutput: OutputPlugin {
    static let pluginName = "leaky"
    static let summary = "Test output."
    static let settingSpecs = [SettingSpec("password", .password, doc: "A secret.")]
    let password: String
    let logger: Logger

    init(settings: PluginSettings, context: PluginContext) {
        password = settings.string("password") ?? ""
        logger = context.logger
    }

    func start() async throws {
        logger.warning("connecting with \(password)", metadata: ["url": "http://u:\(password)@h"])
        throw PluginError("login refused for password \(password)", retriable: false)
    }

    func write(_ events: [Event]) async throws -> WriteOutcome { .delivered }
}

/// Secret setting values never reach a log line or a printed error, whatever plugin wrote
/// them (issue 16, part 2): the validator remembers them and the CLI's log handler redacts.
@Suite struct SecretsLoggingTests {
    @Test func aSecretQuotedByAPluginIsRedactedInLogsAndErrors() async throws {
        var registry = PluginRegistry()
        registry.register(LeakyOutput.self)
        let capture = LogCapture()
        var h = PipelineHarness(registry: registry)
        // What the CLI installs: the stream handler wrapped in a RedactingLogHandler.
        h.logger = Logger(label: "t") { _ in RedactingLogHandler(capture.logger.handler) }
        h.logger.logLevel = .trace
        do {
            _ = try await h.run(#"output { leaky { password => "pw-4f9e1c" } }"#, events: [Event(message: "x")])
            Issue.record("start should have failed")
        } catch {
            #expect("\(error)".contains("pw-4f9e1c"), "the error itself is raw; the CLI prints it redacted")
            #expect(Secrets.redactRemembered("\(error)").contains("login refused for password <redacted>"))
            #expect(!Secrets.redactRemembered("\(error)").contains("pw-4f9e1c"))
        }
        #expect(capture.all.contains("connecting with <redacted>"), "\(capture.all)")
        #expect(capture.all.contains("url=http://u:<redacted>@h"), "\(capture.all)")
        #expect(!capture.all.contains("pw-4f9e1c"))
    }
}
