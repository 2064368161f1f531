#if canImport(Glibc)
import Glibc
#endif

/// `sluice queue inspect` and `sluice queue repair`: offline views and fixes of a queue directory.
public enum QueueTools {
    public struct PageReport: Sendable {
        public var num: Int
        public var bytes: Int
        public var records: Int
        public var firstSeq: UInt64?
        public var lastSeq: UInt64?
        /// Records at or after this seq were not acknowledged at the last checkpoint.
        public var firstUnacked: UInt64?
        public var unacked: Int
        /// Bytes after the last good record (torn write or corruption).
        public var badBytes: Int
    }

    public static func inspect(directory: String) -> (checkpoint: String?, pages: [PageReport]) {
        let cpText = FileIO.readFile(directory + "/" + Checkpoint.fileName).map { String(decoding: $0, as: UTF8.self) }
        let cp = Checkpoint.read(directory + "/" + Checkpoint.fileName)
        var out: [PageReport] = []
        for num in PersistentQueue.pageNumbers(in: directory) {
            guard let scan = PageFile.scan("\(directory)/\(PageFile.name(num))") else { continue }
            let firstUnacked = cp?.pages.first { $0.num == num }?.firstUnacked ?? scan.records.first?.seq
            let unacked = scan.records.filter { $0.seq >= (firstUnacked ?? 0) }.count
            out.append(PageReport(num: num, bytes: scan.fileSize, records: scan.records.count,
                                  firstSeq: scan.records.first?.seq, lastSeq: scan.records.last?.seq,
                                  firstUnacked: firstUnacked, unacked: unacked, badBytes: scan.badBytes))
        }
        return (cpText, out)
    }

    /// A human-readable report of `inspect`.
    public static func describe(directory: String) -> String {
        let (cp, pages) = inspect(directory: directory)
        var s = "queue \(directory)\n"
        s += "checkpoint: " + (cp.map { $0.split(separator: "\n").joined(separator: "; ") } ?? "none") + "\n"
        if pages.isEmpty { s += "no pages\n" }
        for p in pages {
            let range = p.firstSeq.map { "seq \($0)...\(p.lastSeq ?? $0)" } ?? "empty"
            s += "page.\(p.num): \(p.bytes) bytes, \(p.records) records, \(range), \(p.unacked) unacknowledged"
            if p.badBytes > 0 { s += ", \(p.badBytes) bad bytes at the end" }
            s += "\n"
        }
        let unacked = pages.reduce(0) { $0 + $1.unacked }
        s += "head: page.\(pages.last?.num ?? 0), tail: page.\(pages.first?.num ?? 0), \(unacked) unacknowledged events\n"
        return s
    }

    /// Cuts every page at its last good record, removes pages that are not pages at all,
    /// and rewrites the checkpoint for what is left. Returns what it did, line by line.
    public static func repair(directory: String) throws -> [String] {
        var done: [String] = []
        var cp = Checkpoint.read(directory + "/" + Checkpoint.fileName) ?? Checkpoint()
        var kept: [Int] = []
        for num in PersistentQueue.pageNumbers(in: directory) {
            let path = "\(directory)/\(PageFile.name(num))"
            guard let scan = PageFile.scan(path) else { continue }
            if scan.validEnd == 0 {
                unlink(path)
                done.append("removed \(PageFile.name(num)): not a queue page (\(scan.fileSize) bytes dropped)")
                continue
            }
            if scan.badBytes > 0 {
                guard truncate(path, off_t(scan.validEnd)) == 0 else { throw IOError("truncate", path: path) }
                done.append("cut \(PageFile.name(num)) after record \(scan.records.last.map { String($0.seq) } ?? "none"): dropped \(scan.badBytes) bytes that were not a whole record")
            }
            if let last = scan.records.last { cp.nextSeq = max(cp.nextSeq, last.seq + 1) }
            kept.append(num)
        }
        cp.pages = cp.pages.filter { kept.contains($0.num) }
        try FileIO.writeAtomically(directory + "/" + Checkpoint.fileName, cp.serialized())
        if done.isEmpty { done.append("nothing to repair") }
        return done
    }
}
