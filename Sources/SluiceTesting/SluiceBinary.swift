import Foundation

/// The `sluice` executable `swift build` put next to the test bundle, for tests that run
/// the real binary (signals, kill -9, exit codes).
public enum SluiceBinary {
    public static var path: String {
        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [dir.appendingPathComponent("sluice").path,
                          dir.deletingLastPathComponent().appendingPathComponent("sluice").path]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
    }

    /// Starts the binary without waiting; its output is discarded.
    public static func start(_ args: [String]) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        p.standardInput = FileHandle.nullDevice
        try p.run()
        return p
    }
}
