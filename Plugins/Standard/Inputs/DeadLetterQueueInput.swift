import SluiceCore
import Synchronization

/// Reads a pipeline's dead-letter queue, like Logstash's `dead_letter_queue` input: each
/// entry's event, with `[@metadata][dead_letter_queue]` = { plugin_type, plugin_id, reason,
/// entry_time }. It follows new entries until the pipeline stops.
///
/// With `commit_offsets` the position is recorded only once the events before it were
/// acknowledged by every output, as the file input's sincedb, so a restart neither loses
/// nor (beyond the last second before a crash) repeats entries.
public final class DeadLetterQueueInput: InputPlugin {
    public static let pluginName = "dead_letter_queue"
    public static let summary = "Reads the entries of a pipeline's dead-letter queue and follows new ones."
    public static let settingSpecs: [SettingSpec] = [
        SettingSpec("path", .path, required: true,
                    doc: "The dead-letter queue root (`path.dead_letter_queue`); entries are read from `<path>/<pipeline_id>`."),
        SettingSpec("pipeline_id", .string, default: "main", doc: "The pipeline whose dead-letter queue is read."),
        SettingSpec("commit_offsets", .boolean, default: true,
                    doc: "Record the position once its entries were acknowledged, so a restart resumes after them."),
        SettingSpec("sincedb_path", .path,
                    doc: "File recording the position; default under `path.data/plugins/inputs/dead_letter_queue/<pipeline_id>`."),
        SettingSpec("start_timestamp", .string, doc: "Only entries written at or after this ISO8601 time (`2017-04-04T23:40:37`)."),
        SettingSpec("clean_consumed", .boolean, default: false,
                    doc: "Delete segments once all their entries were acknowledged (needs `commit_offsets`)."),
        SettingSpec("codec", .codec, default: "plain", doc: "Accepted for compatibility; entries are stored as events."),
    ]

    let directory: String
    let commitPath: String?
    let startTimestamp: Timestamp?
    let cleanConsumed: Bool
    let logger: Logger
    let batchSize: Int
    /// How often the queue is checked for new entries when idle.
    static let pollInterval = Duration.milliseconds(100)
    /// The position file is rewritten at most this often while running (and at stop).
    static let commitInterval = Duration.seconds(1)
    private static let metadataRef = FieldReference(path: [Event.metadataKey, "dead_letter_queue"])

    public init(settings: PluginSettings, context: PluginContext) throws {
        let root = try settings.declaredString("path")
        let pipelineId = try settings.declaredString("pipeline_id")
        directory = "\(root)/\(pipelineId)"
        let commit = try settings.declaredBool("commit_offsets")
        cleanConsumed = try settings.declaredBool("clean_consumed")
        if cleanConsumed && !commit {
            throw settings.error("clean_consumed", "needs `commit_offsets => true` (consumed is what was committed)")
        }
        if let text = settings.string("start_timestamp") {
            guard let t = DateParsing.parseISO8601(text) else {
                throw settings.error("start_timestamp", "expects an ISO8601 time such as `2017-04-04T23:40:37`, got `\(text)`")
            }
            startTimestamp = t
        } else {
            startTimestamp = nil
        }
        if !commit {
            commitPath = nil
        } else if let p = settings.string("sincedb_path") {
            commitPath = p
        } else {
            // Keyed by the queue's directory too, so two inputs reading different roots never share a file.
            var h: UInt64 = 0xcbf29ce484222325
            for b in directory.utf8 { h = (h ^ UInt64(b)) &* 0x100000001b3 }
            commitPath = "\(context.pipeline.pathData)/plugins/inputs/dead_letter_queue/\(pipelineId)/last_commit_offset_\(String(h, radix: 16))"
        }
        logger = context.logger
        batchSize = max(1, context.pipeline.batchSize)
    }

    public func run(into sink: EventSink) async throws {
        let start = commitPath.flatMap { FileIO.readFile($0) }.flatMap { DeadLetterPosition(parsing: String(decoding: $0, as: UTF8.self)) }
        if let start { logger.info("dead_letter_queue input: resuming \(directory) after segment \(start.segment) byte \(start.offset)") }
        let reader = DeadLetterReader(directory: directory, from: start, logger: logger)
        let tracker = PositionTracker<DeadLetterPosition?>(start: start)
        var saved = start
        var lastSave = ContinuousClock.now

        func save(force: Bool) {
            guard let path = commitPath, force || ContinuousClock.now - lastSave >= DeadLetterQueueInput.commitInterval else { return }
            lastSave = .now
            guard let pos = tracker.committed, pos != saved else { return }
            do {
                try FileIO.makeDirectories(FileIO.directoryName(path))
                try FileIO.writeAtomically(path, Array("\(pos)\n".utf8))
                saved = pos
            } catch {
                logger.error("dead_letter_queue input: cannot record the position: \(error)")
                return
            }
            if cleanConsumed {
                let n = DeadLetterReader.deleteConsumed(in: directory, before: pos)
                if n > 0 { logger.debug("dead_letter_queue input: deleted \(n) consumed segments of \(directory)") }
            }
        }

        do {
            while !Task.isCancelled {
                let entries = reader.read(max: batchSize)
                guard let end = entries.last?.end else {
                    sink.flush()  // caught up: the last entries need not wait for a fuller batch
                    save(force: false)
                    try? await Task.sleep(for: DeadLetterQueueInput.pollInterval)
                    continue
                }
                var events: [Event] = []
                events.reserveCapacity(entries.count)
                for entry in entries where startTimestamp.map({ entry.entryTime >= $0 }) ?? true {
                    events.append(event(from: entry))
                }
                let seq = tracker.register(end: end)
                if events.isEmpty {
                    tracker.acknowledge(seq, .delivered)  // all filtered out by start_timestamp
                } else {
                    try await sink.send(events) { tracker.acknowledge(seq, $0) }
                }
                save(force: false)
            }
        } catch {
            await tracker.settle()
            save(force: true)
            throw error
        }
        await tracker.settle()
        save(force: true)
    }

    private func event(from entry: DeadLetterEntry) -> Event {
        var e = entry.event
        var meta = FieldMap(minimumCapacity: 4)
        meta.set("plugin_type", .string(entry.pluginType))
        meta.set("plugin_id", .string(entry.pluginId))
        meta.set("reason", .string(entry.reason))
        meta.set("entry_time", .timestamp(entry.entryTime))
        e.set(DeadLetterQueueInput.metadataRef, .object(meta))
        return e
    }
}
