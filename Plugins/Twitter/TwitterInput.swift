import SluiceCore
import SluiceHTTP
import Synchronization

/// Streams tweets, with Logstash's `twitter` settings plus the v2 API.
///
/// Which API: `api_version => auto` (the default) uses the v2 filtered stream when
/// `bearer_token` is set, and the v1.1 streams (OAuth 1.0a) when only the four OAuth
/// credentials are, as files written for Logstash have them. Twitter shut the v1.1 streams
/// down in 2023; they remain for compatible services (`api_base_url`).
///
/// v2: `keywords`, `follows`, `locations`, `languages` and `ignore_retweets` become stream
/// rules, synced at start (`TwitterStreamV2`); `sample`/`use_samples` read the volume stream.
/// Each tweet is one event (`TwitterEventDecoder`). The stream is read forever and
/// reconnected by Twitter's rules (`TwitterReconnect`); a buffer between the socket and the
/// pipeline keeps a slow pipeline from stalling the read (`TweetBuffer`). A live stream
/// keeps nothing for a client that was away, so there is no position to commit: tweets sent
/// while Sluice was not connected are not delivered.
public final class TwitterInput: InputPlugin {
    public static let pluginName = "twitter"
    public static let summary = "Streams tweets: the v2 filtered or volume stream (bearer token), or the v1.1 statuses streams (OAuth 1.0a)."

    static let fullExpansions = ["author_id", "referenced_tweets.id", "referenced_tweets.id.author_id", "entities.mentions.username",
                                 "in_reply_to_user_id", "attachments.media_keys", "attachments.poll_ids", "geo.place_id"]
    static let fullTweetFields = ["attachments", "author_id", "context_annotations", "conversation_id", "created_at", "edit_controls",
                                  "edit_history_tweet_ids", "entities", "geo", "id", "in_reply_to_user_id", "lang", "possibly_sensitive",
                                  "public_metrics", "referenced_tweets", "reply_settings", "source", "text", "withheld"]
    static let fullUserFields = ["created_at", "description", "entities", "id", "location", "name", "pinned_tweet_id", "profile_image_url",
                                 "protected", "public_metrics", "url", "username", "verified", "withheld"]
    static let fullMediaFields = ["alt_text", "duration_ms", "height", "media_key", "preview_image_url", "public_metrics", "type", "url",
                                  "variants", "width"]
    static let fullPlaceFields = ["contained_within", "country", "country_code", "full_name", "geo", "id", "name", "place_type"]
    static let fullPollFields = ["duration_minutes", "end_datetime", "id", "options", "voting_status"]

    private static func list(_ names: [String]) -> Value { .array(names.map { .string($0) }) }

    /// `read_timeout` when unset. Not a spec default: it depends on the API ("Handling
    /// disconnections" for v2; "Connecting to a streaming endpoint", Stalls, for v1.1).
    static func defaultReadTimeout(_ api: TwitterEventDecoder.APIVersion) -> Double { api == .v2 ? 20 : 90 }

    public static let settingSpecs: [SettingSpec] = [
        SettingSpec("bearer_token", .password, doc: "App-only bearer token of the v2 API; with it the input reads the v2 streams."),
        SettingSpec("consumer_key", .string, doc: "OAuth 1.0a consumer (API) key, for the v1.1 streams."),
        SettingSpec("consumer_secret", .password, doc: "OAuth 1.0a consumer secret."),
        SettingSpec("oauth_token", .password, doc: "OAuth 1.0a access token."),
        SettingSpec("oauth_token_secret", .password, doc: "OAuth 1.0a access token secret."),
        SettingSpec("api_version", .oneOf(["auto", "2", "1.1"]), default: "auto",
                    doc: "`auto`: v2 when `bearer_token` is set, else v1.1 with the OAuth 1.0a credentials. Twitter shut the v1.1 streams down in 2023."),
        SettingSpec("api_base_url", .string,
                    doc: "Where the API is (for compatible services and tests); default `https://api.twitter.com` for v2, `https://stream.twitter.com` for v1.1."),
        SettingSpec("keywords", .array, default: .array([]),
                    doc: "Phrases to track; the words of a phrase must all occur. In v2 each becomes a rule term and may use rule operators (`cat has:media`)."),
        SettingSpec("follows", .array, default: .array([]), doc: "User ids whose tweets to deliver (v2: `from:` rule terms)."),
        SettingSpec("locations", .string,
                    doc: "Bounding boxes `west,south,east,north[,...]` in degrees (v2: `bounding_box:` rule terms)."),
        SettingSpec("languages", .array, default: .array([]), doc: "Only tweets in these languages (BCP 47 codes; v2: `lang:` in every rule)."),
        SettingSpec("full_tweet", .boolean, default: false,
                    doc: "The whole tweet object as the event; `false` makes Logstash's compact event (`message`, `user`, `client`, `retweeted`, `source`, `urls`, `hashtags`, `user_mentions`, ...)."),
        SettingSpec("ignore_retweets", .boolean, default: false, doc: "Skip retweets (v2: `-is:retweet` in every rule)."),
        SettingSpec("use_samples", .boolean, default: false, doc: "Read the sample stream (a random share of all tweets) instead of filtering."),
        SettingSpec("sample", .boolean, default: false, doc: "The v2 volume stream `/2/tweets/sample/stream` (same as `use_samples`)."),
        SettingSpec("rule_tag", .string,
                    doc: "Tag of the v2 rules this input owns: it adds and deletes only rules with this tag. Default `sluice/<pipeline id>/<plugin id>`: set `id` (or this) to keep it stable."),
        SettingSpec("expansions", .array, default: list(fullExpansions), doc: "v2 `expansions` (default: every object a full tweet refers to)."),
        SettingSpec("tweet_fields", .array, default: list(fullTweetFields), doc: "v2 `tweet.fields` (default: all public fields)."),
        SettingSpec("user_fields", .array, default: list(fullUserFields), doc: "v2 `user.fields` (default: all public fields)."),
        SettingSpec("media_fields", .array, default: list(fullMediaFields), doc: "v2 `media.fields`."),
        SettingSpec("place_fields", .array, default: list(fullPlaceFields), doc: "v2 `place.fields`."),
        SettingSpec("poll_fields", .array, default: list(fullPollFields), doc: "v2 `poll.fields`."),
        SettingSpec("target", .fieldReference, doc: "Put each tweet under this field instead of at the event's root."),
        SettingSpec("use_proxy", .boolean, default: false, doc: "Connect through the HTTP proxy `proxy_address`:`proxy_port`."),
        SettingSpec("proxy_address", .string, default: "127.0.0.1", doc: "Host of the HTTP proxy (with `use_proxy`)."),
        SettingSpec("proxy_port", .number, default: 3128, doc: "Port of the HTTP proxy (with `use_proxy`)."),
        SettingSpec("read_timeout", .duration,
                    doc: "A stream that sends nothing, not even its keep-alive newline, for this long is stalled and reconnected. Default: Twitter's rule, 20 s for v2 (a keep-alive every 20 s), 90 s for v1.1 (one every 30 s)."),
        SettingSpec("rate_limit_reset_in", .number, default: 900,
                    doc: "Longest wait, in seconds, before reconnecting after 420/429 (the wait starts at 60 s and doubles)."),
        SettingSpec("max_rule_length", .number, default: .int(Int64(TwitterStreamV2.defaultMaxRuleLength)),
                    doc: "Longest v2 rule your access level allows (512; Pro 1024, Enterprise 2048): terms are packed into rules of at most this length."),
        SettingSpec("backfill_minutes", .number, default: 0,
                    doc: "v2 (Pro and Enterprise access): after a disconnection, ask for the tweets of up to this many minutes (1-5) again, as many as the gap needs; tweets already delivered are skipped by id. 0: never."),
        SettingSpec("buffer_size", .bytes, default: 67_108_864,  // 64 MiB
                    doc: "Tweets read but not yet taken by the pipeline, in bytes. Twitter drops a client that reads slowly, so the socket is always read; what does not fit is dropped and logged with its tweet ids."),
    ] + HTTPPluginSettings.tlsSpecs

    let api: TwitterEventDecoder.APIVersion
    let v2: TwitterStreamV2?
    let v11: TwitterStreamV11?
    let decoder: TwitterEventDecoder
    let readTimeout: Duration
    let bufferSize: Int
    let reconnect: TwitterReconnect
    /// Most minutes of backfill asked for after a disconnection (v2); 0 for none.
    let backfillMinutes: Int
    /// Tweet ids remembered to skip what a backfill sends again: five minutes of a busy
    /// filtered stream (Twitter caps filtered streams at 50 tweets/s for most access levels).
    static let recentIds = 100_000
    let http: HTTPClientConfiguration
    let logger: Logger
    let batchSize: Int
    /// The HTTP client (from `start`) and what rule sync found.
    let state = Mutex<(client: HTTPClient?, delivering: Set<String>?)>((nil, nil))
    let stopped = Atomic<Bool>(false)

    public init(settings: PluginSettings, context: PluginContext) throws {
        logger = context.logger
        batchSize = max(1, context.pipeline.batchSize)
        // Empty counts as unset, so one file can take either kind from `${VAR:}`.
        let bearer = settings.string("bearer_token").flatMap { $0.isEmpty ? nil : $0 }
        let oauthNames = ["consumer_key", "consumer_secret", "oauth_token", "oauth_token_secret"]
        let oauth = oauthNames.map { settings.string($0) }
        let version = try settings.declaredString("api_version")
        let useV2 = version == "2" || (version == "auto" && bearer != nil)
        api = useV2 ? .v2 : .v11
        let useSamples = try settings.declaredBool("use_samples")
        let samples = try useSamples || settings.declaredBool("sample")
        let keywords = settings.strings("keywords"), follows = settings.strings("follows")
        let languages = settings.strings("languages")
        let locations = settings.string("locations")
        let boxes = try Self.boundingBoxes(locations, settings)
        let ignoreRetweets = try settings.declaredBool("ignore_retweets")

        if useV2 {
            guard let bearer, !bearer.isEmpty else {
                throw settings.error("bearer_token", "is required with `api_version => \"2\"`")
            }
            var rules: [String] = []
            if !samples {
                let maxLength = try Self.maxRuleLength(settings)
                do {
                    rules = try TwitterStreamV2.rules(keywords: keywords, follows: follows, locations: boxes,
                                                      languages: languages, ignoreRetweets: ignoreRetweets,
                                                      maxLength: maxLength)
                } catch {
                    throw settings.error("keywords", error.message)
                }
                guard !rules.isEmpty else {
                    throw settings.error("keywords", "the filtered stream needs `keywords`, `follows` or `locations` (or `sample => true` for the volume stream)")
                }
            }
            let query: [(String, String)] = [("expansions", "expansions"), ("tweet.fields", "tweet_fields"), ("user.fields", "user_fields"),
                                             ("media.fields", "media_fields"), ("place.fields", "place_fields"), ("poll.fields", "poll_fields")]
                .map { ($0.0, settings.strings($0.1).joined(separator: ",")) }
            v2 = TwitterStreamV2(baseURL: Self.trimmed(settings.string("api_base_url") ?? "https://api.twitter.com"),
                                 bearerToken: bearer, sample: samples, rules: rules,
                                 tag: settings.string("rule_tag") ?? "sluice/\(context.pipeline.id)/\(settings.id)", query: query)
            v11 = nil
        } else {
            let missing = zip(oauthNames, oauth).filter { $0.1 == nil || $0.1 == "" }.map { "`\($0.0)`" }
            guard missing.isEmpty, let key = oauth[0], let secret = oauth[1], let token = oauth[2], let tokenSecret = oauth[3] else {
                let what = missing.count == 4
                    ? "is required for the v2 API (or `consumer_key`, `consumer_secret`, `oauth_token` and `oauth_token_secret` for v1.1)"
                    : "the v1.1 API also needs " + missing.joined(separator: ", ") + " (or set `bearer_token` for v2)"
                throw settings.error(missing.count == 4 ? "bearer_token" : "consumer_key", what)
            }
            if !samples, keywords.isEmpty, follows.isEmpty, boxes.isEmpty {
                throw settings.error("keywords", "statuses/filter needs `keywords`, `follows` or `locations` (or `use_samples => true`)")
            }
            v11 = TwitterStreamV11(baseURL: Self.trimmed(settings.string("api_base_url") ?? "https://stream.twitter.com"),
                                   signer: OAuth1Signer(credentials: OAuth1Credentials(consumerKey: key, consumerSecret: secret,
                                                                                       token: token, tokenSecret: tokenSecret)),
                                   useSamples: samples, keywords: keywords, follows: follows, locations: locations, languages: languages)
            v2 = nil
        }
        decoder = TwitterEventDecoder(version: api, target: settings.fieldReference("target"),
                                      fullTweet: try settings.declaredBool("full_tweet"), ignoreRetweets: ignoreRetweets)

        let timeout = settings.seconds("read_timeout") ?? Self.defaultReadTimeout(api)
        guard timeout > 0, timeout <= 3600 else { throw settings.error("read_timeout", "must be between 0 and 3600 seconds") }
        readTimeout = .milliseconds(Int64(timeout * 1000))
        bufferSize = try settings.declaredInt("buffer_size")
        guard bufferSize >= 1 << 20 else { throw settings.error("buffer_size", "must be at least 1mb (a tweet can be 100 kb)") }
        let rateLimitMax = try settings.declaredInt("rate_limit_reset_in")
        guard rateLimitMax >= 1 else { throw settings.error("rate_limit_reset_in", "must be at least 1 second") }
        reconnect = TwitterReconnect(rateLimitMax: .seconds(rateLimitMax))
        backfillMinutes = try settings.declaredInt("backfill_minutes")
        guard (0...5).contains(backfillMinutes) else { throw settings.error("backfill_minutes", "must be between 0 and 5 (Twitter keeps 5 minutes)") }
        if backfillMinutes > 0, !useV2 { throw settings.error("backfill_minutes", "needs the v2 API (`bearer_token`)") }
        var config = HTTPClientConfiguration(requestTimeout: .seconds(30), maxConnections: 4, maxConnectionsPerHost: 4,
                                             userAgent: "Sluice-twitter")
        config.tls = try HTTPPluginSettings.tls(settings)
        if try settings.declaredBool("use_proxy") {
            let port = try settings.declaredInt("proxy_port")
            guard (1...65535).contains(port) else { throw settings.error("proxy_port", "must be a TCP port") }
            config.proxy = "http://\(try settings.declaredString("proxy_address")):\(port)"
        }
        http = config
    }

    public func start() async throws {
        // A retried start (after a transient rules failure) keeps the client it made.
        let client: HTTPClient
        if let existing = state.withLock({ $0.client }) {
            client = existing
        } else {
            do {
                client = try HTTPClient(configuration: http, logger: logger)
            } catch {
                throw PluginError("twitter: \(error)", retriable: false)
            }
            state.withLock { $0.client = client }
        }
        if let v2, !v2.sample {
            do {
                let sync = try await v2.syncRules(http: client, logger: logger)
                state.withLock { $0.delivering = sync.deliveringIds }
            } catch {
                // A permanent failure ends the pipeline without `close`: release the client now.
                if (error as? PluginError)?.retriable != true {
                    client.shutdown()
                    state.withLock { $0.client = nil }
                }
                throw error
            }
        }
        logger.info("twitter: streaming \(streamDescription)")
    }

    public func run(into sink: EventSink) async throws {
        guard let client = state.withLock({ $0.client }) else { return }
        let buffer = TweetBuffer(capacity: bufferSize)
        let loop = TwitterConnectionLoop(input: self, http: client, buffer: buffer)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                await loop.run()
                buffer.finish()
            }
            group.addTask { try await self.deliver(from: buffer, into: sink) }
            defer { group.cancelAll() }
            // Either side ending ends the input: the reader only when stopped, the
            // parser when the pipeline closed its queue.
            _ = try await group.next()
            buffer.finish()
            _ = try await group.next()
        }
    }

    /// Parses what the reader buffered and sends it on, a batch at a time.
    private func deliver(from buffer: TweetBuffer, into sink: EventSink) async throws {
        var skipped = 0
        // With backfill, the ids of the tweets delivered lately: a backfill sends some again.
        var recent: RecentTweetIds? = backfillMinutes > 0 ? RecentTweetIds(capacity: Self.recentIds) : nil
        while let lines = await buffer.take(max: batchSize) {
            var decoder = self.decoder
            decoder.deliveringIds = state.withLock { $0.delivering }
            var events: [Event] = []
            events.reserveCapacity(lines.count)
            var repeats = 0
            for line in lines {
                switch decoder.decode(line[...], skippingRepeatsIn: &recent) {
                case .event(let e): events.append(e)
                case .skipped: skipped += 1
                case .repeated: repeats += 1
                case .control(let warning?): logger.warning("twitter: \(warning)")
                case .control(nil): break
                }
            }
            if repeats > 0 { logger.info("twitter: \(repeats) tweets the backfill sent again were delivered before: skipped") }
            if !events.isEmpty {
                do {
                    try await sink.send(events)
                } catch {
                    // The pipeline is shutting down: a live stream cannot replay these; say so.
                    let left = events.count + buffer.count
                    logger.warning("twitter: \(left) tweets read were not delivered: the pipeline stopped taking events (\(error)); a live stream cannot replay them")
                    if Task.isCancelled || stopped.load(ordering: .acquiring) || error is QueueClosedError { return }
                    throw error
                }
            }
            if buffer.bytes == 0 { sink.flush() }
        }
        if skipped > 0 { logger.debug("twitter: skipped \(skipped) tweets (retweets or other owners' rules)") }
    }

    public func stop() {
        stopped.store(true, ordering: .releasing)
    }

    public func close() async throws {
        state.withLock { $0.client }?.shutdown()
    }

    var streamDescription: String {
        if let v2 {
            return v2.sample ? "the v2 volume stream from \(v2.baseURL)"
                : "the v2 filtered stream from \(v2.baseURL) (\(v2.rules.count) rules tagged \(v2.tag))"
        }
        if let v11 { return "v1.1 statuses/\(v11.useSamples ? "sample" : "filter") from \(v11.baseURL)" }
        return "-"
    }

    /// A new request for the stream, signed now; with the tweets of `backfillMinutes` past
    /// minutes again (v2).
    func streamRequest(backfillMinutes: Int = 0) -> HTTPRequest? {
        v2?.streamRequest(stallTimeout: readTimeout, backfillMinutes: backfillMinutes) ?? v11?.streamRequest(stallTimeout: readTimeout)
    }

    private static func maxRuleLength(_ settings: PluginSettings) throws -> Int {
        let n = try settings.declaredInt("max_rule_length")
        guard (1...4096).contains(n) else { throw settings.error("max_rule_length", "must be between 1 and 4096") }
        return n
    }

    /// Syncs the v2 rules again (the stream said it has none: someone deleted them).
    /// Whether that worked.
    func resyncRules(_ client: HTTPClient) async -> Bool {
        guard let v2, !v2.sample else { return false }
        do {
            let sync = try await v2.syncRules(http: client, logger: logger)
            state.withLock { $0.delivering = sync.deliveringIds }
            return true
        } catch {
            logger.error("twitter: syncing the stream rules again failed: \(error)")
            return false
        }
    }

    private static func trimmed(_ url: String) -> String {
        var u = url
        while u.hasSuffix("/") { u.removeLast() }
        return u
    }

    /// `w,s,e,n[,w,s,e,n...]` as boxes of four numbers.
    static func boundingBoxes(_ text: String?, _ settings: PluginSettings) throws -> [[Double]] {
        guard let text, !text.trimmingWhitespace.isEmpty else { return [] }
        let numbers = text.split(separator: ",").map { Double($0.trimmingWhitespace) }
        guard numbers.count % 4 == 0, numbers.allSatisfy({ $0 != nil }) else {
            throw settings.error("locations", "expects groups of four numbers `west,south,east,north`, got `\(text)`")
        }
        let values = numbers.compactMap { $0 }
        return stride(from: 0, to: values.count, by: 4).map { Array(values[$0..<($0 + 4)]) }
    }
}

extension Substring {
    var trimmingWhitespace: String { String(self).trimmingWhitespace }
}
