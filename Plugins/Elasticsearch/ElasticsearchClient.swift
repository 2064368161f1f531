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
    /// service. A node that cannot be reached, or answers 502/503/504, is set aside; the
    /// response is returned either way, and only a request no node answered throws.
    func send(_ method: HTTPMethod, _ path: String, body: [UInt8]? = nil, ndjson: Bool = false,
              compress: Bool? = nil) async throws(ClientFailure) -> HTTPResponse {
        guard let (index, base) = pool.next() else {
            throw ClientFailure(description: "elasticsearch: no node in service (all set aside: \(pool.urls.map(Redaction.url)); "
                                + "each is probed every resurrect_delay)")
        }
        var headers = HTTPHeaders()
        if body != nil { headers.add(name: "Content-Type", value: ndjson ? "application/x-ndjson" : "application/json") }
        let request = HTTPRequest(method: method, url: base + path, headers: headers, body: body, auth: auth,
                                  compressBody: compress, stallTimeout: stallTimeout)
        do {
            let response = try await http.execute(request)
            if Self.unavailable.contains(response.status) {
                setAside(index, because: "HTTP \(response.status) \(BulkResponse.requestError(response.body))")
            }
            return response
        } catch let e as HTTPClientError {
            if e.isRetriable { setAside(index, because: "\(e)") }
            throw ClientFailure(description: "elasticsearch: \(e)")
        } catch {
            throw ClientFailure(description: "elasticsearch: \(request): \(error)")
        }
    }

    private func setAside(_ index: Int, because reason: String) {
        if pool.setAside(index) {
            logger.warning("elasticsearch: node \(Redaction.url(pool.urls[index])) set aside: \(reason); probing it every resurrect_delay")
        }
    }

    /// Probes the nodes set aside with `GET /` and puts those that answer 2xx back in rotation.
    func resurrect() async {
        for index in pool.setAsideNodes {
            let request = HTTPRequest(method: .get, url: pool.urls[index] + "/", auth: auth, timeout: .seconds(5),
                                      stallTimeout: stallTimeout)
            if let r = try? await http.execute(request), (200..<300).contains(r.status), pool.restore(index) {
                logger.info("elasticsearch: node \(Redaction.url(pool.urls[index])) answers again; back in rotation")
            }
        }
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
