import Foundation
import SluiceCore
import SluiceHTTP

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
    /// True when `endpoint` or the emulator variable chose the URL.
    public let emulated: Bool
    /// The key file the tokens come from (what a refused token's error names), nil without credentials.
    public var keyFile: String? = nil

    /// Sends `request` with the `Authorization` header. A 401 forgets the token and tries once
    /// more with a new one; a second 401 is a permanent error naming the key file (never the key).
    /// Other responses are returned as they are.
    public func execute(_ request: HTTPRequest, with http: HTTPClient) async throws -> HTTPResponse {
        var retried = false
        while true {
            var r = request
            if let header = try await tokens.authorization() {
                r.headers.replaceOrAdd(name: "Authorization", value: header)
            }
            let response = try await http.execute(r)
            // Without a key a 401 is the server's answer to pass on (an emulator needs none).
            guard response.status == 401, let keyFile else { return response }
            if retried {
                throw PluginError("\(request.method) \(baseURL) answered 401 twice with fresh tokens of the key \(keyFile): the service account lacks access or the key was revoked",
                                  retriable: false, code: .authentication)
            }
            tokens.invalidate()
            retried = true
        }
    }
}

/// The settings both Google plugins share, and how they resolve into a `GoogleService`:
/// the emulator variable of Google's own client libraries (`STORAGE_EMULATOR_HOST`,
/// `BIGQUERY_EMULATOR_HOST`) needs no credentials; otherwise a service-account key
/// (`json_key_file`, or the seed's `.p12` `key_path` with `service_account`), at `endpoint`
/// when one is set (with no key, `endpoint` is an emulator too).
public enum GoogleCredentials {
    public static let settingSpecs: [SettingSpec] = [
        SettingSpec("json_key_file", .path, doc: "Service-account key (JSON) whose signed JWT is exchanged for an access token."),
        SettingSpec("key_path", .path, doc: "Service-account key in PKCS#12 (`.p12`), with `service_account` and `key_password` (Logstash's older settings)."),
        SettingSpec("key_password", .password, default: "notasecret", doc: "Password of the `.p12` key (Google's default is `notasecret`)."),
        SettingSpec("service_account", .string, doc: "Service-account e-mail that goes with `key_path`."),
        SettingSpec("token_uri", .string, doc: "OAuth token endpoint; default: the JSON key's `token_uri`, else https://oauth2.googleapis.com/token."),
        SettingSpec("endpoint", .string, doc: "Base URL of the API (an emulator, a private endpoint); no credentials are used unless a key is set."),
    ]

    /// - Parameters:
    ///   - emulatorVariable: `STORAGE_EMULATOR_HOST` or `BIGQUERY_EMULATOR_HOST`; its value is
    ///     `host:port` or a URL.
    ///   - productionURL: the API's public base URL.
    ///   - scope: the OAuth scope the token is asked for.
    ///   - http: TLS/proxy settings of the token requests (the token source owns its own client).
    ///   - logger: where token refreshes are logged (never the token).
    /// Reads the key file now (so a bad key fails at start); fetches no token.
    public static func service(_ settings: PluginSettings, environment: [String: String] = ProcessInfo.processInfo.environment,
                               emulatorVariable: String, productionURL: String, scope: String,
                               http: HTTPClientConfiguration = HTTPClientConfiguration(),
                               logger: Logger = Logger(label: "sluice.google")) throws -> GoogleService {
        let endpoint = settings.string("endpoint").flatMap { $0.isEmpty ? nil : $0 }
        let emulator = environment[emulatorVariable].flatMap { $0.isEmpty ? nil : $0 }
        // As Google's client libraries: the emulator variable means no credentials at all.
        if endpoint == nil, let emulator {
            return GoogleService(baseURL: normalized(emulator), tokens: NoGoogleCredentials(), emulated: true)
        }
        let key = try self.key(settings)
        if key == nil, let endpoint {
            return GoogleService(baseURL: normalized(endpoint), tokens: NoGoogleCredentials(), emulated: true)
        }
        guard let key else {
            throw PluginError("no credentials: set `json_key_file` (or `key_path` and `service_account`), or `endpoint` / \(emulatorVariable) for an emulator",
                              retriable: false, code: .authentication)
        }
        let client: HTTPClient
        do {
            client = try HTTPClient(configuration: http, logger: logger)
        } catch {
            throw PluginError("cannot set up the HTTP client for tokens: \(error)", retriable: false)
        }
        let tokens = ServiceAccountTokens(key: key, scope: scope, http: client, logger: logger)
        return GoogleService(baseURL: normalized(endpoint ?? productionURL), tokens: tokens, emulated: endpoint != nil, keyFile: key.file)
    }

    /// The configured key, nil when none is set.
    static func key(_ settings: PluginSettings) throws -> ServiceAccountKey? {
        let tokenURI = settings.string("token_uri").flatMap { $0.isEmpty ? nil : $0 }
        if let file = settings.string("json_key_file"), !file.isEmpty {
            let key = try ServiceAccountKey.json(file: file)
            guard let tokenURI else { return key }
            return ServiceAccountKey(email: key.email, privateKey: key.privateKey, tokenURI: tokenURI, keyID: key.keyID, file: file)
        }
        if let file = settings.string("key_path"), !file.isEmpty {
            guard let email = settings.string("service_account"), !email.isEmpty else {
                throw settings.error("service_account", "is required with `key_path` (the .p12 key does not name its account)")
            }
            return try ServiceAccountKey.pkcs12(file: file, password: try settings.declaredString("key_password"), email: email,
                                                tokenURI: tokenURI ?? ServiceAccountKey.defaultTokenURI)
        }
        return nil
    }

    /// `host:port` or a URL, as a base URL without trailing slash.
    static func normalized(_ url: String) -> String {
        let full = url.contains("://") ? url : "http://" + url
        return String(full.reversed().drop(while: { $0 == "/" }).reversed())
    }
}
