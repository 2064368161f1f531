/// Readers for single fields of a Joda pattern, working on UTF-8 bytes.
extension JodaParser {
    @inline(__always)
    static func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }

    /// One to `max` digits (at most 18, so the value fits), with a sign when `signed`.
    /// Returns the value and the end position.
    static func number(_ b: UnsafeBufferPointer<UInt8>, _ i: Int, max requested: Int, signed: Bool) -> (Int, Int)? {
        let max = min(requested, 18)
        var j = i
        var negative = false
        if signed, j < b.count, b[j] == UInt8(ascii: "-") || b[j] == UInt8(ascii: "+") {
            negative = b[j] == UInt8(ascii: "-")
            j += 1
        }
        let start = j
        var v = 0
        while j < b.count, j - start < max, isDigit(b[j]) {
            v = v * 10 + Int(b[j] - 48)
            j += 1
        }
        guard j > start else { return nil }
        return (negative ? -v : v, j)
    }

    /// `yy`: two digits mapped into (pivot - 50 ..< pivot + 50). When lenient (no numeric field
    /// follows), a signed number or one that is not two digits long is taken as a full year.
    func twoDigitYear(_ b: UnsafeBufferPointer<UInt8>, _ i: Int, lenient: Bool) -> (Int, Int)? {
        if lenient, let (v, end) = JodaParser.number(b, i, max: 9, signed: true) {
            let signed = b[i] == UInt8(ascii: "-") || b[i] == UInt8(ascii: "+")
            if signed || end - i != 2 { return (v, end) }
        }
        guard i + 2 <= b.count, JodaParser.isDigit(b[i]), JodaParser.isDigit(b[i + 1]) else { return nil }
        let yy = Int(b[i] - 48) * 10 + Int(b[i + 1] - 48)
        let low = pivotYear - 50
        let t = low >= 0 ? low % 100 : 99 + ((low + 1) % 100)
        return (yy + low + (yy < t ? 100 : 0) - t, i + 2)
    }

    /// `Z`, `+HH`, `+HHmm`, `+HH:mm` (either form for `Z` and `ZZ`, as Joda accepts).
    static func offset(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> (Int, Int)? {
        if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") { return (0, i + 1) }
        guard b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") else { return nil }
        let sign = b[i] == UInt8(ascii: "-") ? -1 : 1
        func two(_ j: Int) -> Int? {
            guard j + 2 <= b.count, isDigit(b[j]), isDigit(b[j + 1]) else { return nil }
            return Int(b[j] - 48) * 10 + Int(b[j + 1] - 48)
        }
        guard let h = two(i + 1), h <= 23 else { return nil }
        var j = i + 3
        var m = 0
        if j < b.count && b[j] == UInt8(ascii: ":") {
            guard let mm = two(j + 1) else { return nil }
            m = mm
            j += 3
        } else if let mm = two(j) {
            m = mm
            j += 2
        }
        guard m <= 59 else { return nil }
        return (sign * (h * 3600 + m * 60), j)
    }

    /// A tz database id (`Europe/Berlin`, `UTC`): the longest prefix that names a zone.
    static func zoneId(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> (DateZone, Int)? {
        var j = i
        while j < b.count, j - i < 40 {
            let c = b[j]
            let ok = isDigit(c) || (c | 0x20 >= 97 && c | 0x20 <= 122) || c == UInt8(ascii: "/")
                || c == UInt8(ascii: "_") || c == UInt8(ascii: "-") || c == UInt8(ascii: "+")
            guard ok else { break }
            j += 1
        }
        var end = j
        while end > i {
            let id = String(decoding: UnsafeBufferPointer(rebasing: b[i..<end]), as: UTF8.self)
            if let first = id.utf8.first, first | 0x20 >= 97, first | 0x20 <= 122, let z = DateZone(id) {
                return (z, end)
            }
            end -= 1
        }
        return nil
    }

    /// `z`: the few abbreviations Joda parses by default, as fixed offsets.
    static func zoneAbbreviation(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> (Int, Int)? {
        for (name, hours) in abbreviations {
            let n = name.utf8.count
            guard i + n <= b.count else { continue }
            if zip(name.utf8, b[i..<(i + n)]).allSatisfy({ $0 == $1 }) { return (hours * 3600, i + n) }
        }
        return nil
    }

    // Longest first, so "UTC" wins over "UT".
    private static let abbreviations: [(String, Int)] = [
        ("UTC", 0), ("GMT", 0), ("EST", -5), ("EDT", -4), ("CST", -6), ("CDT", -5),
        ("MST", -7), ("MDT", -6), ("PST", -8), ("PDT", -7), ("UT", 0),
    ]
}
