import SluiceCore
import Synchronization

/// Writes events to MongoDB collections with Logstash's `mongodb` output settings, on libmongoc.
///
/// Each batch goes out as unordered bulk writes (one per collection, at most `bulk_size`
/// operations each) and counts as written when the server acknowledged it as `write_concern`
/// asks. Every failed item is looked at on its own: a duplicate `_id` on an insert is a replay
/// of a document already there, so it counts as delivered (logstash-output-mongodb #77 killed
/// its thread on it, #86 looped forever); a document the server refuses (validation, a clash
/// on another unique index, a key libmongoc does not allow) goes to the dead-letter queue with
/// the reason; a network error, a step-down or a not-primary answer is retried, for just the
/// items it hit. Documents keep their types (see `BSONEncoder`).
public final class MongoDBOutput: OutputPlugin {
    public static let pluginName = "mongodb"
    public static let summary = "Writes events to MongoDB collections as unordered bulk writes; an event counts as written when the server acknowledged it."
    public static let settingSpecs: [SettingSpec] = [
        SettingSpec("uri", .password, required: true,
                    doc: "Connection string, `mongodb://user:password@host:port/?options` (its password never appears in logs). Without `serverSelectionTimeoutMS` a write waits at most 5 s for a server before it is retried."),
        SettingSpec("database", .string, required: true, doc: "Database to write to."),
        SettingSpec("collection", .template, required: true, doc: "Collection of each event (sprintf)."),
        // Logstash's default is false (its own buffer, then one insert per event); batches come
        // from the pipeline here, and a bulk write per batch is what makes MongoDB fast.
        SettingSpec("bulk", .boolean, default: true,
                    doc: "Send each batch as bulk writes of up to `bulk_size` operations; `false` sends one request per event (Logstash's default is false)."),
        SettingSpec("bulk_size", .number, default: 900, doc: "Most operations in one bulk write (MongoDB takes up to 100,000)."),
        SettingSpec("bulk_interval", .duration, default: 2,
                    deprecated: "batches come from the pipeline: `pipeline.batch.size` and `pipeline.batch.delay` decide when they are written",
                    doc: "Accepted for Logstash's files; has no effect."),
        SettingSpec("isodate", .boolean, default: false,
                    doc: "Write `@timestamp` (and every timestamp) as a BSON date instead of an ISO 8601 string."),
        SettingSpec("generateId", .boolean, default: false,
                    doc: "Give each document a new ObjectId as `_id` (replacing an `_id` field); `document_id` wins over it."),
        SettingSpec("action", .oneOf(["insert", "update", "upsert", "replace"]), default: "insert",
                    doc: "`insert` a new document; `update` sets the event's fields on the document `filter` finds; `replace` replaces it; `upsert` replaces it or inserts it when there is none (so a replayed event overwrites instead of duplicating)."),
        SettingSpec("document_id", .template,
                    doc: "The `_id` of each document (sprintf), e.g. a fingerprint: a replayed insert is then recognised (duplicate key) and counted as written, and `update`/`replace`/`upsert` find the document by it."),
        SettingSpec("filter", .hash, default: .object(FieldMap()),
                    doc: "How `update`, `replace` and `upsert` find the document, e.g. `{ \"key\" => \"%{id}\" }` (values may use sprintf); default `{ \"_id\" => document_id }`."),
        SettingSpec("write_concern", .string, default: "1",
                    doc: "Acknowledgement a write needs: a number of nodes (`1`, `2`, ...) or `majority`. `0` is refused: an event counts as written only when acknowledged."),
        SettingSpec("retry_delay", .duration, default: 3,
                    doc: "Wait after a failed write before the host retries it (the host's backoff comes on top)."),
    ]

    enum Action: String { case insert, update, upsert, replace }

    let uriText: String
    let uri: MongoURI
    let database: String
    let collection: Template
    let chunkSize: Int
    let encoder: BSONEncoder
    let generateId: Bool
    let action: Action
    let documentId: Template?
    let filter: [(key: String, value: Value)]
    let writeConcern: WriteConcern
    let retryDelay: Duration
    let logger: Logger
    private let pool = Mutex<MongoClientPool?>(nil)

    public init(settings: PluginSettings, context: PluginContext) throws {
        uriText = try settings.declaredString("uri")
        do {
            uri = try MongoURI(uriText, defaultSelectionTimeoutMS: 5000)
        } catch {
            throw settings.error("uri", error.message)
        }
        database = try settings.declaredString("database")
        guard let collection = settings.template("collection") else { throw settings.error("collection", "is required") }
        self.collection = collection
        let bulkSize = try settings.declaredInt("bulk_size")
        guard bulkSize >= 1, bulkSize <= 100_000 else { throw settings.error("bulk_size", "must be between 1 and 100000") }
        chunkSize = try settings.declaredBool("bulk") ? bulkSize : 1
        encoder = BSONEncoder(isodate: try settings.declaredBool("isodate"))
        generateId = try settings.declaredBool("generateId")
        action = Action(rawValue: try settings.declaredString("action")) ?? .insert
        documentId = settings.template("document_id")
        filter = settings.hash("filter").map { ($0.key, $0.value) }
        if action != .insert, filter.isEmpty, documentId == nil {
            throw settings.error("action", "`\(action.rawValue)` needs `document_id` or `filter` to find the document")
        }
        let w = try settings.declaredString("write_concern")
        guard w == "majority" || (Int(w).map { $0 >= 1 } ?? false) else {
            throw settings.error("write_concern", "must be a number of nodes of at least 1, or `majority`")
        }
        writeConcern = WriteConcern(w: w)
        retryDelay = .milliseconds(Int64(max(0, try settings.declaredDouble("retry_delay")) * 1000))
        logger = context.logger
        MongoC.routeLogs(to: logger, secrets: uri.secrets)
    }

    public func start() async throws {
        let made: MongoClientPool
        if let existing = pool.withLock({ $0 }) {
            made = existing
        } else {
            made = try MongoClientPool(uri: uri)
            pool.withLock { $0 = made }
        }
        // A server that is down now may be up soon: retriable. Refused credentials are not.
        if let failure = await Blocking.run({ made.ping() }) {
            let auth = MongoErrors.isAuthentication(failure)
            throw PluginError("mongodb: cannot reach the server: \(failure.message)", retriable: !auth,
                              code: auth ? .authentication : .connection)
        }
    }

    public func close() async throws {
        // The pool's monitor threads stop when its last reference goes.
        let last = pool.withLock { p in defer { p = nil }; return p }
        if let last { await Blocking.run { withExtendedLifetime(last) {} } }
    }

    public func write(_ events: [Event]) async throws -> WriteOutcome {
        guard let pool = pool.withLock({ $0 }) else { throw PluginError("the output was not started", retriable: true) }
        // Events by collection, in order; one bulk write per collection and chunk.
        var groups: [String: [Int]] = [:]
        var order: [String] = []
        for (i, event) in events.enumerated() {
            let name = collection.render(event)
            if groups[name] == nil { order.append(name) }
            groups[name, default: []].append(i)
        }
        var outcome = WriteOutcome()
        // Bulks that failed as a whole: when every bulk did, the error is thrown (the host
        // logs and retries it); otherwise only their events are retried or dead-lettered, so
        // the bulks that succeeded are not written twice.
        var failures: [(chunk: [Int], error: PluginError)] = []
        var bulks = 0
        for name in order {
            guard let indices = groups[name] else { continue }
            var start = 0
            while start < indices.count {
                let chunk = Array(indices[start..<min(start + chunkSize, indices.count)])
                start += chunk.count
                bulks += 1
                let operations = chunk.map { operation(for: events[$0]) }
                let (db, concern) = (database, writeConcern)
                let reply = await Blocking.run { pool.bulkWrite(database: db, collection: name, operations, writeConcern: concern) }
                if let error = examine(reply, chunk: chunk, collection: name, into: &outcome) { failures.append((chunk, error)) }
            }
        }
        if let first = failures.first, failures.count == bulks {
            if first.error.retriable { try await Task.sleep(for: retryDelay) }
            throw first.error
        }
        for (chunk, error) in failures {
            for i in chunk {
                if error.retriable { outcome.retry.append((i, error.message)) } else { outcome.rejected.append((i, error.message)) }
            }
        }
        if !outcome.retry.isEmpty { try await Task.sleep(for: retryDelay) }
        return outcome
    }

    /// The bulk operation that writes `event` as `action` asks.
    func operation(for event: Event) -> BulkOperation {
        let id: BSONEncoder.BSONValue? = documentId.map { .value(.string($0.render(event))) }
            ?? (generateId ? .newObjectId : nil)
        switch action {
        case .insert:
            return .insert(encoder.document(for: event, id: id))
        case .update:
            return .updateOne(filter: filterDocument(for: event), update: encoder.setDocument(for: event), upsert: false)
        case .replace, .upsert:
            // The replacement carries `_id` = document_id, so that an upsert inserts under that
            // id (MongoDB takes it from the filter anyway; nx-27017 only from the document).
            let replacementId: BSONEncoder.BSONValue? = documentId.map { .value(.string($0.render(event))) }
            return .replaceOne(filter: filterDocument(for: event), replacement: encoder.document(for: event, id: replacementId),
                               upsert: action == .upsert)
        }
    }

    /// `filter` with its string values rendered, or `{_id: document_id}`.
    func filterDocument(for event: Event) -> BSONDocument {
        if filter.isEmpty, let documentId {
            return encoder.document([("_id", .string(documentId.render(event)))])
        }
        return encoder.document(filter.map { entry in
            if case .string(let s) = entry.value { return (entry.key, .string(Template(s).render(event))) }
            return entry
        })
    }

    /// Adds what became of each event of `chunk` to `outcome`; returns the error that failed
    /// the whole bulk, if any (its events are then written again by the host, or dead-lettered).
    func examine(_ reply: BulkReply, chunk: [Int], collection name: String, into outcome: inout WriteOutcome) -> PluginError? {
        let place = "\(database).\(name)"
        if let f = reply.failure {
            let message = "mongodb: bulk write to \(place) failed: \(f.message)"
            if MongoErrors.isRetriable(f) || MongoErrors.isAuthentication(f) {
                return PluginError(message, retriable: true, code: MongoErrors.isAuthentication(f) ? .authentication : .connection)
            }
            return PluginError(message, retriable: false, code: .rejected)
        }
        // (A bulk that failed as a whole is written again, its refused operations too: they are
        // refused again then, and rejected.)
        for refused in reply.refused {
            outcome.rejected.append((chunk[refused.index], "mongodb: \(place): refused by libmongoc: \(uri.redact(refused.message))"))
        }
        var failed = Set<Int>()
        for e in reply.writeErrors {
            failed.insert(e.index)
            let reason = "mongodb: \(place): error \(e.code): \(uri.redact(e.message))"
            if MongoErrors.isDuplicateId(e), action == .insert {
                continue  // a replay: the document is there already
            } else if MongoErrors.retriableCodes.contains(e.code) || MongoErrors.isDuplicateId(e) {
                // A duplicate _id on upsert/replace is two writers racing for one id: again.
                outcome.retry.append((chunk[e.index], reason))
            } else {
                outcome.rejected.append((chunk[e.index], reason))
            }
        }
        // Written but not confirmed as asked: write again what had no error of its own.
        if let wce = reply.writeConcernErrors.first {
            let refused = Set(reply.refused.map(\.index))
            for i in chunk.indices where !failed.contains(i) && !refused.contains(i) {
                outcome.retry.append((chunk[i], "mongodb: \(place): write concern error \(wce.code): \(wce.message)"))
            }
        }
        return nil
    }
}
