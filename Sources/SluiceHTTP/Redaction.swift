import SluiceCore

/// Removes credentials from what goes into logs and errors: URL passwords, secret query
/// parameters and secret header values.
public enum Redaction {
    public static let marker = "<redacted>"

    /// Header names whose values are always secret (compared ignoring case).
    public static let secretHeaderNames: Set<String> = [
        "authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "api-key",
    ]

    /// Query parameters whose values are secret (compared ignoring case).
    static let secretQueryNames: Set<String> = [
        "password", "passwd", "pass", "token", "access_token", "api_key", "apikey", "key", "secret",
        "client_secret", "signature", "sig", "x-goog-signature", "x-amz-signature", "x-goog-credential",
    ]

    /// `scheme://user:***@host/path?token=***`: the password of the userinfo and the values of
    /// secret query parameters replaced; a userinfo without a password (often a token) becomes `***`.
    public static func url(_ url: String) -> String {
        // Every request and response goes through here: most URLs have nothing to redact.
        guard mayHoldSecrets(url) else { return url }
        guard let schemeEnd = url.firstRange(of: "://") else { return url }
        let afterScheme = url[schemeEnd.upperBound...]
        let authorityEnd = afterScheme.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? afterScheme.endIndex
        let authority = afterScheme[..<authorityEnd]
        var out = String(url[..<schemeEnd.upperBound])
        if let at = authority.lastIndex(of: "@") {
            let userinfo = authority[..<at]
            if let colon = userinfo.firstIndex(of: ":") {
                out += userinfo[..<colon] + ":***"
            } else {
                out += "***"
            }
            out += authority[at...]
        } else {
            out += authority
        }
        let rest = afterScheme[authorityEnd...]
        guard let q = rest.firstIndex(of: "?") else { return out + rest }
        out += rest[...q]
        let fragmentStart = rest[q...].firstIndex(of: "#") ?? rest.endIndex
        let query = rest[rest.index(after: q)..<fragmentStart]
        out += query.split(separator: "&", omittingEmptySubsequences: false).map { pair -> String in
            guard let eq = pair.firstIndex(of: "="),
                  secretQueryNames.contains(pair[..<eq].lowercased()) else { return String(pair) }
            return pair[...eq] + "***"
        }.joined(separator: "&")
        return out + rest[fragmentStart...]
    }

    /// False when `url` has neither a userinfo (no `@` at all) nor a secret query parameter,
    /// found with byte scans (the full redaction's string searches cost 8% of the CPU of a
    /// WebHDFS output, two requests per batch).
    static func mayHoldSecrets(_ url: String) -> Bool {
        let bytes = url.utf8
        if bytes.contains(UInt8(ascii: "@")) { return true }
        guard let q = bytes.firstIndex(of: UInt8(ascii: "?")) else { return false }
        let end = bytes[q...].firstIndex(of: UInt8(ascii: "#")) ?? bytes.endIndex
        for pair in bytes[bytes.index(after: q)..<end].split(separator: UInt8(ascii: "&")) {
            guard let eq = pair.firstIndex(of: UInt8(ascii: "=")) else { continue }
            if secretQueryNames.contains(String(decoding: pair[..<eq], as: UTF8.self).lowercased()) { return true }
        }
        return false
    }

    /// True when `name` is a secret header by default or listed in `extra`.
    public static func isSecretHeader(_ name: String, extra: [String] = []) -> Bool {
        let lower = name.lowercased()
        return secretHeaderNames.contains(lower) || extra.contains { $0.lowercased() == lower }
    }

    /// `Name: value` lines joined by ", ", secret values replaced by `<redacted>`.
    public static func headers(_ headers: HTTPHeaders, extraSecrets: [String] = []) -> String {
        headers.map { "\($0.name): \(isSecretHeader($0.name, extra: extraSecrets) ? marker : $0.value)" }
            .joined(separator: ", ")
    }

    /// The password (raw and percent-decoded) of a URL's userinfo, if any.
    static func urlSecrets(_ url: String) -> [String] { Secrets.inURL(url) }

    /// Replaces every occurrence of each secret in `text` by `***`.
    static func scrub(_ text: String, secrets: [String]) -> String {
        var text = text
        for s in secrets where s.utf8.count >= 3 {
            text = text.replacingAll(s, with: "***")
        }
        return text
    }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var out = ""
        var rest = self[...]
        while let r = rest.firstRange(of: target) {
            out += rest[..<r.lowerBound]
            out += replacement
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}

/// Standard base64 (RFC 4648 §4) for authorization headers (basic, API keys) and the ids
/// some services pack in it (Elastic Cloud's `cloud_id`).
public enum Base64 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// The bytes `text` encodes (padding optional), or nil if it is not base64.
    public static func decode(_ text: String) -> [UInt8]? {
        var out: [UInt8] = [], acc: UInt32 = 0, bits = 0
        for c in text.utf8 where c != UInt8(ascii: "=") {
            guard let v = alphabet.firstIndex(of: c) else { return nil }
            acc = acc << 6 | UInt32(v)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: acc >> UInt32(bits)))
            }
        }
        return out
    }

    public static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i < bytes.count {
            let b0 = bytes[i], b1 = i + 1 < bytes.count ? bytes[i + 1] : 0, b2 = i + 2 < bytes.count ? bytes[i + 2] : 0
            out.append(alphabet[Int(b0 >> 2)])
            out.append(alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)])
            out.append(i + 1 < bytes.count ? alphabet[Int((b1 & 0x0f) << 2 | b2 >> 6)] : UInt8(ascii: "="))
            out.append(i + 2 < bytes.count ? alphabet[Int(b2 & 0x3f)] : UInt8(ascii: "="))
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
