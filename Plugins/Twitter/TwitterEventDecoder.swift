import SluiceCore

/// Turns one line of a stream into an event, or says why it is not one.
///
/// A tweet becomes one event: the whole JSON object (`full_tweet`, or always for the v2
/// streams unless `full_tweet => false`), or Logstash's compact form (`message`, `user`,
/// `client`, `retweeted`, `source`, `in-reply-to`, `urls`, `hashtags`, `user_mentions`,
/// `symbols`), at the root or under `target`. `@timestamp` is the tweet's `created_at`.
/// A line that is not JSON becomes an event with the line as `message`, tagged
/// `_jsonparsefailure`. Stream control messages (v2 `errors`, v1.1 `limit`, `warning`,
/// `disconnect`, `delete`, ...) are not tweets.
struct TwitterEventDecoder: Sendable {
    enum APIVersion: String, Sendable { case v2 = "2", v11 = "1.1" }

    enum Outcome {
        case event(Event)
        /// A retweet with `ignore_retweets`, or a tweet that matched only other owners' rules.
        case skipped
        /// A control message worth a log line (`warning`), or nothing to say (nil).
        case control(warning: String?)
        /// A tweet delivered before, sent again by a backfill.
        case repeated
    }

    let version: APIVersion
    let target: FieldReference?
    let fullTweet: Bool
    let ignoreRetweets: Bool
    /// v2 filtered stream: the rule ids whose tweets this input delivers (nil: all).
    var deliveringIds: Set<String>?

    func decode(_ line: ArraySlice<UInt8>) -> Outcome {
        var none: RecentTweetIds? = nil
        return decode(line, skippingRepeatsIn: &none)
    }

    /// As `decode`; and with `recent`, a tweet whose id it holds already is `.repeated`, any
    /// other tweet's id is added to it.
    func decode(_ line: ArraySlice<UInt8>, skippingRepeatsIn recent: inout RecentTweetIds?) -> Outcome {
        guard let root = try? JSON.decode(line), let object = root.objectValue else {
            var e = Event(message: String(decoding: line, as: UTF8.self))
            e.addTag("_jsonparsefailure")
            return .event(e)
        }
        let outcome = version == .v2 ? decodeV2(object) : decodeV11(object)
        if case .event = outcome, recent != nil, let id = tweetId(object), recent?.firstSeen(id) == false {
            return .repeated
        }
        return outcome
    }

    /// The tweet's id: v2 `data.id`, v1.1 `id_str` (or `id`).
    private func tweetId(_ o: FieldMap) -> UInt64? {
        let text = version == .v2 ? o["data"]?.objectValue?["id"]?.stringValue
            : o["id_str"]?.stringValue ?? o["id"]?.renderedString
        return text.flatMap { UInt64($0) }
    }

    private func decodeV2(_ o: FieldMap) -> Outcome {
        guard let data = o["data"]?.objectValue else {
            let errors = (o["errors"]?.arrayValue ?? []).compactMap(\.objectValue).map { e in
                [e["title"]?.stringValue, e["disconnect_type"]?.stringValue, e["detail"]?.stringValue]
                    .compactMap { $0 }.joined(separator: ": ")
            }
            return .control(warning: errors.isEmpty ? nil : "stream message: " + errors.joined(separator: "; "))
        }
        if ignoreRetweets, (data["referenced_tweets"]?.arrayValue ?? []).contains(where: { $0.objectValue?["type"]?.stringValue == "retweeted" }) {
            return .skipped
        }
        if let ids = deliveringIds, let matched = o["matching_rules"]?.arrayValue,
           !matched.contains(where: { $0.objectValue?["id"]?.stringValue.map(ids.contains) == true }) {
            return .skipped
        }
        let stamp = data["created_at"]?.stringValue.flatMap { DateParsing.parseISO8601($0) }
        return .event(event(fullTweet ? o : compactV2(data, o["includes"]?.objectValue), stamp))
    }

    private func decodeV11(_ o: FieldMap) -> Outcome {
        guard o["user"] != nil, o["id_str"] != nil || o["id"] != nil else {
            if let limit = o["limit"]?.objectValue {
                let n = limit["track"].map { "\($0.renderedString)" } ?? "some"
                return .control(warning: "Twitter withheld \(n) matching tweets so far (rate limit of the filter stream)")
            }
            if let w = o["warning"]?.objectValue {
                return .control(warning: "stream warning: \(w["code"]?.renderedString ?? "") \(w["message"]?.renderedString ?? "")")
            }
            if let d = o["disconnect"]?.objectValue {
                return .control(warning: "stream disconnect: \(d["code"]?.renderedString ?? "") \(d["reason"]?.renderedString ?? "")")
            }
            return .control(warning: nil)  // delete, scrub_geo, status_withheld, ...: not tweets
        }
        if ignoreRetweets, o["retweeted_status"] != nil { return .skipped }
        let stamp = o["created_at"]?.stringValue.flatMap(Self.parseV11Date)
        return .event(event(fullTweet ? o : compactV11(o), stamp))
    }

    private func event(_ fields: FieldMap, _ stamp: Timestamp?) -> Event {
        var e = Event(timestamp: stamp ?? .now())
        if let target {
            _ = e.set(target, .object(fields))
        } else {
            for (k, v) in fields where k != Event.timestampKey && k != Event.versionKey { e.fields.set(k, v) }
        }
        return e
    }

    // MARK: Logstash's compact event

    private func compactV11(_ t: FieldMap) -> FieldMap {
        let user = t["user"]?.objectValue
        let screenName = user?["screen_name"]?.stringValue ?? ""
        let id = t["id_str"]?.stringValue ?? t["id"]?.renderedString ?? ""
        let extended = t["extended_tweet"]?.objectValue
        let entities = extended?["entities"]?.objectValue ?? t["entities"]?.objectValue
        var out = FieldMap()
        out.set("message", .string(extended?["full_text"]?.stringValue ?? t["full_text"]?.stringValue ?? t["text"]?.stringValue ?? ""))
        out.set("user", .string(screenName))
        if let source = t["source"] { out.set("client", source) }
        out.set("retweeted", .bool(t["retweeted_status"] != nil))
        out.set("source", .string("http://twitter.com/\(screenName)/status/\(id)"))
        if let reply = t["in_reply_to_status_id_str"]?.stringValue { out.set("in-reply-to", .string(reply)) }
        setList(&out, "urls", entities?["urls"], key: "expanded_url")
        setList(&out, "hashtags", entities?["hashtags"], key: "text")
        setList(&out, "symbols", entities?["symbols"], key: "text")
        if let mentions = entities?["user_mentions"]?.arrayValue, !mentions.isEmpty {
            out.set("user_mentions", .array(mentions.compactMap(\.objectValue).map { m in
                var u = FieldMap()
                for k in ["screen_name", "name", "id_str"] { if let v = m[k] { u.set(k == "id_str" ? "id" : k, v) } }
                return .object(u)
            }))
        }
        return out
    }

    private func compactV2(_ d: FieldMap, _ includes: FieldMap?) -> FieldMap {
        let author = d["author_id"]?.stringValue
        let users = includes?["users"]?.arrayValue?.compactMap(\.objectValue) ?? []
        let username = users.first { $0["id"]?.stringValue == author }?["username"]?.stringValue ?? author ?? ""
        let refs = d["referenced_tweets"]?.arrayValue?.compactMap(\.objectValue) ?? []
        let entities = d["entities"]?.objectValue
        var out = FieldMap()
        out.set("message", .string(d["text"]?.stringValue ?? ""))
        out.set("user", .string(username))
        if let source = d["source"] { out.set("client", source) }
        out.set("retweeted", .bool(refs.contains { $0["type"]?.stringValue == "retweeted" }))
        out.set("source", .string("https://twitter.com/\(username)/status/\(d["id"]?.stringValue ?? "")"))
        if let reply = refs.first(where: { $0["type"]?.stringValue == "replied_to" })?["id"] { out.set("in-reply-to", reply) }
        setList(&out, "urls", entities?["urls"], key: "expanded_url")
        setList(&out, "hashtags", entities?["hashtags"], key: "tag")
        setList(&out, "symbols", entities?["cashtags"], key: "tag")
        if let mentions = entities?["mentions"]?.arrayValue, !mentions.isEmpty {
            out.set("user_mentions", .array(mentions.compactMap(\.objectValue).map { m in
                var u = FieldMap()
                if let n = m["username"] { u.set("screen_name", n) }
                if let id = m["id"] { u.set("id", id) }
                return .object(u)
            }))
        }
        return out
    }

    private func setList(_ out: inout FieldMap, _ name: String, _ list: Value?, key: String) {
        let values = (list?.arrayValue ?? []).compactMap { $0.objectValue?[key] }
        if !values.isEmpty { out.set(name, .array(values)) }
    }

    /// v1.1 `created_at`: `Wed Oct 10 20:19:24 +0000 2018`.
    static func parseV11Date(_ s: String) -> Timestamp? {
        let p = s.split(separator: " ")
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard p.count == 6, let month = months.firstIndex(of: String(p[1])), let day = Int(p[2]), let year = Int(p[5]),
              p[4].count == 5, let zone = Int(p[4].dropFirst()) else { return nil }
        let hms = p[3].split(separator: ":").compactMap { Int($0) }
        guard hms.count == 3 else { return nil }
        let offset = (zone / 100 * 3600 + zone % 100 * 60) * (p[4].hasPrefix("-") ? -1 : 1)
        return Timestamp(year: year, month: month + 1, day: day, hour: hms[0], minute: hms[1], second: hms[2], offsetSeconds: offset)
    }
}
