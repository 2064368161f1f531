/// Percent-encoding of URL parts (RFC 3986 §2.1): every byte but the unreserved characters
/// (ALPHA, DIGIT, `-`, `.`, `_`, `~`) as %XX in upper-case hex. This is also what OAuth 1.0a
/// signatures (RFC 5849 §3.6) and `application/x-www-form-urlencoded` values with `%20` take.
public enum PercentEncoding {
    /// `s` encoded; the ASCII characters of `keeping` (say `/` in a path) stay as they are.
    public static func encode(_ s: String, keeping: String = "") -> String {
        let kept = Set(keeping.utf8)
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count)
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                 UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(b)
            case _ where kept.contains(b):
                out.append(b)
            default:
                out += [UInt8(ascii: "%"), hex[Int(b >> 4)], hex[Int(b & 0x0f)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
