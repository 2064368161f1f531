import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Appends bytes to files by path, keeping one open descriptor per path: the machinery of
/// file-writing outputs and of local staging (the file output, csv, WebHDFS and GCS
/// staging). The caller renders paths (sprintf) and encodes events; the writer opens,
/// appends, syncs, closes idle files and rolls finished ones.
///
/// Each `append` is one `write` before it returns, so what it wrote survives a crash of the
/// process. `flushInterval` sets how often the data is also fdatasync'ed: 0 syncs every
/// append before it returns; otherwise the sync runs in the background, off the callers,
/// so they never wait on the disk. Write-back is started every few MiB so dirty pages do
/// not pile up for one long sync. With `gzip`, each append is one complete gzip member, so
/// the file is a valid gzip stream after every append. A file deleted or renamed away while
/// open is created again by the next append. Safe to use from several threads.
public final class FileWriter: Sendable {
    public struct Options: Sendable {
        /// Seconds between fdatasyncs of a file being written; 0: every append, before it returns.
        public var flushInterval: Double
        /// Compress each append as one gzip member.
        public var gzip: Bool
        /// Mode of created directories and files.
        public var directoryMode: mode_t
        public var fileMode: mode_t
        /// Written bytes after which write-back is started without waiting for the sync.
        public var writeBackBytes: Int

        public init(flushInterval: Double = 2, gzip: Bool = false, directoryMode: mode_t = 0o755,
                    fileMode: mode_t = 0o644, writeBackBytes: Int = 4 << 20) {
            self.flushInterval = flushInterval
            self.gzip = gzip
            self.directoryMode = directoryMode
            self.fileMode = fileMode
            self.writeBackBytes = writeBackBytes
        }
    }

    /// A failed append: I/O errors (a full disk, a missing mount) are worth a retry, a
    /// compression failure is not.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let description: String
        public let retriable: Bool
    }

    public let options: Options
    private let onSyncError: @Sendable (IOError) -> Void
    private let files = Mutex<[String: OpenFile]>([:])
    /// Runs the periodic fdatasyncs, one at a time, on descriptors dup'ed for it (so a
    /// file closed meanwhile cannot have its number reused under the sync).
    private let syncQueue = DispatchQueue(label: "sluice.file-writer.sync")

    private struct OpenFile {
        var fd: Int32
        var inode: UInt
        var lastUse: Double
        var lastSync: Double
        var dirty: Bool
        /// Bytes written since write-back was last started.
        var unflushed = 0
    }

    /// - Parameter onSyncError: told of a failed background or closing fdatasync (the data
    ///   was written, so writing it again would only duplicate it; the caller logs it).
    public init(options: Options, onSyncError: @escaping @Sendable (IOError) -> Void = { _ in }) {
        self.options = options
        self.onSyncError = onSyncError
    }

    /// Appends `bytes` to the file at `path`, creating it (and its directories) if needed.
    /// With `replacing`, the file is emptied first (it ends up holding just `bytes`).
    public func append(_ bytes: UnsafeBufferPointer<UInt8>, to path: String, replacing: Bool = false) throws(Failure) {
        guard !bytes.isEmpty else { return }
        if options.gzip {
            var member: [UInt8] = []
            member.reserveCapacity(bytes.count / 3)
            do { try Gzip.appendMember(Array(bytes), to: &member) } catch {
                throw Failure(description: "gzip: \(error)", retriable: false)
            }
            try member.withUnsafeBufferPointer { m in Result { () throws(Failure) in try write(m, to: path, replacing: replacing) } }.get()
        } else {
            try write(bytes, to: path, replacing: replacing)
        }
    }

    private func write(_ data: UnsafeBufferPointer<UInt8>, to p: String, replacing: Bool) throws(Failure) {
        let flushInterval = options.flushInterval
        let disk: DiskWork = try files.withLock { (files) throws(Failure) in
            var f = try open(p, &files)
            do throws(IOError) {
                // Truncate, then write (O_APPEND writes at the new end).
                if replacing && ftruncate(f.fd, 0) != 0 { throw IOError("truncate", path: p) }
                try FileIO.writeAll(f.fd, UnsafeRawBufferPointer(data), path: p)
            } catch {
                // Disk full or I/O error: close so the retry reopens.
                Glibc.close(f.fd)
                files[p] = nil
                throw Failure(description: "\(error)", retriable: true)
            }
            let now = Self.now()
            f.lastUse = now
            f.dirty = true
            f.unflushed += data.count
            var work = DiskWork.none
            if now - f.lastSync >= flushInterval || f.unflushed >= options.writeBackBytes {
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
            // Every append: durable before the caller acknowledges it.
            sync(fd, p)
        case .sync(let fd):
            syncQueue.async { [self] in sync(fd, p) }
        case .startWriteBack(let fd):
            // Has the kernel start writing the file out now (DONTNEED also drops the pages
            // once written), so dirty pages do not pile up for a long fsync later.
            syncQueue.async { posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED); Glibc.close(fd) }
        }
    }

    /// Syncs and closes a descriptor dup'ed for it.
    private func sync(_ fd: Int32, _ p: String) {
        if fdatasync(fd) != 0 { onSyncError(IOError("fdatasync", path: p)) }
        Glibc.close(fd)
    }

    /// What a write leaves for the disk: nothing, an fsync, or starting write-back.
    private enum DiskWork {
        case none
        case sync(Int32)
        case startWriteBack(Int32)
    }

    private func open(_ p: String, _ files: inout [String: OpenFile]) throws(Failure) -> OpenFile {
        if let f = files[p] {
            // Re-create a file deleted (or rotated away) while we held it open.
            var st = stat()
            if stat(p, &st) == 0 && UInt(st.st_ino) == f.inode { return f }
            Glibc.close(f.fd)
            files[p] = nil
        }
        do {
            try FileIO.makeDirectories(FileIO.directoryName(p), mode: options.directoryMode)
        } catch {
            throw Failure(description: "\(error)", retriable: true)  // e.g. a full disk or a missing mount
        }
        let fd = Glibc.open(p, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, options.fileMode)
        guard fd >= 0 else { throw Failure(description: "\(IOError("open", path: p))", retriable: true) }
        var st = stat()
        fstat(fd, &st)
        let now = Self.now()
        let f = OpenFile(fd: fd, inode: UInt(st.st_ino), lastUse: now, lastSync: now, dirty: false)
        files[p] = f
        return f
    }

    // MARK: syncing, closing, rolling

    /// Makes what was appended to `path` durable now (fsync on demand); nothing if the file
    /// is not open or has nothing unsynced.
    public func sync(_ path: String) throws(IOError) {
        let fd: Int32? = files.withLock { files in
            guard var f = files[path], f.dirty else { return nil }
            f.dirty = false
            f.lastSync = Self.now()
            files[path] = f
            return dup(f.fd)
        }
        guard let fd else { return }
        guard fd >= 0 else { throw IOError("dup", path: path) }
        defer { Glibc.close(fd) }
        if fdatasync(fd) != 0 { throw IOError("fdatasync", path: path) }
    }

    /// Syncs and closes files not appended to for `seconds`.
    public func closeIdle(olderThan seconds: Double) {
        let now = Self.now()
        files.withLock { files in
            for (p, f) in files where now - f.lastUse > seconds {
                closeFile(f, p)
                files[p] = nil
            }
        }
    }

    /// Syncs and closes `path` if open, then renames it to `newPath` (creating its
    /// directories): the file is finished, and the next append to `path` starts a new one.
    public func roll(_ path: String, to newPath: String) throws(IOError) {
        try files.withLock { (files) throws(IOError) in
            if let f = files[path] {
                closeFile(f, path)
                files[path] = nil
            }
            try FileIO.makeDirectories(FileIO.directoryName(newPath), mode: options.directoryMode)
            guard rename(path, newPath) == 0 else { throw IOError("rename", path: path) }
        }
    }

    /// Paths currently open.
    public var openPaths: [String] { files.withLock { Array($0.keys) } }

    /// Waits for background syncs, then syncs and closes every file.
    public func close() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in syncQueue.async { c.resume() } }
        files.withLock { files in
            for (p, f) in files { closeFile(f, p) }
            files = [:]
        }
    }

    private func closeFile(_ f: OpenFile, _ p: String) {
        if f.dirty && fdatasync(f.fd) != 0 { onSyncError(IOError("fdatasync", path: p)) }
        Glibc.close(f.fd)
    }

    private static func now() -> Double { Double(Timestamp.now().nanoseconds) / 1e9 }
}
