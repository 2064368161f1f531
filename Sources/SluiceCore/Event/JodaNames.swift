/// English month, weekday, half-day and era names. Sluice formats and parses English only:
/// Logstash's `locale` setting changes these names, and is accepted but ignored here.
enum DateNames {
    static let months: [[UInt8]] = ["January", "February", "March", "April", "May", "June", "July",
                                    "August", "September", "October", "November", "December"].map { Array($0.utf8) }
    static let weekdays: [[UInt8]] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
                                      "Saturday", "Sunday"].map { Array($0.utf8) }
    static let halfdays: [[UInt8]] = [Array("AM".utf8), Array("PM".utf8)]
    static let eras: [[UInt8]] = [Array("BC".utf8), Array("AD".utf8)]

    /// Appends a name in the width's form: 3 = short (`Nov`), 4 = full, 5 = narrow (`N`).
    static func append(_ full: [UInt8], width: Int, into out: inout [UInt8]) {
        switch width {
        case 5...: out.append(full[0])
        case 4: out.append(contentsOf: full)
        default: out.append(contentsOf: full.prefix(3))
        }
    }

    /// Matches a full or three-letter name at `bytes[i...]`, case-insensitively, longest first
    /// (Joda accepts both forms for `MMM` and `MMMM`). Returns the index and the end position.
    static func match(_ names: [[UInt8]], in bytes: UnsafeBufferPointer<UInt8>, at i: Int,
                      allowShort: Bool = true) -> (index: Int, end: Int)? {
        var best: (index: Int, end: Int)? = nil
        for n in names.indices {
            let name = names[n]
            // Full name first, then the three-letter form; keep the longest match.
            var form = name.count
            while true {
                if i + form <= bytes.count && form > (best?.end ?? i) - i {
                    var k = 0
                    while k < form && lower(bytes[i + k]) == lower(name[k]) { k += 1 }
                    if k == form { best = (n, i + form) }
                }
                guard allowShort && form > 3 else { break }
                form = 3
            }
        }
        return best
    }

    @inline(__always)
    static func lower(_ c: UInt8) -> UInt8 { c >= 65 && c <= 90 ? c + 32 : c }
}
