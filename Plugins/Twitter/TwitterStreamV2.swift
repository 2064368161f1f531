import SluiceCore
import SluiceHTTP

/// The v2 streams (App-only bearer token): the filtered stream `GET /2/tweets/search/stream`
/// with its rules, or the volume stream `GET /2/tweets/sample/stream`.
///
/// Rules are owned by tag: this input tags the rules it adds with its own tag, and at start
/// adds the wanted ones that are missing, deletes the ones carrying its tag that it no longer
/// wants, and leaves every other rule of the app alone ("POST /2/tweets/search/stream/rules").
/// New rules are checked with `dry_run=true` first, so an invalid one stops the pipeline with
/// Twitter's reason before anything changes.
struct TwitterStreamV2: Sendable {
    /// Twitter's longest rule for the Essential/Basic levels ("Build a rule"); Pro allows 1024,
    /// Enterprise 2048 (`max_rule_length`).
    static let defaultMaxRuleLength = 512

    let baseURL: String
    let bearerToken: String
    let sample: Bool
    let rules: [String]
    let tag: String
    /// `expansions`, `tweet.fields`, ... as query parameters.
    let query: [(String, String)]

    var streamURL: String {
        let path = sample ? "/2/tweets/sample/stream" : "/2/tweets/search/stream"
        let q = query.filter { !$0.1.isEmpty }.map { "\($0.0)=\(OAuth1Signer.encode($0.1))" }.joined(separator: "&")
        return baseURL + path + (q.isEmpty ? "" : "?" + q)
    }

    var rulesURL: String { baseURL + "/2/tweets/search/stream/rules" }

    /// The stream request; `backfillMinutes` (1-5) asks for the tweets of that many past
    /// minutes again ("Recovery and redundancy: Backfill", Pro and Enterprise access).
    func streamRequest(stallTimeout: Duration, backfillMinutes: Int = 0) -> HTTPRequest {
        var url = streamURL
        if backfillMinutes > 0 { url += (url.contains("?") ? "&" : "?") + "backfill_minutes=\(backfillMinutes)" }
        return HTTPRequest(url: url, auth: .bearer(bearerToken), stallTimeout: stallTimeout)
    }

    // MARK: rules from the Logstash settings

    /// `keywords`, `follows` (user ids) and `locations` become terms ORed together; each rule is
    /// `(t1 OR t2 ...)` followed by the filters every rule carries: `languages` as `lang:`
    /// and `-is:retweet` for `ignore_retweets`. Terms are packed into as few rules as fit
    /// in `maxLength`. A keyword of several words keeps its meaning (all of them, as
    /// v1.1 `track` matched) and may use v2 operators (`cat has:media`).
    static func rules(keywords: [String], follows: [String], locations: [[Double]], languages: [String],
                      ignoreRetweets: Bool, maxLength: Int = defaultMaxRuleLength) throws(RuleError) -> [String] {
        var terms: [String] = []
        for k in keywords.map({ $0.trimmingWhitespace }) where !k.isEmpty {
            terms.append(k.contains(" ") && !(k.hasPrefix("\"") && k.hasSuffix("\"")) ? "(\(k))" : k)
        }
        terms += follows.map { "from:\($0)" }
        terms += locations.map { box in "bounding_box:[\(box.map(Self.number).joined(separator: " "))]" }
        var filters: [String] = []
        if languages.count == 1 { filters.append("lang:\(languages[0])") }
        if languages.count > 1 { filters.append("(" + languages.map { "lang:\($0)" }.joined(separator: " OR ") + ")") }
        if ignoreRetweets { filters.append("-is:retweet") }
        let suffix = filters.isEmpty ? "" : " " + filters.joined(separator: " ")

        func rule(_ group: [String]) -> String { (group.count == 1 ? group[0] : "(" + group.joined(separator: " OR ") + ")") + suffix }
        var out: [String] = []
        var group: [String] = []
        for term in terms {
            if rule([term]).count > maxLength {
                throw RuleError("rule term `\(term)` with its filters is longer than \(maxLength) characters (`max_rule_length`)")
            }
            if !group.isEmpty, rule(group + [term]).count > maxLength {
                out.append(rule(group))
                group = []
            }
            group.append(term)
        }
        if !group.isEmpty { out.append(rule(group)) }
        return out
    }

    struct RuleError: Error {
        let message: String
        init(_ message: String) { self.message = message }
    }

    private static func number(_ d: Double) -> String {
        d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
    }

    // MARK: sync

    /// A rule of the app, as `GET .../rules` lists it.
    struct Rule: Sendable, Equatable {
        var id: String
        var value: String
        var tag: String?
    }

    /// What a sync did, and the ids of the rules whose tweets this input delivers (its own,
    /// and another owner's rule of the same value it shares).
    struct SyncResult: Sendable, Equatable {
        var added: [Rule] = []
        var deleted: [Rule] = []
        var shared: [Rule] = []
        var deliveringIds: Set<String> = []
    }

    /// Brings the app's rules to what this input wants. Throws a permanent `PluginError`
    /// for an invalid rule or refused credentials, a retriable one for anything transient.
    func syncRules(http: HTTPClient, logger: Logger) async throws -> SyncResult {
        let existing = try await listRules(http)
        let own = existing.filter { $0.tag == tag }
        let wanted = Set(rules)
        let toAdd = rules.filter { value in !own.contains { $0.value == value } }
        let toDelete = own.filter { !wanted.contains($0.value) }
        var result = SyncResult()
        result.deliveringIds = Set(own.filter { wanted.contains($0.value) }.map(\.id))

        if !toAdd.isEmpty { _ = try await add(http, toAdd, dryRun: true) }
        if !toDelete.isEmpty {
            try await delete(http, toDelete.map(\.id))
            result.deleted = toDelete
        }
        if !toAdd.isEmpty {
            let (created, duplicates) = try await add(http, toAdd, dryRun: false)
            result.added = created
            // Another owner's rule with the same value: its tweets are ours too, but it stays theirs.
            result.shared = duplicates.map { d in existing.first { $0.id == d.id } ?? d }
            result.deliveringIds.formUnion(created.map(\.id))
            result.deliveringIds.formUnion(duplicates.map(\.id))
        }
        for r in result.deleted { logger.info("twitter: deleted stream rule \(r.id) `\(r.value)` (tag \(tag)): no longer configured") }
        for r in result.added { logger.info("twitter: added stream rule \(r.id) `\(r.value)` (tag \(tag))") }
        for r in result.shared {
            logger.info("twitter: stream rule `\(r.value)` already exists as \(r.id) with tag \(r.tag ?? "-"): shared, left to its owner")
        }
        return result
    }

    func listRules(_ http: HTTPClient) async throws -> [Rule] {
        let r = try await send(http, HTTPRequest(url: rulesURL, auth: .bearer(bearerToken)), what: "listing stream rules")
        let root = try? JSON.decode(r.body)
        return (root?.objectValue?["data"]?.arrayValue ?? []).compactMap { Self.rule($0) }
    }

    /// Adds `values` (or only validates them with `dryRun`). Returns the created rules and
    /// the existing rules that already had one of the values (`DuplicateRule`).
    func add(_ http: HTTPClient, _ values: [String], dryRun: Bool) async throws -> (created: [Rule], duplicates: [Rule]) {
        var add = [Value]()
        for v in values {
            var o = FieldMap()
            o.set("value", .string(v))
            o.set("tag", .string(tag))
            add.append(.object(o))
        }
        var body = FieldMap()
        body.set("add", .array(add))
        let url = rulesURL + (dryRun ? "?dry_run=true" : "")
        let r = try await send(http, HTTPRequest(method: .post, url: url, headers: ["Content-Type": "application/json"],
                                                 body: JSON.encode(.object(body)), auth: .bearer(bearerToken)),
                               what: dryRun ? "validating stream rules" : "adding stream rules", acceptInvalid: true)
        let root = (try? JSON.decode(r.body))?.objectValue
        var invalid: [String] = []
        var duplicates: [Rule] = []
        for e in root?["errors"]?.arrayValue ?? [] {
            guard let o = e.objectValue else { continue }
            let value = o["value"]?.stringValue ?? "?"
            let title = o["title"]?.stringValue ?? ""
            if title == "DuplicateRule", let id = o["id"]?.stringValue {
                duplicates.append(Rule(id: id, value: value, tag: nil))
            } else {
                let details = (o["details"]?.arrayValue ?? []).compactMap(\.stringValue)
                invalid.append("`\(value)`: " + (details.isEmpty ? title : details.joined(separator: "; ")))
            }
        }
        if !invalid.isEmpty || r.status == 400 {
            let reason = invalid.isEmpty ? "HTTP 400: " + String(r.bodyText.prefix(500)) : invalid.joined(separator: "; ")
            throw PluginError("twitter: invalid stream rule: \(reason) (rules are built from `keywords`, `follows`, `locations`, `languages`, `ignore_retweets`)",
                              retriable: false, code: .rejected)
        }
        let created = (root?["data"]?.arrayValue ?? []).compactMap { Self.rule($0) }
        return (dryRun ? [] : created, duplicates)
    }

    func delete(_ http: HTTPClient, _ ids: [String]) async throws {
        var ids_ = FieldMap()
        ids_.set("ids", .array(ids.map { .string($0) }))
        var body = FieldMap()
        body.set("delete", .object(ids_))
        _ = try await send(http, HTTPRequest(method: .post, url: rulesURL, headers: ["Content-Type": "application/json"],
                                             body: JSON.encode(.object(body)), auth: .bearer(bearerToken)),
                           what: "deleting stream rules")
    }

    /// Sends a rules request; a response other than 2xx becomes a `PluginError` (permanent
    /// for 401/403, retriable for 429 and 5xx). With `acceptInvalid`, 400 is returned.
    private func send(_ http: HTTPClient, _ request: HTTPRequest, what: String, acceptInvalid: Bool = false) async throws -> HTTPResponse {
        let r: HTTPResponse
        do {
            r = try await http.execute(request)
        } catch let e as HTTPClientError {
            throw PluginError("twitter: \(what): \(e)", retriable: e.isRetriable, code: e.kind == .timeout ? .timeout : .connection)
        }
        if (200..<300).contains(r.status) || (acceptInvalid && r.status == 400) { return r }
        let detail = TwitterStreamV2.problem(r.body) ?? String(r.bodyText.prefix(300))
        switch r.status {
        case 401, 403:
            throw PluginError("twitter: \(what): HTTP \(r.status) \(detail) (check `bearer_token`)", retriable: false, code: .authentication)
        case 420, 429:
            throw PluginError("twitter: \(what): HTTP \(r.status) \(detail)", retriable: true, code: .throttled)
        case 500...:
            throw PluginError("twitter: \(what): HTTP \(r.status) \(detail)", retriable: true, code: .unavailable)
        default:
            throw PluginError("twitter: \(what): HTTP \(r.status) \(detail)", retriable: false)
        }
    }

    /// `title: detail` of a v2 problem response.
    static func problem(_ body: [UInt8]) -> String? {
        guard let o = (try? JSON.decode(body))?.objectValue else { return nil }
        let parts = [o["title"]?.stringValue, o["detail"]?.stringValue, o["connection_issue"]?.stringValue].compactMap { $0 }
        return parts.isEmpty ? nil : parts.joined(separator: ": ")
    }

    private static func rule(_ v: Value) -> Rule? {
        guard let o = v.objectValue, let id = o["id"]?.stringValue, let value = o["value"]?.stringValue else { return nil }
        return Rule(id: id, value: value, tag: o["tag"]?.stringValue)
    }
}

extension String {
    var trimmingWhitespace: String {
        var s = Substring(self)
        while s.first?.isWhitespace == true { s.removeFirst() }
        while s.last?.isWhitespace == true { s.removeLast() }
        return String(s)
    }
}
