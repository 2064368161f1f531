import SluiceCore
import SluiceHTTP

/// The BigQuery REST calls the `google_bigquery` output makes (v2: tables.get/insert/patch,
/// datasets.insert, tabledata.insertAll), on SluiceHTTP, authorized by the shared Google
/// credentials. A 401 refreshes the token once and repeats the request.
struct BigQueryClient: Sendable {
    let http: HTTPClient
    let service: GoogleService
    let project: String
    let dataset: String
    let stallTimeout: Duration?

    var datasetPath: String { "/bigquery/v2/projects/\(Self.escape(project))/datasets/\(Self.escape(dataset))" }
    func tablePath(_ table: String) -> String { datasetPath + "/tables/" + Self.escape(table) }

    /// The table's columns, or nil when it does not exist.
    func table(_ table: String) async throws -> [BigQueryField]? {
        let r = try await send(.get, tablePath(table))
        if r.status == 404 { return nil }
        try Self.check(r, "get table \(table)")
        return Self.schema(r)
    }

    /// Creates the table (and the dataset, when it is missing); an existing table (another
    /// worker or process created it) is read instead.
    func create(_ table: String, schema: [BigQueryField]) async throws -> [BigQueryField] {
        let d = try await send(.get, datasetPath)
        if d.status == 404 { try await createDataset() } else { try Self.check(d, "get dataset \(dataset)") }
        var body = FieldMap()
        body.set("tableReference", ["projectId": .string(project), "datasetId": .string(dataset), "tableId": .string(table)])
        body.set("schema", ["fields": .array(schema.map(\.json))])
        let r = try await send(.post, datasetPath + "/tables", .object(body))
        if r.status == 409, let existing = try await self.table(table) { return existing }
        try Self.check(r, "create table \(table)")
        return Self.schema(r)
    }

    func createDataset() async throws {
        let body: Value = ["datasetReference": ["projectId": .string(project), "datasetId": .string(dataset)]]
        let r = try await send(.post, "/bigquery/v2/projects/\(Self.escape(project))/datasets", body)
        if r.status == 409 { return }
        try Self.check(r, "create dataset \(dataset)")
    }

    /// Replaces the table's columns with `schema` (BigQuery only allows adding columns, which
    /// is all the output asks for).
    func patch(_ table: String, schema: [BigQueryField]) async throws -> [BigQueryField] {
        let r = try await send(.patch, tablePath(table), ["schema": ["fields": .array(schema.map(\.json))]])
        try Self.check(r, "patch table \(table)")
        return Self.schema(r)
    }

    /// tabledata.insertAll; the response is returned whatever its status, for
    /// `BigQueryInsertResult` to read row by row.
    func insertAll(_ table: String, body: [UInt8]) async throws -> HTTPResponse {
        try await send(.post, tablePath(table) + "/insertAll", body: body)
    }

    // MARK: Transport

    func send(_ method: HTTPMethod, _ path: String, _ json: Value? = nil) async throws -> HTTPResponse {
        try await send(method, path, body: json.map { JSON.encode($0) })
    }

    func send(_ method: HTTPMethod, _ path: String, body: [UInt8]?) async throws -> HTTPResponse {
        var refreshed = false
        while true {
            var headers = HTTPHeaders()
            if body != nil { headers.add(name: "Content-Type", value: "application/json") }
            let auth = try await service.tokens.authorization().map { HTTPAuth.header(name: "Authorization", value: $0) }
            let request = HTTPRequest(method: method, url: service.baseURL + path, headers: headers, body: body,
                                      auth: auth, stallTimeout: stallTimeout)
            let response: HTTPResponse
            do {
                response = try await http.execute(request)
            } catch let e as HTTPClientError {
                throw PluginError("BigQuery \(request): \(e)", retriable: e.isRetriable || e.kind == .cancelled, code: .connection)
            }
            if response.status == 401, !refreshed, auth != nil {
                service.tokens.invalidate()
                refreshed = true
                continue
            }
            if response.status == 401 {
                throw PluginError("BigQuery \(request): 401 after a fresh token; check the service account's key and roles",
                                  retriable: false, code: .authentication)
            }
            return response
        }
    }

    /// Throws for anything but a 2xx: retriable for 429, 5xx and BigQuery's transient reasons.
    static func check(_ r: HTTPResponse, _ what: String) throws {
        guard !(200..<300).contains(r.status) else { return }
        let (reason, message) = errorOf(r)
        let transient = r.status == 429 || r.status >= 500 || BigQueryInsertResult.transientReasons.contains(reason)
        throw PluginError("BigQuery \(what): HTTP \(r.status) \(reason): \(message)", retriable: transient,
                          code: r.status == 404 ? .notFound : transient ? .unavailable : .rejected)
    }

    /// The `error.errors[0].reason` and `error.message` of an error response.
    static func errorOf(_ r: HTTPResponse) -> (reason: String, message: String) {
        guard let error = (try? JSON.decode(r.body))?.objectValue?["error"]?.objectValue else {
            return ("", String(decoding: r.body.prefix(300), as: UTF8.self))
        }
        let reason = error["errors"]?.arrayValue?.first?.objectValue?["reason"]?.stringValue ?? error["status"]?.stringValue ?? ""
        return (reason, error["message"]?.stringValue ?? "")
    }

    static func schema(_ r: HTTPResponse) -> [BigQueryField] {
        let fields = (try? JSON.decode(r.body))?.objectValue?["schema"]?.objectValue?["fields"]?.arrayValue ?? []
        return fields.compactMap(BigQueryField.init(json:))
    }

    /// Percent-encodes a path segment (project, dataset and table ids are plain, but a
    /// templated table name is the user's).
    static func escape(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            if (0x30...0x39).contains(b) || (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b) || b == 0x2D || b == 0x5F || b == 0x2E {
                out.unicodeScalars.append(Unicode.Scalar(b))
            } else {
                out += "%" + String(b, radix: 16, uppercase: true).leftPadded(2)
            }
        }
        return out
    }
}

extension String {
    func leftPadded(_ n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}

/// What became of each row of an insertAll request, read from the response. BigQuery
/// answers 200 even when rows failed: `insertErrors` lists them by index, with one or more
/// reasons each (fluent-bit #1064 ignored them and lost the rows).
enum BigQueryInsertResult: Equatable {
    /// Per row that failed: retry (transient, or `stopped` because another row was invalid
    /// and the request was not `skipInvalidRows`), or reject with BigQuery's reason.
    case rows([Int: RowOutcome])
    /// The whole request failed in a way a retry can fix (429, 5xx, rate limits, network).
    case retryAll(String)
    /// The whole request was refused (400 and the like): every row is rejected.
    case rejectAll(String)

    enum RowOutcome: Equatable {
        case retry(String)
        case reject(String)
        /// `invalid: no such field`: the table lacks a column the row has (schema_mode auto
        /// retries it after reading the table's columns again).
        case unknownField(String)
    }

    /// Reasons BigQuery's troubleshooting page lists as temporary.
    static let transientReasons: Set<String> = ["backendError", "internalError", "rateLimitExceeded", "quotaExceeded",
                                                "timeout", "tableUnavailable", "resourceInUse", "stopped"]

    static func interpret(_ r: HTTPResponse) -> BigQueryInsertResult {
        guard r.status == 200 else {
            let (reason, message) = BigQueryClient.errorOf(r)
            let text = "HTTP \(r.status) \(reason): \(message)"
            if r.status == 429 || r.status >= 500 || transientReasons.contains(reason) || r.status == 404 {
                // 404: the table vanished (or is not visible yet); the output re-reads it.
                return .retryAll(text)
            }
            return .rejectAll(text)
        }
        guard let errors = (try? JSON.decode(r.body))?.objectValue?["insertErrors"]?.arrayValue else { return .rows([:]) }
        var out: [Int: RowOutcome] = [:]
        for entry in errors {
            guard let o = entry.objectValue, let index = o["index"].flatMap(intOf) else { continue }
            let details = (o["errors"]?.arrayValue ?? []).compactMap(\.objectValue)
            let reasons = details.map { $0["reason"]?.stringValue ?? "" }
            let text = details.map { d in
                var s = d["reason"]?.stringValue ?? "error"
                if let loc = d["location"]?.stringValue, !loc.isEmpty { s += " at \(loc)" }
                if let m = d["message"]?.stringValue, !m.isEmpty { s += ": \(m)" }
                return s
            }.joined(separator: "; ")
            if !reasons.isEmpty, reasons.allSatisfy(transientReasons.contains) {
                out[index] = .retry(text)
            } else if details.contains(where: { ($0["message"]?.stringValue ?? "").hasPrefix("no such field") }),
                      reasons.allSatisfy({ $0 == "invalid" || transientReasons.contains($0) }) {
                out[index] = .unknownField(text)
            } else {
                out[index] = .reject(text.isEmpty ? "insert error without a reason" : text)
            }
        }
        return .rows(out)
    }

    private static func intOf(_ v: Value) -> Int? {
        switch v {
        case .int(let n): Int(n)
        case .string(let s): Int(s)
        default: nil
        }
    }
}
