import SluiceCore
import SluiceHTTP
import Synchronization

/// What the output makes sure of before it writes: its composable index template
/// (`manage_template`, `template`, `template_name`, `template_overwrite`) and the
/// `index_settings`/`index_mappings` of the indices it writes.
///
/// `index_settings` and `index_mappings` reach an index two ways, so that they hold whether
/// the index exists yet or not (the seed's daily `twitter-%{+YYYYMMdd}` index was already full
/// when its authors raised the limit by hand):
/// - the managed template carries them, so every index Elasticsearch creates from the index
///   pattern (tomorrow's, or one created by another writer) gets them;
/// - before the first write to an index name, the output creates that index with them
///   (`PUT /<index>`); if it exists already, it applies the settings to it
///   (`PUT /<index>/_settings`, dynamic settings only — the shard count is fixed at creation)
///   and the mappings (`PUT /<index>/_mapping`: new fields and `dynamic`; a field whose type
///   would change is refused by Elasticsearch, and a warning says so).
final class IndexSetup: Sendable {
    let client: ElasticsearchClient
    let indexSettings: FieldMap
    let indexMappings: FieldMap
    let logger: Logger
    /// Index names prepared (or being prepared) by this process.
    private let prepared = Mutex<[String: Task<Void, any Error>]>([:])

    init(client: ElasticsearchClient, indexSettings: FieldMap, indexMappings: FieldMap, logger: Logger) {
        self.client = client
        self.indexSettings = indexSettings
        self.indexMappings = indexMappings
        self.logger = logger
    }

    var hasIndexOptions: Bool { !indexSettings.isEmpty || !indexMappings.isEmpty }

    // MARK: Template

    /// The index pattern a template needs for the indices `index` renders: each sprintf part
    /// becomes `*` (`twitter-%{+YYYYMMdd}` -> `twitter-*`).
    static func pattern(for index: String) -> String {
        var out = "", rest = Substring(index)
        while let open = rest.firstRange(of: "%{") {
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else { break }
            if !out.hasSuffix("*") { out += "*" }
            rest = rest[rest.index(after: close)...]
        }
        return out + rest
    }

    /// The template's body: `file` (a composable template, or a legacy one with top-level
    /// `settings`/`mappings`) or a small default, with `index_patterns` filled in when missing
    /// and `index_settings`/`index_mappings` merged into `template`.
    func templateBody(file: [UInt8]?, pattern: String) throws(PluginError) -> FieldMap {
        var body = FieldMap()
        if let file {
            guard case .object(let o)? = try? JSON.decode(file) else {
                throw PluginError("elasticsearch: `template` is not a JSON object", retriable: false)
            }
            body = o
        } else {
            body.set("priority", .int(200))
        }
        if body["index_patterns"] == nil { body.set("index_patterns", .array([.string(pattern)])) }
        var inner = body["template"]?.objectValue ?? FieldMap()
        for legacy in ["settings", "mappings", "aliases"] {
            if let v = body.removeValue(forKey: legacy) { inner.set(legacy, v) }
        }
        body.removeValue(forKey: "order")
        body.removeValue(forKey: "template")
        if file == nil {
            let defaults: Value = ["properties": ["@timestamp": ["type": "date"], "@version": ["type": "keyword"]]]
            inner.set("mappings", .object(Self.merge(defaults.objectValue ?? FieldMap(), inner["mappings"]?.objectValue ?? FieldMap())))
        }
        if !indexSettings.isEmpty {
            inner.set("settings", .object(Self.merge(inner["settings"]?.objectValue ?? FieldMap(), indexSettings)))
        }
        if !indexMappings.isEmpty {
            inner.set("mappings", .object(Self.merge(inner["mappings"]?.objectValue ?? FieldMap(), indexMappings)))
        }
        body.set("template", .object(inner))
        return body
    }

    /// Puts the template unless it exists and `overwrite` is false. A refusal (a bad template,
    /// a conflicting one) is logged and the output goes on, as Logstash's does; an unreachable
    /// cluster is a retriable start failure.
    func installTemplate(name: String, body: FieldMap, overwrite: Bool) async throws(PluginError) {
        let path = "/_index_template/" + Self.escape(name)
        do {
            if !overwrite {
                let head = try await client.send(.head, path)
                if head.status == 200 {
                    logger.info("elasticsearch: index template [\(name)] exists; left as it is (`template_overwrite => true` replaces it)")
                    return
                }
            }
            let r = try await client.send(.put, path, body: JSON.encode(.object(body)))
            if (200..<300).contains(r.status) {
                logger.info("elasticsearch: installed index template [\(name)] for \(body["index_patterns"].map(\.renderedString) ?? "")")
            } else if r.status == 429 || r.status >= 500 {
                throw ClientFailure(description: "elasticsearch: index template [\(name)]: HTTP \(r.status) \(BulkResponse.requestError(r.body))")
            } else {
                logger.error("elasticsearch: index template [\(name)] refused: HTTP \(r.status) \(BulkResponse.requestError(r.body))")
            }
        } catch {
            throw PluginError("\(error)", retriable: true, code: .connection)
        }
    }

    // MARK: Indices

    /// Makes sure each index in `names` got `index_settings`/`index_mappings`, once per
    /// process; concurrent writers wait for the same preparation. Throws when the cluster
    /// could not be asked (the batch is retried).
    func prepare(_ names: Set<String>) async throws {
        guard hasIndexOptions else { return }
        var tasks: [(String, Task<Void, any Error>)] = []
        prepared.withLock { all in
            for name in names {
                if let t = all[name] { tasks.append((name, t)); continue }
                let t = Task { try await self.ensure(name) }
                all[name] = t
                tasks.append((name, t))
            }
        }
        for (name, task) in tasks {
            do {
                try await task.value
            } catch {
                prepared.withLock { all in _ = all.removeValue(forKey: name) }
                throw error
            }
        }
    }

    private func ensure(_ name: String) async throws(ClientFailure) {
        var body = FieldMap()
        if !indexSettings.isEmpty { body.set("settings", .object(indexSettings)) }
        if !indexMappings.isEmpty { body.set("mappings", .object(indexMappings)) }
        let created = try await client.send(.put, "/" + Self.escape(name), body: JSON.encode(.object(body)))
        if (200..<300).contains(created.status) {
            logger.info("elasticsearch: created index [\(name)] with index_settings/index_mappings")
            return
        }
        try Self.throwIfTransient(created, "creating index [\(name)]")
        let error = BulkResponse.requestError(created.body)
        guard error.hasPrefix("resource_already_exists_exception") else {
            // An invalid name, say: the documents' own errors will say so, item by item.
            logger.warning("elasticsearch: could not create index [\(name)]: HTTP \(created.status) \(error)")
            return
        }
        let dynamic = Self.dynamicSettings(indexSettings)
        if !dynamic.isEmpty { try await update(name, "_settings", dynamic, option: "index_settings") }
        // A field's type cannot change in place: such a mapping reaches new indices only.
        if !indexMappings.isEmpty { try await update(name, "_mapping", indexMappings, option: "index_mappings") }
    }

    /// PUTs `body` to an existing index's `api` (`_settings`, `_mapping`) and logs whether
    /// Elasticsearch took it; a refusal is only warned about (indices created later get it).
    private func update(_ name: String, _ api: String, _ body: FieldMap, option: String) async throws(ClientFailure) {
        let r = try await client.send(.put, "/" + Self.escape(name) + "/" + api, body: JSON.encode(.object(body)))
        try Self.throwIfTransient(r, "applying \(option) to index [\(name)]")
        if (200..<300).contains(r.status) {
            logger.info("elasticsearch: applied \(option) to existing index [\(name)]")
        } else {
            logger.warning("elasticsearch: \(option) not applied to existing index [\(name)]: HTTP \(r.status) \(BulkResponse.requestError(r.body)); they reach the indices created from now on")
        }
    }

    private static func throwIfTransient(_ r: HTTPResponse, _ what: String) throws(ClientFailure) {
        if r.status == 429 || r.status >= 500 {
            throw ClientFailure(description: "elasticsearch: \(what): HTTP \(r.status) \(BulkResponse.requestError(r.body))")
        }
    }

    /// Settings without the static ones, which an existing index refuses to change.
    static func dynamicSettings(_ settings: FieldMap) -> FieldMap {
        let fixed: Set<String> = ["number_of_shards", "number_of_routing_shards", "codec", "routing_partition_size"]
        var out = FieldMap()
        for (key, value) in settings {
            let bare = key.hasPrefix("index.") ? String(key.dropFirst(6)) : key
            if fixed.contains(bare) { continue }
            if key == "index", case .object(let nested) = value {
                let kept = dynamicSettings(nested)
                if !kept.isEmpty { out.set(key, .object(kept)) }
                continue
            }
            out.set(key, value)
        }
        return out
    }

    /// Deep merge: objects merge key by key, anything else in `over` wins.
    static func merge(_ base: FieldMap, _ over: FieldMap) -> FieldMap {
        var out = base
        for (key, value) in over {
            if case .object(let o) = value, case .object(let b)? = out[key] {
                out.set(key, .object(merge(b, o)))
            } else {
                out.set(key, value)
            }
        }
        return out
    }

    /// Percent-encodes a path segment (index and template names).
    static func escape(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                 UInt8(ascii: "~"), UInt8(ascii: "+"):
                out.append(Character(UnicodeScalar(b)))
            default:
                let hex = Array("0123456789ABCDEF")
                out += "%" + String(hex[Int(b >> 4)]) + String(hex[Int(b & 15)])
            }
        }
        return out
    }
}
