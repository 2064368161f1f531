import SluiceCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Writes events to files named by a sprintf path, like Logstash's file output.
///
/// Each batch is written with one `write` per file before `write(_:)` returns, so an
/// acknowledged event survives a crash of the process; `flush_interval` sets how often
/// the data is also fsync'ed (0: every batch, before the batch is acknowledged). The files
/// are SluiceCore's `FileWriter` (periodic fsync off the workers; with `gzip`, each batch
/// is one complete gzip member, so the file is a valid gzip stream after every batch).
public final class FileOutput: OutputPlugin {
    public static let pluginName = "file"
    public static let summary = "Writes events to files (sprintf paths, codec, gzip)."
    public static let settingSpecs: [SettingSpec] = [
        SettingSpec("path", .template, required: true, doc: "File path; may use sprintf, e.g. `/var/log/%{+YYYY-MM-dd}.log`."),
        SettingSpec("codec", .codec, default: "json_lines", doc: "Codec that formats each event."),
        SettingSpec("flush_interval", .number, default: 2, doc: "Seconds between fsyncs; 0 fsyncs every batch."),
        SettingSpec("gzip", .boolean, default: false, doc: "Compress the output with gzip."),
        SettingSpec("create_if_deleted", .boolean, default: true, doc: "Re-create a file that was deleted while open."),
        SettingSpec("dir_mode", .number, default: -1, doc: "Mode of created directories (-1: system default)."),
        SettingSpec("file_mode", .number, default: -1, doc: "Mode of created files (-1: system default)."),
        SettingSpec("filename_failure", .string, default: "_filepath_failures",
                    doc: "File (in the path's static directory) for events whose path would leave it."),
        SettingSpec("write_behavior", .oneOf(["append", "overwrite"]), default: "append",
                    doc: "`append` to files, or `overwrite`: each write leaves only the file's latest event, as in Logstash."),
        SettingSpec("stale_cleanup_interval", .number, default: 10, doc: "Seconds after which idle files are closed."),
    ]

    let path: Template
    let codec: any Codec
    let failurePath: String
    let overwrite: Bool
    let staleAfter: Double
    let writer: FileWriter
    /// Encoded size of a recent batch's events, with some room.
    private let bytesPerEvent = Atomic<Int>(256)

    public init(settings: PluginSettings, context: PluginContext) throws {
        guard let p = settings.template("path"), let c = settings.codec else {
            throw settings.error("path", "is required")
        }
        path = p
        codec = c
        let dm = try settings.declaredInt("dir_mode")
        let fm = try settings.declaredInt("file_mode")
        // The static directory prefix: the part of the path before any %{...}.
        let raw = settings.string("path") ?? ""
        let staticPart = raw.range(of: "%{").map { String(raw[..<$0.lowerBound]) } ?? raw
        failurePath = FileIO.directoryName(staticPart + "x") + "/" + (try settings.declaredString("filename_failure"))
        overwrite = settings.string("write_behavior") == "overwrite"
        staleAfter = try settings.declaredDouble("stale_cleanup_interval")
        let logger = context.logger
        writer = FileWriter(
            options: FileWriter.Options(flushInterval: try settings.declaredDouble("flush_interval"),
                                        gzip: try settings.declaredBool("gzip"),
                                        directoryMode: dm < 0 ? 0o755 : mode_t(dm), fileMode: fm < 0 ? 0o644 : mode_t(fm)),
            onSyncError: { logger.error("file output: \($0)") })
    }

    public func write(_ events: [Event]) async throws -> WriteOutcome {
        // Group by rendered path, keeping order within each file. Most batches go to one
        // file: its bytes go straight into one buffer with room for typical events up front.
        var order: [String] = []
        var buffers: [String: [UInt8]] = [:]
        var single: String? = nil
        var singleBuffer = ByteBuffer(capacity: events.count * bytesPerEvent.load(ordering: .relaxed))
        if path.isConstant {
            // One file: no path to render or compare per event.
            single = path.text
            for i in events.indices {
                if overwrite { singleBuffer.removeAll() }
                codec.encode(events[i], into: &singleBuffer)
            }
        } else {
            group(events, &single, &singleBuffer, &order, &buffers)
        }
        if !events.isEmpty {
            // Sizes the next batch's buffer: no regrowth (and copying) on the way.
            bytesPerEvent.store(max(64, singleBuffer.count / events.count + 64), ordering: .relaxed)
        }
        if let single { try singleBuffer.withBytes { try writeBytes($0, to: single) } }
        for p in order { try (buffers[p] ?? []).withUnsafeBufferPointer { try writeBytes($0, to: p) } }
        writer.closeIdle(olderThan: staleAfter)
        return .delivered
    }

    /// Encodes events by rendered path, keeping order within each file: the first path's
    /// events into `singleBuffer`, others into `buffers` (in `order` of first appearance).
    private func group(_ events: [Event], _ single: inout String?, _ singleBuffer: inout ByteBuffer,
                       _ order: inout [String], _ buffers: inout [String: [UInt8]]) {
        for e in events {
            let p = safePath(path.render(e))
            if single == nil && buffers.isEmpty { single = p }
            if p == single {
                if overwrite { singleBuffer.removeAll() }
                codec.encode(e, into: &singleBuffer)
            } else {
                if buffers[p] == nil { order.append(p) }
                if overwrite { buffers[p] = [] }
                codec.encode(e, into: &buffers[p, default: []])
            }
        }
    }

    /// A path leaving the static directory through `..` (from event data) goes to the failure file.
    private func safePath(_ p: String) -> String {
        var dots = 0
        var atStart = true
        for b in p.utf8 {
            if b == UInt8(ascii: "/") {
                if dots == 2 { return failurePath }
                dots = 0
                atStart = true
            } else if b == UInt8(ascii: "."), atStart {
                dots += 1
            } else {
                atStart = false
                dots = 0
            }
        }
        return dots == 2 ? failurePath : p
    }

    private func writeBytes(_ bytes: UnsafeBufferPointer<UInt8>, to p: String) throws {
        do throws(FileWriter.Failure) {
            try writer.append(bytes, to: p, replacing: overwrite)
        } catch {
            throw PluginError(error.description, retriable: error.retriable)  // the host retries with backoff
        }
    }

    public func close() async throws {
        await writer.close()
    }
}
