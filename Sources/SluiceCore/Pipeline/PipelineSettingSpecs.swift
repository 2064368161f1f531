/// The one table of pipeline settings. It drives the `sluice.yml` reader (keys, values, "did
/// you mean"), the command-line flags (each flag value is validated here, so a bad value gets
/// the same message from both), `sluice settings` and docs/SETTINGS.md. Keys are Logstash's.
public enum PipelineSettingSpecs {
    public static let all: [PipelineSettingSpec] = pipeline + queue + deadLetterQueue

    static let pipeline: [PipelineSettingSpec] = [
        string("pipeline.id", default: "main", doc: "Name of the pipeline; names its queue and dead-letter directories.",
               { $0.id = $1 }, { $0.id }),
        count("pipeline.workers", 1...Int.max, default: nil, note: "the number of cores",
              doc: "Workers running filters and outputs in parallel.", { $0.workers = $1 }, { $0.workers },
              warning: { s in
                  let cores = PipelineSettings.cores
                  guard s.workers > 4 * cores else { return nil }
                  return "pipeline.workers is \(s.workers), more than 4x the \(cores) cores: each worker is a thread with its own "
                      + "filter instances and a batch in flight, so this costs memory and context switches without adding throughput"
              }),
        count("pipeline.batch.size", 1...Int.max, default: "125", doc: "Events a worker takes from the queue at a time.",
              { $0.batchSize = $1 }, { $0.batchSize },
              warning: { s in
                  guard s.batchSize > 100_000 else { return nil }
                  return "pipeline.batch.size is \(s.batchSize), above 100,000: each of the \(s.workers) workers holds a batch "
                      + "in memory and the queue holds two per worker, so up to \(s.batchSize * s.workers * 3) events are in "
                      + "memory at once, and each event waits for its whole batch"
              }),
        milliseconds("pipeline.batch.delay", 0...Int.max, default: "50",
                     doc: "Milliseconds a worker waits for a batch to fill before running a smaller one.",
                     { $0.batchDelay = .milliseconds($1) }, { Int($0.batchDelay / .milliseconds(1)) }),
        oneOf("pipeline.ordered", ["auto", "true", "false"], default: "auto",
              doc: "Keep event order: auto (when there is one worker), true (refuses more than one worker), false.",
              { $0.ordered = $1 }, { $0.ordered }),
        PipelineSettingSpec("pipeline.shutdown_timeout", .duration(bareUnit: 1), default: "60s",
                            doc: "After SIGINT/SIGTERM, how long in-flight events may drain before the process exits.",
                            apply: { $0.shutdownTimeout = $1.duration }, read: { .duration($0.shutdownTimeout) }),
        PipelineSettingSpec("pipeline.ecs_compatibility", .oneOf(["disabled", "v1", "v8"]), default: nil,
                            defaultNote: "each plugin's own default",
                            doc: "Default of every plugin's `ecs_compatibility` setting.",
                            apply: { $0.ecsCompatibility = $1.string }, read: { $0.ecsCompatibility.map { .string($0) } }),
        string("path.data", default: "data", type: .path, doc: "Where plugins and queues keep their state.",
               { $0.pathData = $1 }, { $0.pathData }),
        oneOf("log.level", PipelineSettings.logLevels, default: "info", doc: "Least severe log messages shown.",
              { $0.logLevel = $1 }, { $0.logLevel }),
        bool("config.support_escapes", default: "false",
             doc: "Interpret backslash escapes such as `\\n` and `\\t` in quoted strings of pipeline files.",
             { $0.supportEscapes = $1 }, { $0.supportEscapes }),
    ]

    static let queue: [PipelineSettingSpec] = [
        oneOf("queue.type", ["memory", "persisted"], default: "memory",
              doc: "memory (lost on a crash) or persisted (on disk, acknowledged end to end).",
              { $0.queue.type = $1 }, { $0.queue.type }),
        PipelineSettingSpec("path.queue", .path, default: nil, defaultNote: "<path.data>/queue/<pipeline.id>",
                            doc: "Directory of the persistent queue.",
                            apply: { $0.queue.path = $1.string }, read: { $0.queue.path.map { .string($0) } }),
        bytes("queue.page_capacity", default: "64mb", doc: "Size of one page file of the persistent queue.",
              { $0.queue.pageCapacity = $1 }, { $0.queue.pageCapacity }),
        bytes("queue.max_bytes", default: "1024mb", doc: "Inputs wait while the persistent queue's live pages hold this much.",
              { $0.queue.maxBytes = $1 }, { $0.queue.maxBytes }),
        count("queue.max_events", 0...Int.max, default: "0", doc: "Inputs wait while this many events are unacknowledged; 0: no limit.",
              { $0.queue.maxEvents = $1 }, { $0.queue.maxEvents }),
        count("queue.checkpoint.writes", 1...Int.max, default: "1024", doc: "Fsync and checkpoint after this many written events.",
              { $0.queue.checkpointWrites = $1 }, { $0.queue.checkpointWrites }),
        count("queue.checkpoint.acks", 1...Int.max, default: "1024", doc: "Checkpoint after this many acknowledged events.",
              { $0.queue.checkpointAcks = $1 }, { $0.queue.checkpointAcks }),
        milliseconds("queue.checkpoint.interval", 1...Int.max, default: "1000", doc: "Also fsync and checkpoint at least this often (ms).",
                     { $0.queue.checkpointInterval = $1 }, { $0.queue.checkpointInterval }),
        bool("queue.drain", default: "false", doc: "Deliver everything queued before exiting.",
             { $0.queue.drain = $1 }, { $0.queue.drain }),
    ]

    static let deadLetterQueue: [PipelineSettingSpec] = [
        bool("dead_letter_queue.enable", default: "false", doc: "Write events outputs cannot deliver to the dead-letter queue.",
             { $0.deadLetterQueue.enabled = $1 }, { $0.deadLetterQueue.enabled }),
        PipelineSettingSpec("path.dead_letter_queue", .path, default: nil, defaultNote: "<path.data>/dead_letter_queue",
                            doc: "Directory of the dead-letter queue; each pipeline writes to a subdirectory named by its pipeline.id.",
                            apply: { $0.deadLetterQueue.path = $1.string }, read: { $0.deadLetterQueue.path.map { .string($0) } }),
        bytes("dead_letter_queue.max_bytes", default: "1024mb", doc: "The most the dead-letter segments of one pipeline may hold.",
              { $0.deadLetterQueue.maxBytes = $1 }, { $0.deadLetterQueue.maxBytes }),
        PipelineSettingSpec("dead_letter_queue.storage_policy",
                            .oneOf(DeadLetterQueueSettings.StoragePolicy.allCases.map(\.rawValue)), default: "drop_newer",
                            doc: "When full: drop_newer refuses new entries, drop_older deletes the oldest segments.",
                            apply: { $0.deadLetterQueue.storagePolicy = DeadLetterQueueSettings.StoragePolicy(rawValue: $1.string) ?? .dropNewer },
                            read: { .string($0.deadLetterQueue.storagePolicy.rawValue) }),
        PipelineSettingSpec("dead_letter_queue.retain.age", .duration(bareUnit: nil), default: nil, defaultNote: "kept until consumed",
                            doc: "Segments older than this are deleted.",
                            apply: { $0.deadLetterQueue.retainAge = $1.duration.seconds },
                            read: { $0.deadLetterQueue.retainAge.map { .duration(.milliseconds(Int64(($0 * 1000).rounded()))) } }),
        milliseconds("dead_letter_queue.flush_interval", 1...Int.max, default: "5000",
                     doc: "A segment idle this long (ms) is sealed and becomes readable.",
                     { $0.deadLetterQueue.flushInterval = $1 }, { $0.deadLetterQueue.flushInterval }),
    ]

    private static let byKey = Dictionary(all.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })

    public static func spec(_ key: String) -> PipelineSettingSpec? { byKey[key] }

    /// Validates `value` for `key` and stores it in `settings`. Unknown keys get a "did you mean".
    public static func apply(_ key: String, _ value: String, to settings: inout PipelineSettings) throws(PipelineSettingError) {
        try checkKnown(key)
        guard let spec = byKey[key] else { return }
        spec.apply(&settings, try spec.validate(value))
    }

    /// Rejects a key the table does not hold, with a "did you mean".
    public static func checkKnown(_ key: String) throws(PipelineSettingError) {
        guard byKey[key] == nil else { return }
        // A key can be as long as the file: quote at most 80 characters of it.
        var msg = "unknown setting `\(key.count > 80 ? key.prefix(80) + "…" : key)`"
        if let near = Suggest.closest(to: key, in: all.map(\.key)) { msg += "; did you mean `\(near)`?" }
        throw PipelineSettingError(key: key, message: msg)
    }

    /// Checks that hold across settings, once all are applied.
    public static func checkCombination(_ s: PipelineSettings) throws(PipelineSettingError) {
        // As Logstash: ordering is kept by a single worker, so `true` refuses several.
        if s.ordered == "true" && s.workers > 1 {
            throw PipelineSettingError(key: "pipeline.ordered", message:
                "pipeline.ordered is true but pipeline.workers is \(s.workers); ordering needs exactly one worker")
        }
    }

    /// Warnings about legal values that cost a lot (memory, threads), saying what they cost.
    public static func warnings(for s: PipelineSettings) -> [String] { all.compactMap { $0.warning?(s) } }

    // Builders that keep the table above to one entry per setting.

    private static func count(_ key: String, _ range: ClosedRange<Int>, default d: String?, note: String? = nil, doc: String,
                              _ set: @escaping @Sendable (inout PipelineSettings, Int) -> Void,
                              _ get: @escaping @Sendable (PipelineSettings) -> Int,
                              warning: (@Sendable (PipelineSettings) -> String?)? = nil) -> PipelineSettingSpec {
        PipelineSettingSpec(key, .count(range), default: d, defaultNote: note, doc: doc,
                            apply: { set(&$0, $1.int) }, read: { .int(get($0)) }, warning: warning)
    }

    private static func milliseconds(_ key: String, _ range: ClosedRange<Int>, default d: String, doc: String,
                                     _ set: @escaping @Sendable (inout PipelineSettings, Int) -> Void,
                                     _ get: @escaping @Sendable (PipelineSettings) -> Int) -> PipelineSettingSpec {
        PipelineSettingSpec(key, .milliseconds(range), default: d, doc: doc, apply: { set(&$0, $1.int) }, read: { .int(get($0)) })
    }

    private static func bytes(_ key: String, default d: String, doc: String,
                              _ set: @escaping @Sendable (inout PipelineSettings, Int) -> Void,
                              _ get: @escaping @Sendable (PipelineSettings) -> Int) -> PipelineSettingSpec {
        PipelineSettingSpec(key, .bytes(min: 1), default: d, doc: doc, apply: { set(&$0, $1.int) }, read: { .int(get($0)) })
    }

    private static func bool(_ key: String, default d: String, doc: String,
                             _ set: @escaping @Sendable (inout PipelineSettings, Bool) -> Void,
                             _ get: @escaping @Sendable (PipelineSettings) -> Bool) -> PipelineSettingSpec {
        PipelineSettingSpec(key, .bool, default: d, doc: doc, apply: { set(&$0, $1.bool) }, read: { .bool(get($0)) })
    }

    private static func string(_ key: String, default d: String, type: PipelineSettingType = .string, doc: String,
                               _ set: @escaping @Sendable (inout PipelineSettings, String) -> Void,
                               _ get: @escaping @Sendable (PipelineSettings) -> String) -> PipelineSettingSpec {
        PipelineSettingSpec(key, type, default: d, doc: doc, apply: { set(&$0, $1.string) }, read: { .string(get($0)) })
    }

    private static func oneOf(_ key: String, _ allowed: [String], default d: String, doc: String,
                              _ set: @escaping @Sendable (inout PipelineSettings, String) -> Void,
                              _ get: @escaping @Sendable (PipelineSettings) -> String) -> PipelineSettingSpec {
        string(key, default: d, type: .oneOf(allowed), doc: doc, set, get)
    }
}
