import Foundation
import SluiceCore
import SluiceTesting
import StandardPlugins
import Synchronization

/// A fresh directory under the system temporary directory; removed by `remove()`.
struct TempDir {
    let path: String

    init(_ label: String = "test") throws {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("sluice-\(label)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func callAsFunction(_ name: String) -> String { path + "/" + name }

    func write(_ name: String, _ text: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: self(name)))
    }

    func append(_ name: String, _ text: String) throws {
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: self(name)))
        defer { try? h.close() }
        try h.seekToEnd()
        try h.write(contentsOf: Data(text.utf8))
    }

    func read(_ name: String) -> String? {
        FileManager.default.contents(atPath: self(name)).map { String(decoding: $0, as: UTF8.self) }
    }

    func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: self(name)) }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// The standard family plus the test-only `gate` output, with state under `pathData`.
func standardHarness(pathData: String, workers: Int = 1, batchSize: Int = 125) -> PipelineHarness {
    var r = PluginRegistry()
    StandardPlugins.register(into: &r)
    r.register(GateOutput.self)
    var h = PipelineHarness(registry: r)
    h.settings.pathData = pathData
    h.settings.workers = workers
    h.settings.batchSize = batchSize
    return h
}

func messages(_ events: [Event]) -> [String] { events.compactMap(\.message) }


/// Runs a command and returns its exit status and standard output.
func shell(_ executable: String, _ args: [String]) throws -> (status: Int32, stdout: Data) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = args
    let out = Pipe()
    p.standardOutput = out
    p.standardError = FileHandle.nullDevice
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, data)
}

/// Shared state of `gate` outputs, by the `key` setting.
final class Gate: Sendable {
    private static let table = Mutex<[String: Gate]>([:])
    let key = UUID().uuidString
    private let state = Mutex<(written: [Event], attempts: Int, observations: [String])>(([], 0, []))

    init() { Gate.table.withLock { $0[key] = self } }
    static func find(_ key: String?) -> Gate? { key.flatMap { k in table.withLock { $0[k] } } }

    var written: [Event] { state.withLock { $0.written } }
    var attempts: Int { state.withLock { $0.attempts } }
    /// Lines recorded by `observe` on each successful write.
    var observations: [String] { state.withLock { $0.observations } }

    func attempt() { state.withLock { $0.attempts += 1 } }
    func wrote(_ events: [Event], observed: String?) {
        state.withLock { s in
            s.written += events
            if let observed { s.observations.append(observed) }
        }
    }
}

/// A test output: fails (retriably) any batch holding a message listed in `fail_on`,
/// records the rest, and can look at the disk on each write (`observe`: `exists:PATH`
/// records whether PATH exists, `gzip:PATH` the line count `gzip -dc` reads, or -1).
final class GateOutput: OutputPlugin {
    static let pluginName = "gate"
    static let summary = "Test output."
    static let settingSpecs = [
        SettingSpec("key", .string, required: true, doc: "Gate key."),
        SettingSpec("fail_on", .array, default: .array([]), doc: "Messages whose batches fail."),
        SettingSpec("delay", .duration, default: 0, doc: "Seconds per write."),
        SettingSpec("observe", .string, doc: "What to look at on each write."),
    ]
    let gate: Gate?
    let failOn: Set<String>
    let delay: Double
    let observe: String?

    init(settings: PluginSettings, context: PluginContext) {
        gate = Gate.find(settings.string("key"))
        failOn = Set(settings.strings("fail_on"))
        delay = settings.seconds("delay") ?? 0
        observe = settings.string("observe")
    }

    func write(_ events: [Event]) async throws -> WriteOutcome {
        gate?.attempt()
        if delay > 0 { try? await Task.sleep(for: .milliseconds(Int(delay * 1000))) }
        if events.contains(where: { failOn.contains($0.message ?? "") }) {
            throw PluginError("gate closed", retriable: true)
        }
        gate?.wrote(events, observed: try observe.map(look))
        return .delivered
    }

    private func look(_ what: String) throws -> String {
        if what.hasPrefix("exists:") {
            return "\(FileManager.default.fileExists(atPath: String(what.dropFirst(7))))"
        }
        let r = try shell("/usr/bin/gzip", ["-dc", String(what.dropFirst(5))])
        guard r.status == 0 else { return "-1" }
        return "\(String(decoding: r.stdout, as: UTF8.self).split(separator: "\n").count)"
    }
}
