import SluiceCore

/// Reads files dropped into a directory, each once, as Flume's spooling-directory source:
/// a file is read line by line, and once every event read from it was acknowledged by every
/// output it is renamed with `file_suffix`, recorded in `tracker_dir`, or deleted.
///
/// Unlike Flume, a problem with one file (modified after it was read, a reused name, bytes
/// that do not decode under `decode_error_policy => fail`) sets that file aside with an
/// `.ERROR` suffix and the input goes on with the others; and a file must be unchanged for
/// `min_file_age` before it is read (FLUME-2866). The read position of each file is kept
/// under `path.data` from the acknowledgements, so a restart, also after `kill -9`, re-reads
/// at most the lines not yet acknowledged.
public final class SpooldirInput: InputPlugin {
    public static let pluginName = "spooldir"
    public static let summary = "Reads each file dropped into a directory once, then renames, tracks or deletes it (Flume's spooling directory)."
    public static let settingSpecs: [SettingSpec] = [
        SettingSpec("path", .path, required: true, doc: "Absolute path of the spooling directory (Flume: `spoolDir`)."),
        SettingSpec("file_suffix", .string, default: ".COMPLETED",
                    doc: "Suffix appended to a file's name once all its events were acknowledged (`rename`), or of its marker (`tracker_dir`)."),
        SettingSpec("delete_policy", .oneOf(["never", "immediate"]), default: "never",
                    doc: "`immediate` deletes a file once all its events were acknowledged instead of tracking it."),
        SettingSpec("tracking_policy", .oneOf(["rename", "tracker_dir"]), default: "rename",
                    doc: "`rename` renames a completed file; `tracker_dir` leaves it and writes a marker under `tracker_dir`."),
        SettingSpec("tracker_dir", .path, default: ".sluicespool",
                    doc: "Where completion markers go (`tracking_policy => tracker_dir`); relative to `path` unless absolute. Each marker is read once and cached (the directory is listed at each poll): remove or replace a marker, never edit it in place."),
        SettingSpec("file_header", .boolean, default: false, doc: "Put the file's absolute path into the `file_header_key` field."),
        SettingSpec("file_header_key", .fieldReference, default: "file", doc: "Field for the file's path (`file_header`)."),
        SettingSpec("basename_header", .boolean, default: false, doc: "Put the file's name into the `basename_header_key` field."),
        SettingSpec("basename_header_key", .fieldReference, default: "basename", doc: "Field for the file's name (`basename_header`)."),
        SettingSpec("include_pattern", .string, default: "^.*$",
                    doc: "Regular expression a file name must match (the whole name) to be read."),
        SettingSpec("ignore_pattern", .string, default: "^$",
                    doc: "Regular expression of file names (the whole name) never read; wins over `include_pattern`."),
        SettingSpec("consume_order", .oneOf(["oldest", "youngest", "random"]), default: "oldest",
                    doc: "Which files first: `oldest` by modification time then name, `youngest`, or `random`."),
        SettingSpec("poll_interval", .duration, default: 0.5, doc: "How often the directory is listed when there is nothing to read."),
        SettingSpec("min_file_age", .duration, default: 1,
                    doc: "A file must be unchanged this long before it is read (a file still being written is left alone)."),
        SettingSpec("recursive", .boolean, default: false, doc: "Also read files in subdirectories (hidden ones excepted)."),
        SettingSpec("charset", .oneOf(Charset.names), default: "UTF-8", doc: "Character set of the files; lines are converted to UTF-8 before the codec (whose own charset stays UTF-8)."),
        SettingSpec("decode_error_policy", .oneOf(DecodeErrorPolicy.allCases.map(\.rawValue)), default: "fail",
                    doc: "Bytes invalid in `charset`: `fail` sets the file aside (`.ERROR`) at the first one, `replace` writes U+FFFD, `ignore` drops them."),
        SettingSpec("max_line_length", .bytes, default: 2048,
                    doc: "Longer lines are split into pieces of at most this many bytes (never inside a UTF-8 character), as Flume does; 0: no limit."),
        SettingSpec("codec", .codec, default: "line", doc: "Codec that decodes each line (`line`, `json_lines`, ...)."),
        SettingSpec("batch_size", .number, default: 100, doc: "Lines sent to the pipeline at a time (and acknowledged together)."),
    ]

    let options: SpoolOptions
    let codec: (any Codec)?
    let logger: Logger

    public init(settings: PluginSettings, context: PluginContext) throws {
        options = try SpoolOptions(settings: settings, pathData: context.pipeline.pathData)
        // `line` and `plain` only wrap the text: the input builds those events itself.
        let codec = settings.codec
        let name = codec.map { type(of: $0).pluginName }
        self.codec = name == "line" || name == "plain" ? nil : codec
        logger = context.logger
    }

    /// The directory must exist; until it does the pipeline waits (a retriable failure), as
    /// when a mount is not there yet.
    public func start() async throws {
        guard FileIO.isDirectory(options.directory) else {
            throw PluginError("spooldir: \(options.directory) is not a directory", retriable: true, code: .notFound)
        }
    }

    public func run(into sink: EventSink) async throws {
        let spool = try SpoolDirectory(options: options, codec: codec, logger: logger, sink: sink)
        try await spool.run()
    }
}

/// Which files are read first.
enum ConsumeOrder: String, Sendable {
    case oldest, youngest, random
}

/// The spooldir's settings, checked and resolved (no I/O).
struct SpoolOptions: Sendable {
    var directory: String
    var suffix: String
    var deleteImmediately: Bool
    /// The marker directory with `tracking_policy => tracker_dir`; nil when files are renamed.
    var trackerDir: String?
    var fileHeaderKey: FieldReference?
    var basenameHeaderKey: FieldReference?
    var includePattern: String
    var ignorePattern: String
    var order: ConsumeOrder
    var pollInterval: Double
    var minFileAge: Double
    var recursive: Bool
    var charset: Charset
    /// The charset as configured, for log lines.
    var charsetName: String
    var decodeErrors: DecodeErrorPolicy
    var maxLineLength: Int
    var batchSize: Int
    /// Bytes read per read call.
    var chunkSize = 65536
    /// Where read positions are kept (under `path.data`, one file per spool directory).
    var sincedbPath: String

    /// The suffix of files set aside.
    static let errorSuffix = ".ERROR"

    init(settings: PluginSettings, pathData: String) throws {
        var dir = try settings.declaredString("path")
        guard dir.hasPrefix("/") else { throw settings.error("path", "must be absolute, got `\(dir)`") }
        while dir.count > 1 && dir.hasSuffix("/") { dir.removeLast() }
        directory = dir
        suffix = try settings.declaredString("file_suffix")
        guard !suffix.isEmpty, !suffix.contains("/") else {
            throw settings.error("file_suffix", "must be a non-empty name suffix, got `\(suffix)`")
        }
        deleteImmediately = try settings.declaredString("delete_policy") == "immediate"
        if try settings.declaredString("tracking_policy") == "tracker_dir" {
            var t = try settings.declaredString("tracker_dir")
            if !t.hasPrefix("/") { t = dir + "/" + t }
            while t.count > 1 && t.hasSuffix("/") { t.removeLast() }
            guard t != dir else { throw settings.error("tracker_dir", "must not be the spooling directory itself") }
            trackerDir = t
        }
        func key(_ flag: String, _ name: String) throws -> FieldReference? {
            guard try settings.declaredBool(flag) else { return nil }
            let text = try settings.declaredString(name)
            do { return try FieldReference(parsing: text) } catch { throw settings.error(name, "is not a field reference: \(error)") }
        }
        fileHeaderKey = try key("file_header", "file_header_key")
        basenameHeaderKey = try key("basename_header", "basename_header_key")
        includePattern = try settings.declaredString("include_pattern")
        ignorePattern = try settings.declaredString("ignore_pattern")
        for name in ["include_pattern", "ignore_pattern"] {
            do { _ = try Regex(SpoolScanner.wholeName(try settings.declaredString(name))) } catch {
                throw settings.error(name, "\(error)")
            }
        }
        order = ConsumeOrder(rawValue: try settings.declaredString("consume_order")) ?? .oldest
        pollInterval = max(0.01, try settings.declaredDouble("poll_interval"))
        minFileAge = max(0, try settings.declaredDouble("min_file_age"))
        recursive = try settings.declaredBool("recursive")
        charsetName = try settings.declaredString("charset")
        charset = Charset(name: charsetName)
        decodeErrors = DecodeErrorPolicy(rawValue: try settings.declaredString("decode_error_policy")) ?? .fail
        maxLineLength = max(0, try settings.declaredInt("max_line_length"))
        if maxLineLength > 0 && maxLineLength < 4 {
            throw settings.error("max_line_length", "must be 0 (no limit) or at least 4 bytes (one UTF-8 character), got \(maxLineLength)")
        }
        batchSize = max(1, try settings.declaredInt("batch_size"))
        sincedbPath = PositionStore.defaultPath(pathData: pathData, plugin: "spooldir", key: dir)
    }
}
