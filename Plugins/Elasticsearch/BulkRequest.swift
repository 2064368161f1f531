import SluiceCore
import Synchronization

/// The bulk API's actions (Elasticsearch reference, "Bulk API").
enum BulkAction: String, CaseIterable, Sendable {
    case index, create, update, delete
}

/// One event's entry in a bulk body.
struct BulkItem: Sendable {
    /// Position of the event in the batch handed to `write`.
    var event: Int
    var action: BulkAction
    var index: String
    var id: String?
    /// Its lines in the chunk's body.
    var lines: Range<Int> = 0..<0
    /// Sent with an external `version`: a 409 then means a newer version is stored.
    var externalVersion = false
}

/// A bulk request body (NDJSON) and the events it carries, in the order of its items.
struct BulkChunk: Sendable {
    var body: [UInt8]
    var items: [BulkItem]

    /// The first and the second half of the items, each with its own body (for a cluster that
    /// refused this body as too large). Two or more items only.
    func halves() -> (BulkChunk, BulkChunk) {
        let middle = items.count / 2
        func chunk(_ part: ArraySlice<BulkItem>) -> BulkChunk {
            var c = BulkChunk(body: [], items: [])
            for var item in part {
                let start = c.body.count
                c.body += body[item.lines]
                item.lines = start..<c.body.count
                c.items.append(item)
            }
            return c
        }
        return (chunk(items[..<middle]), chunk(items[middle...]))
    }
}

/// Turns events into bulk bodies: an action line (`_index`, `_id`, `routing`, `pipeline`,
/// `retry_on_conflict`) and, except for `delete`, a source line per event. Bodies are cut at
/// `maxEvents` items or `maxBytes` bytes, whichever comes first (an event larger than
/// `maxBytes` goes alone).
struct BulkEncoder: Sendable {
    let index: Template
    let documentId: Template?
    let action: Template
    let routing: Template?
    let pipeline: Template?
    let docAsUpsert: Bool
    /// `upsert`: the JSON document an update creates when none exists.
    var upsert: [UInt8]? = nil
    /// `version` (sprintf, a whole number) and `version_type`, sent as Logstash sends them.
    var version: Template? = nil
    var versionType: String? = nil
    let retryOnConflict: Int
    let maxEvents: Int
    let maxBytes: Int

    /// Where an event keeps the id this output generated for it, so that every retry of the
    /// event sends the same `_id` (and overwrites instead of adding a document).
    static let generatedIdField = FieldReference(path: [Event.metadataKey, "_sluice_es_id"])

    /// Gives every event that will be indexed without a `document_id` an id of its own,
    /// unless an earlier attempt gave it one.
    func assignIds(_ events: inout [Event], _ ids: IdGenerator) {
        guard documentId == nil else { return }
        for i in events.indices where events[i][Self.generatedIdField] == nil {
            let act = action.render(events[i])
            guard act == "index" || act == "create" else { continue }
            events[i].set(Self.generatedIdField, .string(ids.next()))
        }
    }

    /// The bulk bodies for `events`, cut at `bodyLimit` bytes when given (a limit learnt from
    /// the cluster) or `maxBytes`, and the events that cannot be sent with why.
    func encode(_ events: [Event], bodyLimit: Int? = nil) -> (chunks: [BulkChunk], rejected: [(index: Int, reason: String)]) {
        let maxBytes = min(maxBytes, bodyLimit ?? maxBytes)
        var chunks: [BulkChunk] = []
        var rejected: [(index: Int, reason: String)] = []
        var body: [UInt8] = []
        var items: [BulkItem] = []
        var line: [UInt8] = []
        body.reserveCapacity(min(maxBytes, 64 * 1024))
        for (i, event) in events.enumerated() {
            let actionText = action.render(event)
            guard let act = BulkAction(rawValue: actionText) else {
                rejected.append((i, "elasticsearch: unknown action `\(actionText)` (expected index, create, update or delete)"))
                continue
            }
            let indexName = index.render(event)
            var id = documentId.map { $0.render(event) }
            if id == nil, case .string(let generated)? = event[Self.generatedIdField] { id = generated }
            if id == nil || id?.isEmpty == true {
                if act == .update || act == .delete {
                    rejected.append((i, "elasticsearch: action `\(act.rawValue)` needs a `document_id`"))
                    continue
                }
                id = nil
            }
            var versionNumber: Int64?
            if let version {
                let text = version.render(event)
                guard let n = Int64(text), n >= 0 else {
                    rejected.append((i, "elasticsearch: `version` must render a whole number, got `\(text)`"))
                    continue
                }
                versionNumber = n
            }
            line.removeAll(keepingCapacity: true)
            encodeItem(act, indexName, id, versionNumber, event, into: &line)
            if !items.isEmpty && (items.count >= maxEvents || body.count + line.count > maxBytes) {
                chunks.append(BulkChunk(body: body, items: items))
                body = []
                items = []
            }
            let start = body.count
            body += line
            let external = versionNumber != nil && (versionType?.hasPrefix("external") ?? false)
            items.append(BulkItem(event: i, action: act, index: indexName, id: id, lines: start..<body.count,
                                  externalVersion: external))
        }
        if !items.isEmpty { chunks.append(BulkChunk(body: body, items: items)) }
        return (chunks, rejected)
    }

    private func encodeItem(_ act: BulkAction, _ indexName: String, _ id: String?, _ version: Int64?, _ event: Event,
                            into out: inout [UInt8]) {
        out += "{\"\(act.rawValue)\":{\"_index\":".utf8
        JSON.appendString(indexName, into: &out)
        if let id {
            out += ",\"_id\":".utf8
            JSON.appendString(id, into: &out)
        }
        if let r = routing?.render(event), !r.isEmpty {
            out += ",\"routing\":".utf8
            JSON.appendString(r, into: &out)
        }
        if act != .delete, let p = pipeline?.render(event), !p.isEmpty {
            out += ",\"pipeline\":".utf8
            JSON.appendString(p, into: &out)
        }
        if act == .update && retryOnConflict > 0 {
            out += ",\"retry_on_conflict\":\(retryOnConflict)".utf8
        }
        if let version { out += ",\"version\":\(version)".utf8 }
        if let versionType {
            out += ",\"version_type\":".utf8
            JSON.appendString(versionType, into: &out)
        }
        out += "}}\n".utf8
        switch act {
        case .delete:
            return
        case .update:
            out += "{\"doc\":".utf8
            JSON.encode(event: event, into: &out)
            if docAsUpsert {
                out += ",\"doc_as_upsert\":true".utf8
            } else if let upsert {
                out += ",\"upsert\":".utf8
                out += upsert
            }
            out += "}\n".utf8
        case .index, .create:
            JSON.encode(event: event, into: &out)
            out.append(UInt8(ascii: "\n"))
        }
    }
}

/// Document ids for events that have none: 20 URL-safe base64 characters (as long as
/// Elasticsearch's own), a random per-process prefix then a counter, so ids are unique without
/// a random draw per event and sort roughly in creation order.
final class IdGenerator: Sendable {
    private let prefix: [UInt8]
    private let counter = Atomic<UInt64>(0)
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    init() {
        var g = SystemRandomNumberGenerator()
        prefix = (0..<9).map { _ in UInt8.random(in: 0...255, using: &g) }
    }

    func next() -> String {
        let n = counter.add(1, ordering: .relaxed).newValue
        var bytes = prefix
        for shift in stride(from: 40, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: n >> UInt64(shift))) }
        var out: [UInt8] = []
        out.reserveCapacity(20)
        var i = 0
        while i < 15 {
            let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            for s in stride(from: 18, through: 0, by: -6) { out.append(Self.alphabet[Int(v >> UInt32(s) & 63)]) }
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
