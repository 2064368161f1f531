import Foundation
import Testing

/// The second reference deployment's Elasticsearch files pass `sluice check`: the seed's own
/// Logstash file (placeholders filled in) and the shipped pipeline.
@Suite struct SeedElasticsearchCheckTests {
    @Test func theSeedsLogstashFilePassesCheckAsWritten() throws {
        let dir = try CLI.tempDir()
        // ../shared/reference/seed-twitter-logstash-es-bigquery.md, "kafka consumer 설정", with
        // {server ip} filled in: hosts as a string without scheme, workers and codec on the output.
        try CLI.write("""
            input {
              kafka {
                bootstrap_servers => "10.0.0.2:9092"
                codec => json_lines
                consumer_threads => 1
                group_id => "twitter_log_to_es"
            	topics => "twitter"
              }
            }
            output {
              elasticsearch {
                codec => json
                hosts => "10.0.0.3:9200"
                index => "twitter-%{+YYYYMMdd}"
                workers => 1
              }
            }
            """, to: dir + "/logstash.conf")
        let r = try CLI.run(["check", "-f", dir + "/logstash.conf"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("Configuration OK"))
        #expect(r.stderr.contains("`workers` changes nothing") && r.stderr.contains("`codec` changes nothing"), "\(r.stderr)")
    }

    @Test func theShippedKafkaToElasticsearchPipelinePassesCheck() throws {
        let parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        let path = (parts.dropLast(3) + ["pipelines", "seed2", "kafka-to-elasticsearch.conf"]).joined(separator: "/")
        let r = try CLI.run(["check", "-f", path], environment: ["ES_HOSTS": "http://127.0.0.1:9200"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("Configuration OK"))
    }
}
