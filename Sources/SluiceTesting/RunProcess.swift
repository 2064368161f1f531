import Foundation

/// A program run to its end by a test (the independent clients: python scripts, kcat).
public struct ProcessResult: Sendable {
    public var status: Int32
    public var stdout: [UInt8]
    public var stderr: String
    public var output: String { String(decoding: stdout, as: UTF8.self) }
}

/// Runs `executable` with `arguments`, waits for it and returns its status and output.
/// stderr is read on another thread, so a chatty program cannot block on a full pipe.
public func runProcess(_ executable: String, _ arguments: [String]) throws -> ProcessResult {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = arguments
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let errors = ErrorText()
    let reader = Thread { errors.set(err.fileHandleForReading.readDataToEndOfFile()) }
    reader.start()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return ProcessResult(status: p.terminationStatus, stdout: Array(data), stderr: errors.wait())
}

/// stderr's bytes, handed from the reading thread.
private final class ErrorText: @unchecked Sendable {
    private let done = NSCondition()
    private var text: String?

    func set(_ data: Data) {
        done.lock()
        text = String(decoding: data, as: UTF8.self)
        done.signal()
        done.unlock()
    }

    func wait() -> String {
        done.lock()
        defer { done.unlock() }
        while text == nil { done.wait() }
        return text ?? ""
    }
}
