import Foundation
import SluiceCore
import SluiceTesting
import SpooldirPlugins
import StandardPlugins
import Synchronization

/// A fresh spool directory (and `data` beside it for `path.data`) under the system temporary
/// directory; removed by `remove()`.
struct Spool {
    let root: String
    var dir: String { root + "/spool" }
    var data: String { root + "/data" }

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-spool-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root + "/spool", withIntermediateDirectories: true)
    }

    func callAsFunction(_ name: String) -> String { dir + "/" + name }

    /// Writes a file, then sets its modification time `age` seconds into the past (so it is
    /// ready at once, and `oldest` order is under the test's control).
    /// Like a well-behaved producer, the file is written under a hidden name and renamed into
    /// place, so a running input never sees it half-written.
    func write(_ name: String, _ bytes: [UInt8], age: Double = 10) throws {
        let path = self(name)
        let dir = (path as NSString).deletingLastPathComponent
        let hidden = dir + "/.writing-" + (path as NSString).lastPathComponent
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: hidden))
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -age)], ofItemAtPath: hidden)
        guard rename(hidden, path) == 0 else { throw IOError("rename", path: hidden) }
    }

    func write(_ name: String, _ text: String, age: Double = 10) throws { try write(name, Array(text.utf8), age: age) }

    func append(_ name: String, _ text: String) throws {
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: self(name)))
        defer { try? h.close() }
        try h.seekToEnd()
        try h.write(contentsOf: Data(text.utf8))
    }

    func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: self(name)) }

    func bytes(_ name: String) -> [UInt8]? { FileManager.default.contents(atPath: self(name)).map { Array($0) } }

    /// The names in the spool directory, sorted.
    var names: [String] { ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted() }

    /// Writes a file with plain system calls (Foundation takes seconds per thousand files).
    func create(_ name: String, _ text: String) throws {
        let fd = open(self(name), O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw IOError("open", path: self(name)) }
        defer { close(fd) }
        try FileIO.writeAll(fd, Array(text.utf8), path: self(name))
    }

    func remove() {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/rm")
        p.arguments = ["-rf", root]
        try? p.run()
        p.waitUntilExit()
    }

    /// A spooldir input over this directory, ready at once (`min_file_age => 0`), polling often.
    func input(_ extra: String = "") -> String {
        "input { spooldir { path => \"\(dir)\" min_file_age => 0 poll_interval => 0.05 \(extra) } }"
    }
}

/// A harness with the spooldir and standard families and the test `recorder` output.
func spoolHarness(_ spool: Spool, logs: LogCapture? = nil, batchSize: Int = 125) -> PipelineHarness {
    var r = PluginRegistry()
    StandardPlugins.register(into: &r)
    SpooldirPlugins.register(into: &r)
    r.register(RecorderOutput.self)
    var h = PipelineHarness(registry: r)
    h.settings.pathData = spool.data
    h.settings.batchSize = batchSize
    if let logs { h.logger = logs.logger }
    return h
}

func messages(_ events: [Event]) -> [String] { events.compactMap(\.message) }


/// Shared state of `recorder` outputs, by their `key`: what was written (confirmed), and
/// switches a test flips to make writes fail (retriably) or wait.
final class Recorder: Sendable {
    private static let table = Mutex<[String: Recorder]>([:])
    let key = UUID().uuidString
    private struct State {
        var written: [Event] = []
        var attempts = 0
        var failing = false
        var holding = false
    }
    private let state = Mutex(State())

    init() { Recorder.table.withLock { $0[key] = self } }
    static func find(_ key: String?) -> Recorder? { key.flatMap { k in table.withLock { $0[k] } } }

    var written: [Event] { state.withLock { $0.written } }
    var attempts: Int { state.withLock { $0.attempts } }
    /// Writes throw a retriable error while set: nothing is acknowledged.
    var failing: Bool {
        get { state.withLock { $0.failing } }
        set { state.withLock { $0.failing = newValue } }
    }
    /// Writes wait while set: nothing is acknowledged, the input feels backpressure.
    var holding: Bool {
        get { state.withLock { $0.holding } }
        set { state.withLock { $0.holding = newValue } }
    }

    func output(_ extra: String = "") -> String { "output { recorder { key => \"\(key)\" \(extra) } }" }

    fileprivate func write(_ events: [Event], failOn: Set<String>) async throws {
        state.withLock { $0.attempts += 1 }
        while holding { try await Task.sleep(for: .milliseconds(5)) }
        if failing || events.contains(where: { failOn.contains($0.message ?? "") }) {
            throw PluginError("recorder failing", retriable: true)
        }
        state.withLock { $0.written += events }
    }
}

/// A test output: records what it confirms into its `Recorder`; fails (retriably) while the
/// recorder is failing or a batch holds a message listed in `fail_on`; waits while holding.
final class RecorderOutput: OutputPlugin {
    static let pluginName = "recorder"
    static let summary = "Test output."
    static let settingSpecs = [
        SettingSpec("key", .string, required: true, doc: "Recorder key."),
        SettingSpec("fail_on", .array, default: .array([]), doc: "Messages whose batches fail."),
    ]
    let recorder: Recorder?
    let failOn: Set<String>

    init(settings: PluginSettings, context: PluginContext) {
        recorder = Recorder.find(settings.string("key"))
        failOn = Set(settings.strings("fail_on"))
    }

    func write(_ events: [Event]) async throws -> WriteOutcome {
        try await recorder?.write(events, failOn: failOn)
        return .delivered
    }
}

extension Event {
    /// `[@metadata][spooldir][name]`.
    func origin(_ name: String) -> Value? { self[field: "[@metadata][spooldir][\(name)]"] }
    var originOffset: Int? { if case .int(let n)? = origin("offset") { return Int(n) }; return nil }
    var originLine: Int? { if case .int(let n)? = origin("line") { return Int(n) }; return nil }
    var originPath: String? { origin("path")?.stringValue }
}

/// Numbered lines `prefix-1` ... `prefix-n`, newline-terminated.
func numbered(_ prefix: String, _ n: Int) -> String {
    lines(prefix, n).map { $0 + "\n" }.joined()
}

/// The lines of `numbered`, without newlines.
func lines(_ prefix: String, _ n: Int) -> [String] {
    (1...n).map { "\(prefix)-\($0)" }
}
