import SluiceCore
import SluiceTesting
import Testing
@testable import TwitterPlugins

/// The `twitter` input against the Twitter fixture. Serialized: the fixture's state (rules,
/// cursor, injections) is shared.
@Suite(.serialized) struct TwitterStreamTests {
    let logs = LogCapture()

    func v2Config(_ fx: TwitterFixture, _ extra: String) -> String {
        """
        input { twitter { bearer_token => "\(fx.bearer)" api_base_url => "\(fx.base)" full_tweet => true \(extra) } }
        """
    }

    func v11Config(_ fx: TwitterFixture, _ extra: String) -> String {
        """
        input { twitter {
          consumer_key => "\(fx.consumerKey)" consumer_secret => "\(fx.consumerSecret)"
          oauth_token => "\(fx.token)" oauth_token_secret => "\(fx.tokenSecret)"
          api_base_url => "\(fx.base)" full_tweet => true \(extra)
        } }
        """
    }

    /// Runs `config` until `count` events arrived (or 20 s), then stops it; the events.
    func collect(_ config: String, count: Int, during: (() async throws -> Void)? = nil) async throws -> [Event] {
        let running = try twitterHarness(logs).start(config)
        if let during { try await during() }
        let arrived = await running.waitUntil(timeout: .seconds(20)) { $0.events.count >= count }
        running.stop()
        let result = try await running.finish()
        #expect(arrived, "only \(result.events.count) of \(count) events arrived")
        return result.events
    }

    func expectNoSecretLogged(_ fx: TwitterFixture) {
        let all = logs.all
        for s in fx.secrets { #expect(!all.contains(s), "a secret was logged") }
        #expect(!all.contains(fx.token), "the OAuth token was logged")
    }

    @Test func v2VolumeStreamDeliversTheSampleTweetsInOrder() async throws {
        let fx = try TwitterFixture()
        try fx.post("limit", ["tweets": 60])
        let events = try await collect(v2Config(fx, "sample => true"), count: 60)
        #expect(events.count == 60)
        #expect(events.map(\.v2Id) == Array(try Samples.v2Ids().prefix(60)))
        // Full tweets: the default expansions and fields were asked for.
        let query = try fx.counters()["last_stream_query"] as? [String: String] ?? [:]
        #expect(query["expansions"]?.contains("referenced_tweets.id.author_id") == true)
        #expect(query["tweet.fields"]?.contains("created_at") == true)
        #expect(events.allSatisfy { $0.value("[data][created_at]") != nil })
        expectNoSecretLogged(fx)
    }

    @Test func rulesSyncAddsMissingDeletesStaleOwnAndLeavesOthersAlone() async throws {
        let fx = try TwitterFixture()
        try fx.addRule("zzzunmatched", tag: "someone-else")
        try fx.addRule("stale words", tag: "sluice-test")
        try fx.post("limit", ["tweets": 15])
        let events = try await collect(v2Config(fx, #"keywords => ["python"] rule_tag => "sluice-test""#), count: 15)
        let rules = try fx.rules()
        #expect(rules.contains { $0["value"] == "zzzunmatched" && $0["tag"] == "someone-else" })
        #expect(!rules.contains { $0["value"] == "stale words" })
        let ours = rules.filter { $0["tag"] == "sluice-test" }
        #expect(ours.map { $0["value"] } == ["python"])
        // Exactly the sample's first 15 tweets with the word, each matched by our rule.
        let expected = try Samples.lines("v2.jsonl").filter { Samples.words($0).contains("python") }.prefix(15)
            .map { $0.objectValue?["data"]?.objectValue?["id"]?.stringValue }
        #expect(events.map(\.v2Id) == Array(expected))
        #expect(events.allSatisfy { e in
            e.value("[matching_rules]")?.arrayValue?.contains { $0.objectValue?["tag"]?.stringValue == "sluice-test" } == true
        })
        #expect(logs.all.contains("deleted stream rule"))
        expectNoSecretLogged(fx)
    }

    @Test func anInvalidRuleIsAStartErrorAndChangesNothing() async throws {
        let fx = try TwitterFixture()
        try fx.addRule("keepme", tag: "sluice-test")
        let error = await #expect(throws: (any Error).self) {
            _ = try await twitterHarness(logs).run(v2Config(fx, #"keywords => ["ok", "nosuchop:value"] rule_tag => "sluice-test""#))
        }
        let message = "\(error.map { "\($0)" } ?? "")"
        #expect(message.contains("invalid stream rule"))
        #expect(message.contains("nosuchop"))
        #expect((error as? PluginStartError)?.cause.retriable == false)
        // The dry run failed before any change: the old rule is still there, nothing was added.
        #expect(try fx.rules().map { $0["value"] } == ["keepme"])
        #expect(try fx.connections("v2_filter") == 0)
        expectNoSecretLogged(fx)
    }

    @Test func rulesDeletedWhileStreamingAreRestored() async throws {
        let fx = try TwitterFixture()
        try fx.post("limit", ["tweets": 5])
        let running = try twitterHarness(logs).start(v2Config(fx, #"keywords => ["python"] rule_tag => "sluice-test""#))
        #expect(await running.waitUntil(timeout: .seconds(10)) { $0.events.count >= 5 })
        // Someone deletes every rule, and the stream drops: the reconnect gets 409 (no rules).
        try fx.post("reset")
        try fx.post("limit", ["tweets": 5])
        let restored = await running.waitUntil(timeout: .seconds(10)) { $0.events.count >= 10 }
        running.stop()
        let events = try await running.finish().events
        #expect(restored, "\(events.count) events")
        #expect(try fx.rules().map { $0["value"] } == ["python"])
        #expect(logs.all.contains("syncing them again"))
        // After the reset the cursor starts over: the same five tweets again.
        #expect(Array(events.prefix(5).map(\.v2Id)) == Array(events.dropFirst(5).prefix(5).map(\.v2Id)))
    }

    @Test func v11FilterStreamIsSignedAndReconnectsWithAFreshNonce() async throws {
        let fx = try TwitterFixture()
        try fx.post("limit", ["tweets": 20])
        try fx.post("disconnect", ["after": 8])
        let events = try await collect(v11Config(fx, #"keywords => ["logstash", "pipeline"] languages => ["en"]"#), count: 20)
        #expect(events.count == 20)
        let counters = try fx.counters()
        #expect(counters["auth_failures"] as? Int == 0)
        #expect(try fx.connections("v11_filter") == 2)
        let params = counters["last_v11_params"] as? [String: String] ?? [:]
        #expect(params["track"] == "logstash,pipeline")
        #expect(params["language"] == "en")
        #expect(events.allSatisfy { $0.fields["lang"]?.stringValue == "en" })
        // The two connections' tweets are distinct and in the sample's order.
        let ids = events.compactMap { $0.fields["id_str"]?.stringValue }
        #expect(Set(ids).count == 20)
        expectNoSecretLogged(fx)
    }

    /// A Logstash file's defaults: `use_samples`, compact events (`full_tweet => false`), here under `target`.
    @Test func v11SampleStreamMakesLogstashCompactEvents() async throws {
        let fx = try TwitterFixture()
        try fx.post("limit", ["tweets": 10])
        let config = v11Config(fx, #"use_samples => true target => "[tweet]""#).replacingOccurrences(of: "full_tweet => true", with: "")
        let events = try await collect(config, count: 10)
        let samples = try Samples.lines("v11.jsonl").prefix(10).compactMap(\.objectValue)
        #expect(events.count == 10)
        #expect(try fx.connections("v11_sample") == 1)
        #expect(try fx.counters()["auth_failures"] as? Int == 0)
        for (e, t) in zip(events, samples) {
            let user = t["user"]?.objectValue?["screen_name"]?.stringValue ?? "?"
            let id = t["id_str"]?.stringValue ?? "?"
            #expect(e.value("[tweet][user]")?.stringValue == user)
            #expect(e.value("[tweet][source]")?.stringValue == "http://twitter.com/\(user)/status/\(id)")
            let text = t["extended_tweet"]?.objectValue?["full_text"]?.stringValue ?? t["text"]?.stringValue
            #expect(e.value("[tweet][message]")?.stringValue == text)
            #expect(e.value("[tweet][retweeted]") == .bool(t["retweeted_status"] != nil))
            #expect(e.timestamp == TwitterEventDecoder.parseV11Date(t["created_at"]?.stringValue ?? ""))
            #expect(e.value("[tweet][id_str]") == nil)  // compact, not the full object
        }
    }

    @Test func useProxySendsTheStreamRequestThroughTheProxy() async throws {
        let fx = try TwitterFixture()
        let sink = try HTTPSink()
        let proxy = sink.base.split(separator: "/").last.map(String.init) ?? ""
        let parts = proxy.split(separator: ":")
        let before = try sink.recorded(prefix: "/2/tweets/sample/stream").count
        let running = try twitterHarness(logs).start(v2Config(fx, """
            sample => true use_proxy => true proxy_address => "\(parts[0])" proxy_port => \(parts[1])
            """))
        let through = await eventually(timeout: .seconds(10)) {
            ((try? sink.recorded(prefix: "/2/tweets/sample/stream").count) ?? 0) > before
        }
        running.stop()
        _ = try await running.finish()
        #expect(through)
        let record = try sink.recorded(prefix: "/2/tweets/sample/stream").last
        #expect((record?["proxy_target"] as? String)?.hasPrefix(fx.base + "/2/tweets/sample/stream") == true)
        #expect(try fx.connections("v2_sample") == 0)  // the fixture itself was never reached
        expectNoSecretLogged(fx)
    }

    @Test func v2StreamDisconnectReconnectsAndContinues() async throws {
        let fx = try TwitterFixture()
        try fx.post("limit", ["tweets": 40])
        try fx.post("disconnect", ["after": 15])
        let events = try await collect(v2Config(fx, "sample => true"), count: 40)
        #expect(events.map(\.v2Id) == Array(try Samples.v2Ids().prefix(40)))
        #expect(try fx.connections("v2_sample") == 2)
        #expect(logs.all.contains("reconnecting"))
    }

    /// Live tweets: the stream is cut after 30 and the reconnection is refused once (503, a 5 s
    /// backoff) while tweets keep happening. Starts the input; returns it once it reconnected.
    func runThroughAGap(_ fx: TwitterFixture, _ extra: String) async throws -> PipelineHarness.Running {
        try fx.post("limit", ["tweets": 120])
        try fx.post("disconnect", ["after": 30])
        try fx.post("live", ["tweets_per_second": 20])
        let running = try twitterHarness(logs).start(v2Config(fx, "sample => true \(extra)"))
        try await fx.waitFor(connections: 1)
        try fx.post("refuse", ["status": 503, "count": 1])
        return running
    }

    @Test func backfillAfterADisconnectionRecoversTheGapAndSkipsRepeats() async throws {
        let fx = try TwitterFixture()
        let running = try await runThroughAGap(fx, "backfill_minutes => 2")
        let arrived = await running.waitUntil(timeout: .seconds(30)) { $0.events.count >= 120 }
        try await Task.sleep(for: .milliseconds(300))  // room for a duplicate to show up
        running.stop()
        let events = try await running.finish().events
        #expect(arrived)
        // Every tweet once. Not in order: a backfill may bring a tweet older than some already
        // delivered (here tweet 0, which happened just before the first connection).
        let want = Array(try Samples.v2Ids().prefix(120)), got = events.compactMap(\.v2Id)
        #expect(got.count == 120 && Set(got) == Set(want), "\(got.count) tweets, \(Set(got).count) distinct")
        #expect(try fx.connections("v2_sample") == 3, "connected, refused, reconnected")
        let query = try fx.counters()["last_stream_query"] as? [String: String] ?? [:]
        #expect(query["backfill_minutes"] == "1", "a gap of seconds needs one minute of backfill")
        #expect(logs.all.contains("tweets the backfill sent again were delivered before: skipped"))
    }

    @Test func withoutBackfillTheTweetsOfTheGapAreLost() async throws {
        let fx = try TwitterFixture()
        let running = try await runThroughAGap(fx, "")
        try await fx.waitFor(connections: 3)
        try await Task.sleep(for: .seconds(1))
        running.stop()
        let events = try await running.finish().events
        #expect(events.count < 100, "\(events.count) tweets: those of the 5 s gap never arrive")
        #expect(try fx.counters()["last_stream_query"].flatMap { ($0 as? [String: String])?["backfill_minutes"] } == nil)
    }

    @Test func keepAlivesKeepAnIdleStreamAndAStallReconnects() async throws {
        let fx = try TwitterFixture()
        try fx.post("heartbeat", ["seconds": 0.3])
        try fx.post("limit", ["tweets": 5])
        let running = try twitterHarness(logs).start(v2Config(fx, "sample => true read_timeout => 1.5"))
        #expect(await running.waitUntil(timeout: .seconds(10)) { $0.events.count >= 5 })
        // Only keep-alives for 3 s: no event, no reconnect.
        try await Task.sleep(for: .seconds(3))
        #expect(running.current.events.count == 5)
        #expect(try fx.connections("v2_sample") == 1)
        // Silence (no keep-alive either) for 2.5 s: stalled after read_timeout, reconnected.
        try fx.post("stall", ["seconds": 2.5])
        try fx.post("limit", ["tweets": 10])
        let start = ContinuousClock.now
        #expect(await eventually(timeout: .seconds(10)) { ((try? fx.connections("v2_sample")) ?? 0) >= 2 })
        #expect(ContinuousClock.now - start < .seconds(5))
        // The fixture counts a tweet written into the connection Sluice abandoned as sent
        // (as Twitter would lose it): the new connection brings the rest, in sample order.
        let resumed = await running.waitUntil(timeout: .seconds(10)) { $0.events.count >= 8 }
        running.stop()
        let events = try await running.finish().events
        #expect(resumed, "\(events.count) events; counters \((try? fx.counters()) ?? [:])")
        let order = try Samples.v2Ids()
        let positions = events.compactMap { e in order.firstIndex(of: e.v2Id ?? "") }
        #expect(positions.count == events.count && positions == positions.sorted() && Set(positions).count == positions.count)
        #expect(Array(positions.prefix(5)) == [0, 1, 2, 3, 4])
        #expect(logs.all.contains("stalled"))
    }

    @Test func rateLimitedConnectionsBackOffAndStopPromptly() async throws {
        let fx = try TwitterFixture()
        try fx.post("refuse", ["status": 429, "count": 3])
        let running = try twitterHarness(logs).start(v2Config(fx, "sample => true"))
        #expect(await eventually(timeout: .seconds(10)) { logs.all.contains("rate limited (HTTP 429) Too Many Requests") })
        // Twitter's rule: the next attempt no sooner than a minute later.
        try await Task.sleep(for: .seconds(2))
        #expect(try fx.connections("v2_sample") == 1)
        #expect(logs.all.contains("reconnecting in 60"))
        let stopping = ContinuousClock.now
        running.stop()
        _ = try await running.finish()
        #expect(ContinuousClock.now - stopping < .seconds(2))
        expectNoSecretLogged(fx)
    }

    /// The stream runs unthrottled into a pipeline that takes 150 ms a batch with a 1 MiB
    /// buffer: the socket is read on (one connection, no stall), what does not fit is dropped,
    /// and every tweet the fixture sent is either delivered or reported: none silently lost.
    @Test func aSlowPipelineNeverStallsTheReadAndDropsAreAllReported() async throws {
        let fx = try TwitterFixture()
        try fx.post("rate", ["tweets_per_second": 0])
        try fx.post("limit", ["tweets": 3000])
        SlowOutput.received.withLock { $0 = 0 }
        var h = twitterHarness(logs)
        h.settings.workers = 1
        let running = try h.start(v2Config(fx, "sample => true buffer_size => \"1mb\" read_timeout => 3") + """
            output { slow_capture { delay_ms => 150 } }
            """)
        #expect(await eventually(timeout: .seconds(20)) { ((try? fx.counters()["tweets_sent"] as? Int) ?? 0) >= 3000 })
        // The reader kept up: the fixture wrote everything on one connection in a few seconds.
        #expect(try fx.connections("v2_sample") == 1)
        var last = -1
        _ = await eventually(timeout: .seconds(20), every: .milliseconds(500)) {
            let now = SlowOutput.received.withLock { $0 }
            defer { last = now }
            return now == last
        }
        running.stop()
        _ = try await running.finish()
        let delivered = SlowOutput.received.withLock { $0 }
        func total(_ pattern: String) -> Int {
            logs.entries.compactMap { e -> Int? in
                guard let r = e.message.firstRange(of: pattern) else { return nil }
                return Int(e.message[..<r.lowerBound].split(separator: " ").last ?? "")
            }.reduce(0, +)
        }
        let dropped = total(" tweets (")
        let undelivered = total(" tweets read were not delivered")
        #expect(dropped > 0)
        #expect(delivered + dropped + undelivered == 3000, "delivered \(delivered), dropped \(dropped), undelivered \(undelivered)")
        #expect(logs.all.contains("buffer_size"))
    }

    @Test func settingsAreCheckedWithoutConnecting() {
        let h = twitterHarness(logs)
        let noCredentials = h.check(#"input { twitter { keywords => ["x"] } }"#)
        #expect(noCredentials?.description.contains("bearer_token") == true)
        let halfOAuth = h.check(#"input { twitter { consumer_key => "k" consumer_secret => "s" keywords => ["x"] } }"#)
        #expect(halfOAuth?.description.contains("oauth_token") == true)
        let noFilter = h.check(#"input { twitter { bearer_token => "b" } }"#)
        #expect(noFilter?.description.contains("sample => true") == true)
        let badBox = h.check(#"input { twitter { bearer_token => "b" locations => "1,2,3" } }"#)
        #expect(badBox?.description.contains("locations") == true)
        #expect(h.check(#"input { twitter { bearer_token => "b" sample => true } }"#) == nil)
        let longBackfill = h.check(#"input { twitter { bearer_token => "b" sample => true backfill_minutes => 6 } }"#)
        #expect(longBackfill?.description.contains("backfill_minutes") == true)
        let v11Backfill = h.check(#"input { twitter { consumer_key => "k" consumer_secret => "s" oauth_token => "t" oauth_token_secret => "u" use_samples => true backfill_minutes => 2 } }"#)
        #expect(v11Backfill?.description.contains("needs the v2 API") == true)
        let longTerm = String(repeating: "k", count: 600)
        #expect(h.check(#"input { twitter { bearer_token => "b" keywords => ["\#(longTerm)"] } }"#)?.description.contains("max_rule_length") == true)
        #expect(h.check(#"input { twitter { bearer_token => "b" keywords => ["\#(longTerm)"] max_rule_length => 1024 } }"#) == nil)
        // The seed's Logstash block, as written.
        #expect(h.check("""
            input { twitter { consumer_key => "API Key" consumer_secret => "API Secret Key" oauth_token => "Access Token"
                              oauth_token_secret => "Access Token Secret" keywords => ["bts"] full_tweet => true } }
            """) == nil)
    }
}
