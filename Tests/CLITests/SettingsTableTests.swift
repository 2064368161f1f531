import Foundation
import Testing

/// Pipeline settings through the binary: flags and sluice.yml go through one table, so the
/// same bad value gets the same message from both; `sluice settings` prints that table.
@Suite struct SettingsTableTests {
    private let pipeline = "input { generator { count => 1 } } output { null {} }"

    @Test func aBadValueGetsTheSameMessageFromAFlagAndFromTheFile() throws {
        let dir = try CLI.tempDir()
        let cases: [(flag: [String], key: String, value: String, message: String)] = [
            (["-w", "0"], "pipeline.workers", "0", "pipeline.workers must be at least 1, got 0"),
            (["-w", "-1"], "pipeline.workers", "-1", "pipeline.workers must be at least 1, got -1"),
            (["-w=-1"], "pipeline.workers", "-1", "pipeline.workers must be at least 1, got -1"),
            (["--pipeline.workers=-1"], "pipeline.workers", "-1", "pipeline.workers must be at least 1, got -1"),
            (["-b", "0"], "pipeline.batch.size", "0", "pipeline.batch.size must be at least 1, got 0"),
            (["-b", "-5"], "pipeline.batch.size", "-5", "pipeline.batch.size must be at least 1, got -5"),
            (["-b", "many"], "pipeline.batch.size", "many", "pipeline.batch.size must be a whole number, got `many`"),
            (["-u", "soon"], "pipeline.batch.delay", "soon",
             "pipeline.batch.delay must be a whole number of milliseconds (or a duration like 50ms, 1s), got `soon`"),
            (["--pipeline.ordered", "yes"], "pipeline.ordered", "yes", "pipeline.ordered must be one of auto, true, false, got `yes`"),
            (["--log.level", "loud"], "log.level", "loud",
             "log.level must be one of trace, debug, info, warn, error, fatal, got `loud`"),
            (["--pipeline.shutdown_timeout", "0"], "pipeline.shutdown_timeout", "0", "pipeline.shutdown_timeout must be more than 0, got 0"),
        ]
        for c in cases {
            let byFlag = try CLI.run(["check", "-e", pipeline] + c.flag)
            #expect(byFlag.status == 1, "\(c.flag)")
            #expect(byFlag.stderr.contains("error: " + c.message), "\(c.flag): \(byFlag.stderr)")
            try CLI.write("\(c.key): \(c.value)\n", to: dir + "/sluice.yml")
            let byFile = try CLI.run(["check", "-e", pipeline, "--path.settings", dir])
            #expect(byFile.status == 1, "\(c.key)")
            #expect(byFile.stderr.contains("sluice.yml:1: error: " + c.message), "\(c.key): \(byFile.stderr)")
        }
    }

    /// sluice.yml is YAML: a key without a value, a duplicate and an alias bomb are refused
    /// with the file's line; nested, flow and aliased values work.
    @Test func theSettingsFileIsReadAsYAML() throws {
        let dir = try CLI.tempDir()
        let cases: [(yml: String, error: String)] = [
            ("pipeline.workers: 1\nfoo:\n", "sluice.yml:2: error: unknown setting `foo`"),
            ("pipeline.workers: 1\npipeline:\n  workers: 2\n", "sluice.yml:3: error: `pipeline.workers` is set twice (first on line 1)"),
            ("pipeline: { workers: 0 }\n", "sluice.yml:1: error: pipeline.workers must be at least 1, got 0"),
        ]
        for c in cases {
            try CLI.write(c.yml, to: dir + "/sluice.yml")
            let r = try CLI.run(["check", "-e", pipeline, "--path.settings", dir])
            #expect(r.status == 1, "\(c.yml)")
            #expect(r.stderr.contains(c.error), "\(c.yml): \(r.stderr)")
        }
        try CLI.write("pipeline:\n  workers: &n 2\n  batch.size:\t9\nqueue.checkpoint.acks: *n\n", to: dir + "/sluice.yml")
        let good = try CLI.run(["-e", pipeline, "--path.settings", dir, "--log.level", "info"])
        #expect(good.status == 0, "\(good.stderr)")
        #expect(good.stderr.contains("workers=2") || good.stderr.contains("workers: 2"), "\(good.stderr)")
        #expect(good.stderr.contains("batch_size=9") || good.stderr.contains("batch_size: 9"), "\(good.stderr)")
    }

    @Test func goodFlagValuesAreApplied() throws {
        let r = try CLI.run(["-e", pipeline, "-w", "2", "-b", "9", "-u", "10ms", "--pipeline.shutdown_timeout", "2m",
                             "--log.level", "info"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("workers=2") || r.stderr.contains("workers: 2"), "\(r.stderr)")
        #expect(r.stderr.contains("batch_size=9") || r.stderr.contains("batch_size: 9"), "\(r.stderr)")
    }

    @Test func costlyValuesAreWarnedAbout() throws {
        let r = try CLI.run(["check", "-e", pipeline, "-w", "1000", "-b", "200000", "--log.level", "warn"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("pipeline.workers is 1000, more than 4x the"), "\(r.stderr)")
        #expect(r.stderr.contains("pipeline.batch.size is 200000, above 100,000"), "\(r.stderr)")
        let quiet = try CLI.run(["check", "-e", pipeline, "-w", "1", "--log.level", "warn"])
        #expect(!quiet.stderr.contains("pipeline.workers is"), "\(quiet.stderr)")
    }

    @Test func settingsCommandPrintsTheTable() throws {
        let text = try CLI.run(["settings"])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("pipeline.shutdown_timeout"))
        #expect(text.stdout.contains("default 60s"))
        #expect(text.stdout.contains("[-w, --pipeline.workers]"))
        let md = try CLI.run(["settings", "--format", "markdown"])
        #expect(md.stdout.contains("| `pipeline.batch.size` | `-b, --pipeline.batch.size` | count (at least 1) | `125` |"), "\(md.stdout)")
        #expect(md.stdout.contains("| `queue.max_bytes` |"))
    }

    /// `queue inspect` and `queue repair` find the queue the way `run` does: from sluice.yml's
    /// path.data and pipeline.id (or path.queue), flags winning.
    @Test func queueCommandsReadPathSettings() throws {
        let dir = try CLI.tempDir()
        try CLI.write("queue.type: persisted\npath.data: \(dir)/data\npipeline.id: ingest\n", to: dir + "/sluice.yml")
        let run = try CLI.run(["-e", "input { generator { count => 3 } } output { null {} }",
                               "--path.settings", dir, "--log.level", "error"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir + "/data/queue/ingest/checkpoint"))

        let inspect = try CLI.run(["queue", "inspect", "--path.settings", dir])
        #expect(inspect.status == 0, "\(inspect.stderr)")
        #expect(inspect.stdout.hasPrefix("queue \(dir)/data/queue/ingest\n"), "\(inspect.stdout)")
        #expect(inspect.stdout.contains("page.1:"), "\(inspect.stdout)")
        #expect(inspect.stdout.contains(" 0 unacknowledged events"), "\(inspect.stdout)")

        let repair = try CLI.run(["queue", "repair", "--path.settings", dir + "/sluice.yml"])
        #expect(repair.status == 0, "\(repair.stderr)")

        let other = try CLI.run(["queue", "inspect", "--path.settings", dir, "--pipeline.id", "other"])
        #expect(other.stdout.hasPrefix("queue \(dir)/data/queue/other\n"), "\(other.stdout)")
        #expect(other.stdout.contains("no pages"))

        try CLI.write("path.queue: \(dir)/elsewhere\n", to: dir + "/sluice.yml")
        let explicit = try CLI.run(["queue", "inspect", "--path.settings", dir])
        #expect(explicit.stdout.hasPrefix("queue \(dir)/elsewhere\n"), "\(explicit.stdout)")

        try CLI.write("path.dta: \(dir)\n", to: dir + "/sluice.yml")
        let typo = try CLI.run(["queue", "repair", "--path.settings", dir])
        #expect(typo.status == 1)
        #expect(typo.stderr.contains("sluice.yml:1: error: unknown setting `path.dta`; did you mean `path.data`?"), "\(typo.stderr)")
    }
}
