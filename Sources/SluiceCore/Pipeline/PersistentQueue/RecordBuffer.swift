/// One push's records, built in a single buffer that is then written with one `write`.
///
/// Events are serialized straight into their record (no payload copy) and checksummed
/// before the queue's lock is taken; under the lock `seal` only adds each record's seq
/// and folds its 8 bytes into the checksum.
struct RecordBuffer {
    /// Records, then zeroed room for more: growing an array by appending costs a check per
    /// append, so the room is made in large steps and events are encoded into it in place.
    private var storage: [UInt8]
    /// Bytes of records in `storage`.
    private(set) var byteCount = 0
    /// Record i spans `bounds[i]..<bounds[i + 1]`.
    private(set) var bounds: [Int] = [0]
    private var payloadCRCs: [UInt32] = []

    var count: Int { payloadCRCs.count }

    init(capacity events: Int) {
        storage = [UInt8](repeating: 0, count: max(1, events) * 256)
        bounds.reserveCapacity(events + 1)
        payloadCRCs.reserveCapacity(events)
    }

    mutating func append(_ event: Event) {
        let at = byteCount, payload = at + PageFile.recordHeader
        while true {
            let crc: UInt32? = storage.withUnsafeMutableBytes { b in
                guard payload <= b.count, let size = EventSerializer.encode(event, into: UnsafeMutableRawBufferPointer(rebasing: b[payload...])) else { return nil }
                b.storeBytes(of: UInt32(truncatingIfNeeded: size).littleEndian, toByteOffset: at, as: UInt32.self)
                byteCount = payload + size
                return CRC32C.checksum(UnsafeRawBufferPointer(rebasing: b[payload..<byteCount]))
            }
            if let crc {
                payloadCRCs.append(crc)
                bounds.append(byteCount)
                return
            }
            // Did not fit: double the room and encode the event again.
            storage.append(contentsOf: repeatElement(0, count: max(storage.count, 4096)))
        }
    }

    /// Numbers the records from `firstSeq` and completes their checksums.
    mutating func seal(firstSeq: UInt64) {
        storage.withUnsafeMutableBytes { b in
            for i in payloadCRCs.indices {
                PageFile.seal(b, at: bounds[i], seq: firstSeq + UInt64(i), payloadCRC: payloadCRCs[i])
            }
        }
    }

    /// Calls `body` with the records' bytes.
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try storage.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[..<byteCount])) }
    }
}
