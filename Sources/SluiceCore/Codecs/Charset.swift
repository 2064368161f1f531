/// The `charset` setting of the text codecs: incoming bytes are converted to UTF-8.
///
/// Logstash accepts any Ruby encoding name; Sluice knows the ones seen in practice and
/// lists them in the setting's allowed values. Bytes that are invalid (UTF-8) or undefined
/// (ASCII, CP1252 holes) become U+FFFD. (Logstash escapes invalid UTF-8 as `\xFF` instead.)
enum Charset: Sendable, Equatable {
    case utf8, latin1, ascii, windows1252

    static let names = ["UTF-8", "US-ASCII", "ASCII", "ASCII-8BIT", "BINARY", "ISO-8859-1", "ISO8859-1",
                        "Windows-1252", "CP1252"]

    init(name: String?) {
        switch name?.uppercased() {
        case "US-ASCII"?, "ASCII"?, "ASCII-8BIT"?, "BINARY"?: self = .ascii
        case "ISO-8859-1"?, "ISO8859-1"?: self = .latin1
        case "WINDOWS-1252"?, "CP1252"?: self = .windows1252
        default: self = .utf8
        }
    }

    /// The text of `bytes`.
    func decode(_ bytes: ArraySlice<UInt8>) -> String {
        if self == .utf8 { return String(decoding: bytes, as: UTF8.self) }
        var scalars = String.UnicodeScalarView()
        for b in bytes {
            let v: UInt32
            switch self {
            case .utf8, .latin1: v = UInt32(b)
            case .ascii: v = b < 0x80 ? UInt32(b) : 0xFFFD
            case .windows1252: v = b >= 0x80 && b < 0xA0 ? Charset.cp1252High[Int(b - 0x80)] : UInt32(b)
            }
            scalars.append(Unicode.Scalar(v) ?? "\u{FFFD}")
        }
        return String(scalars)
    }

    /// `bytes` as UTF-8 (UTF-8 input is passed on as it is; the JSON decoder repairs invalid sequences).
    func utf8(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        self == .utf8 ? Array(bytes) : Array(decode(bytes).utf8)
    }

    /// CP1252's 0x80-0x9F; its five undefined bytes map to U+FFFD.
    private static let cp1252High: [UInt32] = [
        0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD,
        0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178,
    ]
}
