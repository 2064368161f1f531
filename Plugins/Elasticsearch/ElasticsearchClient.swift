import SluiceCore
import SluiceHTTP
import Synchronization

/// A request that got no usable answer from any node: retried by the output.
struct ClientFailure: Error, CustomStringConvertible {
    let description: String
}

/// The REST calls of the output over SluiceHTTP: one node of the pool per request, the
/// credentials on every request, nodes that fail set aside and probed again.
final class ElasticsearchClient: Sendable {
    let http: HTTPClient
    let pool: HostPool
    let auth: HTTPAuth?
    let stallTimeout: Duration?
    let logger: Logger
    /// Whole-request statuses that mean "this node cannot serve now": the node is set aside.
    static let unavailable: Set<Int> = [502, 503, 504]

    init(http: HTTPClient, pool: HostPool, auth: HTTPAuth?, stallTimeout: Duration?, logger: Logger) {
        self.http = http
        self.pool = pool
        self.auth = auth
        self.stallTimeout = stallTimeout
        self.logger = logger
    }

    /// Sends `method path` (path with its query, starting with "/") to the next node in
    /// service, under its URL's path (Logstash's `path`) unless `fromRoot`. A node that cannot
    /// be reached, or answers 502/503/504, is set aside; the response is returned either way,
    /// and only a request no node answered throws.
    func send(_ method: HTTPMethod, _ path: String, body: [UInt8]? = nil, ndjson: Bool = false,
              compress: Bool? = nil, fromRoot: Bool = false) async throws(ClientFailure) -> HTTPResponse {
        guard let base = pool.next() else {
            throw ClientFailure(description: "elasticsearch: no node in service (all set aside: \(pool.urls.map(Redaction.url)); "
                                + "each is probed every resurrect_delay)")
        }
        var headers = HTTPHeaders()
        if body != nil { headers.add(name: "Content-Type", value: ndjson ? "application/x-ndjson" : "application/json") }
        let request = HTTPRequest(method: method, url: (fromRoot ? Self.origin(base) : base) + path, headers: headers, body: body, auth: auth,
                                  compressBody: compress, stallTimeout: stallTimeout)
        do {
            let response = try await http.execute(request)
            if Self.unavailable.contains(response.status) {
                setAside(base, because: "HTTP \(response.status) \(BulkResponse.requestError(response.body))")
            }
            return response
        } catch let e as HTTPClientError {
            if e.isRetriable { setAside(base, because: "\(e)") }
            throw ClientFailure(description: "elasticsearch: \(e)")
        } catch {
            throw ClientFailure(description: "elasticsearch: \(request): \(error)")
        }
    }

    private func setAside(_ base: String, because reason: String) {
        if pool.setAside(base) {
            logger.warning("elasticsearch: node \(Redaction.url(base)) set aside: \(reason); probing it every resurrect_delay")
        }
    }

    /// Probes the nodes set aside with `GET /` and puts those that answer 2xx back in rotation.
    func resurrect() async {
        for base in pool.setAsideNodes {
            let request = HTTPRequest(method: .get, url: base + "/", auth: auth, timeout: .seconds(5),
                                      stallTimeout: stallTimeout)
            if let r = try? await http.execute(request), (200..<300).contains(r.status), pool.restore(base) {
                logger.info("elasticsearch: node \(Redaction.url(base)) answers again; back in rotation")
            }
        }
    }

    /// `scheme://host:port` of a base URL, without its path.
    static func origin(_ base: String) -> String {
        guard let start = base.firstRange(of: "://")?.upperBound else { return base }
        return String(base[..<(base[start...].firstIndex(of: "/") ?? base.endIndex)])
    }

    /// The cluster's nodes as a node in service reports them (`GET path`, the Nodes info API
    /// for `http`; under the node's URL path unless `fromRoot`): `host:port` of each node's
    /// HTTP publish address, master-only nodes left out (as Logstash's sniffer does).
    func sniff(path: String, fromRoot: Bool) async throws(ClientFailure) -> [String] {
        let response = try await send(.get, path, fromRoot: fromRoot)
        guard (200..<300).contains(response.status) else {
            throw ClientFailure(description: "elasticsearch: GET \(path): HTTP \(response.status) \(BulkResponse.requestError(response.body))")
        }
        guard let found = Self.publishAddresses(response.body) else {
            throw ClientFailure(description: "elasticsearch: GET \(path): no `nodes` object in the answer")
        }
        return found
    }

    /// The HTTP publish addresses of a Nodes info answer, as `host:port`; nil when it is not one.
    static func publishAddresses(_ body: [UInt8]) -> [String]? {
        guard case .object(let o)? = try? JSON.decode(body), let nodes = o["nodes"]?.objectValue else { return nil }
        return nodes.values.compactMap { node -> String? in
            let info = node.objectValue
            let roles = info?["roles"]?.arrayValue?.compactMap(\.stringValue)
            if roles == ["master"] { return nil }
            return info?["http"]?.objectValue?["publish_address"]?.stringValue.flatMap(address)
        }
    }

    /// `host:port` of a publish address: `ip:port`, `[v6]:port`, or `hostname/ip:port`, where
    /// the host name is used (as Logstash does).
    static func address(_ publish: String) -> String? {
        var host = "", rest = Substring(publish)
        if let slash = publish.lastIndex(of: "/") {
            host = String(publish[..<slash])
            rest = publish[publish.index(after: slash)...]
        }
        guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]) else { return nil }
        if host.isEmpty { host = String(rest[..<colon]) }
        guard !host.isEmpty else { return nil }
        if host.contains(":") && !host.hasPrefix("[") { host = "[\(host)]" }
        return "\(host):\(port)"
    }

    /// `GET /` on each node until one answers: the start-up check (nodes are not set aside
    /// here; `start` is retried). Returns the version number.
    func rootInfo() async throws(PluginError) -> String {
        var last = "no node"
        for base in pool.urls {
            let response: HTTPResponse
            do {
                response = try await http.execute(HTTPRequest(method: .get, url: base + "/", auth: auth, stallTimeout: stallTimeout))
            } catch let e as HTTPClientError where e.kind == .timeout {
                // Connected but slow: writes wait for it (retrying), start need not.
                logger.warning("elasticsearch: \(e); writes will be retried until it answers")
                return "unknown"
            } catch {
                last = "\(error)"
                continue
            }
            switch response.status {
            case 200..<300:
                if case .object(let o)? = try? JSON.decode(response.body),
                   let v = o["version"]?.objectValue?["number"]?.stringValue { return v }
                return "unknown"
            case 401, 403:
                throw PluginError("elasticsearch: credentials refused by \(Redaction.url(base)) (HTTP \(response.status)): "
                                  + BulkResponse.requestError(response.body), retriable: false, code: .authentication)
            case 429, 500...599:
                // Reachable but busy or blocked: writes wait for it (retrying), start need not.
                let why = BulkResponse.requestError(response.body)
                logger.warning("elasticsearch: \(Redaction.url(base)) answered HTTP \(response.status) \(why); writes will be retried until it recovers")
                return "unknown"
            default:
                last = "\(Redaction.url(base)): HTTP \(response.status) \(BulkResponse.requestError(response.body))"
            }
        }
        throw PluginError("elasticsearch: no node answered: \(last)", retriable: true, code: .connection)
    }
}
