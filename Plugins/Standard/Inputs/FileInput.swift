import SluiceCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Reads lines from files, like Logstash's file input, in `tail` mode (follow growing
/// files) or `read` mode (read whole files, then delete or log them).
///
/// Positions are committed to the sincedb only once the events before them were
/// acknowledged by every output, so a restart resumes where delivery stopped, and a
/// file in read mode counts as done only when all its events were delivered.
///
/// The sincedb is written as soon as an acknowledgement moves a position (in the
/// background, one write at a time carrying the latest positions), so a crash replays
/// only what was not acknowledged. Logstash instead writes every `sincedb_write_interval`
/// (15 s); here that setting defaults to 0 and, when set, is the least time between writes.
public final class FileInput: InputPlugin {
    public static let pluginName = "file"
    public static let summary = "Reads lines from files (tail or read mode) with a sincedb."
    public static let settingSpecs: [SettingSpec] = [
        SettingSpec("path", .array, required: true, doc: "Absolute paths or globs of the files to read."),
        SettingSpec("exclude", .array, default: .array([]), doc: "File name globs (matched against the base name) to skip."),
        SettingSpec("mode", .oneOf(["tail", "read"]), default: "tail", doc: "`tail` follows files; `read` reads them once, then completes them."),
        SettingSpec("start_position", .oneOf(["beginning", "end"]), default: "end",
                    doc: "Where to start in files not yet in the sincedb (tail mode)."),
        SettingSpec("sincedb_path", .path, doc: "Sincedb file; default under `path.data/plugins/inputs/file`. `/dev/null` keeps no state."),
        SettingSpec("sincedb_write_interval", .duration, default: 0,
                    doc: "Least time between sincedb writes. 0: as soon as an acknowledgement moves a position (Logstash: 15)."),
        SettingSpec("sincedb_clean_after", .duration, default: 1_209_600, doc: "Forget sincedb entries not active for this long (default two weeks)."),
        SettingSpec("stat_interval", .duration, default: 1, doc: "How often files are checked for new data."),
        SettingSpec("discover_interval", .number, default: 15, doc: "Discover new files every this many stat intervals."),
        SettingSpec("file_completed_action", .oneOf(["delete", "log", "log_and_delete"]), default: "delete",
                    doc: "Read mode: what to do with a file once all its events are acknowledged."),
        SettingSpec("file_completed_log_path", .path, doc: "Read mode: file to which completed paths are appended (`log` actions)."),
        SettingSpec("file_chunk_size", .bytes, default: 32768, doc: "Bytes read per read call."),
        SettingSpec("file_chunk_count", .number, default: 4_611_686_018_427_387_903, doc: "Chunks read from one file before moving to the next."),
        SettingSpec("file_sort_by", .oneOf(["last_modified", "path"]), default: "last_modified", doc: "Order in which files are read."),
        SettingSpec("file_sort_direction", .oneOf(["asc", "desc"]), default: "asc", doc: "Sort direction."),
        SettingSpec("delimiter", .string, default: "\n", doc: "Line delimiter."),
        SettingSpec("close_older", .duration, default: 3600, doc: "Tail mode: close files not changed for this long."),
        SettingSpec("ignore_older", .duration, doc: "Skip files last modified longer ago than this."),
        SettingSpec("max_open_files", .number, default: 4095, doc: "Accepted for compatibility."),
        SettingSpec("exit_after_read", .boolean, default: false, doc: "Read mode: finish the input once every file is completed."),
        SettingSpec("codec", .codec, default: "plain", doc: "Codec that decodes each line."),
        SettingSpec("ecs_compatibility", .oneOf(["disabled", "v1", "v8"]), default: "disabled",
                    doc: "`disabled`: `path`/`host` fields; `v1`/`v8`: `[log][file][path]`/`[host][name]`."),
    ]

    struct Options {
        var patterns: [String]
        var exclude: [String]
        var readMode: Bool
        var startAtEnd: Bool
        var sincedbPath: String?
        var sincedbInterval: Double
        var sincedbCleanAfter: Double
        var statInterval: Double
        var discoverEvery: Int
        var completedAction: String
        var completedLog: String?
        var chunkSize: Int
        var chunkCount: Int
        var sortByPath: Bool
        var descending: Bool
        var delimiter: [UInt8]
        var closeOlder: Double
        var ignoreOlder: Double?
        var exitAfterRead: Bool
        var ecs: Bool
    }

    let options: Options
    let codec: (any Codec)?
    let logger: Logger
    let batchSize: Int

    public init(settings: PluginSettings, context: PluginContext) throws {
        let patterns = settings.strings("path")
        for p in patterns where !p.hasPrefix("/") {
            throw settings.error("path", "must be absolute, got `\(p)`")
        }
        let mode = try settings.declaredString("mode")
        var sincedb = settings.string("sincedb_path")
        if sincedb == nil {
            sincedb = PositionStore.defaultPath(pathData: context.pipeline.pathData, plugin: "file",
                                                key: patterns.joined(separator: ","))
        }
        if sincedb == "/dev/null" || sincedb == "NUL" { sincedb = nil }
        let action = try settings.declaredString("file_completed_action")
        let completedLog = settings.string("file_completed_log_path")
        if action.hasPrefix("log") && completedLog == nil {
            throw settings.error("file_completed_log_path", "is required when file_completed_action is `\(action)`")
        }
        options = Options(
            patterns: patterns, exclude: settings.strings("exclude"), readMode: mode == "read",
            startAtEnd: settings.string("start_position") == "end", sincedbPath: sincedb,
            sincedbInterval: try settings.declaredDouble("sincedb_write_interval"),
            sincedbCleanAfter: try settings.declaredDouble("sincedb_clean_after"),
            statInterval: max(0.01, try settings.declaredDouble("stat_interval")),
            discoverEvery: max(1, try settings.declaredInt("discover_interval")),
            completedAction: action, completedLog: completedLog,
            chunkSize: max(1024, try settings.declaredInt("file_chunk_size")),
            chunkCount: max(1, try settings.declaredInt("file_chunk_count")),
            sortByPath: settings.string("file_sort_by") == "path",
            descending: settings.string("file_sort_direction") == "desc",
            delimiter: Array((try settings.declaredString("delimiter")).utf8),
            closeOlder: try settings.declaredDouble("close_older"), ignoreOlder: settings.double("ignore_older"),
            exitAfterRead: try settings.declaredBool("exit_after_read"),
            ecs: settings.string("ecs_compatibility") != "disabled")
        let codec = settings.codec
        self.codec = codec.map { type(of: $0).pluginName } == "plain" ? nil : codec
        logger = context.logger
        batchSize = context.pipeline.batchSize
    }

    public func run(into sink: EventSink) async throws {
        let reader = FileReader(options: options, codec: codec, logger: logger, sink: sink, batchSize: batchSize)
        try await reader.run()
    }
}
