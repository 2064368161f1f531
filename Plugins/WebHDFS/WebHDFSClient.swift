import SluiceCore
import SluiceHTTP
import Synchronization

/// A failed WebHDFS call, classified so that the output can decide what to do.
struct WebHDFSError: Error, CustomStringConvertible, Sendable {
    enum Kind: Sendable, Equatable {
        /// Another client holds the file's lease (AlreadyBeingCreatedException ...): roll to a new file.
        case lease
        /// CREATE of a file that exists: append instead.
        case exists
        /// APPEND to a file that is gone: create it.
        case notFound
        /// Permission denied or authentication refused: no retry can help.
        case permission
        /// 5xx, a standby-only cluster, a refused connection: retry later.
        case transient
        /// The datanode may or may not have stored the body (timeout after sending).
        case ambiguous
        /// Any other refusal (a bad request): no retry can help.
        case permanent
    }
    var kind: Kind
    var message: String
    var description: String { message }
}

/// The WebHDFS REST calls the output needs (Hadoop "WebHDFS REST API" docs), over SluiceHTTP.
///
/// Namenode HA: calls go to the active namenode; a StandbyException or a connection failure
/// there switches to the other one and tries again at once. Data goes in two steps, as the
/// docs say: the namenode answers CREATE/APPEND (sent without a body) with a 307 naming a
/// datanode, and only the datanode gets the bytes.
final class WebHDFSClient: Sendable {
    let http: HTTPClient
    /// Base URLs (`http://host:port`) of the namenodes, active first.
    let namenodes: [String]
    let user: String?
    /// `socket_timeout`: a request that receives nothing this long fails.
    let stallTimeout: Duration?
    let logger: Logger
    private let active = Atomic<Int>(0)

    init(http: HTTPClient, namenodes: [String], user: String?, stallTimeout: Duration?, logger: Logger) {
        self.http = http
        self.namenodes = namenodes
        self.user = user
        self.stallTimeout = stallTimeout
        self.logger = logger
    }

    /// The file's length, or nil when it does not exist.
    func length(_ path: String) async throws(WebHDFSError) -> Int64? {
        let r = try await namenode(.get, path, op: "GETFILESTATUS")
        if r.status == 200, case .object(let o)? = try? JSON.decode(r.body),
           let status = o["FileStatus"]?.objectValue, let n = status["length"].flatMap({ Int64($0.renderedString) }) {
            return n
        }
        let e = Self.classify(r, "GETFILESTATUS \(path)")
        if e.kind == .notFound { return nil }
        throw e
    }

    func mkdirs(_ path: String) async throws(WebHDFSError) {
        let r = try await namenode(.put, path, op: "MKDIRS")
        if r.status != 200 { throw Self.classify(r, "MKDIRS \(path)") }
    }

    /// Renames; false when HDFS declined (the source is gone or the destination exists).
    func rename(_ path: String, to destination: String) async throws(WebHDFSError) -> Bool {
        let r = try await namenode(.put, path, op: "RENAME", ["destination": destination])
        if r.status != 200 { throw Self.classify(r, "RENAME \(path)") }
        if case .object(let o)? = try? JSON.decode(r.body), case .bool(let ok)? = o["boolean"] { return ok }
        return false
    }

    /// Creates `path` (and its parents) holding `body`; fails with `.exists` if it exists.
    func create(_ path: String, _ body: [UInt8]) async throws(WebHDFSError) {
        try await write(.put, path, op: "CREATE", ["overwrite": "false"], body, expect: 201)
    }

    func append(_ path: String, _ body: [UInt8]) async throws(WebHDFSError) {
        try await write(.post, path, op: "APPEND", [:], body, expect: 200)
    }

    private func write(_ method: HTTPMethod, _ path: String, op: String, _ params: [String: String],
                       _ body: [UInt8], expect: Int) async throws(WebHDFSError) {
        let step1 = try await namenode(method, path, op: op, params)
        guard step1.status == 307, let location = step1.location else {
            throw Self.classify(step1, "\(op) \(path)")
        }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/octet-stream")
        let request = HTTPRequest(method: method, url: location, headers: headers, body: body, followRedirects: false,
                                  stallTimeout: stallTimeout)
        let step2: HTTPResponse
        do {
            step2 = try await http.execute(request)
        } catch let e as HTTPClientError {
            // Refused before anything was sent: nothing reached the file. Any later failure
            // (timeout, reset) may have come after the datanode stored the bytes.
            let unsent: Set<HTTPClientError.Kind> = [.connectionRefused, .dns, .tls, .proxy, .invalidRequest]
            throw WebHDFSError(kind: unsent.contains(e.kind) ? .transient : (e.kind == .cancelled ? .transient : .ambiguous),
                               message: "\(op) \(path) at the datanode: \(e)")
        } catch {
            throw WebHDFSError(kind: .transient, message: "\(op) \(path) at the datanode: \(error)")
        }
        if step2.status != expect && !(op == "APPEND" && step2.status == 201) && !(op == "CREATE" && step2.status == 200) {
            throw Self.classify(step2, "\(op) \(path) at the datanode")
        }
    }

    /// One call to the active namenode, failing over to the other on StandbyException or
    /// a connection failure. Redirects are not followed: CREATE/APPEND want the Location.
    private func namenode(_ method: HTTPMethod, _ path: String, op: String,
                          _ params: [String: String] = [:]) async throws(WebHDFSError) -> HTTPResponse {
        var lastError = WebHDFSError(kind: .transient, message: "no namenode")
        for attempt in 0..<namenodes.count {
            let index = active.load(ordering: .relaxed)
            let url = Self.url(namenodes[index], path, op: op, user: user, params)
            do {
                let r = try await http.execute(HTTPRequest(method: method, url: url, followRedirects: false, stallTimeout: stallTimeout))
                guard Self.exceptionName(r) == "StandbyException" else { return r }
                lastError = WebHDFSError(kind: .transient, message: "\(op) \(path): namenode \(namenodes[index]) is standby")
            } catch let e as HTTPClientError where e.isRetriable {
                lastError = WebHDFSError(kind: .transient, message: "\(op) \(path): namenode \(namenodes[index]): \(e)")
            } catch {
                throw WebHDFSError(kind: .transient, message: "\(op) \(path): \(error)")
            }
            if namenodes.count > 1 && attempt + 1 < namenodes.count {
                let next = (index + 1) % namenodes.count
                active.store(next, ordering: .relaxed)
                logger.warning("webhdfs: \(lastError.message); switching to namenode \(namenodes[next])")
            }
        }
        throw lastError
    }

    static func url(_ base: String, _ path: String, op: String, user: String?, _ params: [String: String]) -> String {
        var s = base + "/webhdfs/v1" + percentEncode(path.hasPrefix("/") ? path : "/" + path, keepSlash: true) + "?op=" + op
        if let user { s += "&user.name=" + percentEncode(user, keepSlash: false) }
        for (k, v) in params.sorted(by: { $0.key < $1.key }) { s += "&\(k)=" + percentEncode(v, keepSlash: false) }
        return s
    }

    static func percentEncode(_ s: String, keepSlash: Bool) -> String {
        PercentEncoding.encode(s, keeping: keepSlash ? "/" : "")
    }

    /// `RemoteException.exception` of an error body, if it has one.
    static func exceptionName(_ r: HTTPResponse) -> String? {
        guard r.status >= 400, case .object(let o)? = try? JSON.decode(r.body),
              let e = o["RemoteException"]?.objectValue else { return nil }
        return e["exception"]?.stringValue
    }

    /// What an error response means (the docs' "Error Responses": a RemoteException JSON
    /// whose status follows the exception's class; several distinct causes share 403).
    static func classify(_ r: HTTPResponse, _ what: String) -> WebHDFSError {
        var name = "", message = String(decoding: r.body.prefix(512), as: UTF8.self)
        if case .object(let o)? = try? JSON.decode(r.body), let e = o["RemoteException"]?.objectValue {
            name = e["exception"]?.stringValue ?? ""
            message = e["message"]?.stringValue ?? message
        }
        let text = "\(what): HTTP \(r.status)\(name.isEmpty ? "" : " \(name)"): \(message)"
        let lower = message.lowercased()
        let kind: WebHDFSError.Kind
        if ["AlreadyBeingCreatedException", "RecoveryInProgressException", "LeaseExpiredException"].contains(name)
            || lower.contains("already being created") || lower.contains("lease owned by")
            || lower.contains("lease is currently owned by") {
            kind = .lease
        } else if name == "FileAlreadyExistsException" {
            kind = .exists
        } else if name == "FileNotFoundException" || (r.status == 404 && name.isEmpty) {
            kind = .notFound
        } else if ["AccessControlException", "SecurityException", "AuthorizationException"].contains(name)
                    || r.status == 401 || lower.contains("permission denied") {
            kind = .permission
        } else if r.status >= 500 || r.status == 429 || name == "RetriableException" || name == "StandbyException" {
            kind = .transient
        } else {
            kind = .permanent
        }
        return WebHDFSError(kind: kind, message: text)
    }
}
