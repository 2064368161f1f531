import Foundation
import SluiceCore
import Testing

private func scratchDir(_ label: String) throws -> String {
    let d = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-\(label)-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
}

private func bytes(_ path: String) -> [UInt8] { FileManager.default.contents(atPath: path).map { Array($0) } ?? [] }
private func text(_ path: String) -> String { String(decoding: bytes(path), as: UTF8.self) }

private func append(_ w: FileWriter, _ s: String, to path: String, replacing: Bool = false) throws(FileWriter.Failure) {
    try Array(s.utf8).withUnsafeBufferPointer { b in Result { () throws(FileWriter.Failure) in try w.append(b, to: path, replacing: replacing) } }.get()
}

@Suite("file writer", .timeLimit(.minutes(1)))
struct FileWriterTests {
    @Test func appendsGoToTheirPathsInOrderCreatingDirectories() async throws {
        let d = try scratchDir("writer")
        defer { try? FileManager.default.removeItem(atPath: d) }
        let w = FileWriter(options: .init(flushInterval: 0, directoryMode: 0o750, fileMode: 0o600))
        try append(w, "a1\n", to: d + "/x/a.log")
        try append(w, "b1\n", to: d + "/y/z/b.log")
        try append(w, "a2\n", to: d + "/x/a.log")
        // Visible to an independent reader before anything is closed.
        #expect(text(d + "/x/a.log") == "a1\na2\n")
        #expect(text(d + "/y/z/b.log") == "b1\n")
        #expect(Set(w.openPaths) == [d + "/x/a.log", d + "/y/z/b.log"])
        let attrs = try FileManager.default.attributesOfItem(atPath: d + "/x/a.log")
        #expect((attrs[.posixPermissions] as? Int) == 0o600)
        let dirAttrs = try FileManager.default.attributesOfItem(atPath: d + "/y/z")
        #expect((dirAttrs[.posixPermissions] as? Int) == 0o750)
        await w.close()
        #expect(w.openPaths.isEmpty)
    }

    @Test func replacingLeavesOnlyTheLatestBytes() async throws {
        let d = try scratchDir("writer")
        defer { try? FileManager.default.removeItem(atPath: d) }
        let w = FileWriter(options: .init())
        try append(w, "first\n", to: d + "/f")
        try append(w, "second\n", to: d + "/f", replacing: true)
        #expect(text(d + "/f") == "second\n")
        await w.close()
    }

    @Test func gzipAppendsAreOneValidStream() async throws {
        let d = try scratchDir("writer")
        defer { try? FileManager.default.removeItem(atPath: d) }
        let w = FileWriter(options: .init(gzip: true))
        try append(w, "one\n", to: d + "/f.gz")
        try append(w, "two\n", to: d + "/f.gz")
        // Read back by gzip itself, between appends and after.
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/gzip")
        p.arguments = ["-dc", d + "/f.gz"]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let out = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        #expect(String(decoding: out, as: UTF8.self) == "one\ntwo\n")
        await w.close()
    }

    @Test func aFileDeletedWhileOpenIsCreatedAgain() async throws {
        let d = try scratchDir("writer")
        defer { try? FileManager.default.removeItem(atPath: d) }
        let w = FileWriter(options: .init())
        try append(w, "old\n", to: d + "/f")
        try FileManager.default.removeItem(atPath: d + "/f")
        try append(w, "new\n", to: d + "/f")
        #expect(text(d + "/f") == "new\n")
        await w.close()
    }

    @Test func rollClosesAndRenamesAndTheNextAppendStartsAFreshFile() async throws {
        let d = try scratchDir("writer")
        defer { try? FileManager.default.removeItem(atPath: d) }
        let w = FileWriter(options: .init(flushInterval: 60))
        try append(w, "part1\n", to: d + "/current")
        try w.sync(d + "/current")
        try w.roll(d + "/current", to: d + "/done/0001")
        #expect(text(d + "/done/0001") == "part1\n")
        #expect(!FileManager.default.fileExists(atPath: d + "/current"))
        #expect(w.openPaths.isEmpty)
        try append(w, "part2\n", to: d + "/current")
        #expect(text(d + "/current") == "part2\n")
        #expect(text(d + "/done/0001") == "part1\n")
        #expect(throws: IOError.self) { try w.roll(d + "/never-written", to: d + "/done/0002") }
        await w.close()
    }

    @Test func idleFilesAreClosedAndReopenedOnTheNextAppend() async throws {
        let d = try scratchDir("writer")
        defer { try? FileManager.default.removeItem(atPath: d) }
        let w = FileWriter(options: .init())
        try append(w, "a\n", to: d + "/a")
        try await Task.sleep(for: .milliseconds(50))
        try append(w, "b\n", to: d + "/b")
        w.closeIdle(olderThan: 0.03)
        #expect(w.openPaths == [d + "/b"])
        try append(w, "a2\n", to: d + "/a")
        #expect(text(d + "/a") == "a\na2\n")
        await w.close()
    }

    @Test func anUnwritablePathFailsRetriably() async throws {
        let d = try scratchDir("writer")
        defer { try? FileManager.default.removeItem(atPath: d) }
        _ = FileManager.default.createFile(atPath: d + "/blocked", contents: Data())
        let w = FileWriter(options: .init())
        do throws(FileWriter.Failure) {
            try append(w, "x\n", to: d + "/blocked/f")
            Issue.record("an append under a regular file succeeded")
        } catch {
            #expect(error.retriable)
            #expect(error.description.contains(d + "/blocked"))
        }
        await w.close()
    }
}
