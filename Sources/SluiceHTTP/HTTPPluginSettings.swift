import SluiceCore

/// The settings every HTTP-speaking plugin shares (Logstash's names for TLS, proxy, timeouts
/// and connection pool), declared once and turned into an `HTTPClientConfiguration`.
public enum HTTPPluginSettings {
    /// TLS alone (for plugins with their own timeouts and proxy settings, such as `twitter`).
    public static let tlsSpecs: [SettingSpec] = [
        SettingSpec("ssl_certificate_authorities", .array, default: .array([]),
                    doc: "PEM files of the certificate authorities to trust (default: the system's)."),
        SettingSpec("ssl_certificate", .path, doc: "PEM client certificate, for servers that ask for one."),
        SettingSpec("ssl_key", .path, doc: "PEM private key of `ssl_certificate`."),
        SettingSpec("ssl_key_passphrase", .password, doc: "Passphrase of `ssl_key`."),
        SettingSpec("ssl_verification_mode", .oneOf(["full", "none"]), default: "full",
                    doc: "`full` checks the server's certificate and host name; `none` checks nothing (logged as a warning)."),
        SettingSpec("cacert", .path, deprecated: "use `ssl_certificate_authorities`", doc: "PEM file of a certificate authority to trust."),
        SettingSpec("client_cert", .path, deprecated: "use `ssl_certificate`", doc: "PEM client certificate."),
        SettingSpec("client_key", .path, deprecated: "use `ssl_key`", doc: "PEM private key of `client_cert`."),
    ]

    public static let specs: [SettingSpec] = tlsSpecs + [
        SettingSpec("proxy", .string, doc: "HTTP or HTTPS proxy URL, e.g. `http://proxy:3128` (credentials in it are never logged)."),
        SettingSpec("connect_timeout", .number, default: 10, doc: "Seconds to wait for a connection."),
        SettingSpec("request_timeout", .number, default: 60, doc: "Seconds a whole request may take."),
        SettingSpec("socket_timeout", .number, default: 10, doc: "Seconds without a byte from the server before the request fails."),
        SettingSpec("pool_max", .number, default: 50, doc: "Most connections open at once (and requests in flight)."),
        SettingSpec("pool_max_per_route", .number, default: 25, doc: "Most connections open at once to one host."),
    ]

    /// The client configuration `settings` describe. Reads nothing from disk: curl opens
    /// the certificate files when it first connects.
    public static func configuration(_ settings: PluginSettings) throws -> HTTPClientConfiguration {
        let tls = try tls(settings)
        func seconds(_ name: String) throws -> Duration {
            let s = try settings.declaredDouble(name)
            guard s > 0, s <= 86_400 * 365 else {
                throw settings.error(name, "must be a positive number of seconds")
            }
            return .milliseconds(Int64(s * 1000))
        }
        func count(_ name: String) throws -> Int {
            let n = try settings.declaredInt(name)
            guard n >= 1 else { throw settings.error(name, "must be at least 1") }
            return n
        }
        return HTTPClientConfiguration(
            connectTimeout: try seconds("connect_timeout"), requestTimeout: try seconds("request_timeout"),
            maxConnections: try count("pool_max"), maxConnectionsPerHost: try count("pool_max_per_route"),
            tls: tls, proxy: settings.string("proxy"))
    }

    /// The TLS configuration of `tlsSpecs`.
    public static func tls(_ settings: PluginSettings) throws -> HTTPTLSConfiguration {
        var tls = HTTPTLSConfiguration()
        tls.certificateAuthorities = settings.strings("ssl_certificate_authorities") + (settings.string("cacert").map { [$0] } ?? [])
        tls.clientCertificate = settings.string("ssl_certificate") ?? settings.string("client_cert")
        tls.clientKey = settings.string("ssl_key") ?? settings.string("client_key")
        tls.clientKeyPassword = settings.string("ssl_key_passphrase")
        tls.verificationMode = try settings.declaredString("ssl_verification_mode") == "none" ? .none : .full
        if tls.clientCertificate != nil && tls.clientKey == nil {
            throw settings.error("ssl_key", "is required with `ssl_certificate`")
        }
        return tls
    }

    /// `socket_timeout` as the time a transfer may go without receiving a byte.
    public static func stallTimeout(_ settings: PluginSettings) -> Duration? {
        settings.double("socket_timeout").flatMap { $0 > 0 ? .milliseconds(Int64($0 * 1000)) : nil }
    }
}
