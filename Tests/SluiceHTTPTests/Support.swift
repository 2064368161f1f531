import Foundation
import Logging
import SluiceCore
import SluiceTesting
import Synchronization
@testable import SluiceHTTP

/// The HTTP sink fixture (Tests/Fixtures/http_sink.py), driven and read back with the
/// `curl` command-line tool: a client independent of the one under test.
struct Sink {
    let base: String
    let tlsBase: String
    let caFile: String
    /// A path prefix of this test's own, so tests can share the sink.
    let prefix = "/t\(UInt32.random(in: 0...UInt32.max))"

    init() throws {
        base = try TestServices.url("http_sink")
        tlsBase = try TestServices.url("http_sink_tls")
        caFile = try TestServices.path("http_sink_ca")
    }

    func url(_ path: String) -> String { base + prefix + path }

    /// Scripts the sink for paths under this test's prefix + `path`.
    func scenario(_ path: String, _ fields: [String: Any]) throws {
        var body = fields
        body["path_prefix"] = prefix + path
        let json = String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)
        _ = try curl(["-X", "POST", "--data-binary", json, base + "/_control/scenario"])
    }

    /// Requests the sink recorded under this test's prefix + `path`, oldest first.
    func requests(_ path: String = "") throws -> [[String: Any]] {
        try recorded(prefix: prefix + path)
    }

    /// Requests the sink recorded under `prefix`, whichever test made them.
    func recorded(prefix: String) throws -> [[String: Any]] {
        let out = try curl([base + "/_control/requests?prefix=" + prefix])
        return (try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [[String: Any]]) ?? []
    }

    private func curl(_ args: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        p.arguments = ["-sS", "--fail", "--noproxy", "*", "--max-time", "10"] + args
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw SinkError(message: "curl \(args) exited \(p.terminationStatus)") }
        return String(decoding: data, as: UTF8.self)
    }

    struct SinkError: Error, CustomStringConvertible { let message: String; var description: String { message } }
}

/// Collects every log line (message and metadata) at trace level.
final class LogCapture: Sendable {
    private let lines = Mutex<[(level: Logger.Level, text: String)]>([])

    var logger: Logger {
        var l = Logger(label: "sluice.http.test") { _ in Handler(capture: self) }
        l.logLevel = .trace
        return l
    }

    var all: String { lines.withLock { $0.map(\.text).joined(separator: "\n") } }
    func count(_ level: Logger.Level) -> Int { lines.withLock { $0.filter { $0.level == level }.count } }

    fileprivate func append(_ level: Logger.Level, _ text: String) { lines.withLock { $0.append((level, text)) } }

    private struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { $1 }
            capture.append(event.level, "\(event.level) \(event.message) \(event.error.map { "\($0)" } ?? "") "
                + "\(all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })")
        }
    }
}

/// A TCP port nothing listens on: bound, then closed.
func closedPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = 0
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    let rc = withUnsafeMutablePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { p in
            bind(fd, p, len) == 0 ? getsockname(fd, p, &len) : -1
        }
    }
    guard rc == 0 else { throw Sink.SinkError(message: "bind failed") }
    return Int(UInt16(bigEndian: addr.sin_port))
}

func elapsed(since start: ContinuousClock.Instant) -> Duration { ContinuousClock.now - start }

extension Array where Element == UInt8 {
    var text: String { String(decoding: self, as: UTF8.self) }
}
