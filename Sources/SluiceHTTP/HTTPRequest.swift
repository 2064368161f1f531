/// An HTTP method. The common ones are constants; any token is allowed.
public struct HTTPMethod: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }

    public static let get = HTTPMethod("GET")
    public static let head = HTTPMethod("HEAD")
    public static let post = HTTPMethod("POST")
    public static let put = HTTPMethod("PUT")
    public static let patch = HTTPMethod("PATCH")
    public static let delete = HTTPMethod("DELETE")

    public var description: String { rawValue }
}

/// Credentials sent with a request. Printing one never shows the secret.
public enum HTTPAuth: Sendable, CustomStringConvertible {
    /// `Authorization: Basic base64(user:password)`.
    case basic(user: String, password: String)
    /// `Authorization: Bearer token`.
    case bearer(String)
    /// A header carrying an API key (e.g. `Authorization: ApiKey ...`, `X-API-Key: ...`);
    /// its value is redacted in logs like any secret header.
    case header(name: String, value: String)

    public var description: String {
        switch self {
        case .basic(let user, _): "basic(user: \(user), password: <redacted>)"
        case .bearer: "bearer(<redacted>)"
        case .header(let name, _): "header(\(name): <redacted>)"
        }
    }

    var headerField: (name: String, value: String) {
        switch self {
        case .basic(let user, let password):
            ("Authorization", "Basic " + Base64.encode(Array("\(user):\(password)".utf8)))
        case .bearer(let token): ("Authorization", "Bearer " + token)
        case .header(let name, let value): (name, value)
        }
    }

    /// Strings that must never appear in a log line or an error.
    var secrets: [String] {
        switch self {
        case .basic(_, let password): [password, headerField.value]
        case .bearer(let token): [token]
        case .header(_, let value): [value]
        }
    }
}

/// One HTTP request. Options left nil take the client's configuration.
public struct HTTPRequest: Sendable, CustomStringConvertible {
    public var method: HTTPMethod
    /// An absolute http(s) URL. Userinfo in it (`user:password@`) is sent as basic auth
    /// and redacted in logs and errors.
    public var url: String
    public var headers: HTTPHeaders
    /// The request body; nil sends none.
    public var body: [UInt8]?
    public var auth: HTTPAuth?
    /// Gzip the body and send `Content-Encoding: gzip`; nil = configuration.
    public var compressBody: Bool?
    /// Follow 3xx redirects (re-sending the body on 307/308); nil = configuration.
    public var followRedirects: Bool?
    /// Whole-transfer limit; nil = configuration. `.zero` means no limit.
    public var timeout: Duration?
    public var connectTimeout: Duration?
    /// Fails the transfer with a `.timeout` error when no byte was received or sent for this
    /// long (a stalled long-lived stream, or a server that stopped answering); nil = never.
    /// Checked about once a second, so it fires between this and a second later.
    public var stallTimeout: Duration?

    public init(method: HTTPMethod = .get, url: String, headers: HTTPHeaders = [:], body: [UInt8]? = nil,
                auth: HTTPAuth? = nil, compressBody: Bool? = nil, followRedirects: Bool? = nil,
                timeout: Duration? = nil, connectTimeout: Duration? = nil, stallTimeout: Duration? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.auth = auth
        self.compressBody = compressBody
        self.followRedirects = followRedirects
        self.timeout = timeout
        self.connectTimeout = connectTimeout
        self.stallTimeout = stallTimeout
    }

    /// Method and redacted URL, e.g. for a log line.
    public var description: String { "\(method) \(Redaction.url(url))" }
}
