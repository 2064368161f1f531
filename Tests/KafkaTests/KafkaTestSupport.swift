import Foundation
import SluiceCore
import SluiceTesting
#if canImport(Glibc)
import Glibc
#endif

/// The mock cluster `scripts/services.sh start` runs (Tests/Fixtures/kafka_mock), its control
/// port, and kcat as the independent client that reads back what Sluice wrote.
struct KafkaCluster {
    let bootstrap: String
    let controlPort: UInt16

    init() throws {
        bootstrap = try TestServices.url("kafka")
        let control = try TestServices.url("kafka_control")
        guard let port = control.split(separator: ":").last.flatMap({ UInt16($0) }) else {
            throw Failure("kafka_control is not HOST:PORT: \(control)")
        }
        controlPort = port
    }

    /// The same brokers behind the proxy that answers ListGroups, which the mock lacks
    /// (Tests/Fixtures/kafka_group_listing.py): each broker lists the groups whose members
    /// joined or committed through it.
    func groupListingBootstrap() throws -> String { try TestServices.url("kafka_groups") }

    /// A topic name no other test uses.
    static func topic(_ name: String) -> String { "\(name)-\(UInt32.random(in: 0...UInt32.max))" }

    /// Sends one command to the mock's control port (`down -1`, `push_errors 0 ...`); throws
    /// unless it answered `ok`.
    @discardableResult
    func control(_ command: String) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure("socket: \(errno)") }
        defer { Glibc.close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = controlPort.bigEndian
        addr.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { throw Failure("cannot reach the kafka mock's control port \(controlPort): errno \(errno)") }
        let line = Array((command + "\n").utf8)
        guard write(fd, line, line.count) == line.count else { throw Failure("control write failed") }
        var reply: [UInt8] = []
        var byte: UInt8 = 0
        while read(fd, &byte, 1) == 1, byte != 0x0A { reply.append(byte) }
        let text = String(decoding: reply, as: UTF8.self)
        guard text == "ok" else { throw Failure("kafka mock: `\(command)`: \(text)") }
        return text
    }

    /// One record as kcat reads it.
    struct Record {
        var partition: Int
        var key: String?
        var payload: String
        var headers: [String: String]
        /// The record's timestamp (CreateTime), in milliseconds since the epoch.
        var timestamp: Int64
    }

    /// The records of `topic` (of one `partition`, from `offset`), read with `kcat -C -e -J`
    /// from the beginning (a negative `offset`).
    func consume(_ topic: String, partition: Int? = nil, from offset: Int = -1) throws -> [Record] {
        let out = try kcat(["-b", bootstrap, "-C", "-t", topic, "-o", offset < 0 ? "beginning" : "\(offset)", "-e", "-J", "-q"]
                           + (partition.map { ["-p", "\($0)"] } ?? []))
        return try out.split(separator: "\n").map { line in
            let v = try JSON.decode(String(line))
            guard let o = v.objectValue else { throw Failure("kcat printed \(line)") }
            var headers: [String: String] = [:]
            let h = o["headers"]?.arrayValue?.map(\.renderedString) ?? []
            for i in stride(from: 0, to: h.count - 1, by: 2) { headers[h[i]] = h[i + 1] }
            return Record(partition: Int(o["partition"]?.renderedString ?? "") ?? -1,
                          key: o["key"]?.stringValue, payload: o["payload"]?.stringValue ?? "",
                          headers: headers, timestamp: Int64(o["ts"]?.renderedString ?? "") ?? -1)
        }
    }

    /// Runs kcat and returns its standard output; throws with its standard error if it failed.
    func kcat(_ arguments: [String], input: String? = nil) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/kcat")
        p.arguments = arguments
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        let stdin = Pipe()
        p.standardInput = stdin
        try p.run()
        if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
        try stdin.fileHandleForWriting.close()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw Failure("kcat \(arguments.joined(separator: " ")) exited \(p.terminationStatus): \(String(decoding: errors, as: UTF8.self))")
        }
        return String(decoding: data, as: UTF8.self)
    }
}

struct Failure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
