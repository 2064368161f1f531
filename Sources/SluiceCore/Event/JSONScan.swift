/// Finds the next byte JSON strings treat specially — `"`, `\` or a control character —
/// sixteen bytes at a time (SIMD) while there are none, then eight at a time (SWAR), which
/// also tells exactly where the first one is.
@inline(__always)
func jsonSpecialByteIndex(_ b: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
    var i = start
    let n = b.count
    if let base = b.baseAddress {
        let raw = UnsafeRawPointer(base)
        let quote = SIMD16<UInt8>(repeating: 0x22)
        let backslash = SIMD16<UInt8>(repeating: 0x5C)
        let space = SIMD16<UInt8>(repeating: 0x20)
        while i + 16 <= n {
            let v = raw.loadUnaligned(fromByteOffset: i, as: SIMD16<UInt8>.self)
            if any((v .== quote) .| (v .== backslash) .| (v .< space)) { break }
            i += 16
        }
        while i + 8 <= n {
            let hits = specialBytes(UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)))
            if hits != 0 { return i + hits.trailingZeroBitCount >> 3 }
            i += 8
        }
        // The last few bytes of a longer string: one word ending at the end, whose first
        // bytes were already found clean (so no borrow comes out of them).
        if i < n && i > start {
            let skip = 8 - (n - i)
            let hits = specialBytes(UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self))) >> (skip << 3)
            return hits != 0 ? i + hits.trailingZeroBitCount >> 3 : n
        }
        // Four to seven bytes in all (short keys and values): the first four and the last
        // four as one word. Should the halves overlap, a hit in the low half comes first.
        if n - i >= 4 {
            let low = UInt64(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt32.self)))
            let high = UInt64(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)))
            let hits = specialBytes(low | high << 32)
            guard hits != 0 else { return n }
            let k = hits.trailingZeroBitCount >> 3
            return k < 4 ? i + k : n - 8 + k
        }
    }
    while i < n {
        let c = b[i]
        if c == 0x22 || c == 0x5C || c < 0x20 { return i }
        i += 1
    }
    return n
}

/// The high bit of each byte of `w` that is `"`, `\` or below 0x20. A byte is flagged when
/// subtracting borrows out of it while its own high bit was clear; a borrow can only flag
/// bytes above a real hit, so the lowest flag is always exact.
@inline(__always)
func specialBytes(_ w: UInt64) -> UInt64 {
    let ones: UInt64 = 0x0101_0101_0101_0101
    let q = w ^ (ones &* 0x22)
    let bs = w ^ (ones &* 0x5C)
    return (((q &- ones) & ~q) | ((bs &- ones) & ~bs) | ((w &- ones &* 0x20) & ~w)) & 0x8080_8080_8080_8080
}
