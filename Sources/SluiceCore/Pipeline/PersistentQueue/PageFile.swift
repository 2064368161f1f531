#if canImport(Glibc)
import Glibc
#endif

/// One page of the persistent queue: an append-only file of records
/// `[u32 length][u32 crc32c][u64 seq][payload]`, little-endian. The checksum covers the
/// payload, then the seq: the costly part is computed before the queue's lock is taken,
/// and only the 8 seq bytes are added under it (see `RecordBuffer`).
enum PageFile {
    static let magic: [UInt8] = Array("SLQ1".utf8)
    static let headerSize = 4
    static let recordHeader = 16

    static func name(_ num: Int) -> String { "page.\(num)" }

    /// Writes seq and checksum into the record at `offset` of `buffer`, whose payload has
    /// the checksum `payloadCRC`.
    static func seal(_ buffer: UnsafeMutableRawBufferPointer, at offset: Int, seq: UInt64, payloadCRC: UInt32) {
        let crc = withUnsafeBytes(of: seq.littleEndian) { CRC32C.checksum($0, seed: payloadCRC) }
        buffer.storeBytes(of: crc.littleEndian, toByteOffset: offset + 4, as: UInt32.self)
        buffer.storeBytes(of: seq.littleEndian, toByteOffset: offset + 8, as: UInt64.self)
    }

    /// Appends a complete record.
    static func appendRecord(seq: UInt64, payload: [UInt8], to out: inout [UInt8]) {
        let at = out.count
        le32(UInt32(payload.count), &out)
        out.append(contentsOf: repeatElement(0, count: 12))
        out.append(contentsOf: payload)
        let crc = payload.withUnsafeBytes { CRC32C.checksum($0) }
        out.withUnsafeMutableBytes { seal($0, at: at, seq: seq, payloadCRC: crc) }
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
        UInt32(littleEndian: b.loadUnaligned(fromByteOffset: at, as: UInt32.self))
    }

    static func u64(_ b: UnsafeRawBufferPointer, _ at: Int) -> UInt64 {
        UInt64(littleEndian: b.loadUnaligned(fromByteOffset: at, as: UInt64.self))
    }
}
