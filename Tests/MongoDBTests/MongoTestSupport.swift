import Foundation
import SluiceCore
import SluiceTesting
#if canImport(Glibc)
import Glibc
#endif

/// The package's root (this file is Tests/MongoDBTests/MongoTestSupport.swift).
let packageRoot: String = {
    let parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    return parts.dropLast(3).joined(separator: "/")
}()

struct Failure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// pymongo (from .venv, pinned by scripts/services.sh) as the independent client that reads
/// back what Sluice wrote: Tests/Fixtures/mongo_client.py.
enum PyMongo {
    static func run(_ arguments: [String]) throws -> Value {
        let python = packageRoot + "/.venv/bin/python"
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw Failure("no \(python): run `scripts/services.sh start` (it creates the venv with pymongo)")
        }
        let r = try runProcess(python, [packageRoot + "/Tests/Fixtures/mongo_client.py"] + arguments)
        guard r.status == 0 else {
            throw Failure("mongo_client.py \(arguments.joined(separator: " ")) exited \(r.status): \(r.stderr)")
        }
        return try JSON.decode(r.stdout)
    }

    /// Every document of `db.coll`; each value as {"t": python type, "v": value}.
    static func find(_ uri: String, _ db: String, _ coll: String) throws -> [FieldMap] {
        (try run(["find", uri, db, coll]).arrayValue ?? []).compactMap(\.objectValue)
    }

    static func count(_ uri: String, _ db: String, _ coll: String) throws -> Int {
        guard case .int(let n)? = try run(["count", uri, db, coll]).objectValue?["count"] else { throw Failure("count: no number") }
        return Int(n)
    }

    static func collections(_ uri: String, _ db: String) throws -> [String] {
        (try run(["collections", uri, db]).objectValue?["collections"]?.arrayValue ?? []).compactMap(\.stringValue)
    }
}

/// A database name no other test uses (the shared server keeps what every test wrote).
func uniqueDatabase(_ name: String) -> String { "\(name)_\(UInt32.random(in: 0...UInt32.max))" }

/// A nx-27017 of a test's own, on a port it chooses, so that the test can kill it and start it
/// again on the same port and data (Tests/Fixtures/mongodb_server.py).
final class OwnMongoServer: @unchecked Sendable {
    let port: Int
    let dataDir: String
    private var process: Process?
    var uri: String { "mongodb://127.0.0.1:\(port)" }

    init() throws {
        port = try closedPort()
        dataDir = NSTemporaryDirectory() + "sluice-mongo-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
    }

    deinit {
        kill()
        try? FileManager.default.removeItem(atPath: dataDir)
    }

    /// Starts the server and returns once it takes connections. Right after a kill the port
    /// can still be held for a moment: a server that exits at once is started again.
    func start() throws {
        var lastError = ""
        for _ in 0..<10 {
            if try startOnce() { return }
            lastError = (try? String(contentsOfFile: dataDir + "/server.log", encoding: .utf8)) ?? ""
            usleep(300_000)
        }
        throw Failure("nx-27017 on port \(port) did not start: \(lastError.suffix(1000))")
    }

    private func startOnce() throws -> Bool {
        let python = packageRoot + "/.venv/bin/python"
        let info = dataDir + "/info.json"
        try? FileManager.default.removeItem(atPath: info)
        try? FileManager.default.removeItem(atPath: dataDir + "/nx-27017.pid")
        _ = FileManager.default.createFile(atPath: dataDir + "/server.log", contents: nil)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = [packageRoot + "/Tests/Fixtures/mongodb_server.py", "--info", info, "--data-dir", dataDir, "--port", String(port)]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle(forWritingAtPath: dataDir + "/server.log")
        try p.run()
        process = p
        for _ in 0..<200 {
            if FileManager.default.fileExists(atPath: info) { return true }
            guard p.isRunning else { process = nil; return false }
            usleep(50_000)
        }
        throw Failure("nx-27017 on port \(port) did not start within 10 s")
    }

    /// Kills the server and its wrapper at once (SIGKILL: no clean shutdown).
    func kill() {
        guard let p = process, p.isRunning else { return }
        // The wrapper's child is nx-27017 itself: kill it first, by the pid file it writes.
        if let text = try? String(contentsOfFile: dataDir + "/nx-27017.pid", encoding: .utf8),
           let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
            Glibc.kill(pid, SIGKILL)
        }
        Glibc.kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        process = nil
        // Wait until the port is free again, so a restart can bind it.
        for _ in 0..<100 where canConnect() { usleep(50_000) }
    }

    private func canConnect() -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(port).bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }
}
