import Foundation
import Testing

@Suite struct QueueCommandTests {
    /// Leaves events in a persisted queue (SIGTERM without drain, output blocked), then
    /// `inspect` counts them, a torn tail is reported and `repair` cuts it.
    @Test func inspectAndRepairAQueue() async throws {
        let dir = try CLI.tempDir()
        try CLI.write("not a directory", to: dir + "/out")  // the output cannot write
        try CLI.write("queue.type: persisted\npath.queue: \(dir)/queue\n", to: dir + "/sluice.yml")
        let p = try CLI.start(["-e", "input { generator { count => 500 } } output { file { path => \"\(dir)/out/x.log\" } }",
                               "--path.settings", dir, "--log.level", "error"])
        await CLI.pause(2)
        p.terminate()  // first signal: stop inputs; the blocked output keeps retrying
        await CLI.pause(0.5)
        p.terminate()  // second signal: exit now
        await CLI.exit(of: p)

        let inspect = try CLI.run(["queue", "inspect", "--path.queue", dir + "/queue"])
        #expect(inspect.status == 0, "\(inspect.stderr)")
        #expect(inspect.stdout.contains("page.1:"))
        #expect(inspect.stdout.contains("500 unacknowledged events"), "\(inspect.stdout)")

        // A torn write at the end of the page.
        let h = try #require(FileHandle(forWritingAtPath: dir + "/queue/page.1"))
        try h.seekToEnd()
        try h.write(contentsOf: Data([9, 9, 9, 9, 9]))
        try h.close()
        let torn = try CLI.run(["queue", "inspect", "--path.queue", dir + "/queue"])
        #expect(torn.stdout.contains("5 bad bytes at the end"))
        let repair = try CLI.run(["queue", "repair", "--path.queue", dir + "/queue"])
        #expect(repair.status == 0)
        #expect(repair.stdout.contains("cut page.1"))
        #expect(repair.stdout.contains("dropped 5 bytes"))
        let after = try CLI.run(["queue", "inspect", "--path.queue", dir + "/queue"])
        #expect(!after.stdout.contains("bad bytes"))
        #expect(after.stdout.contains("500 unacknowledged events"))

        // The events are still delivered by the next run, once the output can write.
        try FileManager.default.removeItem(atPath: dir + "/out")
        try FileManager.default.createDirectory(atPath: dir + "/out", withIntermediateDirectories: false)
        let resume = try CLI.run(["-e", "input { stdin { } } output { file { path => \"\(dir)/out/x.log\" } }",
                                  "--path.settings", dir, "--log.level", "error"], stdin: "")
        #expect(resume.status == 0)
        let lines = try String(contentsOfFile: dir + "/out/x.log", encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 500)
        let final = try CLI.run(["queue", "inspect", "--path.queue", dir + "/queue"])
        #expect(final.stdout.contains(" 0 unacknowledged events"))
    }
}
