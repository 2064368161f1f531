/// A cursor over UTF-8 bytes for the fixed-format date parsers.
struct ByteReader {
    let b: UnsafeBufferPointer<UInt8>
    var i = 0

    init(_ b: UnsafeBufferPointer<UInt8>) { self.b = b }

    var done: Bool { i >= b.count }

    mutating func take(_ c: UInt8) -> Bool {
        guard i < b.count, b[i] == c else { return false }
        i += 1
        return true
    }

    /// How many digits follow the cursor.
    var digitRun: Int {
        var j = i
        while j < b.count, b[j] >= 48, b[j] <= 57 { j += 1 }
        return j - i
    }

    /// Exactly `n` digits.
    mutating func digits(_ n: Int) -> Int? {
        guard i + n <= b.count else { return nil }
        var v = 0
        for k in i..<(i + n) {
            guard b[k] >= 48, b[k] <= 57 else { return nil }
            v = v * 10 + Int(b[k] - 48)
        }
        i += n
        return v
    }

    /// One or more digits of a fraction of a second, as nanoseconds; digits past the ninth are dropped.
    mutating func fraction() -> Int? {
        let n = digitRun
        guard n > 0 else { return nil }
        var v = 0
        for k in 0..<9 { v = v * 10 + (k < n ? Int(b[i + k] - 48) : 0) }
        i += n
        return v
    }

    /// An ISO year: optional sign, four to nine digits.
    mutating func year() -> Int? {
        var sign = 1
        if take(UInt8(ascii: "-")) { sign = -1 } else { _ = take(UInt8(ascii: "+")) }
        let n = digitRun
        guard n >= 4, n <= 9, let y = digits(n) else { return nil }
        return sign * y
    }

    /// `Z`, `+HH`, `+HHmm` or `+HH:mm`, as seconds east of UTC.
    mutating func offset() -> Int? {
        if take(UInt8(ascii: "Z")) || take(UInt8(ascii: "z")) { return 0 }
        let sign: Int
        if take(UInt8(ascii: "+")) { sign = 1 } else if take(UInt8(ascii: "-")) { sign = -1 } else { return nil }
        guard let h = digits(2), h <= 23 else { return nil }
        var m = 0
        if take(UInt8(ascii: ":")) {
            guard let mm = digits(2) else { return nil }
            m = mm
        } else if digitRun >= 2, let mm = digits(2) {
            m = mm
        }
        guard m <= 59 else { return nil }
        return sign * (h * 3600 + m * 60)
    }
}

/// Runs `body` over a string's UTF-8 bytes without copying native strings.
@inline(__always)
func withBytes<R>(_ s: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
    if let r = s.utf8.withContiguousStorageIfAvailable(body) { return r }
    return Array(s.utf8).withUnsafeBufferPointer(body)
}
