import SluiceCore

/// What became of one bulk item.
enum ItemResult: Sendable, Equatable {
    case delivered
    /// 429 or 5xx for this item: send it again later.
    case retry(String)
    /// Sending it again cannot help: the dead-letter queue, with the reason.
    case reject(String)
}

/// Reads a bulk response item by item (Elasticsearch reference, "Bulk API", response body):
/// every item has a `status`, a failed one an `error` with `type` and `reason`. The HTTP status
/// of the response says nothing about the items (it is 200 when all of them failed), and
/// `errors: true` says only that one did, so each item is judged on its own.
enum BulkResponse {
    /// The query asking Elasticsearch to return only what is read here (Logstash sends the same).
    static let filterPath = "filter_path=errors,items.*.error,items.*.status"

    /// Per-item results of a 2xx bulk response, in the chunk's order; nil when the body is not
    /// a bulk response for these items (then the whole chunk is retried).
    static func results(_ body: [UInt8], for items: [BulkItem]) -> [ItemResult]? {
        guard case .object(let root)? = try? JSON.decode(body), case .array(let entries)? = root["items"],
              entries.count == items.count else { return nil }
        var out: [ItemResult] = []
        out.reserveCapacity(items.count)
        for (entry, item) in zip(entries, items) {
            // Each entry is `{ACTION: {...}}`; take its only value.
            guard case .object(let wrapper) = entry, wrapper.count == 1, let inner = wrapper.value(at: 0).objectValue,
                  let status = inner["status"].flatMap({ Int($0.renderedString) }) else { return nil }
            out.append(classify(status: status, error: inner["error"]?.objectValue, item: item))
        }
        return out
    }

    /// One item's outcome from its status and error.
    static func classify(status: Int, error: FieldMap?, item: BulkItem) -> ItemResult {
        if (200..<300).contains(status) { return .delivered }
        // A delete of a missing document answers 404 `not_found` without an error: done.
        if status == 404 && error == nil && item.action == .delete { return .delivered }
        // `create` of an id that exists: an earlier attempt (or another writer) stored it.
        if status == 409 && item.action == .create { return .delivered }
        // An external version at or below the stored one: the index holds this event's
        // version or a newer one, so this write has nothing left to do (Logstash skips it too).
        if status == 409 && item.externalVersion { return .delivered }
        let text = describe(status: status, error: error, item: item)
        if status == 429 || status >= 500 { return .retry(text) }
        return .reject(text)
    }

    /// "HTTP 400 document_parsing_exception: reason (index [x], id [y])", with the field-limit advice.
    static func describe(status: Int, error: FieldMap?, item: BulkItem) -> String {
        let type = error?["type"]?.stringValue ?? "error"
        let reason = error?["reason"]?.stringValue ?? ""
        let cause = error?["caused_by"]?.objectValue?["reason"]?.stringValue
        var text = "elasticsearch: HTTP \(status) \(type): \(reason)"
        if let cause, !reason.contains(cause) { text += " (caused by: \(cause))" }
        text += " (index [\(item.index)]" + (item.id.map { ", id [\($0)]" } ?? "") + ")"
        if let limit = fieldLimit(reason) ?? cause.flatMap(fieldLimit) {
            text += "; " + FieldLimit.advice(index: item.index, limit: limit)
        }
        return text
    }

    /// The limit in "Limit of total fields [1000] has been exceeded ..." (Elasticsearch's
    /// MappingLookup.checkFieldLimit wording), or nil when `reason` is another error.
    static func fieldLimit(_ reason: String) -> Int? {
        guard let r = reason.firstRange(of: "Limit of total fields ["),
              reason[r.upperBound...].contains("has been exceeded") else { return nil }
        return Int(reason[r.upperBound...].prefix { $0.isNumber })
    }

    /// The error of a whole request that was refused (`{"error": {...}, "status": N}`), for messages.
    static func requestError(_ body: [UInt8]) -> String {
        if case .object(let root)? = try? JSON.decode(body), let e = root["error"] {
            if let o = e.objectValue {
                return "\(o["type"]?.stringValue ?? "error"): \(o["reason"]?.stringValue ?? "")"
            }
            return e.renderedString
        }
        return String(decoding: body.prefix(512), as: UTF8.self)
    }
}

/// The field-limit failure of the seed deployment ("Limit of total fields [1000] in index
/// twitter-20210803 has been exceeded"), explained where the user looks: what limit, which
/// index, and the setting of this output that raises it.
enum FieldLimit {
    static let setting = "index.mapping.total_fields.limit"

    static func advice(index: String, limit: Int) -> String {
        "index [\(index)] allows \(limit) fields (\(setting)); raise it for the indices this output writes with "
            + "`index_settings => { \"\(setting)\" => \(max(limit * 5, 2000)) }`"
    }
}
