import Crypto
import Foundation
import SluiceCore
import SluiceHTTP
import Synchronization

/// `google_bigquery` with `load_from_gcs_bucket`: instead of streaming, the output loads the
/// objects another writer (the `google_cloud_storage` output) put under a prefix, as the
/// seed's `bq load` did and Logstash's old google_bigquery plugin did with its own uploads.
///
/// Every `load_interval_secs` it lists the objects under the prefix and, for each one not loaded
/// yet, runs one load job (NEWLINE_DELIMITED_JSON, WRITE_APPEND, the configured schema or
/// `autodetect`, ignoreUnknownValues, maxBadRecords), polls `jobs.get` until DONE and only then
/// appends the object's name to the state file under path.data. A failed job is logged with
/// BigQuery's errorResult and errors and the object's name; the object is tried again next round.
///
/// One job per object: a job is all or nothing, so a bad object never holds back the others,
/// and its error names it. The job id is derived from the destination and the object, so after
/// a crash between a job's success and the state file's update the restart finds the job
/// (`jobs.get`) and does not load the object again.
struct BigQueryLoadSettings: Sendable {
    let bucket: String
    let prefix: String
    let interval: Duration
    let maxBadRecords: Int
    let stateFile: String
}

final class BigQueryLoader: Sendable {
    let settings: BigQueryLoadSettings
    let client: BigQueryClient
    let gcs: GCSClient
    let table: @Sendable () -> String
    let schema: [BigQueryField]?
    let ignoreUnknown: Bool
    let logger: Logger
    let loaded: BigQueryLoadedObjects

    init(settings: BigQueryLoadSettings, client: BigQueryClient, gcs: GCSClient, table: @escaping @Sendable () -> String,
         schema: [BigQueryField]?, ignoreUnknown: Bool, logger: Logger) throws {
        self.settings = settings
        self.client = client
        self.gcs = gcs
        self.table = table
        self.schema = schema
        self.ignoreUnknown = ignoreUnknown
        self.logger = logger
        loaded = try BigQueryLoadedObjects(path: settings.stateFile)
    }

    /// Rounds until the task is cancelled (the output's close()).
    func run() async {
        while !Task.isCancelled {
            do {
                try await round()
            } catch is CancellationError {
                return
            } catch {
                logger.warning("google_bigquery: loading from gs://\(settings.bucket)/\(settings.prefix): \(error)")
            }
            try? await Task.sleep(for: settings.interval)
        }
    }

    /// One listing, then a load job for each new object, in name order (the GCS output's
    /// names sort by date and part).
    func round() async throws {
        let names = try await gcs.names(prefix: settings.prefix).filter { !$0.hasSuffix("/") && !loaded.contains($0) }.sorted()
        for name in names {
            try Task.checkCancellation()
            if try await load(name) {
                try loaded.add(name)
            }
        }
    }

    /// True when the object is in the table (now, or by an earlier run's job).
    func load(_ object: String) async throws -> Bool {
        let destination = table()
        try await ensureDataset()
        let jobId = Self.jobId(project: client.project, dataset: client.dataset, table: destination, bucket: settings.bucket, object: object)
        let uri = "gs://\(settings.bucket)/\(object)"
        var job = try await client.job(jobId)
        if let existing = job, existing.state == "DONE", existing.errorResult == nil {
            logger.info("google_bigquery: \(uri) was loaded by job \(jobId) already")
            return true
        }
        if job == nil || job?.state == "DONE" {
            // A failed job's id cannot be reused: the retry gets a fresh one.
            let id = job == nil ? jobId : jobId + "_" + UUID().uuidString.prefix(8).lowercased()
            job = try await client.insertJob(id, configuration: configuration(uri, destination))
        }
        guard var current = job else { return false }
        var delay = Duration.milliseconds(200)
        while current.state != "DONE" {
            try await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(5))
            guard let next = try await client.job(current.id, location: current.location) else {
                throw PluginError("BigQuery load job \(current.id) of \(uri) vanished", retriable: true)
            }
            current = next
        }
        if let error = current.errorResult {
            let details = current.errors.filter { $0 != error }.map(\.description).joined(separator: "; ")
            let also = details.isEmpty ? "" : " (\(details))"
            logger.error("google_bigquery: load job \(current.id) of \(uri) into \(client.dataset).\(destination) failed: \(error)\(also); the object will be tried again")
            return false
        }
        logger.info("google_bigquery: loaded \(uri) into \(client.dataset).\(destination) (\(current.outputRows.map(String.init) ?? "?") rows, job \(current.id))")
        return true
    }

    /// configuration.load of a job over one object.
    func configuration(_ uri: String, _ destination: String) -> Value {
        var load = FieldMap()
        load.set("sourceUris", .array([.string(uri)]))
        load.set("sourceFormat", .string("NEWLINE_DELIMITED_JSON"))
        load.set("destinationTable", ["projectId": .string(client.project), "datasetId": .string(client.dataset), "tableId": .string(destination)])
        load.set("writeDisposition", .string("WRITE_APPEND"))
        load.set("createDisposition", .string("CREATE_IF_NEEDED"))
        load.set("ignoreUnknownValues", .bool(ignoreUnknown))
        load.set("maxBadRecords", .int(Int64(settings.maxBadRecords)))
        if let schema {
            load.set("schema", ["fields": .array(schema.map(\.json))])
        } else {
            load.set("autodetect", .bool(true))
        }
        return ["load": .object(load)]
    }

    /// A load job creates its table but not the dataset.
    private func ensureDataset() async throws {
        let r = try await client.send(.get, client.datasetPath)
        if r.status == 404 { try await client.createDataset() } else { try BigQueryClient.check(r, "get dataset \(client.dataset)") }
    }

    /// `sluice_load_<hex>`: the same object into the same table gives the same id.
    static func jobId(project: String, dataset: String, table: String, bucket: String, object: String) -> String {
        let digest = SHA256.hash(data: Array("\(project)\n\(dataset)\n\(table)\ngs://\(bucket)/\(object)".utf8))
        return "sluice_load_" + digest.prefix(16).map { String($0, radix: 16).leftPadded(2) }.joined()
    }
}

/// A job as jobs.insert / jobs.get describe it.
struct BigQueryJob: Sendable {
    struct Failure: Sendable, Equatable, CustomStringConvertible {
        let reason: String
        let location: String
        let message: String
        var description: String { reason + (location.isEmpty ? "" : " at \(location)") + (message.isEmpty ? "" : ": \(message)") }

        init(_ o: FieldMap) {
            reason = o["reason"]?.stringValue ?? "error"
            location = o["location"]?.stringValue ?? ""
            message = o["message"]?.stringValue ?? ""
        }
    }

    let id: String
    let location: String?
    let state: String
    let errorResult: Failure?
    let errors: [Failure]
    let outputRows: Int?

    init?(_ body: [UInt8]) {
        guard let o = (try? JSON.decode(body))?.objectValue,
              let ref = o["jobReference"]?.objectValue, let id = ref["jobId"]?.stringValue else { return nil }
        self.id = id
        location = ref["location"]?.stringValue
        let status = o["status"]?.objectValue
        state = status?["state"]?.stringValue ?? "PENDING"
        errorResult = status?["errorResult"]?.objectValue.map(Failure.init)
        errors = (status?["errors"]?.arrayValue ?? []).compactMap(\.objectValue).map(Failure.init)
        outputRows = o["statistics"]?.objectValue?["load"]?.objectValue?["outputRows"]?.stringValue.flatMap { Int($0) }
    }
}

extension BigQueryClient {
    var jobsPath: String { "/bigquery/v2/projects/\(Self.escape(project))/jobs" }

    /// jobs.get; nil when there is no such job.
    func job(_ id: String, location: String? = nil) async throws -> BigQueryJob? {
        let query = location.map { "?location=" + Self.escape($0) } ?? ""
        let r = try await send(.get, jobsPath + "/" + Self.escape(id) + query)
        if r.status == 404 { return nil }
        try Self.check(r, "get job \(id)")
        guard let job = BigQueryJob(r.body) else { throw PluginError("BigQuery get job \(id): unreadable answer", retriable: true) }
        return job
    }

    /// jobs.insert with the given id.
    func insertJob(_ id: String, configuration: Value) async throws -> BigQueryJob {
        let body: Value = ["jobReference": ["projectId": .string(project), "jobId": .string(id)], "configuration": configuration]
        let r = try await send(.post, jobsPath, body)
        try Self.check(r, "insert job \(id)")
        guard let job = BigQueryJob(r.body) else { throw PluginError("BigQuery insert job \(id): unreadable answer", retriable: true) }
        return job
    }
}

/// The names of the objects loaded so far, one per line in a file that only grows (appended
/// and synced after each job's success).
final class BigQueryLoadedObjects: Sendable {
    let path: String
    private let names: Mutex<Set<String>>

    init(path: String) throws {
        self.path = path
        var set = Set<String>()
        if let data = FileManager.default.contents(atPath: path) {
            for line in String(decoding: data, as: UTF8.self).split(separator: "\n") { set.insert(String(line)) }
        }
        names = Mutex(set)
    }

    func contains(_ name: String) -> Bool { names.withLock { $0.contains(name) } }

    func add(_ name: String) throws {
        let dir = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw PluginError("cannot write the loaded objects' list \(path)", retriable: true)
        }
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data((name + "\n").utf8))
        try handle.synchronize()
        _ = names.withLock { $0.insert(name) }
    }
}
