import SluiceHTTP

/// The v1.1 streams Logstash's `twitter` input used, signed with OAuth 1.0a: `POST
/// statuses/filter.json` (track, follow, locations, language as a form body) or, with
/// `use_samples`, `GET statuses/sample.json`. Twitter shut them down in 2023 (403, see
/// logstash-input-twitter #73/#74); they remain for compatible services.
struct TwitterStreamV11: Sendable {
    let baseURL: String
    let signer: OAuth1Signer
    let useSamples: Bool
    let keywords: [String]
    let follows: [String]
    /// `w,s,e,n[,w,s,e,n...]` as Logstash takes it.
    let locations: String?
    let languages: [String]

    var parameters: [(String, String)] {
        var p: [(String, String)] = []
        if !useSamples {
            if !keywords.isEmpty { p.append(("track", keywords.joined(separator: ","))) }
            if !follows.isEmpty { p.append(("follow", follows.joined(separator: ","))) }
            if let locations, !locations.isEmpty { p.append(("locations", locations)) }
        }
        if !languages.isEmpty { p.append(("language", languages.joined(separator: ","))) }
        return p
    }

    /// A new request, signed now: a reconnect never reuses a nonce or a stale timestamp.
    func streamRequest(stallTimeout: Duration) -> HTTPRequest {
        let params = parameters
        let encoded = params.map { "\(OAuth1Signer.encode($0.0))=\(OAuth1Signer.encode($0.1))" }.joined(separator: "&")
        if useSamples {
            let url = baseURL + "/1.1/statuses/sample.json" + (encoded.isEmpty ? "" : "?" + encoded)
            return HTTPRequest(url: url, auth: .header(name: "Authorization", value: signer.authorization(method: "GET", url: url)),
                               stallTimeout: stallTimeout)
        }
        let url = baseURL + "/1.1/statuses/filter.json"
        return HTTPRequest(method: .post, url: url, headers: ["Content-Type": "application/x-www-form-urlencoded"],
                           body: Array(encoded.utf8),
                           auth: .header(name: "Authorization", value: signer.authorization(method: "POST", url: url, form: params)),
                           stallTimeout: stallTimeout)
    }
}
