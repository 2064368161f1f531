/// Finds the next byte JSON strings treat specially — `"`, `\` or a control character —
/// sixteen bytes at a time (SIMD), since most string bytes need no attention at all.
@inline(__always)
func jsonSpecialByteIndex(_ b: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
    var i = start
    if let base = b.baseAddress {
        let raw = UnsafeRawPointer(base)
        let quote = SIMD16<UInt8>(repeating: 0x22)
        let backslash = SIMD16<UInt8>(repeating: 0x5C)
        let space = SIMD16<UInt8>(repeating: 0x20)
        while i + 16 <= b.count {
            let v = raw.loadUnaligned(fromByteOffset: i, as: SIMD16<UInt8>.self)
            let hits = (v .== quote) .| (v .== backslash) .| (v .< space)
            if any(hits) { break }
            i += 16
        }
        // Most strings are short: one eight-byte step (SWAR) before going byte by byte.
        if i + 8 <= b.count {
            let ones: UInt64 = 0x0101_0101_0101_0101
            let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            let q = w ^ (ones &* 0x22)
            let bs = w ^ (ones &* 0x5C)
            // A byte is zero (or below 0x20) iff subtracting sets its high bit where it was clear.
            let hits = ((q &- ones) & ~q) | ((bs &- ones) & ~bs) | ((w &- ones &* 0x20) & ~w)
            if hits & 0x8080_8080_8080_8080 == 0 { i += 8 }
        }
    }
    while i < b.count {
        let c = b[i]
        if c == 0x22 || c == 0x5C || c < 0x20 { return i }
        i += 1
    }
    return i
}
