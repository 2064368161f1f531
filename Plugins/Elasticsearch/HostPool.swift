import SluiceCore
import SluiceHTTP
import Synchronization

/// The Elasticsearch nodes an output sends to, as Logstash's connection pool keeps them:
/// requests go round-robin over the nodes in service; a node that fails (no connection, or a
/// 502/503/504 for a whole request) is set aside, and `ElasticsearchClient` probes it with
/// `GET /` every `resurrect_delay` until it answers again.
final class HostPool: Sendable {
    /// Base URLs, `scheme://host:port[/path]` without a trailing slash.
    let urls: [String]
    private struct State {
        var next = 0
        var setAside: Set<Int> = []
    }
    private let state = Mutex(State())

    init(urls: [String]) {
        self.urls = urls
    }

    /// The next node in service (index and base URL), or nil when every node is set aside.
    func next() -> (index: Int, url: String)? {
        state.withLock { s in
            for _ in urls.indices {
                let i = s.next % urls.count
                s.next = (s.next + 1) % urls.count
                if !s.setAside.contains(i) { return (i, urls[i]) }
            }
            return nil
        }
    }

    /// Takes node `index` out of rotation; true when it was in service until now.
    @discardableResult
    func setAside(_ index: Int) -> Bool { state.withLock { $0.setAside.insert(index).inserted } }

    /// Puts node `index` back in rotation; true when it had been set aside.
    @discardableResult
    func restore(_ index: Int) -> Bool { state.withLock { $0.setAside.remove(index) != nil } }

    var setAsideNodes: [Int] { state.withLock { $0.setAside.sorted() } }

    // MARK: Addresses

    /// Base URLs for Logstash's `hosts` forms: `host`, `host:port`, `scheme://host[:port][/path]`,
    /// `[::1]:9200`. Without a scheme, `https` when `ssl` is true and `http` otherwise; without a
    /// port, 9200. `path` (Logstash's setting) is appended when the host names no path.
    static func urls(_ hosts: [String], ssl: Bool?, path: String?) throws(HostError) -> [String] {
        try hosts.map { (raw: String) throws(HostError) -> String in
            let text = raw.trimmingBlanks
            guard !text.isEmpty else { throw HostError("an empty host") }
            var scheme = ssl == true ? "https" : "http"
            var rest = Substring(text)
            if let r = text.firstRange(of: "://") {
                scheme = text[..<r.lowerBound].lowercased()
                guard scheme == "http" || scheme == "https" else { throw HostError("`\(text)` has scheme \(scheme); use http or https") }
                if ssl == false && scheme == "https" { throw HostError("`\(text)` is https but `ssl_enabled` is false") }
                rest = text[r.upperBound...]
            } else if text.hasPrefix("//") {
                rest = rest.dropFirst(2)
            }
            let slash = rest.firstIndex(of: "/") ?? rest.endIndex
            var authority = String(rest[..<slash])
            var hostPath = String(rest[slash...])
            guard !authority.isEmpty else { throw HostError("`\(text)` names no host") }
            // The port follows the last colon, unless that colon is inside an IPv6 literal.
            let hostPart = authority.split(separator: "@").last.map(String.init) ?? authority
            let hasPort = hostPart.hasPrefix("[") ? hostPart.contains("]:") : hostPart.contains(":")
            if !hasPort { authority += ":9200" }
            while hostPath.hasSuffix("/") { hostPath.removeLast() }
            if hostPath.isEmpty, var p = path, !p.isEmpty {
                if !p.hasPrefix("/") { p = "/" + p }
                while p.hasSuffix("/") { p.removeLast() }
                hostPath = p
            }
            return "\(scheme)://\(authority)\(hostPath)"
        }
    }

    /// The Elasticsearch URL of an Elastic Cloud id, `label:base64(domain[:port]$es_uuid$kibana_uuid)`
    /// (the form Logstash and Beats read): `https://es_uuid.domain:port` (port 443 by default).
    static func cloudURL(_ cloudId: String) throws(HostError) -> String {
        let encoded = cloudId.split(separator: ":", maxSplits: 1).count == 2
            ? String(cloudId.split(separator: ":", maxSplits: 1)[1]) : cloudId
        guard let bytes = Base64.decode(encoded) else { throw HostError("`cloud_id` is not base64 after its label") }
        let parts = String(decoding: bytes, as: UTF8.self).split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count >= 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw HostError("`cloud_id` does not decode to `domain$es_uuid$kibana_uuid`")
        }
        var domain = String(parts[0]), port = "443"
        if let colon = domain.lastIndex(of: ":") {
            port = String(domain[domain.index(after: colon)...])
            domain = String(domain[..<colon])
        }
        return "https://\(parts[1]).\(domain):\(port)"
    }
}

struct HostError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension String {
    var trimmingBlanks: String {
        var s = Substring(self)
        while s.first == " " || s.first == "\t" { s.removeFirst() }
        while s.last == " " || s.last == "\t" { s.removeLast() }
        return String(s)
    }
}
