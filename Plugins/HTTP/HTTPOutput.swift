import SluiceCore
import SluiceHTTP
import Synchronization

/// Sends events to an HTTP endpoint, with Logstash's `http` output settings.
///
/// `json`, `form` and `message` send one request per event (concurrently, up to `pool_max`);
/// `json_batch` and `ndjson` one request per batch (per distinct URL and headers). A 2xx (or
/// an `ignorable_codes` status) confirms the events of a request; a `retryable_codes` status
/// or a connection failure has them written again after a backoff; any other status sends
/// them to the dead-letter queue with the status and the start of the response body.
public final class HTTPOutput: OutputPlugin {
    public static let pluginName = "http"
    public static let summary = "Sends events to an HTTP endpoint (one request per event or per batch)."
    public static let settingSpecs: [SettingSpec] = [
        SettingSpec("url", .template, required: true, doc: "Endpoint URL; may use sprintf, e.g. `http://host/%{[app]}`."),
        SettingSpec("http_method", .oneOf(["put", "post", "patch", "delete", "get", "head"]), required: true,
                    doc: "HTTP method of every request."),
        SettingSpec("format", .oneOf(HTTPOutputEncoder.Format.allCases.map(\.rawValue)), default: "json",
                    doc: "`json` (an event per request), `json_batch` (a JSON array per batch), `ndjson` (a line per event, a batch per request), `form` (url-encoded fields), `message` (the `message` template)."),
        SettingSpec("message", .string, doc: "Body of each request with `format => message` (sprintf)."),
        SettingSpec("mapping", .hash, doc: "Send this hash, its strings rendered as sprintf, instead of the whole event."),
        SettingSpec("headers", .hash, default: .object(FieldMap()), doc: "Headers of every request (values may use sprintf)."),
        SettingSpec("content_type", .string, doc: "Content-Type; default by format (application/json, application/x-ndjson, ...)."),
        SettingSpec("user", .string, doc: "User for basic authentication."),
        SettingSpec("password", .password, doc: "Password for basic authentication."),
        SettingSpec("http_compression", .boolean, default: false, doc: "Gzip request bodies (`Content-Encoding: gzip`)."),
        SettingSpec("retryable_codes", .array, default: .array([429, 500, 502, 503, 504].map { .int($0) }),
                    doc: "Statuses after which the events are sent again (with backoff)."),
        SettingSpec("ignorable_codes", .array, default: .array([]), doc: "Statuses that count as delivered."),
        SettingSpec("retry_failed", .boolean, default: true,
                    doc: "Retry retryable statuses and connection failures; false sends those events to the dead-letter queue."),
        SettingSpec("automatic_retries", .number, default: 1,
                    doc: "Immediate re-sends after a connection failure, before backing off (idempotent methods only, unless `retry_non_idempotent`)."),
        SettingSpec("retry_non_idempotent", .boolean, default: false,
                    doc: "Let `automatic_retries` re-send POST and PATCH requests too."),
        SettingSpec("keepalive", .boolean, default: true, doc: "Reuse connections (always on; accepted for Logstash files)."),
    ] + HTTPPluginSettings.specs

    let url: Template
    let method: HTTPMethod
    let encoder: HTTPOutputEncoder
    let headers: [(name: String, value: Template)]
    let contentType: String
    let auth: HTTPAuth?
    let policy: HTTPRetryPolicy
    let ignorable: Set<Int>
    let retryFailed: Bool
    let automaticRetries: Int
    let configuration: HTTPClientConfiguration
    let stallTimeout: Duration?
    let logger: Logger
    /// Created by `start`, shut down by `close`.
    private let client = Mutex<HTTPClient?>(nil)

    public init(settings: PluginSettings, context: PluginContext) throws {
        guard let url = settings.template("url") else { throw settings.error("url", "is required") }
        self.url = url
        method = HTTPMethod(try settings.declaredString("http_method").uppercased())
        guard let format = HTTPOutputEncoder.Format(rawValue: try settings.declaredString("format")) else {
            throw settings.error("format", "is not a known format")
        }
        let message = settings.string("message").map { Template($0) }
        if format == .message && message == nil {
            throw settings.error("message", "is required with `format => message`")
        }
        encoder = HTTPOutputEncoder(format: format, mapping: settings.values["mapping"].map(Mapping.init), message: message)
        headers = settings.hash("headers").map { ($0.key, Template($0.value.renderedString)) }
        contentType = settings.string("content_type") ?? encoder.defaultContentType
        if let user = settings.string("user") {
            auth = .basic(user: user, password: settings.string("password") ?? "")
        } else {
            auth = nil
        }
        func codes(_ name: String) throws -> Set<Int> {
            Set(try settings.array(name).map { v -> Int in
                guard let n = Int(v.renderedString), (100...599).contains(n) else {
                    throw settings.error(name, "holds `\(v.renderedString)`, not an HTTP status")
                }
                return n
            })
        }
        policy = HTTPRetryPolicy(retryableStatuses: try codes("retryable_codes"))
        ignorable = try codes("ignorable_codes")
        retryFailed = try settings.declaredBool("retry_failed")
        let idempotent: Set<HTTPMethod> = [.get, .head, .put, .delete]
        automaticRetries = idempotent.contains(method) || settings.bool("retry_non_idempotent") == true
            ? max(0, try settings.declaredInt("automatic_retries")) : 0
        var configuration = try HTTPPluginSettings.configuration(settings)
        configuration.compressRequestBody = try settings.declaredBool("http_compression")
        self.configuration = configuration
        stallTimeout = HTTPPluginSettings.stallTimeout(settings)
        logger = context.logger
    }

    public func start() async throws {
        do {
            let c = try HTTPClient(configuration: configuration, logger: logger)
            client.withLock { $0 = c }
        } catch {
            throw PluginError("cannot set up the HTTP client: \(error)", retriable: false)
        }
    }

    public func close() async throws {
        client.withLock { $0 }?.shutdown()
    }

    public func write(_ events: [Event]) async throws -> WriteOutcome {
        guard let client = client.withLock({ $0 }) else { throw PluginError("the output was not started", retriable: true) }
        var outcome = WriteOutcome()
        let requests = plan(events)
        let results = await withTaskGroup(of: (Int, Result).self) { group in
            var results = [Result](repeating: .delivered, count: requests.count)
            var next = 0
            // At most `pool_max` requests in flight: one per connection the client may open.
            for _ in 0..<min(configuration.maxConnections, requests.count) {
                let i = next, r = requests[i].request
                group.addTask { (i, await self.send(r, on: client)) }
                next += 1
            }
            while let (i, result) = await group.next() {
                results[i] = result
                if next < requests.count {
                    let j = next, r = requests[j].request
                    group.addTask { (j, await self.send(r, on: client)) }
                    next += 1
                }
            }
            return results
        }
        for (planned, result) in zip(requests, results) {
            switch result {
            case .delivered: break
            case .retry(let reason): outcome.retry += planned.indices.map { ($0, reason) }
            case .reject(let reason): outcome.rejected += planned.indices.map { ($0, reason) }
            }
        }
        return outcome
    }

    // MARK: Requests

    private struct Planned {
        var request: HTTPRequest
        var indices: [Int]
    }

    /// One request per event, or per run of a batch that shares the URL and headers.
    private func plan(_ events: [Event]) -> [Planned] {
        var out: [Planned] = []
        if !encoder.isBatch {
            for (i, e) in events.enumerated() {
                out.append(Planned(request: request(url.render(e), headers: renderHeaders(e), body: encoder.body(events[i...i])),
                                   indices: [i]))
            }
            return out
        }
        // The common case, a fixed URL and fixed headers: the whole batch is one request,
        // with nothing rendered per event.
        if url.isConstant && headers.allSatisfy({ $0.value.isConstant }), let first = events.first {
            let body = encoder.body(events[...])
            return [Planned(request: request(url.render(first), headers: renderHeaders(first), body: body),
                            indices: Array(events.indices))]
        }
        var groups: [String: Int] = [:]
        var members: [[Int]] = []
        var keys: [(url: String, headers: HTTPHeaders)] = []
        for (i, e) in events.enumerated() {
            let u = url.render(e), h = renderHeaders(e)
            let key = u + "\u{0}" + h.map { "\($0.name)=\($0.value)" }.joined(separator: "\u{0}")
            if let g = groups[key] {
                members[g].append(i)
            } else {
                groups[key] = members.count
                members.append([i])
                keys.append((u, h))
            }
        }
        for (g, indices) in members.enumerated() {
            let body = encoder.body(ArraySlice(indices.map { events[$0] }))
            out.append(Planned(request: request(keys[g].url, headers: keys[g].headers, body: body), indices: indices))
        }
        return out
    }

    private func renderHeaders(_ event: Event) -> HTTPHeaders {
        var h = HTTPHeaders()
        h.add(name: "Content-Type", value: contentType)
        for (name, value) in headers { h.replaceOrAdd(name: name, value: value.render(event)) }
        return h
    }

    private func request(_ url: String, headers: HTTPHeaders, body: [UInt8]) -> HTTPRequest {
        HTTPRequest(method: method, url: url, headers: headers, body: method == .get || method == .head ? nil : body,
                    auth: auth, stallTimeout: stallTimeout)
    }

    enum Result: Sendable {
        case delivered
        case retry(String)
        case reject(String)
    }

    /// Sends one request (re-sending at once after a connection failure, `automatic_retries`
    /// times) and says what became of its events.
    private func send(_ request: HTTPRequest, on client: HTTPClient) async -> Result {
        var attempt = 0
        while true {
            attempt += 1
            do {
                let response = try await client.execute(request)
                return interpret(response, request)
            } catch {
                if let e = error as? HTTPClientError, e.isRetriable, attempt <= automaticRetries { continue }
                if Task.isCancelled { return .retry("cancelled at shutdown") }
                // A TLS or transport failure is the endpoint's or the configuration's state, not
                // the events' fault: they wait (with backoff) instead of being dead-lettered.
                return retryFailed ? .retry("\(error)") : .reject("\(error)")
            }
        }
    }

    func interpret(_ response: HTTPResponse, _ request: HTTPRequest) -> Result {
        if ignorable.contains(response.status) { return .delivered }
        switch policy.classify(response) {
        case .success: return .delivered
        case .retry:
            let reason = "HTTP \(response.status) from \(request)"
            return retryFailed ? .retry(reason) : .reject(reason)
        case .permanentFailure:
            let body = String(decoding: response.body.prefix(1024), as: UTF8.self)
            return .reject("HTTP \(response.status) from \(request): \(body)")
        }
    }
}
