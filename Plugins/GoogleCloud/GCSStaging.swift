import Foundation
import SluiceCore
import Synchronization

/// What is remembered beside a staged file (`NAME.json` next to `NAME.data`), so that a
/// restart uploads it under the same object name and resumes an upload where it stopped.
struct GCSStagedRecord: Codable, Equatable {
    var object: String
    var contentType: String
    var contentEncoding: String?
    /// No more batches are appended: the file waits for, or is in, its upload.
    var sealed: Bool = false
    /// The resumable upload's session URI, once started.
    var session: String?
    /// Bytes GCS confirmed for that session (its last 308 `Range`).
    var uploaded: Int64 = 0
}

/// A staged file: its data path, its record, and the writes waiting for its upload.
final class GCSStagedFile: Sendable {
    let data: String
    let record: String
    /// The part of the object name the date pattern made: a new one starts a new file.
    let base: String
    let opened = ContinuousClock.now
    let done = GCSCompletion()
    private let state: Mutex<GCSStagedRecord>

    init(data: String, base: String, record: GCSStagedRecord) {
        self.data = data
        self.record = String(data.dropLast(".data".count)) + ".json"
        self.base = base
        state = Mutex(record)
    }

    var current: GCSStagedRecord { state.withLock { $0 } }

    /// Changes the record and writes it to disk (atomically: a crash leaves the old or the new one).
    func update(_ change: (inout GCSStagedRecord) -> Void) throws {
        let bytes = try state.withLock { r -> [UInt8] in
            change(&r)
            return Array(try JSONEncoder().encode(r))
        }
        do {
            try FileIO.writeAtomically(record, bytes, sync: false)
        } catch {
            throw PluginError("cannot write \(record): \(error)", retriable: true, code: .io)
        }
    }

    /// Deletes the staged file and its record (after a verified upload).
    func remove() {
        unlink(data)
        unlink(record)
    }

    /// Moves the file aside after a permanent failure: kept for an operator, not uploaded again.
    func setAside() -> String {
        let failed = data + ".failed"
        rename(data, failed)
        unlink(record)
        return failed
    }

    /// Staged files a previous run left in `directory` (a crash, or a shutdown that could not
    /// upload them): each is uploaded under the object name its record holds.
    static func leftovers(in directory: String) -> [GCSStagedFile] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        var files: [GCSStagedFile] = []
        for name in names.sorted() where name.hasSuffix(".json") {
            let stem = directory + "/" + name.dropLast(".json".count)
            guard let bytes = FileIO.readFile(directory + "/" + name),
                  var record = try? JSONDecoder().decode(GCSStagedRecord.self, from: Data(bytes)),
                  FileIO.isRegularFile(stem + ".data") else { continue }
            record.sealed = true
            files.append(GCSStagedFile(data: stem + ".data", base: "", record: record))
        }
        return files
    }
}

/// Resolves once, when a staged file's upload is verified (or failed for good); every write
/// that appended to the file waits for it.
final class GCSCompletion: Sendable {
    private struct State {
        var result: Result<Void, PluginError>?
        var waiters: [Int: CheckedContinuation<Void, any Error>] = [:]
        var next = 0
    }
    private let state = Mutex(State())

    func wait() async throws {
        let id = state.withLock { s -> Int in
            s.next += 1
            return s.next
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                let ready: Result<Void, PluginError>?? = state.withLock { s in
                    if let r = s.result { return .some(r) }
                    if Task.isCancelled { return .some(nil) }
                    s.waiters[id] = c
                    return .none
                }
                switch ready {
                case .some(.some(let r)): c.resume(with: r.mapError { $0 as any Error })
                case .some(.none): c.resume(throwing: CancellationError())
                case .none: break
                }
            }
        } onCancel: {
            // The write is abandoned (shutdown timeout): its events stay unacknowledged.
            let c = state.withLock { $0.waiters.removeValue(forKey: id) }
            c?.resume(throwing: CancellationError())
        }
    }

    func finish(_ result: Result<Void, PluginError>) {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, any Error>] in
            guard s.result == nil else { return [] }
            s.result = result
            defer { s.waiters = [:] }
            return Array(s.waiters.values)
        }
        for c in waiters { c.resume(with: result.mapError { $0 as any Error }) }
    }
}

/// Logstash's object names: `PREFIX[_HOST]_DATE.partNNN[.UUID].log[.gz]`, the date formatted
/// with Ruby's strftime directives (`%Y %m %d %H %M %S %y %j %%`, in UTC).
struct GCSObjectNaming: Sendable {
    let prefix: String
    let hostname: String?
    let datePattern: String
    let uuid: Bool
    let gzipSuffix: Bool

    /// The name up to the part number, for `now`.
    func base(_ now: Timestamp) -> String {
        var s = prefix
        if let hostname { s += "_" + hostname }
        return s + "_" + GoogleDatePattern.format(datePattern, now)
    }

    func name(base: String, part: Int) -> String {
        let digits = String(part)
        var s = base + ".part" + String(repeating: "0", count: max(0, 3 - digits.count)) + digits
        if uuid { s += "." + UUID().uuidString.lowercased() }
        return s + ".log" + (gzipSuffix ? ".gz" : "")
    }

    /// The part number in an object name made by `name(base:part:)`, nil for other names.
    static func part(of name: String, base: String) -> Int? {
        guard name.hasPrefix(base + ".part") else { return nil }
        return Int(name.dropFirst(base.count + 5).prefix(while: \.isNumber))
    }

    static var systemHostname: String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
