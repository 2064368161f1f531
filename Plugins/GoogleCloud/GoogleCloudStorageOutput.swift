import Foundation
import SluiceCore
import SluiceHTTP
import Synchronization

/// Writes events to objects in a Google Cloud Storage bucket, with Logstash's
/// `google_cloud_storage` settings.
///
/// Each batch is encoded (gzip: one gzip member per batch, so the file is always a valid gzip
/// stream) and appended to a staged file under `temp_directory`; the write then waits until that
/// file was uploaded and the object's size and CRC-32C checked, so events are acknowledged only
/// once they are in GCS. Many batches share a file: the output lets each worker keep
/// `writeConcurrency` batches waiting, and a file is uploaded when it reaches
/// `max_file_size_kbytes`, when the date in its name changes, when half the batches that can be
/// in flight wait for it (the other half fills the next file during the upload; with
/// `pipeline.ordered` and one worker that is one batch a file), when no batch came for
/// `flush_interval_secs`, or at the latest
/// `uploader_interval_secs` after it was opened. Staged files a previous run left behind (a
/// crash) are uploaded at start; a file whose upload fails for good is set aside (`.failed`)
/// and its events go to the dead-letter queue.
public final class GoogleCloudStorageOutput: OutputPlugin {
    public static let pluginName = "google_cloud_storage"
    public static let summary = "Stages events in local files and uploads them to Google Cloud Storage (resumable, verified)."
    public static let settingSpecs: [SettingSpec] = [
        SettingSpec("bucket", .string, required: true, doc: "Bucket the objects go to."),
        SettingSpec("temp_directory", .path,
                    doc: "Where files are staged until uploaded; default: `<path.data>/google_cloud_storage/<bucket>/<log_file_prefix>`. Files left there by a crash are uploaded at start."),
        SettingSpec("log_file_prefix", .string, default: "logstash_gcs", doc: "Start of every object name: `PREFIX[_HOST]_DATE.partNNN[.UUID].log[.gz]`."),
        SettingSpec("max_file_size_kbytes", .number, default: 10000, doc: "A staged file is uploaded once it holds this many KiB."),
        SettingSpec("date_pattern", .string, default: "%Y-%m-%dT%H:00",
                    doc: "strftime pattern (UTC) of the date in object names; a new date starts a new file."),
        SettingSpec("flush_interval_secs", .number, default: 2, doc: "A file that got no batch for this long is uploaded (its writers are waiting)."),
        SettingSpec("gzip", .boolean, default: false, doc: "Gzip the objects (name ends in `.gz`)."),
        SettingSpec("gzip_content_encoding", .boolean, default: false,
                    doc: "With `gzip`: set the objects' Content-Encoding to gzip (GCS decompresses on download) instead of a `.gz` name."),
        SettingSpec("uploader_interval_secs", .number, default: 60, doc: "The longest a staged file collects batches before it is uploaded."),
        SettingSpec("output_format", .oneOf(["json", "plain"]), default: "plain",
                    doc: "`json` writes JSON lines when no `codec` is set; `plain` uses the codec (a line per event)."),
        SettingSpec("codec", .codec, default: "line", doc: "Codec that formats each event."),
        SettingSpec("include_uuid", .boolean, default: false, doc: "Add a UUID to object names (several writers on one host)."),
        SettingSpec("include_hostname", .boolean, default: true, doc: "Add the host name to object names."),
        SettingSpec("upload_synchronous", .boolean, default: false,
                    doc: "Accepted for Logstash files: a write always waits for its file's verified upload before its events are acknowledged."),
        SettingSpec("upload_chunk_size", .bytes, default: 8_388_608, doc: "Bytes per resumable-upload request (rounded to 256 KiB)."),
    ] + GoogleCredentials.settingSpecs + HTTPPluginSettings.specs

    public var writeConcurrency: Int { Self.batchesPerWorker }
    /// Batches one worker may have waiting for their file's upload.
    static let batchesPerWorker = 32

    let bucket: String
    let directory: String
    let naming: GCSObjectNaming
    let codec: any Codec
    let gzip: Bool
    let contentType: String
    let contentEncoding: String?
    let maxSize: Int
    let idleLimit: Duration
    let ageLimit: Duration
    let chunkSize: Int
    /// Batches that can be in this output at once (workers × writeConcurrency).
    let capacity: Int
    let settings: PluginSettings
    let configuration: HTTPClientConfiguration
    let logger: Logger
    private let stage = Mutex(Stage())
    private let uploader = Mutex<Task<Void, Never>?>(nil)
    /// The bucket listing that finds the next part number for a date, shared by the writers.
    private let listings = Mutex<[String: Task<Void, any Error>]>([:])
    private let wake: AsyncStream<Void>.Continuation
    private let wakes: AsyncStream<Void>

    struct Stage {
        var current: Current?
        var queue: [GCSStagedFile] = []
        var nextPart: [String: Int] = [:]
        /// Names of the files a previous run left, uploaded or not: their parts are taken.
        var leftoverNames: [String] = []
        var client: GCSUploader?
        var closing = false
    }

    struct Current {
        let file: GCSStagedFile
        let fd: Int32
        var size = 0
        var batches = 0
        var lastAppend = ContinuousClock.now
    }

    public init(settings: PluginSettings, context: PluginContext) throws {
        guard let bucket = settings.string("bucket"), !bucket.isEmpty else { throw settings.error("bucket", "is required") }
        self.bucket = bucket
        let prefix = try settings.declaredString("log_file_prefix")
        directory = settings.string("temp_directory").flatMap { $0.isEmpty ? nil : $0 }
            ?? "\(context.pipeline.pathData)/google_cloud_storage/\(bucket)/\(prefix)"
        gzip = try settings.declaredBool("gzip")
        let encodingSetting = try settings.declaredBool("gzip_content_encoding")
        let encoding = gzip && encodingSetting
        contentEncoding = encoding ? "gzip" : nil
        naming = GCSObjectNaming(prefix: prefix,
                                 hostname: try settings.declaredBool("include_hostname") ? GCSObjectNaming.systemHostname : nil,
                                 datePattern: try settings.declaredString("date_pattern"),
                                 uuid: try settings.declaredBool("include_uuid"), gzipSuffix: gzip && !encoding)
        let json = try settings.declaredString("output_format") == "json"
        if json && !settings.isSet("codec") {
            var defaults: [String: Value] = [:]
            for spec in JSONLinesCodec.settingSpecs { if let d = spec.defaultValue { defaults[spec.name] = d } }
            codec = try JSONLinesCodec(settings: PluginSettings(pluginName: "json_lines", id: settings.id + "_codec", values: defaults),
                                       context: context)
        } else {
            guard let c = settings.codec else { throw settings.error("codec", "is required") }
            codec = c
        }
        contentType = json || codec is JSONLinesCodec ? "application/x-ndjson" : "text/plain; charset=utf-8"
        let kbytes = try settings.declaredInt("max_file_size_kbytes")
        guard kbytes >= 1 else { throw settings.error("max_file_size_kbytes", "must be at least 1") }
        maxSize = kbytes * 1024
        func seconds(_ name: String) throws -> Duration {
            let v = try settings.declaredDouble(name)
            guard v >= 0 else { throw settings.error(name, "must not be negative") }
            return .milliseconds(Int64(v * 1000))
        }
        idleLimit = try seconds("flush_interval_secs")
        ageLimit = try seconds("uploader_interval_secs")
        let chunk = try settings.declaredInt("upload_chunk_size")
        chunkSize = max(1, chunk / (256 * 1024)) * 256 * 1024
        // As the pipeline decides how many batches a worker has in the outputs at once.
        let p = context.pipeline
        let ordered = p.ordered == "true" || (p.ordered == "auto" && max(1, p.workers) == 1)
        capacity = max(1, p.workers) * (ordered ? 1 : Self.batchesPerWorker)
        configuration = try HTTPPluginSettings.configuration(settings)
        self.settings = settings
        logger = context.logger
        (wakes, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    public func start() async throws {
        let service = try GoogleCredentials.service(settings, emulatorVariable: "STORAGE_EMULATOR_HOST",
                                                    productionURL: "https://storage.googleapis.com",
                                                    scope: "https://www.googleapis.com/auth/devstorage.read_write",
                                                    http: configuration, logger: logger)
        let http: HTTPClient
        do {
            http = try HTTPClient(configuration: configuration, logger: logger)
        } catch {
            throw PluginError("cannot set up the HTTP client: \(error)", retriable: false)
        }
        let client = GCSClient(service: service, http: http, bucket: bucket)
        do {
            try await client.checkBucket()
        } catch let e as GCSError {
            http.shutdown()
            throw PluginError(e.message, retriable: e.retriable, code: e.retriable ? .connection : .notFound)
        }
        do {
            try FileIO.makeDirectories(directory)
        } catch {
            http.shutdown()
            throw PluginError("cannot create temp_directory \(directory): \(error)", retriable: false, code: .io)
        }
        let leftovers = GCSStagedFile.leftovers(in: directory)
        if !leftovers.isEmpty {
            logger.info("uploading \(leftovers.count) staged files a previous run left in \(directory)")
        }
        stage.withLock { s in
            s.client = GCSUploader(client: client, chunkSize: chunkSize, logger: logger)
            s.queue = leftovers
            s.leftoverNames = leftovers.map(\.current.object)
        }
        let task = Task { await self.uploadLoop() }
        uploader.withLock { $0 = task }
        let ticker = Task { [wake] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(200))
                wake.yield()
            }
        }
        task.onFinished { ticker.cancel() }
    }

    public func write(_ events: [Event]) async throws -> WriteOutcome {
        var body: [UInt8] = []
        for event in events { codec.encode(event, into: &body) }
        if body.isEmpty { return .delivered }
        if gzip {
            var member: [UInt8] = []
            do { try Gzip.appendMember(body, to: &member) } catch { throw PluginError("gzip: \(error)", retriable: false) }
            body = member
        }
        let base = naming.base(Timestamp.now())
        try await learnParts(base)
        let file = try stage.withLock { s in try append(body, base: base, &s) }
        wake.yield()
        try await file.done.wait()
        return .delivered
    }

    public func close() async throws {
        stage.withLock { s in
            s.closing = true
            seal(&s)
        }
        wake.yield()
        if let task = uploader.withLock({ $0 }) { await task.value }
        stage.withLock { $0.client }?.client.http.shutdown()
    }

    /// Appends one batch to the current file (opening one, or sealing the last one first when
    /// its date changed or the batch would take it past the size limit).
    private func append(_ body: [UInt8], base: String, _ s: inout Stage) throws -> GCSStagedFile {
        if let c = s.current, c.file.base != base || (c.size > 0 && c.size + body.count > maxSize) { seal(&s) }
        if s.current == nil { s.current = try open(base: base, &s) }
        guard var c = s.current else { throw PluginError("no staged file", retriable: true) }
        do {
            try FileIO.writeAll(c.fd, body, path: c.file.data)
        } catch {
            seal(&s)
            throw PluginError("cannot write the staged file: \(error)", retriable: true, code: .io)
        }
        c.size += body.count
        c.batches += 1
        c.lastAppend = .now
        s.current = c
        // Half the batches that can be in flight: the other half fills the next file meanwhile.
        if c.size >= maxSize || c.batches >= max(1, capacity / 2) { seal(&s) }
        return c.file
    }

    private func open(base: String, _ s: inout Stage) throws -> Current {
        let part = s.nextPart[base, default: 0]
        s.nextPart[base] = part + 1
        let object = naming.name(base: base, part: part)
        let stem = directory + "/" + object.map { $0 == "/" ? "_" : $0 }
        let file = GCSStagedFile(data: stem + ".data", base: base,
                                 record: GCSStagedRecord(object: object, contentType: contentType, contentEncoding: contentEncoding))
        try file.update { _ in }
        let fd = Glibc.open(file.data, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw PluginError("cannot create \(file.data): \(String(cString: strerror(errno)))", retriable: true, code: .io)
        }
        return Current(file: file, fd: fd)
    }

    /// No more batches for the current file: it goes to the upload queue.
    private func seal(_ s: inout Stage) {
        guard let c = s.current else { return }
        s.current = nil
        Glibc.close(c.fd)
        do {
            try c.file.update { $0.sealed = true }
        } catch {
            logger.warning("\(error)")
        }
        s.queue.append(c.file)
    }

    /// Part numbers go on from the objects already in the bucket for this date (and from the
    /// files a previous run left), so a restart never replaces an object.
    private func learnParts(_ base: String) async throws {
        guard let client = stage.withLock({ $0.nextPart[base] == nil ? $0.client : nil }) else { return }
        // One listing per date, however many writers arrive at once.
        let task = listings.withLock { l in
            if let t = l[base] { return t }
            let t = Task { [self] in
                let names: [String]
                do {
                    names = try await client.client.names(prefix: base + ".part")
                } catch let e as GCSError {
                    throw PluginError(e.message, retriable: e.retriable, code: .connection)
                }
                stage.withLock { s in
                    guard s.nextPart[base] == nil else { return }
                    let parts = (names + s.leftoverNames).compactMap { GCSObjectNaming.part(of: $0, base: base) }
                    s.nextPart[base] = (parts.max() ?? -1) + 1
                }
            }
            l[base] = t
            return t
        }
        do {
            try await task.value
        } catch {
            listings.withLock { $0[base] = nil }
            throw error
        }
    }

    /// The uploader: seals files whose time is up and uploads sealed files one by one, retrying
    /// transient failures with backoff; at close it uploads what is left and stops.
    private func uploadLoop() async {
        var backoff = Backoff(initial: .milliseconds(200), max: .seconds(30))
        var failures = 0
        for await _ in wakes {
            while true {
                let (next, closing, uploader) = stage.withLock { s -> (GCSStagedFile?, Bool, GCSUploader?) in
                    if let c = s.current, c.batches > 0,
                       ContinuousClock.now - c.lastAppend >= idleLimit || ContinuousClock.now - c.file.opened >= ageLimit {
                        seal(&s)
                    }
                    return (s.queue.first, s.closing, s.client)
                }
                guard let file = next, let uploader else {
                    if closing { return }
                    break
                }
                do {
                    let object = try await uploader.upload(file)
                    logger.debug("uploaded gs://\(bucket)/\(object.name) (\(object.size) bytes, crc32c \(object.crc32c ?? "-"))")
                    file.remove()
                    finish(file, .success(()))
                    backoff.reset()
                    failures = 0
                } catch {
                    let e = (error as? GCSError).map { PluginError($0.message, retriable: $0.retriable, code: .connection) }
                        ?? (error as? PluginError) ?? PluginError("\(error)", retriable: true)
                    if !e.retriable {
                        let aside = file.setAside()
                        logger.error("uploading \(file.current.object) failed for good: \(e.message); the staged file is kept as \(aside)")
                        finish(file, .failure(e))
                        continue
                    }
                    let delay = backoff.next()
                    failures += 1
                    logger.warning("uploading gs://\(bucket)/\(file.current.object) failed, retrying in \(delay): \(e.message)")
                    // At close a few quick tries, then the files stay for the next start.
                    let closingNow = stage.withLock { $0.closing }
                    if closingNow && failures > 3 {
                        logger.warning("\(file.data) and the files after it stay staged; they are uploaded at the next start")
                        return
                    }
                    try? await Task.sleep(for: closingNow ? min(delay, .seconds(1)) : delay)
                }
            }
        }
    }

    private func finish(_ file: GCSStagedFile, _ result: Result<Void, PluginError>) {
        stage.withLock { s in s.queue.removeAll { $0 === file } }
        file.done.finish(result)
    }
}

extension Task where Success == Void, Failure == Never {
    /// Runs `action` once this task has finished.
    fileprivate func onFinished(_ action: @escaping @Sendable () -> Void) {
        Task<Void, Never> {
            await self.value
            action()
        }
    }
}
