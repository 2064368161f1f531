#if canImport(Glibc)
import Glibc
#endif

/// One page of the persistent queue: an append-only file of records
/// `[u32 length][u32 crc32c][u64 seq][payload]`. The checksum covers the payload, then the
/// seq: the costly part is computed before the queue's lock is taken, and only the 8 seq
/// bytes are added under it.
enum PageFile {
    static let magic: [UInt8] = Array("SLQ1".utf8)
    static let headerSize = 4
    static let recordHeader = 16

    static func name(_ num: Int) -> String { "page.\(num)" }

    /// Appends a record for `payload` to `out` with seq and checksum left blank; `seal` fills
    /// them in once the seq is known. Returns the payload's own checksum.
    static func appendUnsealed(payload: [UInt8], to out: inout [UInt8]) -> UInt32 {
        le32(UInt32(payload.count), &out)
        out.append(contentsOf: repeatElement(0, count: 12))
        out.append(contentsOf: payload)
        return payload.withUnsafeBytes { CRC32C.checksum($0) }
    }

    /// Writes seq and checksum of the record at `offset` of `buffer`.
    static func seal(_ buffer: inout [UInt8], at offset: Int, seq: UInt64, payloadCRC: UInt32) {
        var seqBytes: [UInt8] = []
        EventSerializer.fixed(seq, &seqBytes)
        let crc = seqBytes.withUnsafeBytes { CRC32C.checksum($0, seed: payloadCRC) }
        var c = crc
        for i in 0..<4 { buffer[offset + 4 + i] = UInt8(truncatingIfNeeded: c); c >>= 8 }
        for i in 0..<8 { buffer[offset + 8 + i] = seqBytes[i] }
    }

    /// Appends a complete record.
    static func appendRecord(seq: UInt64, payload: [UInt8], to out: inout [UInt8]) {
        let at = out.count
        let crc = appendUnsealed(payload: payload, to: &out)
        seal(&out, at: at, seq: seq, payloadCRC: crc)
    }

    /// The checksum a record must carry.
    static func checksum(payload: UnsafeRawBufferPointer, seq: UnsafeRawBufferPointer) -> UInt32 {
        CRC32C.checksum(seq, seed: CRC32C.checksum(payload))
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
                let seqBytes = UnsafeRawBufferPointer(rebasing: b[(pos + 8)..<(pos + 16)])
                let payload = UnsafeRawBufferPointer(rebasing: b[(pos + recordHeader)..<(pos + recordHeader + len)])
                guard checksum(payload: payload, seq: seqBytes) == crc else { break }
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
}
