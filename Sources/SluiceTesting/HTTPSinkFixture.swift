import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The HTTP sink fixture (Tests/Fixtures/http_sink.py), driven and read back with the
/// `curl` command-line tool: a client independent of the one under test.
public struct HTTPSink: Sendable {
    public let base: String
    public let tlsBase: String
    public let caFile: String
    /// A path prefix of this test's own, so tests can share the sink.
    public let prefix = "/t\(UInt32.random(in: 0...UInt32.max))"

    public init() throws {
        base = try TestServices.url("http_sink")
        tlsBase = try TestServices.url("http_sink_tls")
        caFile = try TestServices.path("http_sink_ca")
    }

    public func url(_ path: String) -> String { base + prefix + path }

    /// Scripts the sink for paths under this test's prefix + `path`.
    public func scenario(_ path: String, _ fields: [String: Any]) throws {
        var body = fields
        body["path_prefix"] = prefix + path
        let json = String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)
        _ = try curl(["-X", "POST", "--data-binary", json, base + "/_control/scenario"])
    }

    /// Requests the sink recorded under this test's prefix + `path`, oldest first.
    public func requests(_ path: String = "") throws -> [[String: Any]] {
        try recorded(prefix: prefix + path)
    }

    /// Requests the sink recorded under `prefix`, whichever test made them.
    public func recorded(prefix: String) throws -> [[String: Any]] {
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

    public struct SinkError: Error, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }
}

/// A TCP port nothing listens on: bound, then closed.
public func closedPort() throws -> Int {
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
    guard rc == 0 else { throw HTTPSink.SinkError(message: "bind failed") }
    return Int(UInt16(bigEndian: addr.sin_port))
}

