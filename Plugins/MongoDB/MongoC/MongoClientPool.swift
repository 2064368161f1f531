import CMongoC
import SluiceCore

/// One write of a bulk: what libmongoc's bulk API takes.
enum BulkOperation: @unchecked Sendable {
    case insert(BSONDocument)
    case replaceOne(filter: BSONDocument, replacement: BSONDocument, upsert: Bool)
    case updateOne(filter: BSONDocument, update: BSONDocument, upsert: Bool)
}

/// The write concern of every bulk: `w` (a number of nodes, or "majority"), `j`, `wtimeout`.
struct WriteConcern: Sendable {
    var w: String
    var journal: Bool?
    var timeoutMS: Int64?
}

/// What libmongoc said about one bulk write.
struct BulkReply: Sendable {
    struct ItemError: Sendable {
        var index: Int
        var code: Int
        var message: String
        /// The unique index a duplicate key broke (`{"_id": 1}`), when the server says.
        var keyPattern: [String]?
    }
    /// Operations libmongoc refused before sending (keys it does not allow, too large).
    var refused: [(index: Int, message: String)] = []
    /// Per-operation errors from the server; `index` is the operation's index in the request.
    var writeErrors: [ItemError] = []
    /// The writes happened but were not confirmed as the write concern asked.
    var writeConcernErrors: [(code: Int, message: String)] = []
    /// The bulk as a whole failed (no per-item errors): network, server selection, command.
    var failure: BulkFailure?
}

struct BulkFailure: Error, Sendable {
    var domain: UInt32
    var code: UInt32
    var message: String
    var labels: [String]
}

/// Owns a `mongoc_client_pool_t` (thread-safe, it monitors the servers in the background)
/// for one uri. Every call here blocks: run them through `Blocking.run`, never on the
/// cooperative pool.
final class MongoClientPool: @unchecked Sendable {
    private let pool: OpaquePointer
    let uri: MongoURI

    init(uri: MongoURI) throws(PluginError) {
        self.uri = uri
        var error = bson_error_t()
        guard let pool = mongoc_client_pool_new_with_error(uri.pointer, &error) else {
            throw PluginError("cannot create the client pool: \(uri.redact(error.text))", retriable: false)
        }
        self.pool = pool
        // Server errors as MONGOC_ERROR_SERVER with the server's own code.
        mongoc_client_pool_set_error_api(pool, MONGOC_ERROR_API_VERSION_2)
        mongoc_client_pool_set_appname(pool, "sluice")
    }

    deinit { mongoc_client_pool_destroy(pool) }

    /// Runs `ping` on `admin`: selects a server (waiting up to serverSelectionTimeoutMS) and
    /// authenticates. Nil when the server answered.
    func ping() -> BulkFailure? {
        withClient(orElse: MongoClientPool.noClient) { client in
            let command = BSONDocument()
            bson_append_int32(command.pointer, "ping", 4, 1)
            let reply = BSONStorage()
            var error = bson_error_t()
            let ok = mongoc_client_command_simple(client, "admin", command.pointer, nil, reply.pointer, &error)
            defer { bson_destroy(reply.pointer) }
            return ok ? nil : BulkFailure(domain: error.domain, code: error.code, message: uri.redact(error.text), labels: [])
        }
    }

    /// Sends `operations` to `database.collection` as one unordered bulk write.
    func bulkWrite(database: String, collection: String, _ operations: [BulkOperation], writeConcern: WriteConcern) -> BulkReply {
        withClient(orElse: BulkReply(failure: MongoClientPool.noClient)) { client in
            guard let coll = mongoc_client_get_collection(client, database, collection) else {
                return BulkReply(failure: BulkFailure(domain: 0, code: 0, message: "no collection \(database).\(collection)", labels: []))
            }
            defer { mongoc_collection_destroy(coll) }
            let opts = BSONDocument()
            bson_append_bool(opts.pointer, "ordered", 7, false)
            let wc = mongoc_write_concern_new()
            defer { mongoc_write_concern_destroy(wc) }
            if writeConcern.w == "majority" {
                mongoc_write_concern_set_w(wc, MONGOC_WRITE_CONCERN_W_MAJORITY)
            } else {
                mongoc_write_concern_set_w(wc, Int32(writeConcern.w) ?? 1)
            }
            if let j = writeConcern.journal { mongoc_write_concern_set_journal(wc, j) }
            if let t = writeConcern.timeoutMS { mongoc_write_concern_set_wtimeout_int64(wc, t) }
            mongoc_write_concern_append(wc, opts.pointer)
            guard let bulk = mongoc_collection_create_bulk_operation_with_opts(coll, opts.pointer) else {
                return BulkReply(failure: BulkFailure(domain: 0, code: 0, message: "cannot create a bulk operation", labels: []))
            }
            defer { mongoc_bulk_operation_destroy(bulk) }

            var reply = BulkReply()
            // sent[i] is the request index of the i-th operation libmongoc took.
            var sent: [Int] = []
            sent.reserveCapacity(operations.count)
            let upsertOpts = BSONDocument()
            bson_append_bool(upsertOpts.pointer, "upsert", 6, true)
            for (i, op) in operations.enumerated() {
                var error = bson_error_t()
                let ok: Bool
                switch op {
                case .insert(let doc):
                    ok = mongoc_bulk_operation_insert_with_opts(bulk, doc.pointer, nil, &error)
                case .replaceOne(let filter, let doc, let upsert):
                    ok = mongoc_bulk_operation_replace_one_with_opts(bulk, filter.pointer, doc.pointer, upsert ? upsertOpts.pointer : nil, &error)
                case .updateOne(let filter, let update, let upsert):
                    ok = mongoc_bulk_operation_update_one_with_opts(bulk, filter.pointer, update.pointer, upsert ? upsertOpts.pointer : nil, &error)
                }
                if ok { sent.append(i) } else { reply.refused.append((i, error.text)) }
            }
            guard !sent.isEmpty else { return reply }

            let replyStorage = BSONStorage()
            var error = bson_error_t()
            let ok = mongoc_bulk_operation_execute(bulk, replyStorage.pointer, &error) != 0
            defer { bson_destroy(replyStorage.pointer) }
            let json = bson_as_relaxed_extended_json(replyStorage.pointer, nil)
            defer { bson_free(json) }
            let parsed = json.flatMap { try? JSON.decode(String(cString: $0)) }?.objectValue ?? FieldMap()
            for item in parsed["writeErrors"]?.arrayValue ?? [] {
                guard let e = item.objectValue, let index = e["index"].flatMap(MongoClientPool.int), sent.indices.contains(index) else { continue }
                reply.writeErrors.append(BulkReply.ItemError(
                    index: sent[index], code: e["code"].flatMap(MongoClientPool.int) ?? 0,
                    message: e["errmsg"]?.stringValue ?? "", keyPattern: e["keyPattern"]?.objectValue?.keys))
            }
            for item in parsed["writeConcernErrors"]?.arrayValue ?? [] {
                guard let e = item.objectValue else { continue }
                reply.writeConcernErrors.append((e["code"].flatMap(MongoClientPool.int) ?? 0, e["errmsg"]?.stringValue ?? ""))
            }
            if !ok, reply.writeErrors.isEmpty, reply.writeConcernErrors.isEmpty {
                let labels = (parsed["errorLabels"]?.arrayValue ?? []).compactMap(\.stringValue)
                reply.failure = BulkFailure(domain: error.domain, code: error.code, message: uri.redact(error.text), labels: labels)
            }
            return reply
        }
    }

    /// Runs `body` with a client of the pool; `orElse` when libmongoc could not make one.
    private func withClient<T>(orElse: T, _ body: (OpaquePointer) -> T) -> T {
        // pop waits while maxPoolSize clients are in use.
        guard let client = mongoc_client_pool_pop(pool) else { return orElse }
        defer { mongoc_client_pool_push(pool, client) }
        return body(client)
    }

    private static let noClient = BulkFailure(domain: UInt32(MONGOC_ERROR_POOL.rawValue), code: 0,
                                              message: "libmongoc could not make a client", labels: [])

    private static func int(_ v: Value) -> Int? {
        switch v {
        case .int(let i): return Int(i)
        case .double(let d): return d.isFinite ? Int(exactly: d.rounded()) : nil
        default: return nil
        }
    }
}
