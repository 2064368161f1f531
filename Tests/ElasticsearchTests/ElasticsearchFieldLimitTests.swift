import Foundation
import SluiceCore
import SluiceTesting
import Testing
@testable import ElasticsearchPlugins

extension ElasticsearchFixtureTests {
    /// The seed deployment's failure: full tweets carry over 1,000 distinct fields, and the daily
    /// index refused them with "Limit of total fields [1000] ... has been exceeded". Reproduced
    /// with the sample tweets, then fixed from the pipeline file with `index_settings`.
    @Suite struct FieldLimitTests {
        let es: ESFixture
        init() throws { es = try ESFixture() }

        func output(_ extra: String = "") -> String {
            """
            output { elasticsearch { hosts => "\(es.hostPort)" index => "twitter-20210803" document_id => "%{id_str}"
                     retry_initial_interval => 0.05 retry_max_interval => 0.5 \(extra) } }
            """
        }

        @Test func withoutIndexSettingsTheRejectionsAreExplainedAndNothingIsLost() async throws {
            let tweets = try sampleTweets()
            let logs = LogCapture()
            let result = try await esHarness(logs).run(output(), events: tweets, chunkSize: 100)
            #expect(result.acks.allSatisfy { $0 == .delivered }, "rejections are handled, not retried forever")
            let indexed = try es.count("twitter-20210803")
            #expect(result.deadLetters.count > 0 && indexed > 0)
            #expect(indexed + result.deadLetters.count == tweets.count, "every tweet indexed or dead-lettered")
            for letter in result.deadLetters {
                #expect(letter.reason.contains("Limit of total fields [1000] has been exceeded"))
                #expect(letter.reason.contains("index [twitter-20210803]"))
                #expect(letter.reason.contains("index.mapping.total_fields.limit"))
            }
            let warnings = logs.entries.filter { $0.level == .warning && $0.message.contains("exceed the field limit") }
            #expect(warnings.count == 1, "one warning per index: \(warnings.map(\.message))")
            #expect(warnings.first?.message.contains("twitter-20210803") == true)
        }

        @Test func indexSettingsRaiseTheLimitOfANewIndex() async throws {
            let tweets = try sampleTweets()
            let logs = LogCapture()
            let result = try await esHarness(logs).run(
                output(#"index_settings => { "index.mapping.total_fields.limit" => 5000 "number_of_replicas" => 0 }"#),
                events: tweets, chunkSize: 100)
            #expect(result.deadLetters.count == 0, "\(result.deadLetters.first?.reason ?? "")")
            #expect(try es.count("twitter-20210803") == tweets.count)
            let settings = try es.get("/twitter-20210803/_settings") as? [String: Any]
            let index = ((settings?["twitter-20210803"] as? [String: Any])?["settings"] as? [String: Any])?["index"] as? [String: Any]
            #expect(((index?["mapping"] as? [String: Any])?["total_fields"] as? [String: Any])?["limit"] as? String == "5000")
            #expect(index?["number_of_replicas"] as? String == "0")
            // The template carries them to tomorrow's index too.
            let templates = try es.get("/_index_template/twitter-20210803") as? [String: Any]
            let body = ((templates?["index_templates"] as? [[String: Any]])?.first?["index_template"]) as? [String: Any]
            let tsettings = (body?["template"] as? [String: Any])?["settings"] as? [String: Any]
            #expect(tsettings?["index.mapping.total_fields.limit"] as? Int == 5000)
        }

        @Test func indexSettingsRaiseTheLimitOfTheIndexThatAlreadyFailed() async throws {
            // As in the seed: the day's index exists, full, at the default limit.
            let tweets = try sampleTweets()
            let first = try await esHarness().run(output(), events: tweets, chunkSize: 100)
            #expect(first.deadLetters.count > 0)
            // Re-run the dead letters with the setting added: they all go in now.
            let logs = LogCapture()
            let again = first.deadLetters.map(\.event)
            let second = try await esHarness(logs).run(
                output(#"index_settings => { "index.mapping.total_fields.limit" => 5000 } template_overwrite => true"#),
                events: again, chunkSize: 100)
            #expect(second.deadLetters.count == 0, "\(second.deadLetters.first?.reason ?? "")")
            #expect(try es.count("twitter-20210803") == tweets.count)
            #expect(logs.entries.contains { $0.message.contains("applied index_settings to existing index [twitter-20210803]") })
        }

        @Test func indexMappingsReachTheIndex() async throws {
            let result = try await esHarness().run(
                output(#"index_mappings => { "dynamic" => "false" "properties" => { "n" => { "type" => "keyword" } } } manage_template => false"#),
                events: numbered(3))
            #expect(result.deadLetters.count == 0)
            let mapping = try es.get("/twitter-20210803/_mapping") as? [String: Any]
            let m = (mapping?["twitter-20210803"] as? [String: Any])?["mappings"] as? [String: Any]
            #expect(m?["dynamic"] as? String == "false")
            #expect(((m?["properties"] as? [String: Any])?["n"] as? [String: Any])?["type"] as? String == "keyword")
            let templates = (try es.get("/_index_template") as? [String: Any])?["index_templates"] as? [Any]
            #expect(templates?.isEmpty ?? true, "manage_template => false installs none")
        }

        @Test func indexMappingsReachAnExistingIndexAndATypeChangeIsOnlyWarnedAbout() async throws {
            // The index exists with `n` mapped dynamically (long).
            _ = try await esHarness().run(output("manage_template => false"), events: numbered(3))
            let logs = LogCapture()
            let result = try await esHarness(logs).run(
                output(#"index_mappings => { "dynamic" => "false" "properties" => { "tag" => { "type" => "keyword" } } } manage_template => false"#),
                events: numbered(3, from: 3))
            #expect(result.deadLetters.isEmpty)
            #expect(logs.entries.contains { $0.message.contains("applied index_mappings to existing index [twitter-20210803]") })
            let mapping = try es.get("/twitter-20210803/_mapping") as? [String: Any]
            let m = (mapping?["twitter-20210803"] as? [String: Any])?["mappings"] as? [String: Any]
            #expect(m?["dynamic"] as? String == "false")
            #expect(((m?["properties"] as? [String: Any])?["tag"] as? [String: Any])?["type"] as? String == "keyword")

            // A type Elasticsearch cannot change in place: a warning with its reason, the
            // documents still indexed.
            let logs2 = LogCapture()
            let changed = try await esHarness(logs2).run(
                output(#"index_mappings => { "properties" => { "n" => { "type" => "keyword" } } } manage_template => false"#),
                events: numbered(3, from: 6))
            #expect(changed.deadLetters.isEmpty && changed.acks.allSatisfy { $0 == .delivered })
            #expect(logs2.entries.contains { $0.level == .warning && $0.message.contains("index_mappings not applied")
                && $0.message.contains("cannot be changed from type") })
            let doc = try es.get("/twitter-20210803/_doc/%25%7Bid_str%7D") as? [String: Any]  // numbered events share one id here
            #expect((doc?["_source"] as? [String: Any])?["n"] as? Int == 8, "the last write went in")
        }
    }
}
