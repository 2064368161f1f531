/// TLS settings. Verification of the peer certificate and host name is on unless
/// `verificationMode` is `.none`.
public struct HTTPTLSConfiguration: Sendable, CustomStringConvertible {
    public enum VerificationMode: String, Sendable {
        /// Verify the certificate chain and that it names the host.
        case full
        /// Verify nothing (the client logs a warning once).
        case none
    }

    public var verificationMode: VerificationMode
    /// PEM files of the CAs to trust instead of the system's (Logstash `ssl_certificate_authorities`).
    public var certificateAuthorities: [String]
    /// A directory of hashed CA certificates (OpenSSL `c_rehash` layout).
    public var certificateAuthorityDirectory: String?
    /// Client certificate (PEM) and its private key, for mutual TLS.
    public var clientCertificate: String?
    public var clientKey: String?
    public var clientKeyPassword: String?

    public init(verificationMode: VerificationMode = .full, certificateAuthorities: [String] = [],
                certificateAuthorityDirectory: String? = nil, clientCertificate: String? = nil,
                clientKey: String? = nil, clientKeyPassword: String? = nil) {
        self.verificationMode = verificationMode
        self.certificateAuthorities = certificateAuthorities
        self.certificateAuthorityDirectory = certificateAuthorityDirectory
        self.clientCertificate = clientCertificate
        self.clientKey = clientKey
        self.clientKeyPassword = clientKeyPassword
    }

    public var description: String {
        "tls(verification: \(verificationMode), cas: \(certificateAuthorities), caDirectory: \(certificateAuthorityDirectory ?? "-"), "
            + "certificate: \(clientCertificate ?? "-"), key: \(clientKey ?? "-"), keyPassword: \(clientKeyPassword == nil ? "-" : "<redacted>"))"
    }
}

/// Settings shared by every request of one `HTTPClient`.
public struct HTTPClientConfiguration: Sendable, CustomStringConvertible {
    /// Time to establish a connection (TCP + TLS).
    public var connectTimeout: Duration
    /// Time for a whole request; `.zero` means no limit. A request may override it.
    public var requestTimeout: Duration
    /// Open connections across all hosts (Logstash `pool_max`); idle ones are kept alive for reuse.
    public var maxConnections: Int
    /// Open connections to one host (Logstash `pool_max_per_route`); 0 = no separate limit.
    public var maxConnectionsPerHost: Int
    public var tls: HTTPTLSConfiguration
    /// `http://[user:password@]host:port` of an HTTP(S) proxy. Without it no proxy is used,
    /// whatever the `http_proxy` environment variables say.
    public var proxy: String?
    /// Gzip request bodies (`Content-Encoding: gzip`); a request may override it.
    public var compressRequestBody: Bool
    /// Follow redirects; a request may override it.
    public var followRedirects: Bool
    public var maxRedirects: Int
    /// Headers whose values are secrets, redacted in logs in addition to `Authorization`,
    /// `Proxy-Authorization`, `Cookie`, `X-API-Key` and `api-key`.
    public var secretHeaders: [String]
    /// Sent with every request that has no `User-Agent` of its own.
    public var userAgent: String

    public init(connectTimeout: Duration = .seconds(10), requestTimeout: Duration = .seconds(60),
                maxConnections: Int = 50, maxConnectionsPerHost: Int = 25,
                tls: HTTPTLSConfiguration = HTTPTLSConfiguration(), proxy: String? = nil,
                compressRequestBody: Bool = false, followRedirects: Bool = false, maxRedirects: Int = 10,
                secretHeaders: [String] = [], userAgent: String = "Sluice") {
        self.connectTimeout = connectTimeout
        self.requestTimeout = requestTimeout
        self.maxConnections = maxConnections
        self.maxConnectionsPerHost = maxConnectionsPerHost
        self.tls = tls
        self.proxy = proxy
        self.compressRequestBody = compressRequestBody
        self.followRedirects = followRedirects
        self.maxRedirects = maxRedirects
        self.secretHeaders = secretHeaders
        self.userAgent = userAgent
    }

    public var description: String {
        "http(connectTimeout: \(connectTimeout), requestTimeout: \(requestTimeout), maxConnections: \(maxConnections), "
            + "maxConnectionsPerHost: \(maxConnectionsPerHost), \(tls), proxy: \(proxy.map { Redaction.url($0) } ?? "-"), "
            + "compress: \(compressRequestBody), followRedirects: \(followRedirects))"
    }
}
