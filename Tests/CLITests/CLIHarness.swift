import Foundation
import SluiceTesting

/// Runs the built `sluice` binary (it sits next to the test bundle) and captures its output.
enum CLI {
    static var binary: String { SluiceBinary.path }

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
        /// `.uncaughtSignal` when a signal ended the process (then `status` is the signal's number).
        var reason: Process.TerminationReason = .exit
    }

    static func run(_ args: [String], stdin: String? = nil, environment: [String: String] = [:],
                    cwd: String? = nil) throws -> Output {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        p.environment = env
        if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        let out = Pipe(), err = Pipe(), inp = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = inp
        try p.run()
        if let stdin { inp.fileHandleForWriting.write(Data(stdin.utf8)) }
        try inp.fileHandleForWriting.close()
        // Read before waiting so a full pipe cannot block the child.
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Output(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                      stderr: String(decoding: e, as: UTF8.self), reason: p.terminationReason)
    }

    /// Starts the binary without waiting; output is discarded.
    static func start(_ args: [String]) throws -> Process { try SluiceBinary.start(args) }

    /// Resident memory of a running process, from /proc (0 when it is gone).
    static func residentKiB(of pid: Int32) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
        }
        return 0
    }

    /// Waits for `p` to exit without blocking a thread of the test runner's pool (long
    /// blocking waits there starve the other, concurrently running tests).
    static func exit(of p: Process) async {
        while p.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
        p.waitUntilExit()  // already exited: returns at once, and sets terminationStatus
    }

    /// Sleeps without blocking a thread of the test runner's pool.
    static func pause(_ seconds: Double) async {
        try? await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
    }

    /// A fresh temporary directory.
    static func tempDir() throws -> String {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-cli-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    static func write(_ text: String, to path: String) throws {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }
}
