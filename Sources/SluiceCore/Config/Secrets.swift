/// Keeping secret setting values out of messages and excerpts.
///
/// The rule is the declared type: a `.password` setting is a secret. While parsing, before
/// any plugin's declarations are looked at, names that usually hold secrets are masked
/// too, so that a syntax error on such a line does not echo the value.
public enum Secrets {
    /// What a message says instead of a secret value.
    public static let redacted = "<redacted>"

    private static let exactNames: Set<String> = [
        "password", "key", "secret", "token", "passphrase", "api_key", "private_key",
        "access_key", "secret_key", "sasl_password", "ssl_key_passphrase", "bearer_token",
        "consumer_secret", "oauth_token_secret", "oauth_token", "access_token", "access_token_secret",
        "client_secret", "auth_token",
        // Kafka: a JAAS line carries the username and password.
        "sasl_jaas_config",
        // MongoDB: the connection string carries the password (mongodb://user:pw@host).
        "uri",
        // Elasticsearch: Elastic Cloud's `user:password`.
        "cloud_auth",
    ]

    /// Whether a setting named `name` usually holds a secret (`password`, `key`,
    /// `*_password`, `*_secret`, `*_token`, `*_passphrase`, `api_key`, ...).
    public static func looksSecret(_ name: String) -> Bool {
        let n = name.lowercased()
        if exactNames.contains(n) { return true }
        return ["_password", "_secret", "_token", "_passphrase", "_api_key"].contains { n.hasSuffix($0) }
    }

    /// `message` with every occurrence of each secret replaced by `<redacted>`. A quoted
    /// occurrence (`` `value` ``) is always replaced; a bare one only when the value is long
    /// enough not to be an ordinary word or number.
    public static func redact(_ message: String, _ secrets: [String]) -> String {
        var out = message
        for s in secrets where !s.isEmpty {
            out = out.replacing("`\(s)`", with: "`\(redacted)`")
            if s.count >= 4 { out = out.replacing(s, with: redacted) }
        }
        return out
    }

    /// The secret of a URL's userinfo (`scheme://user:password@host/...`), as written and
    /// percent-decoded; a userinfo without `:` is taken whole (a token used as user name).
    /// Every plugin that takes a URL or connection string redacts these.
    public static func inURL(_ url: String) -> [String] {
        guard let schemeEnd = url.firstRange(of: "://") else { return [] }
        let afterScheme = url[schemeEnd.upperBound...]
        let authorityEnd = afterScheme.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? afterScheme.endIndex
        let authority = afterScheme[..<authorityEnd]
        // The last `@`: a password should percent-encode `@`, but people write it raw.
        guard let at = authority.lastIndex(of: "@") else { return [] }
        let userinfo = authority[..<at]
        let secret = userinfo.firstIndex(of: ":").map { userinfo[userinfo.index(after: $0)...] } ?? userinfo
        guard !secret.isEmpty else { return [] }
        let decoded = percentDecoded(secret)
        return decoded == secret ? [String(secret)] : [String(secret), decoded]
    }

    static func percentDecoded(_ s: Substring) -> String {
        var bytes: [UInt8] = []
        var it = Array(s.utf8)[...]
        while let b = it.popFirst() {
            if b == UInt8(ascii: "%"), it.count >= 2,
               let v = UInt8(String(decoding: it.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(v)
                it = it.dropFirst(2)
            } else {
                bytes.append(b)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension ConfigError {
    /// This error with `secrets` replaced in its message and note.
    public func redacting(_ secrets: [String]) -> ConfigError {
        guard !secrets.isEmpty else { return self }
        return ConfigError(location: location, message: Secrets.redact(message, secrets),
                           note: note.map { Secrets.redact($0, secrets) })
    }
}
