import Crypto
import SluiceCore
import SluiceHTTP

/// The four OAuth 1.0a credentials of a Twitter app and user. Printing them shows the
/// consumer key only.
public struct OAuth1Credentials: Sendable, CustomStringConvertible {
    public var consumerKey: String
    public var consumerSecret: String
    public var token: String
    public var tokenSecret: String

    public init(consumerKey: String, consumerSecret: String, token: String, tokenSecret: String) {
        self.consumerKey = consumerKey
        self.consumerSecret = consumerSecret
        self.token = token
        self.tokenSecret = tokenSecret
    }

    public var description: String { "oauth1(consumer_key: \(consumerKey), secrets: <redacted>)" }
}

/// Signs requests with OAuth 1.0a HMAC-SHA1 (RFC 5849 §3.4; Twitter's "Creating a signature").
///
/// Every `authorization(method:url:form:)` call draws a fresh nonce and reads the clock: a
/// reconnect signed with the previous attempt's timestamp is refused with 401 for as long as
/// it keeps retrying (ttezel/twit #253).
public struct OAuth1Signer: Sendable {
    public let credentials: OAuth1Credentials

    public init(credentials: OAuth1Credentials) {
        self.credentials = credentials
    }

    /// The `Authorization` header value for a request to `url` (query included) with `form`
    /// as its `application/x-www-form-urlencoded` body, signed now with a new nonce.
    public func authorization(method: String, url: String, form: [(String, String)] = []) -> String {
        authorization(method: method, url: url, form: form, nonce: Self.newNonce(),
                      timestamp: Int(Timestamp.now().epochSeconds))
    }

    /// The same with a given nonce and timestamp (for the published examples).
    public func authorization(method: String, url: String, form: [(String, String)], nonce: String, timestamp: Int) -> String {
        var oauth: [(String, String)] = [
            ("oauth_consumer_key", credentials.consumerKey),
            ("oauth_nonce", nonce),
            ("oauth_signature_method", "HMAC-SHA1"),
            ("oauth_timestamp", String(timestamp)),
            ("oauth_token", credentials.token),
            ("oauth_version", "1.0"),
        ]
        let all = Self.queryPairs(url) + form + oauth
        oauth.append(("oauth_signature", signature(method: method, url: url, parameters: all)))
        return "OAuth " + oauth.map { "\(Self.encode($0.0))=\"\(Self.encode($0.1))\"" }.joined(separator: ", ")
    }

    /// The base64 HMAC-SHA1 of the signature base string (§3.4.1) of `parameters` (query,
    /// form body and `oauth_*` values, not yet encoded), keyed by both secrets (§3.4.2).
    public func signature(method: String, url: String, parameters: [(String, String)]) -> String {
        let base = Self.baseString(method: method, url: url, parameters: parameters)
        let key = Self.encode(credentials.consumerSecret) + "&" + Self.encode(credentials.tokenSecret)
        let mac = HMAC<Insecure.SHA1>.authenticationCode(for: Array(base.utf8), using: SymmetricKey(data: Array(key.utf8)))
        return Self.base64(Array(mac))
    }

    /// §3.4.1.1: METHOD & encoded base URI & encoded normalized parameters.
    static func baseString(method: String, url: String, parameters: [(String, String)]) -> String {
        var pairs: [(name: String, value: String)] = []
        for (name, value) in parameters where name != "oauth_signature" && name != "realm" {
            pairs.append((encode(name), encode(value)))
        }
        pairs.sort { a, b in a.name == b.name ? a.value < b.value : a.name < b.name }
        let normalized = pairs.map { "\($0.name)=\($0.value)" }.joined(separator: "&")
        return method.uppercased() + "&" + encode(baseURI(url)) + "&" + encode(normalized)
    }

    /// §3.4.1.2: scheme and host in lower case, the default port dropped, no query or fragment.
    static func baseURI(_ url: String) -> String {
        guard let schemeEnd = url.firstRange(of: "://") else { return url }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        let rest = url[schemeEnd.upperBound...]
        let pathStart = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        var authority = rest[..<pathStart].lowercased()
        if let at = authority.lastIndex(of: "@") { authority = String(authority[authority.index(after: at)...]) }
        if (scheme == "http" && authority.hasSuffix(":80")) || (scheme == "https" && authority.hasSuffix(":443")) {
            authority = String(authority.prefix(upTo: authority.lastIndex(of: ":") ?? authority.endIndex))
        }
        let afterAuthority = rest[pathStart...]
        let pathEnd = afterAuthority.firstIndex { $0 == "?" || $0 == "#" } ?? afterAuthority.endIndex
        let path = afterAuthority[..<pathEnd]
        return scheme + "://" + authority + (path.isEmpty ? "/" : String(path))
    }

    /// The decoded name/value pairs of the URL's query (§3.4.1.3.1: form-urlencoded rules).
    static func queryPairs(_ url: String) -> [(String, String)] {
        guard let q = url.firstIndex(of: "?") else { return [] }
        var query = url[url.index(after: q)...]
        if let hash = query.firstIndex(of: "#") { query = query[..<hash] }
        return query.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (formDecode(parts[0]), parts.count > 1 ? formDecode(parts[1]) : "")
        }
    }

    /// §3.6: every byte but ALPHA, DIGIT, `-`, `.`, `_` and `~` as %XX (upper-case hex).
    public static func encode(_ s: String) -> String {
        PercentEncoding.encode(s)
    }

    static func formDecode(_ s: Substring) -> String {
        var bytes: [UInt8] = []
        var it = Array(s.utf8)[...]
        while let b = it.popFirst() {
            if b == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else if b == UInt8(ascii: "%"), it.count >= 2,
                      let v = UInt8(String(decoding: it.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(v)
                it = it.dropFirst(2)
            } else {
                bytes.append(b)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// 32 random hex digits: unique per request, only unreserved characters.
    static func newNonce() -> String {
        var g = SystemRandomNumberGenerator()
        let hex = Array("0123456789abcdef".utf8)
        return String(decoding: (0..<32).map { _ in hex[Int(g.next() % 16)] }, as: UTF8.self)
    }

    static func base64(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            let n = min(3, bytes.count - i)
            let b0 = bytes[i], b1 = n > 1 ? bytes[i + 1] : 0, b2 = n > 2 ? bytes[i + 2] : 0
            out.append(alphabet[Int(b0 >> 2)])
            out.append(alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)])
            out.append(n > 1 ? alphabet[Int((b1 & 0x0f) << 2 | b2 >> 6)] : UInt8(ascii: "="))
            out.append(n > 2 ? alphabet[Int(b2 & 0x3f)] : UInt8(ascii: "="))
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
