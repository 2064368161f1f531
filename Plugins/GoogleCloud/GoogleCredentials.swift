import Foundation
import SluiceCore

/// Supplies the `Authorization` header of a Google API request; one per plugin instance.
public protocol GoogleTokenSource: Sendable {
    /// `Bearer <token>`, fetched, or refreshed before it expires; nil when no credentials are
    /// used (an emulator).
    func authorization() async throws -> String?
    /// After a 401: forget the current token, so the next `authorization()` fetches a new one.
    func invalidate()
}

/// No credentials: emulators and explicit endpoints that need none.
public struct NoGoogleCredentials: GoogleTokenSource {
    public init() {}
    public func authorization() async throws -> String? { nil }
    public func invalidate() {}
}

/// Where a Google plugin sends its requests and how it authenticates.
public struct GoogleService: Sendable {
    /// Scheme, host and port, no trailing slash: `https://storage.googleapis.com`, or an emulator's URL.
    public let baseURL: String
    public let tokens: any GoogleTokenSource
    /// True when `endpoint` or the emulator variable chose the URL (no credentials needed).
    public let emulated: Bool
}

/// The settings both Google plugins share, and how they resolve into a `GoogleService`:
/// an explicit `endpoint`, else the emulator variable of Google's own client libraries
/// (`STORAGE_EMULATOR_HOST`, `BIGQUERY_EMULATOR_HOST`), needs no credentials; otherwise a
/// service-account key (`json_key_file`, or the seed's `.p12` `key_path`).
public enum GoogleCredentials {
    public static let settingSpecs: [SettingSpec] = [
        SettingSpec("json_key_file", .path, doc: "Service-account key (JSON) whose signed JWT is exchanged for an access token."),
        SettingSpec("key_path", .path, doc: "Service-account key in PKCS#12 (`.p12`), with `service_account` and `key_password` (Logstash's older settings)."),
        SettingSpec("key_password", .password, default: "notasecret", doc: "Password of the `.p12` key (Google's default is `notasecret`)."),
        SettingSpec("service_account", .string, doc: "Service-account e-mail that goes with `key_path`."),
        SettingSpec("endpoint", .string, doc: "Base URL of the API (an emulator, a private endpoint); no credentials are used unless a key is set."),
    ]

    /// - Parameters:
    ///   - emulatorVariable: `STORAGE_EMULATOR_HOST` or `BIGQUERY_EMULATOR_HOST`; its value is
    ///     `host:port` or a URL.
    ///   - productionURL: the API's public base URL.
    ///   - scope: the OAuth scope the token is asked for.
    public static func service(_ settings: PluginSettings, environment: [String: String] = ProcessInfo.processInfo.environment,
                               emulatorVariable: String, productionURL: String, scope: String) throws -> GoogleService {
        let explicit = settings.string("endpoint") ?? environment[emulatorVariable].flatMap { $0.isEmpty ? nil : $0 }
        if let explicit {
            let url = explicit.contains("://") ? explicit : "http://" + explicit
            return GoogleService(baseURL: String(url.reversed().drop(while: { $0 == "/" }).reversed()),
                                 tokens: NoGoogleCredentials(), emulated: true)
        }
        if settings.string("json_key_file") != nil || settings.string("key_path") != nil {
            // Service-account keys are resolved by the credentials work (issue 15); until then a key is a clear error.
            throw PluginError("service-account keys are not supported yet: set `endpoint` or \(emulatorVariable)", retriable: false)
        }
        throw PluginError("no credentials: set `json_key_file` (or `key_path` and `service_account`), or `endpoint` / \(emulatorVariable) for an emulator",
                          retriable: false)
    }
}
