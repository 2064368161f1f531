import Foundation
import Testing

/// The `dead_letter_queue.*` keys of sluice.yml, through the binary.
@Suite struct DeadLetterSettingsTests {
    private let pipeline = "input { generator { count => 1 } } output { null {} }"

    @Test func theKeysAreAcceptedFlatOrNested() throws {
        let dir = try CLI.tempDir()
        try CLI.write("""
            dead_letter_queue:
              enable: true
              max_bytes: 10mb
              storage_policy: drop_older
              retain:
                age: 5d
              flush_interval: 1000
            path.dead_letter_queue: \(dir)/dlq
            """, to: dir + "/sluice.yml")
        let r = try CLI.run(["check", "-e", pipeline, "--path.settings", dir])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/dlq"), "check opens no queue")
        try CLI.write("""
            dead_letter_queue.enable: false
            dead_letter_queue.storage_policy: drop_newer
            dead_letter_queue.retain.age: 90m
            """, to: dir + "/sluice.yml")
        let flat = try CLI.run(["check", "-e", pipeline, "--path.settings", dir])
        #expect(flat.status == 0, "\(flat.stderr)")
    }

    @Test func badValuesAreRejectedWithTheirLineNumbers() throws {
        let dir = try CLI.tempDir()
        let cases: [(yml: String, expected: String)] = [
            ("pipeline.workers: 1\ndead_letter_queue.max_bytes: lots\n",
             "sluice.yml:2: error: dead_letter_queue.max_bytes must be a size like 64mb or a number of bytes, got `lots`"),
            ("dead_letter_queue.enable: yes\n", "sluice.yml:1: error: dead_letter_queue.enable must be true or false, got `yes`"),
            ("# policy\n\ndead_letter_queue.storage_policy: drop_oldest\n",
             "sluice.yml:3: error: dead_letter_queue.storage_policy must be one of drop_newer, drop_older, got `drop_oldest`"),
            ("dead_letter_queue:\n  retain:\n    age: 5\n",
             "sluice.yml:3: error: dead_letter_queue.retain.age must be a duration with a unit like 5d, 12h or 30m, got `5`"),
            ("dead_letter_queue.retain.age: soon\n", "sluice.yml:1: error: dead_letter_queue.retain.age must be a duration"),
            ("dead_letter_queue.flush_interval: 0\n", "sluice.yml:1: error: dead_letter_queue.flush_interval must be at least 1 ms, got 0"),
            ("dead_letter_queue.max_bytes: 0\n", "sluice.yml:1: error: dead_letter_queue.max_bytes must be at least 1 byte, got 0"),
        ]
        for c in cases {
            try CLI.write(c.yml, to: dir + "/sluice.yml")
            let r = try CLI.run(["check", "-e", pipeline, "--path.settings", dir])
            #expect(r.status == 1, "\(c.yml)")
            #expect(r.stderr.contains(c.expected), "\(r.stderr)")
        }
        try CLI.write("dead_letter_queue.storage_policy: drop_oldest\n", to: dir + "/sluice.yml")
        let policy = try CLI.run(["check", "-e", pipeline, "--path.settings", dir])
        #expect(policy.stderr.contains("did you mean `drop_older`?"), "\(policy.stderr)")
        try CLI.write("dead_letter_queue.enabled: true\n", to: dir + "/sluice.yml")
        let typo = try CLI.run(["check", "-e", pipeline, "--path.settings", dir])
        #expect(typo.status == 1)
        #expect(typo.stderr.contains("sluice.yml:1: error: unknown setting `dead_letter_queue.enabled`"))
        #expect(typo.stderr.contains("did you mean `dead_letter_queue.enable`?"))
    }

    @Test func runOpensTheQueueUnderPathDataAndASecondProcessIsRefused() async throws {
        let dir = try CLI.tempDir()
        try CLI.write("dead_letter_queue.enable: true\n", to: dir + "/sluice.yml")
        let lock = dir + "/data/dead_letter_queue/main/.lock"
        let r = try CLI.run(["-e", pipeline, "--path.settings", dir, "--path.data", dir + "/data", "--log.level", "error"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: lock))

        let forever = try CLI.start(["-e", "input { generator { count => 0 } } output { null {} }",
                                     "--path.settings", dir, "--path.data", dir + "/data", "--log.level", "error"])
        defer { if forever.isRunning { kill(forever.processIdentifier, SIGKILL) } }
        await CLI.pause(1.0)
        #expect(forever.isRunning)
        let second = try CLI.run(["-e", pipeline, "--path.settings", dir, "--path.data", dir + "/data"])
        #expect(second.status == 1)
        #expect(second.stderr.contains("in use by another writer"), "\(second.stderr)")
        kill(forever.processIdentifier, SIGTERM)
        await CLI.exit(of: forever)
        #expect(forever.terminationStatus == 0)
    }

    @Test func theInputIsKnownToCheck() throws {
        let ok = try CLI.run(["check", "-e", #"input { dead_letter_queue { path => "/tmp/dlq" pipeline_id => "main" } }"#])
        #expect(ok.status == 0, "\(ok.stderr)")
        let bad = try CLI.run(["check", "-e", #"input { dead_letter_queue { path => "/tmp/dlq" clean_consumed => true commit_offsets => false } }"#])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("clean_consumed"))
    }
}
