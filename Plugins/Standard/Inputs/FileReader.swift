import SluiceCore
#if canImport(Glibc)
import Glibc
#endif

/// The file input's read loop: discovery, reading, framing and read-mode completion. Each
/// file's position is tracked by SluiceCore's `PositionTracker`, which records it in the
/// sincedb (`PositionStore`) as soon as an acknowledgement moves it.
final class FileReader {
    let options: FileInput.Options
    let codec: (any Codec)?
    let logger: Logger
    let sink: EventSink
    let sincedb: PositionStore?
    var watched: [FileIdentity: Watched] = [:]
    /// Read mode: files already completed (so a `log` action does not read them again).
    var completed: Set<FileIdentity> = []
    var firstDiscovery = true
    var template: Event
    let pathRef: FieldReference
    let hostRef: FieldReference

    final class Watched {
        let path: String
        let id: FileIdentity
        var fd: Int32 = -1
        /// How far the file was read (the tracker knows how far it was acknowledged).
        var position: UInt64
        /// Holds the start of a line whose delimiter was not read yet.
        var lines: LineFramer
        var readDone = false
        var template: Event?
        var lastChange: Double
        /// The file's modification time when discovered (`file_sort_by => last_modified`).
        var modified = 0.0
        let tracker: PositionTracker<UInt64>
        init(path: String, id: FileIdentity, position: UInt64, now: Double, delimiter: [UInt8], store: PositionStore?) {
            self.path = path
            self.id = id
            self.position = position
            lines = LineFramer(delimiter: delimiter)
            lastChange = now
            tracker = store?.tracker(for: id, path: path, start: position) ?? PositionTracker(start: position)
        }
    }

    let batchSize: Int

    init(options: FileInput.Options, codec: (any Codec)?, logger: Logger, sink: EventSink, batchSize: Int) {
        self.batchSize = max(1, batchSize)
        self.options = options
        self.codec = codec
        self.logger = logger
        self.sink = sink
        sincedb = options.sincedbPath.map { path in
            PositionStore(path: path, minimumInterval: options.sincedbInterval) { error in
                logger.error("file input: cannot write sincedb: \(error)")
            }
        }
        // Field names follow Logstash's file input (legacy or ECS).
        pathRef = (try? FieldReference(parsing: options.ecs ? "[log][file][path]" : "path")) ?? FieldReference(path: ["path"])
        hostRef = (try? FieldReference(parsing: options.ecs ? "[host][name]" : "host")) ?? FieldReference(path: ["host"])
        template = Event()
        template.set(hostRef, .string(Host.name))
        template.set(pathRef, .string(""))
        template.fields.set("message", .string(""))
        messageAt = template.fields.position(of: "message") ?? 0
    }

    let messageAt: Int

    /// The event template of one file: its path is set once, so each line costs one copy.
    func template(for w: Watched) -> Event {
        if let t = w.template { return t }
        var t = template
        t.set(pathRef, .string(w.path))
        w.template = t
        return t
    }

    static func now() -> Double { Double(Timestamp.now().nanoseconds) / 1e9 }

    func run() async throws {
        defer { for w in watched.values where w.fd >= 0 { close(w.fd) } }
        do {
            try await readLoop()
        } catch {
            await settle()
            await saveSincedb()
            throw error
        }
        await settle()
        await saveSincedb()
    }

    /// After a stop the pipeline still drains what was sent: wait for those acknowledgements
    /// so the final sincedb records them (otherwise a restart would read them again).
    func settle() async {
        for w in watched.values { await w.tracker.settle() }
    }

    private func readLoop() async throws {
        var round = 0
        while !Task.isCancelled {
            if round % options.discoverEvery == 0 {
                discover()
                cleanSincedb()
            }
            round += 1
            var progressed = false
            for w in ordered() {
                if try await readAvailable(w) { progressed = true }
            }
            if options.readMode {
                completeFinishedFiles()
                if options.exitAfterRead && watched.isEmpty && !firstDiscovery {
                    return
                }
            } else {
                closeIdleFiles()
            }
            if !progressed {
                // Waiting only for acknowledgements: check back soon rather than a full stat interval.
                let waitingForAcks = watched.values.contains { $0.readDone }
                let delay = waitingForAcks ? min(0.01, options.statInterval) : options.statInterval
                try? await Task.sleep(for: .milliseconds(Int(delay * 1000)))
            }
        }
    }

    // MARK: discovery

    func discover() {
        let now = FileReader.now()
        var seen: Set<FileIdentity> = []
        for pattern in options.patterns {
            for path in FileGlob.expand(pattern) {
                let base = path.split(separator: "/").last.map(String.init) ?? path
                if options.exclude.contains(where: { fnmatch($0, base, 0) == 0 }) { continue }
                var st = stat()
                guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { continue }
                let id = FileIdentity(st)
                seen.insert(id)
                if watched[id] != nil || completed.contains(id) { continue }
                if let older = options.ignoreOlder, now - Double(st.st_mtim.tv_sec) > older { continue }
                let size = UInt64(st.st_size)
                var start: UInt64
                if let known = sincedb?.entry(for: id) {
                    start = known.position
                    if options.readMode && start >= size && size > 0 { completed.insert(id); continue }
                    if start > size { start = 0 }  // truncated while we were away
                } else if !options.readMode && options.startAtEnd && firstDiscovery {
                    start = size
                } else {
                    start = 0
                }
                let w = Watched(path: path, id: id, position: start, now: now, delimiter: options.delimiter, store: sincedb)
                w.modified = Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9
                watched[id] = w
            }
        }
        firstDiscovery = false
        // Tail mode: a file that no longer matches (deleted or rotated away) is forgotten once
        // it has been read to its end and every line of it was acknowledged.
        if !options.readMode {
            for w in watched.values where !seen.contains(w.id) {
                var st = stat()
                let atEnd = w.fd >= 0 ? (fstat(w.fd, &st) == 0 && UInt64(st.st_size) <= w.position) : true
                // Its position is in the sincedb already (recorded with each acknowledgement).
                guard atEnd, w.tracker.status.outstanding == 0 else { continue }
                if w.fd >= 0 { close(w.fd) }
                watched[w.id] = nil
            }
        }
    }

    func ordered() -> [Watched] {
        var files = Array(watched.values)
        if options.sortByPath {
            files.sort { $0.path < $1.path }
        } else {
            files.sort { ($0.modified, $0.path) < ($1.modified, $1.path) }
        }
        return options.descending ? files.reversed() : files
    }

    // MARK: reading

    /// Reads up to `file_chunk_count` chunks from `w`; true if anything was read.
    func readAvailable(_ w: Watched) async throws -> Bool {
        if w.readDone { return false }
        if w.fd < 0 {
            w.fd = open(w.path, O_RDONLY | O_CLOEXEC)
            guard w.fd >= 0 else {
                logger.warning("file input: cannot open \(w.path): \(IOError("open", path: w.path))")
                watched[w.id] = nil
                return false
            }
            var st = stat()
            if fstat(w.fd, &st) == 0, FileIdentity(st) != w.id {
                // Replaced between discovery and open: rediscover next round.
                close(w.fd)
                watched[w.id] = nil
                return false
            }
        }
        var st = stat()
        if fstat(w.fd, &st) == 0, UInt64(st.st_size) < w.position {
            logger.info("file input: \(w.path) was truncated; reading from the start")
            w.position = 0
            w.lines.reset()
            w.tracker.restart(at: 0)
        }
        var progressed = false
        var buffer = [UInt8](repeating: 0, count: options.chunkSize)
        // Turning lines into events is the costly part: it runs in child tasks, two chunks
        // at a time, while this task reads on. Pieces are still sent in file order.
        var inFlight: [Task<[FileLineDecoder.Piece], Never>] = []
        let lineDecoder = decoder(for: w)
        func sendOldest() async throws {
            var pieces = await inFlight.removeFirst().value
            for i in pieces.indices {
                // Hand the events over rather than share them (see `EventSink.send`).
                var events: [Event] = []
                swap(&events, &pieces[i].events)
                try await send(consume events, w, end: pieces[i].end)
            }
        }
        for _ in 0..<options.chunkCount {
            if Task.isCancelled { break }
            let n = buffer.withUnsafeMutableBytes { pread(w.fd, $0.baseAddress, options.chunkSize, off_t(w.position)) }
            if n < 0 {
                if errno == EINTR { continue }
                for t in inFlight { _ = await t.value }
                throw IOError("read", path: w.path)
            }
            if n == 0 {
                while !inFlight.isEmpty { try await sendOldest() }
                if options.readMode {
                    // The last line may lack a delimiter; in read mode the file is complete.
                    let line = w.lines.takePending()
                    if !line.isEmpty {
                        for piece in lineDecoder.pieces(line, base: w.position - UInt64(line.count), withFinalLine: true) {
                            try await send(piece.events, w, end: piece.end)
                        }
                    }
                    w.readDone = true
                    close(w.fd)
                    w.fd = -1
                }
                // At the end of the file: the last lines need not wait for a fuller batch.
                sink.flush()
                return progressed
            }
            progressed = true
            w.lastChange = FileReader.now()
            // Complete lines (with the carried-over start of the first one) go to a child task;
            // the unterminated tail waits for the next read.
            let regionBase = w.position - UInt64(w.lines.pending.count)
            let complete = buffer.withUnsafeBytes { w.lines.completeLines(appending: UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            w.position += UInt64(n)
            if complete.isEmpty { continue }
            inFlight.append(Task { lineDecoder.pieces(complete, base: regionBase, withFinalLine: false) })
            if inFlight.count >= 2 { try await sendOldest() }
        }
        while !inFlight.isEmpty { try await sendOldest() }
        return progressed
    }

    /// What the framing tasks need to know about `w`, as a value they can take along.
    func decoder(for w: Watched) -> FileLineDecoder {
        FileLineDecoder(framer: LineFramer(delimiter: options.delimiter), batchSize: batchSize, template: template(for: w),
                        messageAt: messageAt, codec: codec, path: w.path, pathRef: pathRef, hostRef: hostRef)
    }

    func send(_ events: consuming [Event], _ w: Watched, end: UInt64) async throws {
        let tracker = w.tracker
        let seq = tracker.register(end: end)
        // The acknowledgement (on a worker) moves the position and records it in the sincedb.
        try await sink.send(consume events) { status in tracker.acknowledge(seq, status) }
    }

    // MARK: completion and state

    func completeFinishedFiles() {
        for w in watched.values where w.readDone {
            let status = w.tracker.status
            guard status.outstanding == 0, !status.failed else { continue }
            let action = options.completedAction
            if action.hasPrefix("log"), let logPath = options.completedLog {
                let line = Array((w.path + "\n").utf8)
                let fd = open(logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
                if fd >= 0 {
                    do { try FileIO.writeAll(fd, line, path: logPath) } catch { logger.error("file input: \(error)") }
                    close(fd)
                } else {
                    logger.error("file input: cannot open \(logPath): \(IOError("open", path: logPath))")
                }
            }
            if action.hasSuffix("delete") {
                if unlink(w.path) != 0 { logger.warning("file input: cannot delete \(w.path): \(IOError("unlink", path: w.path))") }
            }
            completed.insert(w.id)
            watched[w.id] = nil
            logger.debug("file input: completed \(w.path)")
        }
    }

    func closeIdleFiles() {
        let now = FileReader.now()
        for w in watched.values where w.fd >= 0 && now - w.lastChange > options.closeOlder {
            close(w.fd)
            w.fd = -1
        }
    }

    /// Keeps the entries of watched files active and forgets those idle for `sincedb_clean_after`.
    func cleanSincedb() {
        guard let sincedb else { return }
        sincedb.touch(watched.keys)
        sincedb.forget(inactiveFor: options.sincedbCleanAfter)
    }

    /// Writes the sincedb's latest state before the input ends.
    func saveSincedb() async {
        cleanSincedb()
        await sincedb?.flush()
    }
}
