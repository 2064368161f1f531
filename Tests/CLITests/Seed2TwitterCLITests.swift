import Foundation
import Testing

/// The seed's own Logstash files for its Twitter → Kafka leg (../shared/reference,
/// seed-twitter-logstash-es-bigquery.md), copied as written with their placeholders filled
/// in, and the pipeline Sluice ships for it, pass `sluice check`.
@Suite struct Seed2TwitterCLITests {
    /// "configure logstash": the twitter input into a daily file.
    static let twitterToFile = """
        input {
          twitter {
        \tconsumer_key => "API Key"
        \tconsumer_secret => "API Secret Key"
        \toauth_token => "Access Token"
        \toauth_token_secret => "Access Token Secret"
        \tkeywords => ["bts"]
        \tfull_tweet => true
          }
        }
        output {
          file {
        \tpath => "/tmp/twitter-%{+YYYY-MM-dd}.json"
        \tcodec => json_lines
          }
        }
        """

    /// "logstash output 수정": the output switched to Kafka (`acks` a string).
    static let kafkaOutput = """
        output {
          kafka {
            topic_id => "twitter"
            bootstrap_servers => "10.0.0.5:9092"
            acks => "1"
            codec => json_lines
          }
        }
        """

    /// The consumer side's input (`topics` a string, not an array).
    static let kafkaInput = """
        input {
          kafka {
            bootstrap_servers => "10.0.0.5:9092"
            codec => json_lines
            consumer_threads => 1
            group_id => "twitter_log_to_es"
        \ttopics => "twitter"
          }
        }
        """

    @Test func seedTwitterInputAndKafkaBlocksPassCheckAsWritten() throws {
        let inputOnly = Self.twitterToFile.components(separatedBy: "output {")[0]
        for (name, config) in [("twitter → file", Self.twitterToFile),
                               ("twitter → kafka", inputOnly + Self.kafkaOutput),
                               ("kafka → stdout", Self.kafkaInput + "\noutput { stdout { } }")] {
            let r = try CLI.run(["check", "-e", config])
            #expect(r.status == 0, "\(name): \(r.stderr)\(r.stdout)")
            // Secrets never echoed, even in a successful check.
            #expect(!(r.stdout + r.stderr).contains("API Secret Key"), "\(name)")
        }
    }

    @Test func shippedTwitterToKafkaPipelinePassesCheck() throws {
        let parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        let file = (parts.dropLast(3) + ["pipelines", "seed2", "twitter-to-kafka.conf"]).joined(separator: "/")
        let ok = try CLI.run(["check", "-f", file], environment: ["TWITTER_BEARER_TOKEN": "a-bearer-token"])
        #expect(ok.status == 0, "\(ok.stderr)\(ok.stdout)")
        // Without any credentials the check says what is missing, without connecting anywhere.
        let missing = try CLI.run(["check", "-f", file], environment: ["TWITTER_BEARER_TOKEN": ""])
        #expect(missing.status != 0)
        #expect((missing.stderr + missing.stdout).contains("bearer_token"))
    }
}
