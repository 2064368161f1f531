import SluiceCore
import SluiceHTTP
import Synchronization

/// Writes events to HDFS files over WebHDFS, with Logstash's `webhdfs` settings and Flume's
/// HDFS-sink path features (escapes, rounding, prefix/suffix, in-use suffix, rolling).
///
/// A batch is written before `write` returns: CREATE when the file is new, APPEND otherwise,
/// each through the namenode's 307 to a datanode. Events count as delivered only once the
/// datanode confirmed. A lease held by another client rolls to a new file; 5xx and
/// connection failures are retried (`retry_times` at `retry_interval`, then by the host
/// with backoff); a permission error sends the events to the dead-letter queue.
///
/// The seed's Flume HDFS sink (`hdfs.path = /user/maria_dev/flume/%y-%m-%d/%H%M/%S`, rounded to
/// 10 minutes, `filePrefix = events-`) is written as:
/// `webhdfs { path => "/user/maria_dev/flume/%y-%m-%d/%H%M/%S" round => true round_value => 10
/// round_unit => "minute" file_prefix => "events-" codec => line { format => "%{message}" } ... }`.
public final class WebHDFSOutput: OutputPlugin {
    public static let pluginName = "webhdfs"
    public static let summary = "Writes events to HDFS files over WebHDFS (create/append, namenode HA, rolling)."
    public static let settingSpecs: [SettingSpec] = [
        SettingSpec("host", .string, required: true, doc: "Namenode host."),
        SettingSpec("port", .number, default: 9870, doc: "Namenode WebHDFS port (9870; Hadoop 2's 50070 works too)."),
        SettingSpec("standby_host", .string, doc: "Standby namenode host: a StandbyException or connection failure switches to it."),
        SettingSpec("standby_port", .number, default: 9870, doc: "Standby namenode WebHDFS port."),
        SettingSpec("path", .template, required: true,
                    doc: "File path (or directory, with `file_prefix`): sprintf (`%{+YYYY-MM-dd}`, `%{[field]}`) and Flume escapes (`%y %m %d %H %M %S %Y %j %s %t`); `%{[@metadata][thread_id]}` is the writer slot."),
        SettingSpec("user", .string, doc: "HDFS user (`user.name`, simple authentication)."),
        SettingSpec("round", .boolean, default: false, doc: "Round the time in `path` down (Flume `hdfs.round`)."),
        SettingSpec("round_value", .number, default: 1, doc: "Round down to a multiple of this many `round_unit`s."),
        SettingSpec("round_unit", .oneOf(["second", "minute", "hour", "day"]), default: "second", doc: "Unit of `round_value`."),
        SettingSpec("file_prefix", .string,
                    doc: "Flume style: `path` is a directory and files are `<file_prefix><epoch ms><file_suffix>`, renamed from `<name><in_use_suffix>` when rolled or closed."),
        SettingSpec("file_suffix", .string, default: "", doc: "Appended to every file name (e.g. `.log`, `.gz`)."),
        SettingSpec("in_use_suffix", .string, default: ".tmp", doc: "With `file_prefix`: suffix of a file while it is written."),
        SettingSpec("roll_interval", .number, default: 0, doc: "Seconds after which a file is rolled (0: never)."),
        SettingSpec("roll_size", .bytes, default: 0, doc: "Bytes after which a file is rolled (0: never)."),
        SettingSpec("roll_count", .number, default: 0, doc: "Events after which a file is rolled (0: never)."),
        SettingSpec("idle_timeout", .number, default: 0, doc: "Seconds without a write after which the next write rolls the file (0: never)."),
        SettingSpec("codec", .codec, default: "line", doc: "Codec that formats each event (a line per event by default)."),
        SettingSpec("compression", .oneOf(["none", "gzip"]), default: "none",
                    doc: "`gzip` writes each append as a gzip member (the file stays one valid gzip stream). Snappy is not supported."),
        SettingSpec("flush_size", .number, default: 500, doc: "Most events per append request (a batch may take several)."),
        SettingSpec("idle_flush_time", .number, default: 1,
                    doc: "Accepted for Logstash files and has no effect: each batch is written (and confirmed by the datanode) before it is acknowledged, so nothing waits to be flushed; `pipeline.batch.delay` and `pipeline.batch.size` decide how events are grouped."),
        SettingSpec("retry_times", .number, default: 5, doc: "Retries of a failed request before the host's backoff takes over."),
        SettingSpec("retry_interval", .number, default: 0.5, doc: "Seconds between those retries."),
        SettingSpec("retry_known_errors", .boolean, default: true, doc: "Accepted for Logstash files; transient errors are always retried."),
        SettingSpec("single_file_per_thread", .boolean, default: true,
                    doc: "Each concurrent writer appends to its own file, so writers never contend for a lease."),
        SettingSpec("use_ssl", .boolean, default: false, doc: "Speak HTTPS to the namenodes (TLS settings below)."),
        SettingSpec("use_ssl_auth", .boolean, default: false, doc: "Logstash's name: HTTPS with `ssl_certificate`/`ssl_key` as client certificate."),
        SettingSpec("use_kerberos_auth", .boolean, default: false, doc: "Kerberos (SPNEGO) is not supported: true is a configuration error."),
        SettingSpec("kerberos_keytab", .path, doc: "Not supported (Kerberos)."),
    ] + HTTPPluginSettings.specs

    let path: String
    let roundSeconds: Int64?
    let naming: WebHDFSNaming
    let codec: any Codec
    let gzip: Bool
    let flushSize: Int
    let retryTimes: Int
    let retryInterval: Duration
    let namenodes: [String]
    let user: String?
    let configuration: HTTPClientConfiguration
    let stallTimeout: Duration?
    let logger: Logger
    private let slots: WebHDFSSlots
    private let client = Mutex<WebHDFSClient?>(nil)
    /// Renames Flume-style files whose time is up while no event arrives (started by `start`).
    private let sweeper = Mutex<Task<Void, Never>?>(nil)
    /// Directories made by this process (MKDIRS once each).
    private let madeDirs = Mutex<Set<String>>([])
    /// `path` compiled per slot (the slot replaces `%{[@metadata][thread_id]}`).
    private let paths = Mutex<[Int: WebHDFSPath]>([:])
    static let threadMarker = "%{[@metadata][thread_id]}"

    public init(settings: PluginSettings, context: PluginContext) throws {
        if try settings.declaredBool("use_kerberos_auth") || settings.string("kerberos_keytab") != nil {
            throw settings.error("use_kerberos_auth",
                                 "Kerberos (SPNEGO) authentication is not supported; use simple authentication (`user`) behind a secured network, or TLS client certificates (`use_ssl_auth`)")
        }
        guard let host = settings.string("host"), !host.isEmpty else { throw settings.error("host", "is required") }
        guard let path = settings.string("path"), path.hasPrefix("/") || path.hasPrefix("%{") else {
            throw settings.error("path", "must be an absolute HDFS path")
        }
        self.path = path
        guard let codec = settings.codec else { throw settings.error("codec", "is required") }
        self.codec = codec
        let ssl = try settings.declaredBool("use_ssl") || settings.declaredBool("use_ssl_auth")
        let scheme = ssl ? "https" : "http"
        func port(_ name: String) throws -> Int {
            let p = try settings.declaredInt(name)
            guard (1...65535).contains(p) else { throw settings.error(name, "must be a TCP port (1-65535)") }
            return p
        }
        var namenodes = ["\(scheme)://\(host):\(try port("port"))"]
        if let standby = settings.string("standby_host"), !standby.isEmpty {
            namenodes.append("\(scheme)://\(standby):\(try port("standby_port"))")
        }
        self.namenodes = namenodes
        user = settings.string("user")
        if try settings.declaredBool("round") {
            let unit: Int64 = switch try settings.declaredString("round_unit") {
            case "minute": 60
            case "hour": 3600
            case "day": 86400
            default: 1
            }
            let value = try settings.declaredInt("round_value")
            guard value >= 1 else { throw settings.error("round_value", "must be at least 1") }
            roundSeconds = unit * Int64(value)
        } else {
            roundSeconds = nil
        }
        func nonNegative(_ name: String) throws -> Double {
            let v = try settings.declaredDouble(name)
            guard v >= 0 else { throw settings.error(name, "must not be negative") }
            return v
        }
        let perThread = try settings.declaredBool("single_file_per_thread")
        naming = WebHDFSNaming(
            filePrefix: settings.string("file_prefix"), fileSuffix: try settings.declaredString("file_suffix"),
            inUseSuffix: try settings.declaredString("in_use_suffix"),
            perSlot: perThread && !path.contains(Self.threadMarker),
            rollInterval: try nonNegative("roll_interval"), rollSize: Int64(try nonNegative("roll_size")),
            rollCount: Int(try nonNegative("roll_count")), idleTimeout: try nonNegative("idle_timeout"))
        gzip = try settings.declaredString("compression") == "gzip"
        flushSize = max(1, try settings.declaredInt("flush_size"))
        retryTimes = Int(try nonNegative("retry_times"))
        retryInterval = .milliseconds(Int64(try nonNegative("retry_interval") * 1000))
        configuration = try HTTPPluginSettings.configuration(settings)
        stallTimeout = HTTPPluginSettings.stallTimeout(settings)
        slots = WebHDFSSlots(limit: perThread ? nil : 1)
        logger = context.logger
    }

    public func start() async throws {
        let http: HTTPClient
        do {
            http = try HTTPClient(configuration: configuration, logger: logger)
        } catch {
            throw PluginError("cannot set up the HTTP client: \(error)", retriable: false)
        }
        let c = WebHDFSClient(http: http, namenodes: namenodes, user: user, stallTimeout: stallTimeout, logger: logger)
        // A start-up check that the namenode answers and lets this user in: a cluster that
        // is down is waited for (the host retries `start`), a refusal stops the pipeline.
        do {
            _ = try await c.length("/")
        } catch {
            http.shutdown()
            throw PluginError("webhdfs: \(error)", retriable: error.kind == .transient,
                              code: error.kind == .permission ? .authentication : .connection)
        }
        client.withLock { $0 = c }
        // Flume closes files by timer; names with an in-use suffix are renamed by this sweep
        // even when no more events come for them (e.g. a rounded directory whose time passed).
        if naming.filePrefix != nil && (naming.rollInterval > 0 || naming.idleTimeout > 0) {
            let task = Task { [slots, naming] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(1))
                    for file in await slots.takeExpired(naming, now: .now) { await self.finish(file, c) }
                }
            }
            sweeper.withLock { $0 = task }
        }
    }

    public func close() async throws {
        guard let c = client.withLock({ $0 }) else { return }
        if let task = sweeper.withLock({ $0 }) {
            task.cancel()
            await task.value
        }
        for file in await slots.takeAll() { await finish(file, c) }
        c.http.shutdown()
    }

    public func write(_ events: [Event]) async throws -> WriteOutcome {
        guard let c = client.withLock({ $0 }) else { throw PluginError("the output was not started", retriable: true) }
        let (slot, acquired) = await slots.acquire()
        var files = acquired
        let outcome = await write(events, slot: slot, files: &files, c)
        await slots.release(slot, files: files)
        return outcome
    }

    private func write(_ events: [Event], slot: Int, files: inout [String: WebHDFSFile], _ c: WebHDFSClient) async -> WriteOutcome {
        var outcome = WriteOutcome()
        // A chunk never spans a `roll_count` boundary, so rolled files hold exactly that many.
        let limit = naming.rollCount > 0 ? min(flushSize, naming.rollCount) : flushSize
        for (key, indices) in group(events, slot: slot) {
            var start = 0
            while start < indices.count {
                let chunk = indices[start..<min(start + limit, indices.count)]
                var body: [UInt8] = []
                for i in chunk { codec.encode(events[i], into: &body) }
                if gzip {
                    var member: [UInt8] = []
                    do { try Gzip.appendMember(body, to: &member) } catch {
                        outcome.rejected += chunk.map { ($0, "webhdfs: gzip failed: \(error)") }
                        start += chunk.count
                        continue
                    }
                    body = member
                }
                do {
                    try await deliver(body, events: chunk.count, key: key, slot: slot, files: &files, c)
                } catch {
                    // This chunk and the rest of its file's events: later chunks must not land
                    // before it, or the file's order would differ from the events'.
                    let rest = indices[start...]
                    if error.kind == .permission || error.kind == .permanent {
                        logger.error("webhdfs: \(error.message)")
                        outcome.rejected += rest.map { ($0, "webhdfs: \(error.message)") }
                    } else {
                        outcome.retry += rest.map { ($0, "webhdfs: \(error.message)") }
                    }
                    break
                }
                start += chunk.count
            }
        }
        return outcome
    }

    /// Event indices by rendered path, in first-seen order.
    private func group(_ events: [Event], slot: Int) -> [(String, [Int])] {
        let p = paths.withLock { cache in
            if let p = cache[slot] { return p }
            let p = WebHDFSPath(path.replacingOccurrences(of: Self.threadMarker, with: String(slot)), roundSeconds: roundSeconds)
            cache[slot] = p
            return p
        }
        if p.isConstant, let first = events.first { return [(p.render(first), Array(events.indices))] }
        var order: [String] = []
        var members: [String: [Int]] = [:]
        for (i, e) in events.enumerated() {
            let key = p.render(e)
            if members[key] == nil { order.append(key) }
            members[key, default: []].append(i)
        }
        return order.map { ($0, members[$0] ?? []) }
    }

    /// Writes one chunk to the current file of `key`, rolling and retrying as needed.
    private func deliver(_ body: [UInt8], events n: Int, key: String, slot: Int,
                         files: inout [String: WebHDFSFile], _ c: WebHDFSClient) async throws(WebHDFSError) {
        var file = files[key] ?? newFile(key, slot: slot, after: nil)
        if naming.mustRoll(file, adding: body.count, events: n, now: .now) {
            await finish(file, c)
            file = newFile(key, slot: slot, after: file)
        }
        defer { files[key] = file }
        var failures = 0, rolls = 0
        // The file's length if an attempt that failed after sending did store this chunk.
        var unconfirmed: Int64?
        while true {
            do {
                try await put(body, into: &file, unconfirmed: &unconfirmed, c)
                file.written += Int64(body.count)
                file.events += n
                file.lastWrite = .now
                return
            } catch {
                switch error.kind {
                case .lease:
                    rolls += 1
                    guard rolls <= 10 else { throw WebHDFSError(kind: .transient, message: error.message) }
                    let next = newFile(key, slot: slot, after: file)
                    logger.warning("webhdfs: \(error.message); writing to \(next.writing) instead")
                    file = next
                case .transient, .ambiguous:
                    failures += 1
                    guard failures <= retryTimes else {
                        // Given back to the host, which may send these events again in another
                        // chunk: the file's length is looked up afresh before the next write.
                        if unconfirmed != nil { file.known = .unknown }
                        throw error
                    }
                    do { try await Task.sleep(for: retryInterval) } catch {
                        throw WebHDFSError(kind: .transient, message: "cancelled at shutdown")
                    }
                default:
                    throw error
                }
            }
        }
    }

    /// One attempt to add `body` to `file`: CREATE (after MKDIRS of its directory) when it
    /// does not exist, APPEND otherwise.
    private func put(_ body: [UInt8], into file: inout WebHDFSFile, unconfirmed: inout Int64?,
                     _ c: WebHDFSClient) async throws(WebHDFSError) {
        if let expected = unconfirmed {
            // The previous attempt failed after sending (a timeout, a reset): the datanode may
            // have stored the bytes. Appending them again blindly would duplicate the chunk,
            // so the file's length decides: grown by exactly the chunk, it landed; unchanged,
            // it did not and is sent again; anything else (a partial write) leaves that file
            // as it is and the chunk goes to a new one.
            let now = try await c.length(file.writing)
            unconfirmed = nil
            if now == expected {
                file.known = .length(expected)
                return
            }
            let before: Int64? = if case .length(let b) = file.known { b } else { nil }
            if now != before {
                file.known = now.map { .length($0) } ?? .missing
                throw WebHDFSError(kind: .lease, message: "\(file.writing) has \(now ?? 0) bytes after an interrupted append, not \(before ?? 0) or \(expected)")
            }
        }
        if file.known == .unknown {
            file.known = try await c.length(file.writing).map { .length($0) } ?? .missing
        }
        let before: Int64
        switch file.known {
        case .length(let n): before = n
        default: before = 0
        }
        do {
            if file.known == .missing {
                try await makeDirectory(of: file.writing, c)
                try await c.create(file.writing, body)
            } else {
                try await c.append(file.writing, body)
            }
            file.known = .length(before + Int64(body.count))
        } catch {
            switch error.kind {
            case .exists, .notFound:
                // Someone else created or deleted the file meanwhile: look again next attempt.
                file.known = .unknown
                throw WebHDFSError(kind: .transient, message: error.message)
            case .ambiguous:
                unconfirmed = before + Int64(body.count)
                throw error
            default:
                throw error
            }
        }
    }

    private func makeDirectory(of path: String, _ c: WebHDFSClient) async throws(WebHDFSError) {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return }
        let dir = String(path[..<slash])
        if madeDirs.withLock({ $0.contains(dir) }) { return }
        try await c.mkdirs(dir)
        madeDirs.withLock { _ = $0.insert(dir) }
    }

    private func newFile(_ key: String, slot: Int, after previous: WebHDFSFile?) -> WebHDFSFile {
        let serial = previous.map { $0.serial + 1 } ?? 0
        let stamp = max(Timestamp.now().epochMilliseconds, (previous?.stamp ?? 0) + 1)
        let names = naming.names(key: key, slot: slot, serial: serial, stamp: stamp)
        return WebHDFSFile(final: names.final, writing: names.writing, serial: serial, stamp: stamp)
    }

    /// A file is done (rolled or closed): rename it away from its in-use name.
    private func finish(_ file: WebHDFSFile, _ c: WebHDFSClient) async {
        guard file.writing != file.final, file.written > 0 else { return }
        do {
            if try await !c.rename(file.writing, to: file.final) {
                logger.warning("webhdfs: could not rename \(file.writing) to \(file.final) (it exists or is gone)")
            }
        } catch {
            logger.warning("webhdfs: could not rename \(file.writing) to \(file.final): \(error)")
        }
    }
}
