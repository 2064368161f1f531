import Foundation
import SluiceCore
import SluiceTesting
@testable import SpooldirPlugins
import Testing

/// `tracking_policy => tracker_dir` leaves completed files in the spool: a poll must not read
/// one marker per completed file every time (10,000 reads per poll for 10,000 files).
@Suite("spooldir: tracker_dir markers are cached", .serialized, .timeLimit(.minutes(2)))
struct SpooldirMarkerCacheTests {
    private func options(_ s: Spool) throws -> SpoolOptions {
        var values: [String: Value] = [:]
        for spec in SpooldirInput.settingSpecs { if let d = spec.defaultValue { values[spec.name] = d } }
        values["path"] = .string(s.dir)
        values["tracking_policy"] = .string("tracker_dir")
        values["min_file_age"] = .int(0)
        return try SpoolOptions(settings: PluginSettings(pluginName: "spooldir", id: "spooldir_1", values: values), pathData: s.data)
    }

    @Test func pollsOverTenThousandCompletedFilesReadEachMarkerOnce() throws {
        let s = try Spool()
        defer { s.remove() }
        let n = 10_000
        for i in 0..<n { try s.create("f\(i).log", "line \(i)\n") }
        let o = try options(s)
        let scanner = try SpoolScanner(options: o)
        let completion = SpoolCompletion(options: o, logger: Logger(label: "test"))
        // Every file is old enough (min_file_age is 0; "now" is a second ahead of the clock).
        func now() -> Double { Date().timeIntervalSince1970 + 1 }
        let first = scanner.scan(busy: [], now: now())
        #expect(first.ready.count == n)
        #expect(first.ready.filter { !completion.complete($0) }.isEmpty, "a marker could not be written")

        // The first poll after completion reads each marker once; later polls read none.
        let before = scanner.markers.reads
        let second = scanner.scan(busy: [], now: now())
        #expect(second.ready.isEmpty && second.reused.isEmpty)
        #expect(scanner.markers.reads - before == n)
        for _ in 0..<3 {
            let again = scanner.scan(busy: [], now: now())
            #expect(again.ready.isEmpty && again.reused.isEmpty)
        }
        #expect(scanner.markers.reads - before == n, "later polls read markers again")

        // A new file completes; then someone removes f0's marker and writes another file's
        // marker as f1's. The next poll sees each change, reading only the changed markers.
        try s.create("new.log", "new\n")
        let fresh = scanner.scan(busy: [], now: now()).ready
        #expect(fresh.map(\.relative) == ["new.log"])
        #expect(fresh.allSatisfy { completion.complete($0) })
        let markers = s.dir + "/.sluicespool/"
        #expect(unlink(markers + "f0.log.COMPLETED") == 0)
        try FileIO.writeAtomically(markers + "f1.log.COMPLETED", Array("1 2 3 4 5.6\n".utf8))
        let reads = scanner.markers.reads
        let changed = scanner.scan(busy: [], now: now())
        #expect(changed.ready.map(\.relative) == ["f0.log"])
        #expect(changed.reused.map(\.relative) == ["f1.log"])
        #expect(scanner.markers.reads - reads <= 3, "read \(scanner.markers.reads - reads) markers for 2 changed and 1 new")
    }
}
