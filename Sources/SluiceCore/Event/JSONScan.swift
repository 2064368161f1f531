/// Finds the next byte JSON strings treat specially — `"`, `\` or a control character —
/// eight bytes at a time (SWAR), since most string bytes need no attention at all.
@inline(__always)
func jsonSpecialByteIndex(_ b: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
    var i = start
    if let base = b.baseAddress {
        let raw = UnsafeRawPointer(base)
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        while i + 8 <= b.count {
            let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            let quote = w ^ (ones &* 0x22)
            let backslash = w ^ (ones &* 0x5C)
            // A byte is zero (or below 0x20) iff subtracting sets its high bit where it was clear.
            let hits = ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash) | ((w &- ones &* 0x20) & ~w)
            if hits & highs != 0 { break }
            i += 8
        }
    }
    while i < b.count {
        let c = b[i]
        if c == 0x22 || c == 0x5C || c < 0x20 { return i }
        i += 1
    }
    return i
}
