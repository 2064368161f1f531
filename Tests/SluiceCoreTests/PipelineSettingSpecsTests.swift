import Testing
@testable import SluiceCore

/// The pipeline settings table: each type's validation, unknown keys, and that
/// `PipelineSettings()` starts at the table's defaults.
@Suite struct PipelineSettingSpecsTests {
    private func applied(_ key: String, _ value: String) throws -> PipelineSettings {
        var s = PipelineSettings()
        try PipelineSettingSpecs.apply(key, value, to: &s)
        return s
    }

    private func message(_ key: String, _ value: String) -> String? {
        var s = PipelineSettings()
        do { try PipelineSettingSpecs.apply(key, value, to: &s) } catch { return error.message }
        return nil
    }

    @Test func countsAreWholeNumbersWithinTheirRange() throws {
        #expect(try applied("pipeline.workers", "3").workers == 3)
        #expect(message("pipeline.workers", "0") == "pipeline.workers must be at least 1, got 0")
        #expect(message("pipeline.workers", "-2") == "pipeline.workers must be at least 1, got -2")
        #expect(message("pipeline.workers", "two") == "pipeline.workers must be a whole number, got `two`")
        #expect(message("pipeline.batch.size", "1.5") == "pipeline.batch.size must be a whole number, got `1.5`")
        #expect(try applied("queue.max_events", "0").queue.maxEvents == 0)
        #expect(message("queue.checkpoint.acks", "0") == "queue.checkpoint.acks must be at least 1, got 0")
    }

    @Test func bytesTakeUnits() throws {
        #expect(try applied("queue.max_bytes", "2gb").queue.maxBytes == 2 << 30)
        #expect(try applied("queue.page_capacity", "512kb").queue.pageCapacity == 512 << 10)
        #expect(try applied("dead_letter_queue.max_bytes", "4096").deadLetterQueue.maxBytes == 4096)
        #expect(message("queue.max_bytes", "lots") == "queue.max_bytes must be a size like 64mb or a number of bytes, got `lots`")
        #expect(message("queue.max_bytes", "0") == "queue.max_bytes must be at least 1 byte, got 0")
    }

    @Test func millisecondsArePlainNumbersOrDurations() throws {
        #expect(try applied("pipeline.batch.delay", "0").batchDelay == .zero)
        #expect(try applied("pipeline.batch.delay", "75").batchDelay == .milliseconds(75))
        #expect(try applied("pipeline.batch.delay", "1s").batchDelay == .seconds(1))
        #expect(try applied("queue.checkpoint.interval", "250ms").queue.checkpointInterval == 250)
        #expect(message("pipeline.batch.delay", "-1") == "pipeline.batch.delay must be at least 0 ms, got -1")
        #expect(message("dead_letter_queue.flush_interval", "soon")?.hasPrefix(
            "dead_letter_queue.flush_interval must be a whole number of milliseconds") == true)
    }

    @Test func shutdownTimeoutTakesLogstashDurationsAndPlainSeconds() throws {
        #expect(try applied("pipeline.shutdown_timeout", "60s").shutdownTimeout == .seconds(60))
        #expect(try applied("pipeline.shutdown_timeout", "2m").shutdownTimeout == .seconds(120))
        #expect(try applied("pipeline.shutdown_timeout", "500ms").shutdownTimeout == .milliseconds(500))
        #expect(try applied("pipeline.shutdown_timeout", "90").shutdownTimeout == .seconds(90))
        #expect(message("pipeline.shutdown_timeout", "0") == "pipeline.shutdown_timeout must be more than 0, got 0")
        #expect(message("pipeline.shutdown_timeout", "later")
                == "pipeline.shutdown_timeout must be a duration like 60s, 2m or 500ms (or a number of seconds), got `later`")
    }

    @Test func retainAgeNeedsAUnit() throws {
        #expect(try applied("dead_letter_queue.retain.age", "5d").deadLetterQueue.retainAge == 5 * 86400)
        #expect(try applied("dead_letter_queue.retain.age", "90m").deadLetterQueue.retainAge == 5400)
        #expect(message("dead_letter_queue.retain.age", "5")
                == "dead_letter_queue.retain.age must be a duration with a unit like 5d, 12h or 30m, got `5`")
    }

    @Test func enumsBoolsAndStrings() throws {
        #expect(try applied("pipeline.ordered", "true").ordered == "true")
        #expect(message("pipeline.ordered", "yes") == "pipeline.ordered must be one of auto, true, false, got `yes`")
        #expect(message("queue.type", "persistent")
                == "queue.type must be one of memory, persisted, got `persistent` (did you mean `persisted`?)")
        #expect(try applied("dead_letter_queue.storage_policy", "drop_older").deadLetterQueue.storagePolicy == .dropOlder)
        #expect(try applied("log.level", "debug").logLevel == "debug")
        #expect(try applied("config.support_escapes", "true").supportEscapes)
        #expect(message("queue.drain", "yes") == "queue.drain must be true or false, got `yes`")
        #expect(try applied("path.data", "/var/lib/sluice").pathData == "/var/lib/sluice")
        #expect(try applied("path.queue", "/q").queueDirectory == "/q")
        #expect(message("pipeline.id", "") == "pipeline.id must not be empty")
    }

    @Test func unknownKeysGetTheClosestKnownOne() {
        #expect(message("pipeline.workerz", "1") == "unknown setting `pipeline.workerz`; did you mean `pipeline.workers`?")
        #expect(message("queue.checkpoint.write", "1")
                == "unknown setting `queue.checkpoint.write`; did you mean `queue.checkpoint.writes`?")
        #expect(message("nothing.like.it.at.all", "1") == "unknown setting `nothing.like.it.at.all`")
        let long = message(String(repeating: "k", count: 200_000), "1") ?? ""
        #expect(long == "unknown setting `" + String(repeating: "k", count: 80) + "…`", "a long key is quoted in part")
    }

    @Test func pipelineSettingsStartAtTheTableDefaults() throws {
        let fresh = PipelineSettings()
        var checked = 0
        for spec in PipelineSettingSpecs.all {
            if let d = spec.defaultValue {
                #expect(spec.read(fresh) == (try spec.validate(d)), "\(spec.key): table says \(d)")
                checked += 1
            } else {
                // No fixed default: unset (derived where it is used), except workers = cores.
                let expected: PipelineSettingValue? = spec.key == "pipeline.workers" ? .int(PipelineSettings.cores) : nil
                #expect(spec.read(fresh) == expected, "\(spec.key)")
                #expect(spec.defaultNote != nil, "\(spec.key) documents its derived default")
            }
        }
        #expect(checked >= 15)
        #expect(Set(PipelineSettingSpecs.all.map(\.key)).count == PipelineSettingSpecs.all.count, "keys are unique")
    }

    @Test func everyKeyReadsBackWhatWasApplied() throws {
        // The apply and read closures of each entry touch the same field.
        let samples: [String: String] = [
            "pipeline.id": "p2", "pipeline.workers": "7", "pipeline.batch.size": "9", "pipeline.batch.delay": "11",
            "pipeline.ordered": "false", "pipeline.shutdown_timeout": "5s", "pipeline.ecs_compatibility": "v1",
            "path.data": "/d", "log.level": "warn", "config.support_escapes": "true", "queue.type": "persisted",
            "path.queue": "/q", "queue.page_capacity": "1mb", "queue.max_bytes": "2mb", "queue.max_events": "3",
            "queue.checkpoint.writes": "4", "queue.checkpoint.acks": "5", "queue.checkpoint.interval": "6",
            "queue.drain": "true", "dead_letter_queue.enable": "true", "path.dead_letter_queue": "/dlq",
            "dead_letter_queue.max_bytes": "3mb", "dead_letter_queue.storage_policy": "drop_older",
            "dead_letter_queue.retain.age": "2h", "dead_letter_queue.flush_interval": "7",
        ]
        #expect(Set(samples.keys) == Set(PipelineSettingSpecs.all.map(\.key)), "a sample for every key")
        for spec in PipelineSettingSpecs.all {
            guard let text = samples[spec.key] else { continue }
            var s = PipelineSettings()
            try PipelineSettingSpecs.apply(spec.key, text, to: &s)
            #expect(spec.read(s) == (try spec.validate(text)), "\(spec.key)")
            #expect(spec.read(s) != spec.read(PipelineSettings()), "\(spec.key) changed")
        }
    }

    @Test func costlyValuesWarnWithTheirCost() {
        var s = PipelineSettings()
        #expect(PipelineSettingSpecs.warnings(for: s).isEmpty)
        s.workers = PipelineSettings.cores * 4 + 1
        s.batchSize = 200_000
        let w = PipelineSettingSpecs.warnings(for: s)
        #expect(w.count == 2)
        #expect(w.contains { $0.hasPrefix("pipeline.workers is \(s.workers), more than 4x the \(PipelineSettings.cores) cores") })
        #expect(w.contains { $0.hasPrefix("pipeline.batch.size is 200000, above 100,000") && $0.contains("\(200_000 * s.workers * 3) events") })
    }

    @Test func orderedTrueRefusesSeveralWorkers() throws {
        var s = PipelineSettings()
        s.ordered = "true"
        s.workers = 2
        #expect(throws: PipelineSettingError.self) { try PipelineSettingSpecs.checkCombination(s) }
        s.workers = 1
        try PipelineSettingSpecs.checkCombination(s)
    }
}
