import SluiceCore
import SluiceHTTP
import Synchronization

/// Indexes events into Elasticsearch through the bulk API, with Logstash's `elasticsearch`
/// output settings.
///
/// Every bulk response is read item by item, also when its HTTP status is 200: an item that
/// got 429 or 5xx is sent again (alone, after `retry_initial_interval` doubling up to
/// `retry_max_interval`); a `create` answered 409 counts as delivered; any other failure
/// (400 mapping errors and the field limit, 404) goes to the dead-letter queue with the item's
/// error type and reason. A bulk the cluster refuses as too large (413) is sent in halves.
/// Events without `document_id` get an id the first time they are sent and keep it on every
/// retry, so a bulk re-sent after a timeout or a dropped connection overwrites instead of
/// adding documents.
public final class ElasticsearchOutput: OutputPlugin {
    public static let pluginName = "elasticsearch"
    public static let summary = "Indexes events into Elasticsearch with the bulk API (per-item results, retries without duplicates)."
    public static let settingSpecs: [SettingSpec] = [
        SettingSpec("hosts", .array, default: .array(["127.0.0.1:9200"]),
                    doc: "Nodes: `host`, `host:port`, `http(s)://host:port/path` (port 9200 by default), used round-robin; a node that fails is set aside and probed again after `resurrect_delay`."),
        SettingSpec("index", .template, default: "logstash-%{+YYYY.MM.dd}", doc: "Index of each event (sprintf), e.g. `twitter-%{+YYYYMMdd}`."),
        SettingSpec("document_id", .template,
                    doc: "Document id (sprintf). Without it, Sluice gives each event an id the first time it is sent and keeps it on retries, so retries never duplicate."),
        SettingSpec("action", .template, default: "index", doc: "`index`, `create`, `update` or `delete` (sprintf, e.g. `%{[@metadata][action]}`)."),
        SettingSpec("doc_as_upsert", .boolean, default: false, doc: "With `action => update`: create the document when it does not exist."),
        SettingSpec("retry_on_conflict", .number, default: 1, doc: "With `action => update`: Elasticsearch's own retries on a version conflict."),
        SettingSpec("upsert", .string, doc: "With `action => update`: the JSON document to create when the document does not exist."),
        SettingSpec("version", .template, doc: "Version of each document (sprintf, a whole number), e.g. `%{[@metadata][version]}`; with `version_type => external` a write older than the stored version is skipped."),
        SettingSpec("version_type", .oneOf(["internal", "external", "external_gt", "external_gte", "force"]),
                    doc: "Elasticsearch's versioning of `version` (`external`: a write counts only if its version is higher than the stored one; a lower one is answered 409 and counts as done)."),
        SettingSpec("parameters", .hash, default: .object(FieldMap()), doc: "Query parameters added to every bulk request, e.g. `{ \"refresh\" => \"wait_for\" }`."),
        SettingSpec("silence_errors_in_log", .array, default: .array([]),
                    doc: "Error types (e.g. `version_conflict_engine_exception`) whose rejected documents are not logged; they still go to the dead-letter queue."),
        SettingSpec("routing", .template, doc: "Routing key of each document (sprintf)."),
        SettingSpec("pipeline", .template, doc: "Ingest pipeline of each document (sprintf; empty: none)."),
        SettingSpec("user", .string, doc: "User for basic authentication."),
        SettingSpec("password", .password, doc: "Password for basic authentication."),
        SettingSpec("api_key", .password, doc: "API key as `id:api_key` (sent as `Authorization: ApiKey base64(id:api_key)`)."),
        SettingSpec("cloud_id", .string, doc: "Elastic Cloud id (`label:base64...`); replaces `hosts`."),
        SettingSpec("cloud_auth", .password, doc: "Elastic Cloud credentials as `user:password`."),
        SettingSpec("ssl_enabled", .boolean, doc: "Speak HTTPS to hosts given without a scheme (default: as their scheme says, else http)."),
        SettingSpec("path", .string, doc: "Path prefix of the REST API (behind a proxy), for hosts that name none."),
        SettingSpec("http_compression", .boolean, default: false, doc: "Gzip bulk bodies (`Content-Encoding: gzip`)."),
        SettingSpec("flush_size", .number, default: 500, doc: "Most documents per bulk request (a batch may take several requests)."),
        SettingSpec("bulk_max_bytes", .bytes, default: .int(Int64(ElasticsearchOutput.bulkByteCap)),
                    doc: "Most bytes per bulk request (at most 20 MiB, Logstash's target; a larger single document goes alone)."),
        SettingSpec("retry_initial_interval", .number, default: 2, doc: "Seconds before the first retry of failed documents; doubles up to `retry_max_interval`."),
        SettingSpec("retry_max_interval", .number, default: 64, doc: "Longest wait in seconds between retries."),
        SettingSpec("resurrect_delay", .number, default: 5, doc: "Seconds between probes (`GET /`) of a node that was set aside."),
        SettingSpec("manage_template", .boolean, default: true,
                    doc: "Install a composable index template (`_index_template`) for the indices `index` renders (`twitter-%{+YYYYMMdd}` -> `twitter-*`)."),
        SettingSpec("template", .path, doc: "JSON file of the template to install (composable or legacy form) instead of the default."),
        SettingSpec("template_name", .string, doc: "Name of the template (default: the index pattern without its `*`s, e.g. `twitter`)."),
        SettingSpec("template_overwrite", .boolean, default: false, doc: "Replace a template of that name that exists."),
        SettingSpec("index_settings", .hash, default: .object(FieldMap()),
                    doc: "Settings of the indices this output writes, e.g. `{ \"index.mapping.total_fields.limit\" => 5000 \"number_of_replicas\" => 0 }`: in the managed template, and applied to each index before its first write (created with them, or updated if it exists)."),
        SettingSpec("index_mappings", .hash, default: .object(FieldMap()),
                    doc: "Mappings of the indices this output writes (e.g. `{ \"dynamic\" => \"false\" }`): in the managed template and in indices it creates."),
        SettingSpec("workers", .number, doc: "Accepted for Logstash files; changes nothing (pipeline workers share one output)."),
        SettingSpec("sniffing", .boolean, default: false,
                    doc: "Ask the cluster for its nodes at start and every `sniffing_delay`, and send to those (master-only nodes left out) instead of the `hosts` given, with their scheme and `path`."),
        SettingSpec("sniffing_delay", .number, default: 5, doc: "Seconds between two sniffs."),
        SettingSpec("sniffing_path", .string,
                    doc: "Path of the nodes request from the server's root, e.g. `/sniff/_nodes/http`; by default `_nodes/http` under each node's URL (after `path`)."),
    ] + HTTPPluginSettings.specs

    /// Logstash's TARGET_BULK_BYTES: no bulk request is larger, unless one document is.
    static let bulkByteCap = 20 * 1024 * 1024

    let encoder: BulkEncoder
    let urls: [String]
    let auth: HTTPAuth?
    let compress: Bool
    let configuration: HTTPClientConfiguration
    let stallTimeout: Duration?
    let backoff: Backoff
    let resurrectDelay: Duration
    /// With `sniffing`: how often and where to ask the cluster for its nodes, and how to turn
    /// their addresses into base URLs (the scheme and `path` of the `hosts`).
    let sniffing: Sniffing?
    struct Sniffing: Sendable {
        let delay: Duration
        /// The request's path, from the server's root when `fromRoot` (a `sniffing_path`
        /// given), else under the node's URL path.
        let path: String
        let fromRoot: Bool
        let ssl: Bool
        let hostPath: String?
    }
    let template: (name: String, file: String?, overwrite: Bool, pattern: String)?
    let indexSettings: FieldMap
    let indexMappings: FieldMap
    let logger: Logger
    let ids = IdGenerator()
    private let running = Mutex<Running?>(nil)
    /// Indices whose field-limit rejection was already logged.
    private let warnedFieldLimit = Mutex<Set<String>>([])
    /// Bulk bodies are cut at this many bytes once the cluster refused a larger one (HTTP 413,
    /// its `http.max_content_length`); nil until then.
    private let bodyLimit = Mutex<Int?>(nil)
    /// `/_bulk` with the response filter and `parameters`.
    let bulkPath: String
    /// Error types of rejections not to log (`silence_errors_in_log`).
    let silencedErrors: [String]

    private struct Running: Sendable {
        let client: ElasticsearchClient
        let setup: IndexSetup
        let resurrector: Task<Void, Never>
        let sniffer: Task<Void, Never>?
    }

    public init(settings: PluginSettings, context: PluginContext) throws {
        logger = context.logger
        func seconds(_ name: String) throws -> Duration {
            let s = try settings.declaredDouble(name)
            guard s > 0, s <= 86_400 else { throw settings.error(name, "must be a positive number of seconds") }
            return .milliseconds(Int64(s * 1000))
        }
        let index = try settings.declaredString("index")
        let maxBytes = try settings.declaredInt("bulk_max_bytes")
        guard maxBytes >= 1024, maxBytes <= Self.bulkByteCap else {
            throw settings.error("bulk_max_bytes", "must be between 1kb and 20mb (Elasticsearch is slower with larger bulks)")
        }
        let flushSize = try settings.declaredInt("flush_size")
        guard flushSize >= 1 else { throw settings.error("flush_size", "must be at least 1") }
        let action = try settings.declaredString("action")
        if !action.contains("%{"), BulkAction(rawValue: action) == nil {
            throw settings.error("action", "must be index, create, update or delete (or a sprintf template), not `\(action)`")
        }
        if settings.string("document_id") == nil, action == "update" || action == "delete" {
            throw settings.error("document_id", "is required with `action => \(action)`")
        }
        var encoder = BulkEncoder(
            index: Template(index), documentId: settings.template("document_id"), action: Template(action),
            routing: settings.template("routing"), pipeline: settings.template("pipeline"),
            docAsUpsert: try settings.declaredBool("doc_as_upsert"),
            retryOnConflict: max(0, try settings.declaredInt("retry_on_conflict")),
            maxEvents: flushSize, maxBytes: maxBytes)
        if let text = settings.string("upsert") {
            guard case .object? = try? JSON.decode(text) else { throw settings.error("upsert", "must be a JSON object") }
            encoder.upsert = Array(text.utf8)
        }
        encoder.version = settings.template("version")
        encoder.versionType = settings.string("version_type")
        self.encoder = encoder
        bulkPath = "/_bulk?" + BulkResponse.filterPath + settings.hash("parameters").map { key, value in
            "&" + PercentEncoding.encode(key) + "=" + PercentEncoding.encode(value.renderedString)
        }.joined()
        silencedErrors = settings.strings("silence_errors_in_log")

        let ssl = settings.bool("ssl_enabled")
        do {
            if let cloud = settings.string("cloud_id") {
                if settings.isSet("hosts") { throw settings.error("cloud_id", "and `hosts` exclude each other") }
                urls = [try HostPool.cloudURL(cloud)]
            } else {
                let hosts = settings.strings("hosts")
                guard !hosts.isEmpty else { throw settings.error("hosts", "needs at least one host") }
                urls = try HostPool.urls(hosts, ssl: ssl, path: settings.string("path"))
            }
        } catch let e as HostError {
            throw settings.error(settings.string("cloud_id") != nil ? "cloud_id" : "hosts", e.description)
        }
        auth = try Self.auth(settings)

        compress = try settings.declaredBool("http_compression")
        configuration = try HTTPPluginSettings.configuration(settings)
        stallTimeout = HTTPPluginSettings.stallTimeout(settings)
        let initial = try seconds("retry_initial_interval"), maximum = try seconds("retry_max_interval")
        guard maximum >= initial else { throw settings.error("retry_max_interval", "must not be below `retry_initial_interval`") }
        backoff = Backoff(initial: initial, max: maximum)
        resurrectDelay = try seconds("resurrect_delay")
        indexSettings = settings.hash("index_settings")
        indexMappings = settings.hash("index_mappings")
        if try settings.declaredBool("manage_template") {
            let pattern = IndexSetup.pattern(for: index)
            let derived = String(pattern.split(separator: "*").first ?? "logstash").trimmingDashes
            template = (settings.string("template_name") ?? (derived.isEmpty ? "logstash" : derived),
                        settings.string("template"), try settings.declaredBool("template_overwrite"), pattern)
        } else {
            template = nil
        }
        if try settings.declaredBool("sniffing"), settings.string("cloud_id") != nil {
            // Elastic Cloud's nodes are reached through its proxy, never directly.
            logger.warning("elasticsearch: `sniffing` is off with `cloud_id`: requests go to \(Redaction.url(urls[0]))")
            sniffing = nil
        } else if try settings.declaredBool("sniffing") {
            // As Logstash: `path` + `_nodes/http`, or `sniffing_path` as an absolute path.
            var path = settings.string("sniffing_path") ?? "/_nodes/http"
            if !path.hasPrefix("/") { path = "/" + path }
            sniffing = Sniffing(delay: try seconds("sniffing_delay"), path: path, fromRoot: settings.string("sniffing_path") != nil,
                                ssl: urls[0].hasPrefix("https:"), hostPath: settings.string("path"))
        } else {
            sniffing = nil
        }
        // Logstash files set these; in Sluice every pipeline worker writes through this one
        // output, and the bulk body is built here, not by a codec.
        if settings.isWritten("workers") {
            logger.info("elasticsearch: `workers` changes nothing: every pipeline worker writes through this output (see pipeline.workers)")
        }
        if settings.isWritten("codec") {
            logger.info("elasticsearch: `codec` changes nothing: documents are sent as JSON in bulk requests")
        }
    }

    /// Basic (`user`/`password` or `cloud_auth`) or API-key credentials; at most one kind.
    static func auth(_ settings: PluginSettings) throws -> HTTPAuth? {
        var kinds: [HTTPAuth] = []
        if let user = settings.string("user") {
            kinds.append(.basic(user: user, password: settings.string("password") ?? ""))
        } else if settings.string("password") != nil {
            throw settings.error("password", "needs `user`")
        }
        if let cloud = settings.string("cloud_auth") {
            let parts = cloud.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { throw settings.error("cloud_auth", "must be `user:password`") }
            kinds.append(.basic(user: String(parts[0]), password: String(parts[1])))
        }
        if let key = settings.string("api_key") {
            guard key.contains(":") else { throw settings.error("api_key", "must be `id:api_key`") }
            kinds.append(.header(name: "Authorization", value: "ApiKey " + Base64.encode(Array(key.utf8))))
        }
        guard kinds.count <= 1 else {
            throw settings.error("api_key", "use one of `user`/`password`, `cloud_auth` and `api_key`")
        }
        return kinds.first
    }

    // MARK: Lifecycle

    public func start() async throws {
        let http: HTTPClient
        do {
            http = try HTTPClient(configuration: configuration, logger: logger)
        } catch {
            throw PluginError("elasticsearch: cannot set up the HTTP client: \(error)", retriable: false)
        }
        let client = ElasticsearchClient(http: http, pool: HostPool(urls: urls), auth: auth, stallTimeout: stallTimeout, logger: logger)
        let setup = IndexSetup(client: client, indexSettings: indexSettings, indexMappings: indexMappings, logger: logger)
        do {
            let version = try await client.rootInfo()
            logger.info("elasticsearch: connected to \(urls.map(Redaction.url).joined(separator: ", ")) (version \(version))")
            if let template {
                var file: [UInt8]? = nil
                if let path = template.file {
                    guard let bytes = FileIO.readFile(path) else {
                        throw PluginError("elasticsearch: cannot read `template` file \(path)", retriable: false)
                    }
                    file = bytes
                }
                let body = try setup.templateBody(file: file, pattern: template.pattern)
                try await setup.installTemplate(name: template.name, body: body, overwrite: template.overwrite)
            }
        } catch {
            http.shutdown()
            throw error
        }
        let delay = resurrectDelay
        let resurrector = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: delay)
                await client.resurrect()
            }
        }
        var sniffer: Task<Void, Never>? = nil
        if let sniffing {
            let firstWorked = await sniff(client, sniffing, warnIfFailed: true)
            sniffer = Task {
                var failing = !firstWorked
                while !Task.isCancelled {
                    try? await Task.sleep(for: sniffing.delay)
                    if Task.isCancelled { break }
                    failing = await !sniff(client, sniffing, warnIfFailed: !failing)
                }
            }
        }
        running.withLock { $0 = Running(client: client, setup: setup, resurrector: resurrector, sniffer: sniffer) }
    }

    /// Replaces the client's nodes with those the cluster reports; false when the sniff
    /// failed. A failed sniff keeps the nodes as they are; the loop warns only about the first
    /// of a run of failures.
    private func sniff(_ client: ElasticsearchClient, _ sniffing: Sniffing, warnIfFailed: Bool) async -> Bool {
        let current = client.pool.urls.map(Redaction.url).joined(separator: ", ")
        let found: [String]
        do {
            let addresses = try await client.sniff(path: sniffing.path, fromRoot: sniffing.fromRoot)
            found = try HostPool.urls(addresses, ssl: sniffing.ssl, path: sniffing.hostPath)
        } catch {
            if warnIfFailed { logger.warning("elasticsearch: sniffing failed (\(error)); the nodes stay \(current)") }
            return false
        }
        guard !found.isEmpty else {
            if warnIfFailed { logger.warning("elasticsearch: sniffing found no node with HTTP that is not master-only; the nodes stay \(current)") }
            return false
        }
        let change = client.pool.replace(with: found)
        if !change.added.isEmpty || !change.removed.isEmpty {
            let gone = change.removed.isEmpty ? "" : " (no longer \(change.removed.map(Redaction.url).joined(separator: ", ")))"
            logger.info("elasticsearch: sniffing: nodes now \(found.map(Redaction.url).joined(separator: ", "))\(gone)")
        }
        return true
    }

    public func close() async throws {
        guard let r = running.withLock({ $0 }) else { return }
        r.resurrector.cancel()
        r.sniffer?.cancel()
        await r.resurrector.value
        await r.sniffer?.value
        r.client.http.shutdown()
    }

    /// Several bulk requests per worker in flight keep Elasticsearch's write threads busy
    /// while a response is on its way. Order across batches is not kept (as with several workers).
    public var writeConcurrency: Int { 4 }

    public var retryBackoff: Backoff { backoff }

    public func prepare(_ events: inout [Event]) {
        encoder.assignIds(&events, ids)
    }

    // MARK: Writing

    public func write(_ events: [Event]) async throws -> WriteOutcome {
        guard let r = running.withLock({ $0 }) else { throw PluginError("the output was not started", retriable: true) }
        // `prepare` ran on these events already when the pipeline calls; callers that skip it
        // (tests, custom hosts) still get ids, just not kept across their own retries.
        var events = events
        encoder.assignIds(&events, ids)
        if r.setup.hasIndexOptions {
            try await r.setup.prepare(Set(events.map { encoder.index.render($0) }))
        }
        let (chunks, rejected) = encoder.encode(events, bodyLimit: bodyLimit.withLock { $0 })
        var outcome = WriteOutcome(rejected: rejected)
        var queue = Array(chunks.reversed())
        while let chunk = queue.popLast() {
            let results: [ItemResult]
            switch await send(chunk, r.client) {
            case .results(let answered):
                results = answered
            case .tooLarge where chunk.items.count > 1:
                // Logstash sends the whole bulk to the dead-letter queue; every document in it
                // may fit. Halves until they do, and later bulks are cut below the refused size.
                let (first, second) = chunk.halves()
                queue += [second, first]
                learnBodyLimit(refused: chunk.body.count)
                continue
            case .tooLarge(let reason):
                results = [.reject("\(reason): this document alone is larger than the cluster accepts (`http.max_content_length`)")]
            }
            for (item, result) in zip(chunk.items, results) {
                switch result {
                case .delivered: break
                case .retry(let reason): outcome.retry.append((item.event, reason))
                case .reject(let reason):
                    outcome.rejected.append((item.event, reason))
                    warnFieldLimit(item, reason)
                }
            }
        }
        let logged = outcome.rejected.filter { r in !silencedErrors.contains { r.reason.contains(" \($0):") } }
        if let first = logged.first {
            logger.warning("elasticsearch: \(logged.count) of \(events.count) documents rejected (sent to the dead-letter queue); first: \(first.reason)")
        }
        return outcome
    }

    private enum SendResult {
        /// One result per item.
        case results([ItemResult])
        /// HTTP 413: the body is larger than the cluster's `http.max_content_length`.
        case tooLarge(String)
    }

    /// The cluster refused a body of `refused` bytes: later bodies are cut at half of it (at
    /// least 1 KiB), and the first time says which setting would avoid the extra requests.
    private func learnBodyLimit(refused: Int) {
        let limit = max(1024, refused / 2)
        let first = bodyLimit.withLock { current -> Bool in
            defer { current = min(current ?? limit, limit) }
            return current == nil
        }
        if first {
            logger.warning("elasticsearch: the cluster refused a bulk request of \(refused) bytes as too large (HTTP 413, its http.max_content_length): it is sent in halves, and later bulks are cut at \(limit) bytes; set `bulk_max_bytes` below that limit to spare the refused requests")
        }
    }

    /// Sends one bulk request and returns the result of each of its items.
    private func send(_ chunk: BulkChunk, _ client: ElasticsearchClient) async -> SendResult {
        func all(_ r: ItemResult) -> SendResult { .results(Array(repeating: r, count: chunk.items.count)) }
        let response: HTTPResponse
        do {
            response = try await client.send(.post, bulkPath, body: chunk.body, ndjson: true,
                                             compress: compress)
        } catch {
            return all(.retry(error.description))
        }
        let status = response.status
        if (200..<300).contains(status) {
            return BulkResponse.results(response.body, for: chunk.items).map { .results($0) }
                ?? all(.retry("elasticsearch: a bulk response without one item per document (HTTP \(status))"))
        }
        let reason = "elasticsearch: bulk request: HTTP \(status) \(BulkResponse.requestError(response.body))"
        switch status {
        case 413: return .tooLarge(reason)
        case 429, 500...599: return all(.retry(reason))
        case 401, 403:
            // Credentials are the configuration's fault, not the documents': they wait.
            return all(.retry(reason))
        default: return all(.reject(reason))
        }
    }

    private func warnFieldLimit(_ item: BulkItem, _ reason: String) {
        guard reason.contains(FieldLimit.setting), warnedFieldLimit.withLock({ $0.insert(item.index).inserted }) else { return }
        logger.warning("elasticsearch: documents exceed the field limit of index [\(item.index)]: \(reason)")
    }
}

extension String {
    var trimmingDashes: String {
        var s = Substring(self)
        while let l = s.last, l == "-" || l == "_" || l == "." { s.removeLast() }
        return String(s)
    }
}
