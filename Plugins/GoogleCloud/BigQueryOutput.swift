import Crypto
import Foundation
import SluiceCore
import SluiceHTTP
import Synchronization

/// Streams events into BigQuery tables with `tabledata.insertAll`, with Logstash's
/// `google_bigquery` settings.
///
/// Every row carries an `insertId` derived from the whole event (a SHA-256 of its fields,
/// `@metadata` included), so a retried row is the same row to BigQuery's de-duplication.
/// A 200 response is read row by row: transient reasons (and `stopped`, a good row held back
/// by an invalid one) are retried, invalid rows go to the dead-letter queue with BigQuery's
/// reason. With `schema_mode => auto` the table's columns follow the events: the table is
/// created from the first events and new columns are added (`tables.patch`) before the rows
/// that need them are sent; what cannot be a column goes to `overflow_field`.
///
/// With `load_from_gcs_bucket` the output does not stream: a background task started in
/// `start()` loads the objects the google_cloud_storage output wrote (BigQueryLoader.swift).
public final class BigQueryOutput: OutputPlugin {
    public static let pluginName = "google_bigquery"
    public static let summary = "Streams events into BigQuery (insertAll), deriving and evolving the table's schema if asked."
    public static let settingSpecs: [SettingSpec] = [
        SettingSpec("project_id", .string, required: true, doc: "Google Cloud project of the dataset."),
        SettingSpec("dataset", .string, required: true, doc: "BigQuery dataset of the tables (created if missing along with a table)."),
        SettingSpec("table_prefix", .string, default: "logstash", doc: "Table name: `<table_prefix><table_separator><date>`."),
        SettingSpec("table_separator", .string, default: "_", doc: "Between the prefix and the date of the table name."),
        SettingSpec("date_pattern", .string, default: "%Y-%m-%dT%H:00",
                    doc: "strftime pattern (`%Y %m %d %H %M %S %y %j`) of the event's `@timestamp` (UTC) in the table name; characters BigQuery refuses become `_`. Empty: the table is `table_prefix` alone."),
        SettingSpec("csv_schema", .string, doc: "Columns as `name:TYPE,name:TYPE` (Logstash's format), for a table to create."),
        SettingSpec("json_schema", .hash, doc: "Columns as `{fields => [{name => ..., type => ..., mode => ..., fields => [...]}]}`."),
        SettingSpec("schema_mode", .oneOf(["auto", "fixed"]),
                    doc: "`auto` derives the columns from the events and adds new ones as they appear; `fixed` uses `csv_schema`/`json_schema` or the table's own. Default: `fixed` when a schema is given, else `auto`."),
        SettingSpec("overflow_field", .string,
                    doc: "A JSON column for the fields that cannot be columns (type conflicts, invalid names, past the column limit), as a JSON object keeping their paths."),
        SettingSpec("ignore_unknown_values", .boolean, default: false, doc: "BigQuery drops values the table has no column for instead of rejecting the row."),
        SettingSpec("skip_invalid_rows", .boolean, default: false,
                    doc: "BigQuery inserts the valid rows of a request that has invalid ones (otherwise they are retried, the invalid ones dead-lettered)."),
        SettingSpec("batch_size", .number, default: 128, doc: "Most rows per insertAll request (BigQuery suggests about 500; at most 10,000)."),
        SettingSpec("batch_size_bytes", .number, default: 1_000_000, doc: "Approximate most bytes per insertAll request (BigQuery's limit is 10 MB)."),
        SettingSpec("flush_interval_secs", .number, default: 5,
                    doc: "Accepted for Logstash files; events reach the output in the pipeline's batches (`pipeline.batch.delay`)."),
        SettingSpec("error_directory", .path,
                    doc: "Also append rejected rows, with the reason, as JSON lines to `<table>-<unix time>.log` here (they go to the dead-letter queue as well)."),
        SettingSpec("create_table_if_missing", .boolean, default: true, doc: "Create the table (and dataset) when it does not exist."),
        SettingSpec("max_columns", .number, default: 10_000, doc: "Columns a derived schema may have, nested ones included (BigQuery's limit is 10,000)."),
        SettingSpec("load_from_gcs_bucket", .string,
                    doc: "Load the objects under `load_from_gcs_prefix` in this bucket (JSON lines, gzipped or not, as the google_cloud_storage output writes them) with one load job each, instead of streaming; events sent to the output are then dropped (they reach BigQuery through the objects). The table is `table_prefix` with `date_pattern` of the load time; `csv_schema`/`json_schema` or else `autodetect`."),
        SettingSpec("load_from_gcs_prefix", .string, default: "", doc: "With `load_from_gcs_bucket`: only objects whose name starts with this."),
        SettingSpec("load_from_gcs_endpoint", .string,
                    doc: "With `load_from_gcs_bucket`: base URL of Cloud Storage (an emulator); default: STORAGE_EMULATOR_HOST, else storage.googleapis.com."),
        SettingSpec("load_interval_secs", .number, default: 60, doc: "With `load_from_gcs_bucket`: how often the bucket is listed for new objects."),
        SettingSpec("load_max_bad_records", .number, default: 0, doc: "With `load_from_gcs_bucket`: lines a load job may skip before it fails (BigQuery's maxBadRecords)."),
        SettingSpec("load_state_file", .path,
                    doc: "With `load_from_gcs_bucket`: the names of the objects loaded, so a restart loads none twice; default: `<path.data>/google_bigquery/<id>.loaded` (set `id`, so edits of the pipeline file keep it)."),
        SettingSpec("temp_directory", .path, deprecated: "events are streamed, not staged", doc: "Ignored."),
        SettingSpec("temp_file_prefix", .string, deprecated: "events are streamed, not staged", doc: "Ignored."),
        SettingSpec("uploader_interval_secs", .number, deprecated: "events are streamed", doc: "Ignored."),
        SettingSpec("deleter_interval_secs", .number, deprecated: "events are streamed", doc: "Ignored."),
    ] + GoogleCredentials.settingSpecs + HTTPPluginSettings.specs

    let project: String
    let dataset: String
    let tableName: BigQueryTableName
    let autoSchema: Bool
    let configuredSchema: [BigQueryField]?
    let encoder: BigQueryRowEncoder
    let ignoreUnknown: Bool
    let skipInvalid: Bool
    let batchSize: Int
    let batchBytes: Int
    let errorDirectory: String?
    let createTable: Bool
    let service: GoogleService
    let configuration: HTTPClientConfiguration
    let stallTimeout: Duration?
    let logger: Logger
    let loadSettings: BigQueryLoadSettings?
    let storage: GoogleService?
    private let client = Mutex<BigQueryClient?>(nil)
    private let loading = Mutex<Task<Void, Never>?>(nil)
    let tables = BigQueryTables()

    public init(settings: PluginSettings, context: PluginContext) throws {
        guard let project = settings.string("project_id") else { throw settings.error("project_id", "is required") }
        guard let dataset = settings.string("dataset") else { throw settings.error("dataset", "is required") }
        self.project = project
        self.dataset = dataset
        tableName = BigQueryTableName(prefix: try settings.declaredString("table_prefix"),
                                      separator: try settings.declaredString("table_separator"),
                                      datePattern: try settings.declaredString("date_pattern"))
        if let csv = settings.string("csv_schema") {
            guard let fields = [BigQueryField].parseCSV(csv) else { throw settings.error("csv_schema", "is not `name:TYPE,name:TYPE`") }
            configuredSchema = fields
        } else if settings.values["json_schema"] != nil {
            let fields = settings.hash("json_schema")["fields"]?.arrayValue ?? []
            let parsed = fields.compactMap(BigQueryField.init(json:))
            guard !parsed.isEmpty, parsed.count == fields.count else {
                throw settings.error("json_schema", "needs `fields => [{name => ..., type => ...}, ...]`")
            }
            configuredSchema = parsed
        } else {
            configuredSchema = nil
        }
        autoSchema = (settings.string("schema_mode") ?? (configuredSchema == nil ? "auto" : "fixed")) == "auto"
        let maxColumns = try settings.declaredInt("max_columns")
        guard (1...10_000).contains(maxColumns) else { throw settings.error("max_columns", "must be 1 to 10000") }
        encoder = BigQueryRowEncoder(overflowField: settings.string("overflow_field"), maxColumns: maxColumns)
        if let overflow = settings.string("overflow_field"), BigQueryRowEncoder.columnName(overflow) != overflow {
            throw settings.error("overflow_field", "`\(overflow)` is not a BigQuery column name (letters, digits, `_`)")
        }
        ignoreUnknown = try settings.declaredBool("ignore_unknown_values")
        skipInvalid = try settings.declaredBool("skip_invalid_rows")
        batchSize = try settings.declaredInt("batch_size")
        guard (1...10_000).contains(batchSize) else { throw settings.error("batch_size", "must be 1 to 10000") }
        batchBytes = try settings.declaredInt("batch_size_bytes")
        guard batchBytes >= 1 else { throw settings.error("batch_size_bytes", "must be positive") }
        errorDirectory = settings.string("error_directory")
        createTable = try settings.declaredBool("create_table_if_missing")
        service = try GoogleCredentials.service(settings, emulatorVariable: "BIGQUERY_EMULATOR_HOST",
                                                productionURL: "https://bigquery.googleapis.com",
                                                scope: "https://www.googleapis.com/auth/bigquery")
        configuration = try HTTPPluginSettings.configuration(settings)
        stallTimeout = HTTPPluginSettings.stallTimeout(settings)
        logger = context.logger
        if let bucket = settings.string("load_from_gcs_bucket"), !bucket.isEmpty {
            let interval = try settings.declaredDouble("load_interval_secs")
            guard interval > 0 else { throw settings.error("load_interval_secs", "must be positive") }
            let maxBad = try settings.declaredInt("load_max_bad_records")
            guard maxBad >= 0 else { throw settings.error("load_max_bad_records", "must not be negative") }
            loadSettings = BigQueryLoadSettings(
                bucket: bucket, prefix: try settings.declaredString("load_from_gcs_prefix"),
                interval: .milliseconds(Int64(interval * 1000)), maxBadRecords: maxBad,
                stateFile: settings.string("load_state_file") ?? "\(context.pipeline.pathData)/google_bigquery/\(settings.id).loaded")
            // The storage service: `endpoint` is BigQuery's, so GCS has its own.
            var values = settings.values
            values["endpoint"] = settings.values["load_from_gcs_endpoint"]
            storage = try GoogleCredentials.service(PluginSettings(pluginName: settings.pluginName, id: settings.id, values: values),
                                                    emulatorVariable: "STORAGE_EMULATOR_HOST",
                                                    productionURL: "https://storage.googleapis.com",
                                                    scope: "https://www.googleapis.com/auth/devstorage.read_only")
        } else {
            loadSettings = nil
            storage = nil
        }
    }

    public func start() async throws {
        do {
            let http = try HTTPClient(configuration: configuration, logger: logger)
            let bq = BigQueryClient(http: http, service: service, project: project, dataset: dataset, stallTimeout: stallTimeout)
            client.withLock { $0 = bq }
            if let loadSettings, let storage {
                let name = tableName
                let loader = try BigQueryLoader(settings: loadSettings, client: bq, gcs: GCSClient(service: storage, http: http, bucket: loadSettings.bucket),
                                                table: { name.render(at: .now()) }, schema: configuredSchema,
                                                ignoreUnknown: ignoreUnknown, logger: logger)
                loading.withLock { $0 = Task { await loader.run() } }
            }
        } catch let error as PluginError {
            throw error
        } catch {
            throw PluginError("cannot set up the HTTP client: \(error)", retriable: false)
        }
    }

    public func close() async throws {
        if let task = loading.withLock({ $0 }) {
            task.cancel()
            await task.value
        }
        client.withLock { $0 }?.http.shutdown()
    }

    public func write(_ events: [Event]) async throws -> WriteOutcome {
        guard let client = client.withLock({ $0 }) else { throw PluginError("the output was not started", retriable: true) }
        // Loading from GCS: the events reach BigQuery through the objects.
        if loadSettings != nil { return WriteOutcome() }
        var byTable: [String: [Int]] = [:]
        var order: [String] = []
        for (i, e) in events.enumerated() {
            let name = tableName.render(e)
            if byTable[name] == nil { order.append(name) }
            byTable[name, default: []].append(i)
        }
        var outcome = WriteOutcome()
        for table in order {
            let indices = byTable[table] ?? []
            let part = try await write(indices.map { events[$0] }, to: table, client)
            outcome.rejected += part.rejected.map { (indices[$0.index], $0.reason) }
            outcome.retry += part.retry.map { (indices[$0.index], $0.reason) }
        }
        return outcome
    }

    /// One table's events: its columns made ready, then insertAll requests of at most
    /// `batch_size` rows and about `batch_size_bytes`.
    private func write(_ events: [Event], to table: String, _ client: BigQueryClient) async throws -> WriteOutcome {
        let schema = try await prepare(table, events, client)
        var outcome = WriteOutcome()
        var body = RequestBody(skipInvalid: skipInvalid, ignoreUnknown: ignoreUnknown)
        var rowsInBody: [Int] = []
        var overflowed = 0
        func flush() async throws {
            guard !rowsInBody.isEmpty else { return }
            let part = try await insert(table, body.finish(), rows: rowsInBody, events: events, client)
            outcome.rejected += part.rejected
            outcome.retry += part.retry
            body = RequestBody(skipInvalid: skipInvalid, ignoreUnknown: ignoreUnknown)
            rowsInBody = []
        }
        for (i, event) in events.enumerated() {
            let (row, usedOverflow) = encoder.row(event, schema: schema)
            if usedOverflow { overflowed += 1 }
            let encoded = JSON.encode(row)
            if !rowsInBody.isEmpty && (rowsInBody.count >= batchSize || body.size + encoded.count > batchBytes) {
                try await flush()
            }
            body.append(insertId: Self.insertId(event), row: encoded)
            rowsInBody.append(i)
        }
        try await flush()
        if overflowed > 0 {
            logger.debug("google_bigquery: \(overflowed) of \(events.count) rows used the overflow column", metadata: ["table": "\(table)"])
        }
        if !outcome.rejected.isEmpty { writeErrors(table, events, outcome.rejected) }
        return outcome
    }

    /// The table's columns, after creating the table or adding the columns these events need
    /// (schema_mode auto). One worker at a time changes a table.
    private func prepare(_ table: String, _ events: [Event], _ client: BigQueryClient) async throws -> [BigQueryField] {
        if !autoSchema, let known = tables.schema(table) { return known }
        if autoSchema, let known = tables.schema(table) {
            var proposed = known
            if !encoder.extend(&proposed, known: known, with: events) { return known }
        }
        return try await tables.serialized(table) { [self] in
            var known = tables.schema(table)
            if known == nil {
                known = try await client.table(table)
                if known == nil {
                    guard createTable else {
                        throw PluginError("BigQuery table \(project).\(dataset).\(table) does not exist and create_table_if_missing is false",
                                          retriable: true, code: .notFound)
                    }
                    var initial = configuredSchema ?? []
                    if autoSchema {
                        _ = encoder.extend(&initial, known: [], with: events)
                    } else if let overflow = encoder.overflowField, initial[column: overflow] == nil, !initial.isEmpty {
                        initial.append(BigQueryField(overflow, "JSON"))
                    }
                    guard !initial.isEmpty else {
                        throw PluginError("no schema for the new table \(table): set csv_schema or json_schema, or schema_mode => auto",
                                          retriable: false)
                    }
                    known = try await client.create(table, schema: initial)
                    logger.info("google_bigquery: created table \(table) with \(initial.columnCount) columns")
                }
            }
            var current = known ?? []
            if autoSchema {
                var proposed = current
                if encoder.extend(&proposed, known: current, with: events) {
                    let added = proposed.columnCount - current.columnCount
                    do {
                        current = try await client.patch(table, schema: proposed)
                    } catch {
                        // Another writer may have changed the table: read it again next time.
                        tables.forget(table)
                        throw error
                    }
                    logger.info("google_bigquery: added \(added) columns to table \(table)")
                }
            }
            tables.setSchema(table, current)
            return current
        }
    }

    private func insert(_ table: String, _ body: [UInt8], rows: [Int], events: [Event], _ client: BigQueryClient) async throws -> WriteOutcome {
        var outcome = WriteOutcome()
        let response: HTTPResponse
        do {
            response = try await client.insertAll(table, body: body)
        } catch let e as PluginError where e.retriable {
            outcome.retry = rows.map { ($0, e.message) }
            return outcome
        }
        switch BigQueryInsertResult.interpret(response) {
        case .retryAll(let reason):
            if response.status == 404 { tables.forget(table) }
            outcome.retry = rows.map { ($0, reason) }
        case .rejectAll(let reason):
            outcome.rejected = rows.map { ($0, reason) }
        case .rows(let failures):
            for (index, failure) in failures.sorted(by: { $0.key < $1.key }) where rows.indices.contains(index) {
                switch failure {
                case .retry(let reason): outcome.retry.append((rows[index], reason))
                case .reject(let reason): outcome.rejected.append((rows[index], reason))
                case .unknownField(let reason):
                    // The table lost a column we knew of, or gained none we asked for: with
                    // auto, read it again and let the retry add the column; else it is the row's fault.
                    if autoSchema {
                        tables.forget(table)
                        outcome.retry.append((rows[index], reason))
                    } else {
                        outcome.rejected.append((rows[index], reason))
                    }
                }
            }
        }
        return outcome
    }

    /// A row's insertId: the same event gives the same id on every retry.
    static func insertId(_ event: Event) -> String {
        let digest = SHA256.hash(data: JSON.encode(.object(event.fields)))
        return digest.prefix(16).map { String($0, radix: 16).leftPadded(2) }.joined()
    }

    /// Logstash's `error_directory`: rejected rows, one JSON line each, with the reason.
    private func writeErrors(_ table: String, _ events: [Event], _ rejected: [(index: Int, reason: String)]) {
        guard let dir = errorDirectory else { return }
        var text: [UInt8] = []
        for (i, reason) in rejected where events.indices.contains(i) {
            var line = FieldMap()
            line.set("reason", .string(reason))
            line.set("event", .object(events[i].serializableFields))
            JSON.encode(.object(line), into: &text)
            text.append(UInt8(ascii: "\n"))
        }
        let path = dir + "/" + table + "-" + String(Int(Date().timeIntervalSince1970)) + ".log"
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            if let handle = FileHandle(forWritingAtPath: path) {
                defer { try? handle.close() }
                try handle.seekToEnd()
                try handle.write(contentsOf: Data(text))
            } else {
                try Data(text).write(to: URL(fileURLWithPath: path))
            }
        } catch {
            logger.warning("google_bigquery: cannot write rejected rows to \(path): \(error)")
        }
    }
}

/// An insertAll request body, built row by row.
struct RequestBody {
    private var bytes: [UInt8]
    private var first = true

    init(skipInvalid: Bool, ignoreUnknown: Bool) {
        bytes = Array(#"{"kind":"bigquery#tableDataInsertAllRequest","skipInvalidRows":\#(skipInvalid),"ignoreUnknownValues":\#(ignoreUnknown),"rows":["#.utf8)
    }

    var size: Int { bytes.count }

    mutating func append(insertId: String, row: [UInt8]) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        first = false
        bytes += Array(#"{"insertId":""#.utf8) + Array(insertId.utf8) + Array(#"","json":"#.utf8)
        bytes += row
        bytes.append(UInt8(ascii: "}"))
    }

    func finish() -> [UInt8] { bytes + Array("]}".utf8) }
}

/// The table of an event: `<prefix><separator><date>` from its `@timestamp` in UTC, as
/// Logstash names them (it used the time of the upload; the event's own time keeps a retried
/// row in the table it was first sent to, where its insertId de-duplicates it).
struct BigQueryTableName: Sendable {
    let prefix: String
    let separator: String
    let datePattern: String

    func render(_ event: Event) -> String {
        render(at: event.timestamp)
    }

    func render(at time: Timestamp) -> String {
        guard !datePattern.isEmpty else { return Self.sanitize(prefix) }
        return Self.sanitize(prefix + separator + GoogleDatePattern.format(datePattern, time))
    }

    /// Table ids are letters, digits and underscores.
    static func sanitize(_ s: String) -> String {
        String(s.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") ? $0 : "_" })
    }
}

/// The columns of the tables the output writes to, and one-at-a-time changes per table.
final class BigQueryTables: Sendable {
    private let schemas = Mutex<[String: [BigQueryField]]>([:])
    private let queue = BigQuerySerialQueue()

    func schema(_ table: String) -> [BigQueryField]? { schemas.withLock { $0[table] } }
    func setSchema(_ table: String, _ fields: [BigQueryField]) { schemas.withLock { $0[table] = fields } }
    func forget(_ table: String) { _ = schemas.withLock { $0.removeValue(forKey: table) } }

    func serialized<T: Sendable>(_ table: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await queue.run(table, body)
    }
}

/// Runs the bodies given for one key one after another.
actor BigQuerySerialQueue {
    private var tails: [String: Task<Void, Never>] = [:]

    func run<T: Sendable>(_ key: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let previous = tails[key]
        let task = Task { () async throws -> T in
            await previous?.value
            return try await body()
        }
        tails[key] = Task { _ = try? await task.value }
        return try await withTaskCancellationHandler { try await task.value } onCancel: { task.cancel() }
    }
}
