import Dispatch
import SluiceCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Writes events to files named by a sprintf path, like Logstash's file output.
///
/// Each batch is written with one `write` per file before `write(_:)` returns, so an
/// acknowledged event survives a crash of the process; `flush_interval` sets how often
/// the data is also fsync'ed (0: every batch, before the batch is acknowledged). The
/// periodic fsync runs off the workers, so they never wait on the disk. With `gzip`, each
/// batch is one complete gzip member, so the file is a valid gzip stream after every batch.
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
    let gzip: Bool
    let flushInterval: Double
    let dirMode: mode_t
    let fileMode: mode_t
    let failurePath: String
    let overwrite: Bool
    let staleAfter: Double
    let logger: Logger
    private let files = Mutex<[String: OpenFile]>([:])
    /// Encoded size of a recent batch's events, with some room.
    private let bytesPerEvent = Atomic<Int>(256)
    /// Runs the periodic fdatasyncs, one at a time, on descriptors dup'ed for it (so a
    /// file closed meanwhile cannot have its number reused under the sync).
    private let syncQueue = DispatchQueue(label: "sluice.output.file.sync")

    struct OpenFile {
        var fd: Int32
        var inode: UInt
        var lastUse: Double
        var lastSync: Double
        var dirty: Bool
        /// Bytes written since write-back was last started.
        var unflushed = 0
    }

    public init(settings: PluginSettings, context: PluginContext) throws {
        guard let p = settings.template("path"), let c = settings.codec else {
            throw settings.error("path", "is required")
        }
        path = p
        codec = c
        gzip = try settings.declaredBool("gzip")
        flushInterval = try settings.declaredDouble("flush_interval")
        let dm = try settings.declaredInt("dir_mode")
        let fm = try settings.declaredInt("file_mode")
        dirMode = dm < 0 ? 0o755 : mode_t(dm)
        fileMode = fm < 0 ? 0o644 : mode_t(fm)
        // The static directory prefix: the part of the path before any %{...}.
        let raw = settings.string("path") ?? ""
        let staticPart = raw.range(of: "%{").map { String(raw[..<$0.lowerBound]) } ?? raw
        failurePath = FileIO.directoryName(staticPart + "x") + "/" + (try settings.declaredString("filename_failure"))
        overwrite = settings.string("write_behavior") == "overwrite"
        staleAfter = try settings.declaredDouble("stale_cleanup_interval")
        logger = context.logger
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
        closeStale()
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
        guard !bytes.isEmpty else { return }
        if gzip {
            var member: [UInt8] = []
            member.reserveCapacity(bytes.count / 3)
            do { try Gzip.appendMember(Array(bytes), to: &member) } catch { throw PluginError("gzip: \(error)", retriable: false) }
            try member.withUnsafeBufferPointer { try writeData($0, to: p) }
        } else {
            try writeData(bytes, to: p)
        }
    }

    private func writeData(_ data: UnsafeBufferPointer<UInt8>, to p: String) throws {
        let disk: DiskWork = try files.withLock { files throws in
            var f = try open(p, &files)
            do {
                // Logstash's overwrite: truncate, then write the latest event (O_APPEND writes at the new end).
                if overwrite && ftruncate(f.fd, 0) != 0 { throw IOError("truncate", path: p) }
                try FileIO.writeAll(f.fd, UnsafeRawBufferPointer(data), path: p)
            } catch {
                // Disk full or I/O error: close so the retry reopens; the host retries with backoff.
                Glibc.close(f.fd)
                files[p] = nil
                throw PluginError("\(error)", retriable: true)
            }
            let now = Timestamp.now().seconds
            f.lastUse = now
            f.dirty = true
            f.unflushed += data.count
            var work = DiskWork.none
            if now - f.lastSync >= flushInterval || f.unflushed >= Self.writeBackBytes {
                let copy = dup(f.fd)
                if copy < 0 {
                    fdatasync(f.fd)  // out of descriptors: sync here, under the lock
                    f.lastSync = now
                    f.dirty = false
                } else if now - f.lastSync >= flushInterval {
                    work = .sync(copy)
                    f.lastSync = now
                    f.dirty = false
                } else {
                    work = .startWriteBack(copy)
                }
                f.unflushed = 0
            }
            files[p] = f
            return work
        }
        switch disk {
        case .none:
            break
        case .sync(let fd) where flushInterval <= 0:
            // Every batch: durable before it is acknowledged, as the setting asks.
            sync(fd, p)
        case .sync(let fd):
            syncQueue.async { [self] in sync(fd, p) }
        case .startWriteBack(let fd):
            // Has the kernel start writing the file out now (DONTNEED also drops the pages
            // once written), so dirty pages do not pile up for a long fsync later.
            syncQueue.async { posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED); Glibc.close(fd) }
        }
    }

    /// Syncs and closes a descriptor dup'ed for it. A failure is logged: the data was written,
    /// so writing the batch again would only duplicate it.
    private func sync(_ fd: Int32, _ p: String) {
        if fdatasync(fd) != 0 { logger.error("file output: \(IOError("fdatasync", path: p))") }
        Glibc.close(fd)
    }

    /// What a write leaves for the disk: nothing, an fsync, or starting write-back.
    private enum DiskWork {
        case none
        case sync(Int32)
        case startWriteBack(Int32)
    }

    /// Written bytes after which write-back is started without waiting for the fsync.
    static let writeBackBytes = 4 << 20

    private func open(_ p: String, _ files: inout [String: OpenFile]) throws -> OpenFile {
        if let f = files[p] {
            // Re-create a file deleted (or rotated away) while we held it open.
            var st = stat()
            if stat(p, &st) == 0 && UInt(st.st_ino) == f.inode { return f }
            Glibc.close(f.fd)
            files[p] = nil
        }
        do {
            try FileIO.makeDirectories(FileIO.directoryName(p), mode: dirMode)
        } catch {
            throw PluginError("\(error)", retriable: true)  // e.g. a full disk or a missing mount: retry
        }
        let fd = Glibc.open(p, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, fileMode)
        guard fd >= 0 else { throw PluginError("\(IOError("open", path: p))", retriable: true) }
        var st = stat()
        fstat(fd, &st)
        let now = Timestamp.now().seconds
        let f = OpenFile(fd: fd, inode: UInt(st.st_ino), lastUse: now, lastSync: now, dirty: false)
        files[p] = f
        return f
    }

    private func closeStale() {
        let now = Timestamp.now().seconds
        files.withLock { files in
            for (p, f) in files where now - f.lastUse > staleAfter {
                if f.dirty { fdatasync(f.fd) }
                Glibc.close(f.fd)
                files[p] = nil
            }
        }
    }

    public func close() async throws {
        // Let a periodic sync still running finish first.
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in syncQueue.async { c.resume() } }
        files.withLock { files in
            for (_, f) in files {
                if f.dirty { fdatasync(f.fd) }
                Glibc.close(f.fd)
            }
            files = [:]
        }
    }
}

extension Timestamp {
    var seconds: Double { Double(nanoseconds) / 1e9 }
}
