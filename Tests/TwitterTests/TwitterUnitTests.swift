import SluiceCore
import SluiceTesting
import Testing
@testable import TwitterPlugins

@Suite struct OAuth1SignerTests {
    /// Twitter's "Creating a signature" page (its published credentials, nonce and timestamp).
    @Test func signatureEqualsTwitterDocsExample() {
        let signer = OAuth1Signer(credentials: OAuth1Credentials(
            consumerKey: "xvz1evFS4wEEPTGEFPHBog", consumerSecret: "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
            token: "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb", tokenSecret: "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE"))
        let header = signer.authorization(method: "POST", url: "https://api.twitter.com/1.1/statuses/update.json?include_entities=true",
                                          form: [("status", "Hello Ladies + Gentlemen, a signed OAuth request!")],
                                          nonce: "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg", timestamp: 1318622958)
        #expect(header.hasPrefix("OAuth "))
        #expect(header.contains(#"oauth_signature="hCtSmYh%2BiHYCEqBWrE7C7hYmtUk%3D""#))
        #expect(header.contains(#"oauth_nonce="kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg""#))
        #expect(header.contains(#"oauth_timestamp="1318622958""#))
        #expect(!header.contains("kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw"))
        #expect(!header.contains("LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE"))
    }

    /// RFC 5849 §1.2 (the photos.example.net request; no oauth_version, as the RFC sends it).
    @Test func signatureEqualsRFC5849Example() {
        let signer = OAuth1Signer(credentials: OAuth1Credentials(consumerKey: "dpf43f3p2l4k3l03", consumerSecret: "kd94hf93k423kf44",
                                                                 token: "nnch734d00sl2jdk", tokenSecret: "pfkkdhi9sl3r4s00"))
        let url = "http://photos.example.net/photos?file=vacation.jpg&size=original"
        let oauth = [("oauth_consumer_key", "dpf43f3p2l4k3l03"), ("oauth_token", "nnch734d00sl2jdk"),
                     ("oauth_signature_method", "HMAC-SHA1"), ("oauth_timestamp", "137131202"), ("oauth_nonce", "chapoH")]
        #expect(signer.signature(method: "GET", url: url, parameters: OAuth1Signer.queryPairs(url) + oauth) == "MdpQcU8iPSUjWoN/UDMsK2sui9I=")
        #expect(OAuth1Signer.baseURI("HTTP://Example.COM:80/r%20v/X?id=123") == "http://example.com/r%20v/X")
        #expect(OAuth1Signer.baseURI("https://www.example.net:8080/?q=1") == "https://www.example.net:8080/")
        #expect(OAuth1Signer.encode("Ladies + Gentlemen, ~ok!") == "Ladies%20%2B%20Gentlemen%2C%20~ok%21")
    }

    @Test func everyRequestGetsAFreshNonceAndTheCurrentTime() {
        let signer = OAuth1Signer(credentials: OAuth1Credentials(consumerKey: "k", consumerSecret: "s", token: "t", tokenSecret: "ts"))
        func field(_ header: String, _ name: String) -> String? {
            guard let r = header.firstRange(of: name + "=\"") else { return nil }
            return String(header[r.upperBound...].prefix { $0 != "\"" })
        }
        let a = signer.authorization(method: "GET", url: "https://stream.twitter.com/1.1/statuses/sample.json")
        let b = signer.authorization(method: "GET", url: "https://stream.twitter.com/1.1/statuses/sample.json")
        #expect(field(a, "oauth_nonce") != nil)
        #expect(field(a, "oauth_nonce") != field(b, "oauth_nonce"))
        let now = Timestamp.now().epochSeconds
        #expect(abs((Int64(field(b, "oauth_timestamp") ?? "") ?? 0) - now) <= 2)
    }
}

@Suite struct TwitterReconnectTests {
    @Test func networkErrorsBackOffLinearlyBy250msUpTo16s() {
        var p = TwitterReconnect()
        let delays = (0..<70).map { _ in p.delay(after: .network) }
        #expect(Array(delays.prefix(4)) == [.milliseconds(250), .milliseconds(500), .milliseconds(750), .seconds(1)])
        #expect(delays[63] == .seconds(16))
        #expect(delays[69] == .seconds(16))
    }

    @Test func httpErrorsBackOffExponentiallyFrom5sTo320s() {
        var p = TwitterReconnect()
        let delays = (0..<9).map { _ in p.delay(after: .http) }
        #expect(delays == [5, 10, 20, 40, 80, 160, 320, 320, 320].map { Duration.seconds($0) })
    }

    @Test func rateLimitsBackOffFrom60sAndHonourTheAnnouncedReset() {
        var p = TwitterReconnect(rateLimitMax: .seconds(900))
        let delays = (0..<6).map { _ in p.delay(after: .rateLimited) }
        #expect(delays == [60, 120, 240, 480, 900, 900].map { Duration.seconds($0) })
        var q = TwitterReconnect(rateLimitMax: .seconds(900))
        #expect(q.delay(after: .rateLimited, rateLimitReset: .seconds(200)) == .seconds(200))
        #expect(q.delay(after: .rateLimited, rateLimitReset: .seconds(5000)) == .seconds(900))
    }

    @Test func anEstablishedStreamThatDropsReconnectsAtOnceAndSuccessResets() {
        var p = TwitterReconnect()
        #expect(p.delay(after: .disconnected(lasted: .seconds(30))) == .zero)
        // Dropped within a second of being accepted: a network failure, not a tight loop.
        #expect(p.delay(after: .disconnected(lasted: .milliseconds(10))) == .milliseconds(250))
        #expect(p.delay(after: .http) == .seconds(5))
        #expect(p.delay(after: .http) == .seconds(10))
        p.connected()
        #expect(p.delay(after: .http) == .seconds(5))
        #expect(p.delay(after: .network) == .milliseconds(250))
    }
}

@Suite struct TwitterRulesTests {
    @Test func logstashSettingsBecomeV2Rules() throws {
        let rules = try TwitterStreamV2.rules(keywords: ["bts", "cat has:media", "\"exact phrase\""], follows: ["123"],
                                              locations: [[-122.75, 36.8, -121.75, 37.8]], languages: ["en", "ko"],
                                              ignoreRetweets: true)
        #expect(rules == ["(bts OR (cat has:media) OR \"exact phrase\" OR from:123 OR bounding_box:[-122.75 36.8 -121.75 37.8]) (lang:en OR lang:ko) -is:retweet"])
        #expect(try TwitterStreamV2.rules(keywords: ["bts"], follows: [], locations: [], languages: ["ko"], ignoreRetweets: false)
                == ["bts lang:ko"])
    }

    @Test func manyTermsArePackedIntoRulesOfAtMost512Characters() throws {
        let keywords = (0..<200).map { "keyword\($0)" }
        let rules = try TwitterStreamV2.rules(keywords: keywords, follows: [], locations: [], languages: ["en"], ignoreRetweets: false)
        #expect(rules.count > 1)
        #expect(rules.allSatisfy { $0.count <= 512 && $0.hasSuffix(" lang:en") })
        let terms = rules.flatMap { $0.dropFirst().prefix { $0 != ")" }.split(separator: " ").filter { $0 != "OR" }.map(String.init) }
        #expect(terms == keywords)
    }
}

@Suite struct TwitterEventDecoderTests {
    @Test func fullTweetsCompactEventsAndParseFailures() throws {
        let v2 = Array(#"{"data":{"id":"7","text":"hi #x","created_at":"2023-03-03T01:42:05.000Z","author_id":"9","entities":{"hashtags":[{"tag":"x"}]}},"includes":{"users":[{"id":"9","username":"ann"}]},"matching_rules":[{"id":"1","tag":"t"}]}"#.utf8)
        let full = TwitterEventDecoder(version: .v2, target: nil, fullTweet: true, ignoreRetweets: false)
        guard case .event(let e) = full.decode(v2[...]) else { Issue.record("no event"); return }
        #expect(e.v2Id == "7")
        #expect(e.timestamp == DateParsing.parseISO8601("2023-03-03T01:42:05.000Z"))

        let compact = TwitterEventDecoder(version: .v2, target: try FieldReference(parsing: "[tweet]"), fullTweet: false, ignoreRetweets: false)
        guard case .event(let c) = compact.decode(v2[...]) else { Issue.record("no event"); return }
        #expect(c[try FieldReference(parsing: "[tweet][message]")]?.stringValue == "hi #x")
        #expect(c[try FieldReference(parsing: "[tweet][user]")]?.stringValue == "ann")
        #expect(c[try FieldReference(parsing: "[tweet][hashtags]")] == .array([.string("x")]))

        var foreign = full
        foreign.deliveringIds = ["2"]
        guard case .skipped = foreign.decode(v2[...]) else { Issue.record("a tweet of another owner's rule was delivered"); return }

        guard case .event(let bad) = full.decode(Array("not json".utf8)[...]) else { Issue.record("no event"); return }
        #expect(bad.message == "not json")
        #expect(bad.hasTag("_jsonparsefailure"))

        let v11 = TwitterEventDecoder(version: .v11, target: nil, fullTweet: true, ignoreRetweets: true)
        guard case .control(let warning?) = v11.decode(Array(#"{"limit":{"track":12}}"#.utf8)[...]) else {
            Issue.record("limit notice not reported"); return
        }
        #expect(warning.contains("12"))
        guard case .skipped = v11.decode(Array(#"{"id_str":"1","user":{},"retweeted_status":{}}"#.utf8)[...]) else {
            Issue.record("retweet not skipped"); return
        }
        #expect(TwitterEventDecoder.parseV11Date("Fri Mar 03 01:42:05 +0000 2023") == DateParsing.parseISO8601("2023-03-03T01:42:05Z"))
        #expect(TwitterEventDecoder.parseV11Date("Fri Mar 03 03:42:05 +0200 2023") == DateParsing.parseISO8601("2023-03-03T01:42:05Z"))
    }

    @Test func droppedTweetsAreNamedByTheirIds() {
        #expect(DropReport.tweetId(Array(#"{"data":{"id":"1630000000000346029","text":"x"}}"#.utf8)) == "1630000000000346029")
        #expect(DropReport.tweetId(Array(#"{"created_at":"x","id":163,"id_str":"163"}"#.utf8)) == "163")
    }
}

@Suite struct TweetBufferTests {
    @Test func aFullBufferRefusesLinesAndKeepsTheRestInOrder() async {
        let buffer = TweetBuffer(capacity: 10)
        #expect(buffer.push(Array("aaaa".utf8)))
        #expect(buffer.push(Array("bbbb".utf8)))
        #expect(!buffer.push(Array("cccc".utf8)))  // 12 > 10: refused, nothing stored
        #expect(buffer.bytes == 8)
        #expect(await buffer.take(max: 10) == [Array("aaaa".utf8), Array("bbbb".utf8)])
        #expect(buffer.push(Array("dddd".utf8)))
        buffer.finish()
        #expect(!buffer.push(Array("e".utf8)))
        #expect(await buffer.take(max: 10) == [Array("dddd".utf8)])
        #expect(await buffer.take(max: 10) == nil)
    }

    @Test func aWaitingConsumerIsWokenByAPushAndByCancellation() async throws {
        let buffer = TweetBuffer(capacity: 1 << 20)
        let consumer = Task { await buffer.take(max: 5) }
        try await Task.sleep(for: .milliseconds(100))
        #expect(buffer.push(Array("x".utf8)))
        #expect(await consumer.value == [Array("x".utf8)])
        let cancelled = Task { await buffer.take(max: 5) }
        try await Task.sleep(for: .milliseconds(100))
        cancelled.cancel()
        #expect(await cancelled.value == nil)
    }

    @Test func droppedTweetsAreLoggedWithTheirIds() {
        let logs = LogCapture()
        var report = DropReport()
        report.add(Array(#"{"data":{"id":"111","text":"a"}}"#.utf8))
        report.add(Array(#"{"data":{"id":"222","text":"b"}}"#.utf8))
        report.flush(logs.logger, bufferSize: 1024)
        #expect(logs.count(.warning) == 1)
        #expect(logs.all.contains("dropped 2 tweets"))
        #expect(logs.all.contains("111, 222"))
        report.flush(logs.logger, bufferSize: 1024)
        #expect(logs.count(.warning) == 1)  // nothing new dropped, nothing said
    }
}

@Suite struct TwitterSettingsTests {
    func input(_ settings: [String: Value]) throws -> TwitterInput {
        var values = Dictionary(uniqueKeysWithValues: TwitterInput.settingSpecs.compactMap { s in s.defaultValue.map { (s.name, $0) } })
        values.merge(settings) { $1 }
        return try TwitterInput(settings: PluginSettings(pluginName: "twitter", id: "twitter_1", values: values),
                                context: PluginContext(logger: Logger(label: "test"), pipeline: PipelineSettings()))
    }

    @Test func apiChoiceAndTheReadTimeoutThatGoesWithIt() throws {
        let v2 = try input(["bearer_token": "b", "keywords": .array([.string("x")])])
        #expect(v2.api == .v2)
        #expect(v2.readTimeout == .seconds(20))
        #expect(v2.v2?.tag == "sluice/main/twitter_1")
        let v11 = try input(["consumer_key": "k", "consumer_secret": "s", "oauth_token": "t", "oauth_token_secret": "ts",
                             "keywords": .array([.string("x")])])
        #expect(v11.api == .v11)
        #expect(v11.readTimeout == .seconds(90))
        #expect(v11.v11?.baseURL == "https://stream.twitter.com")
        // Both given: v2 (v1.1 is shut down), unless asked for.
        let both = try input(["bearer_token": "b", "consumer_key": "k", "consumer_secret": "s", "oauth_token": "t",
                              "oauth_token_secret": "ts", "keywords": .array([.string("x")]), "read_timeout": .double(1.5)])
        #expect(both.api == .v2)
        #expect(both.readTimeout == .milliseconds(1500))
        #expect(both.v2?.baseURL == "https://api.twitter.com")
    }
}

@Suite struct RecentTweetIdsTests {
    @Test func repeatsAreRecognisedAndTheOldestIdsForgottenFirst() {
        var recent = RecentTweetIds(capacity: 3)
        let firsts = [1, 2, 3, 2, 4, 1, 3, 4].map { recent.firstSeen(UInt64($0)) }
        // 2 again is a repeat; 4 pushes 1 out, so 1 is new again and pushes 2 out; 3 and 4 are held.
        #expect(firsts == [true, true, true, false, true, true, false, false])
    }
}
