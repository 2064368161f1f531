import SluiceCore
#if canImport(Glibc)
import Glibc
#endif

/// The spooldir's loop: list the directory, read the ready files one after the other, and
/// complete each file once every event read from it was acknowledged.
///
/// Files are read on while earlier ones wait for their acknowledgements, so the pipeline
/// never runs dry between files. Each file's committed position is recorded in a
/// `PositionStore` as soon as an acknowledgement moves it; a completed or set-aside file's
/// entry is removed. After a restart a file with an entry resumes at its position.
final class SpoolDirectory {
    let options: SpoolOptions
    let codec: (any Codec)?
    let logger: Logger
    let sink: EventSink
    let scanner: SpoolScanner
    let completion: SpoolCompletion
    let store: PositionStore
    /// Seconds between two writes of the read positions at least.
    static let positionWriteInterval = 0.05
    /// Files being read or waiting for acknowledgements, by path.
    private var files: [String: SpoolFile] = [:]
    /// Files that could be neither completed nor set aside (a failed rename): not read again
    /// while the input runs.
    private var abandoned: Set<String> = []
    /// Listing errors already logged (a missing subdirectory is reported once, not every poll).
    private var reported: Set<String> = []

    init(options: SpoolOptions, codec: (any Codec)?, logger: Logger, sink: EventSink) throws {
        self.options = options
        self.codec = codec
        self.logger = logger
        self.sink = sink
        scanner = try SpoolScanner(options: options)
        completion = SpoolCompletion(options: options, logger: logger)
        // Written at most every 50 ms: writing after every acknowledgement kept a core busy
        // renaming position files (15% of all CPU in spooldir → null). A kill -9
        // reads again at most the rows acknowledged in those 50 ms of files not yet completed.
        store = PositionStore(path: options.sincedbPath, minimumInterval: SpoolDirectory.positionWriteInterval) { error in
            logger.error("spooldir: cannot record read positions: \(error)")
        }
    }

    func run() async throws {
        forgetFinishedFiles()
        do {
            try await loop()
        } catch {
            await finishUp()
            throw error
        }
        await finishUp()
    }

    /// After a stop the pipeline drains what was sent: wait for those acknowledgements, complete
    /// the files they finish, and write the positions, so a restart reads none of it again.
    private func finishUp() async {
        for f in files.values { await f.tracker.settle() }
        completeSettled()
        await store.flush()
    }

    private func loop() async throws {
        var lastScan = -Double.infinity
        var moreReady = false
        while !Task.isCancelled {
            completeSettled()
            let now = PositionStore.now()
            guard moreReady || now - lastScan >= options.pollInterval else {
                // Waiting for acknowledgements only: look at them often, list rarely.
                let untilScan = options.pollInterval - (now - lastScan)
                try? await Task.sleep(for: .milliseconds(Int(1000 * (files.isEmpty ? untilScan : min(0.01, untilScan))) + 1))
                continue
            }
            lastScan = now
            let listing = scanner.scan(busy: Set(files.keys).union(abandoned), now: now)
            for error in listing.errors where reported.insert(error).inserted { logger.warning("spooldir: \(error)") }
            for c in listing.reused {
                let moved = completion.setAside(c.path, because: "reuses the name of a file completed before; it was not read")
                forget(c, handled: moved != nil)
            }
            moreReady = !listing.ready.isEmpty
            if !moreReady { sink.flush() }
            for c in listing.ready {
                if Task.isCancelled { return }
                try await read(c)
                completeSettled()
            }
        }
    }

    /// Reads one ready file, from its recorded position if it was begun before a restart.
    private func read(_ c: SpoolCandidate) async throws {
        // The listing may be a while old: read only what is still there, unchanged.
        var st = stat()
        guard stat(c.path, &st) == 0, FileIdentity(st) == c.id, FileStamp(st) == c.stamp else { return }
        var start: UInt64 = 0
        if let entry = store.entry(for: c.id), entry.path == c.path { start = entry.position }
        if start > c.stamp.size {
            let moved = completion.setAside(c.path, because: "is shorter (\(c.stamp.size) bytes) than what was read of it before (\(start) bytes)")
            forget(c, handled: moved != nil)
            return
        }
        if start == c.stamp.size {
            // Empty (FLUME-1934 crashed on these), or read and acknowledged before a restart.
            forget(c, handled: completion.complete(c))
            return
        }
        let f = SpoolFile(candidate: c, tracker: store.tracker(for: c.id, path: c.path, start: start))
        files[c.path] = f
        if start > 0 { logger.info("spooldir: resuming \(c.path) at byte \(start)") }
        try await SpoolFileReader(options: options, codec: codec, sink: sink, file: f).read(from: start)
    }

    /// Completes (or sets aside) every file read to its end whose events were all delivered.
    private func completeSettled() {
        for f in files.values where f.settled {
            files[f.path] = nil
            forget(f.candidate, handled: completion.finish(f))
        }
    }

    /// A file is finished: its position is forgotten; if it could not be moved away (a failed
    /// rename), it is not read again while the input runs.
    private func forget(_ c: SpoolCandidate, handled: Bool) {
        if !handled { abandoned.insert(c.path) }
        store.remove(c.id)
    }

    /// Drops recorded positions of files that are finished: completed or set aside before
    /// the last stop recorded it (a kill between the rename and the next write of positions).
    private func forgetFinishedFiles() {
        for (id, entry) in store.entries {
            if FileIdentity(path: entry.path) != id {
                store.remove(id)
            } else if let trackerDir = options.trackerDir, entry.path.hasPrefix(options.directory + "/"),
                      FileIO.isRegularFile(trackerDir + "/" + entry.path.dropFirst(options.directory.count + 1) + options.suffix) {
                store.remove(id)
            }
        }
    }
}
