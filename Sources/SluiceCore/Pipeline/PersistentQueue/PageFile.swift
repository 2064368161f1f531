#if canImport(Glibc)
import Glibc
#endif

/// One page of the persistent queue: an append-only file of records
/// `[u32 length][u32 crc32c][u64 seq][payload]`, the checksum covering seq and payload.
enum PageFile {
    static let magic: [UInt8] = Array("SLQ1".utf8)
    static let headerSize = 4
    static let recordHeader = 16

    static func name(_ num: Int) -> String { "page.\(num)" }

    /// Appends a record for `payload` to `out`.
    static func appendRecord(seq: UInt64, payload: [UInt8], to out: inout [UInt8]) {
        var seqBytes: [UInt8] = []
        EventSerializer.fixed(seq, &seqBytes)
        var crc = seqBytes.withUnsafeBytes { CRC32C.checksum($0) }
        crc = payload.withUnsafeBytes { CRC32C.checksum($0, seed: crc) }
        le32(UInt32(payload.count), &out)
        le32(crc, &out)
        out.append(contentsOf: seqBytes)
        out.append(contentsOf: payload)
    }

    static func le32(_ v: UInt32, _ out: inout [UInt8]) {
        var x = v
        for _ in 0..<4 { out.append(UInt8(truncatingIfNeeded: x)); x >>= 8 }
    }

    struct Record {
        var seq: UInt64
        /// Offset of the record header in the page file.
        var offset: Int
        var payload: Range<Int>
    }

    /// The result of checking a page from its start.
    struct Scan {
        var records: [Record] = []
        /// Bytes up to the end of the last good record.
        var validEnd: Int = headerSize
        /// Bytes after `validEnd` (a torn write or corruption), 0 when the page is clean.
        var badBytes: Int = 0
        var fileSize: Int = 0
    }

    /// Reads and verifies every record of a page (recovery and `sluice queue inspect`).
    static func scan(_ path: String) -> Scan? {
        guard let bytes = FileIO.readFile(path) else { return nil }
        var s = Scan()
        s.fileSize = bytes.count
        guard bytes.count >= headerSize, Array(bytes[0..<headerSize]) == magic else {
            s.validEnd = 0
            s.badBytes = bytes.count
            return s
        }
        bytes.withUnsafeBytes { b in
            var pos = headerSize
            while pos + recordHeader <= b.count {
                let len = Int(u32(b, pos)), crc = u32(b, pos + 4)
                guard len <= b.count - pos - recordHeader else { break }
                let body = UnsafeRawBufferPointer(rebasing: b[(pos + 8)..<(pos + recordHeader + len)])
                guard CRC32C.checksum(body) == crc else { break }
                let seq = u64(b, pos + 8)
                s.records.append(Record(seq: seq, offset: pos, payload: (pos + recordHeader)..<(pos + recordHeader + len)))
                pos += recordHeader + len
            }
            s.validEnd = pos
            s.badBytes = b.count - pos
        }
        return s
    }

    static func u32(_ b: UnsafeRawBufferPointer, _ at: Int) -> UInt32 {
        UInt32(b[at]) | UInt32(b[at + 1]) << 8 | UInt32(b[at + 2]) << 16 | UInt32(b[at + 3]) << 24
    }

    static func u64(_ b: UnsafeRawBufferPointer, _ at: Int) -> UInt64 {
        var x: UInt64 = 0
        for i in (0..<8).reversed() { x = x << 8 | UInt64(b[at + i]) }
        return x
    }

    /// Reads records from `offset` on: up to `max` of them, from a window grown as needed.
    /// Returns the records' (seq, payload) and the offset after the last one read.
    static func read(fd: Int32, from offset: Int, limit: Int, max: Int) -> [(UInt64, [UInt8])] {
        var out: [(UInt64, [UInt8])] = []
        var pos = offset
        var window = [UInt8](repeating: 0, count: 256 * 1024)
        while out.count < max && pos < limit {
            let want = min(window.count, limit - pos)
            let n = window.withUnsafeMutableBytes { pread(fd, $0.baseAddress, want, off_t(pos)) }
            if n <= 0 { break }
            var p = 0
            window.withUnsafeBytes { b in
                while out.count < max, p + recordHeader <= n {
                    let len = Int(u32(b, p))
                    guard p + recordHeader + len <= n else { break }
                    out.append((u64(b, p + 8), Array(b[(p + recordHeader)..<(p + recordHeader + len)])))
                    p += recordHeader + len
                }
            }
            if p == 0 {
                // One record larger than the window: grow it.
                let len = window.withUnsafeBytes { Int(u32($0, 0)) }
                if len + recordHeader > window.count {
                    window = [UInt8](repeating: 0, count: len + recordHeader)
                    continue
                }
                break
            }
            pos += p
        }
        return out
    }
}
