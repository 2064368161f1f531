import SluiceCore
import SluiceHTTP
import Synchronization

/// The Elasticsearch nodes an output sends to, as Logstash's connection pool keeps them:
/// requests go round-robin over the nodes in service; a node that fails (no connection, or a
/// 502/503/504 for a whole request) is set aside, and `ElasticsearchClient` probes it with
/// `GET /` every `resurrect_delay` until it answers again. With `sniffing` the nodes the
/// cluster reports replace them (`replace`). Nodes are named by their base URL.
final class HostPool: Sendable {
    private struct State {
        /// Base URLs, `scheme://host:port[/path]` without a trailing slash.
        var urls: [String]
        var next = 0
        var setAside: Set<String> = []
    }
    private let state: Mutex<State>

    init(urls: [String]) {
        state = Mutex(State(urls: urls))
    }

    var urls: [String] { state.withLock { $0.urls } }

    /// The next node in service, or nil when every node is set aside.
    func next() -> String? {
        state.withLock { s in
            for _ in s.urls.indices {
                let i = s.next % s.urls.count
                s.next = (s.next + 1) % s.urls.count
                if !s.setAside.contains(s.urls[i]) { return s.urls[i] }
            }
            return nil
        }
    }

    /// Takes node `url` out of rotation; true when it was in service until now.
    @discardableResult
    func setAside(_ url: String) -> Bool {
        state.withLock { $0.urls.contains(url) && $0.setAside.insert(url).inserted }
    }

    /// Puts node `url` back in rotation; true when it had been set aside.
    @discardableResult
    func restore(_ url: String) -> Bool { state.withLock { $0.setAside.remove(url) != nil } }

    var setAsideNodes: [String] { state.withLock { $0.setAside.sorted() } }

    /// The nodes a sniff found become the pool (an empty list changes nothing); a node kept
    /// that was set aside stays set aside. Returns the nodes added and removed.
    func replace(with found: [String]) -> (added: [String], removed: [String]) {
        var unique: [String] = []
        for url in found where !unique.contains(url) { unique.append(url) }
        guard !unique.isEmpty else { return ([], []) }
        return state.withLock { s in
            let added = unique.filter { !s.urls.contains($0) }
            let removed = s.urls.filter { !unique.contains($0) }
            s.urls = unique
            s.setAside = s.setAside.filter { unique.contains($0) }
            return (added, removed)
        }
    }

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
