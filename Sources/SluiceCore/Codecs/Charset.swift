/// The `charset` setting of the text codecs: incoming bytes are converted to UTF-8.
///
/// Logstash accepts any Ruby encoding name; Sluice knows the ones seen in practice and
/// lists them in the setting's allowed values. Bytes that are invalid (UTF-8) or undefined
/// (ASCII, CP1252 holes) become U+FFFD. (Logstash escapes invalid UTF-8 as `\xFF` instead.)
public enum Charset: Sendable, Equatable {
    case utf8, latin1, ascii, windows1252

    public static let names = ["UTF-8", "US-ASCII", "ASCII", "ASCII-8BIT", "BINARY", "ISO-8859-1", "ISO8859-1",
                        "Windows-1252", "CP1252"]

    public init(name: String?) {
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

/// What a reader of text does with bytes its charset does not allow (invalid UTF-8, a byte
/// ASCII or CP1252 leaves undefined), as Flume's `decodeErrorPolicy`.
public enum DecodeErrorPolicy: String, Sendable, CaseIterable {
    /// Stop at the first bad byte (the caller decides what becomes of the rest).
    case fail
    /// Each bad sequence becomes U+FFFD.
    case replace
    /// Bad bytes are dropped.
    case ignore
}

extension Charset {
    /// Text converted to UTF-8 under a `DecodeErrorPolicy`.
    public enum Conversion: Sendable, Equatable {
        /// The bytes are valid UTF-8 as they are: nothing was copied.
        case unchanged
        /// Their UTF-8 form (another charset, or bad bytes replaced or dropped).
        case converted([UInt8])
        /// Under `.fail`: the index of the first bad byte.
        case invalid(at: Int)
    }

    /// `bytes` as UTF-8 under `policy`. Plain ASCII, the common case, is recognised a word at
    /// a time and never copied.
    public func utf8(_ bytes: UnsafeBufferPointer<UInt8>, policy: DecodeErrorPolicy) -> Conversion {
        if bytes.isEmpty || Charset.isASCII(bytes) { return .unchanged }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + bytes.count / 2)
        var bad = false
        if self == .utf8 {
            // Valid text is the rule: the standard library checks it fast; only invalid text
            // is walked scalar by scalar.
            if String(validating: bytes, as: UTF8.self) != nil { return .unchanged }
            var it = bytes.makeIterator()
            var parser = Unicode.UTF8.ForwardParser()
            var offset = 0
            while true {
                switch parser.parseScalar(from: &it) {
                case .valid(let encoded):
                    out.append(contentsOf: encoded)
                    offset += encoded.count
                case .error(let length):
                    if policy == .fail { return .invalid(at: offset) }
                    bad = true
                    if policy == .replace { out.append(contentsOf: [0xEF, 0xBF, 0xBD]) }
                    offset += length
                case .emptyInput:
                    return bad ? .converted(out) : .unchanged
                }
            }
        }
        for (i, b) in bytes.enumerated() {
            var v = UInt32(b)
            switch self {
            case .utf8, .latin1: break
            case .ascii: if b >= 0x80 { v = 0xFFFD }
            case .windows1252: if b >= 0x80 && b < 0xA0 { v = Charset.cp1252High[Int(b - 0x80)] }
            }
            if v == 0xFFFD {
                if policy == .fail { return .invalid(at: i) }
                if policy == .ignore { continue }
            }
            let scalar = Unicode.Scalar(v) ?? "\u{FFFD}"
            if let encoded = UTF8.encode(scalar) { out.append(contentsOf: encoded) }
        }
        return .converted(out)
    }

    /// Whether every byte is below 0x80 (checked eight at a time).
    static func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        let raw = UnsafeRawPointer(base)
        let n = bytes.count
        var i = 0
        while i + 8 <= n {
            if raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { return false }
            i += 8
        }
        while i < n {
            if base[i] >= 0x80 { return false }
            i += 1
        }
        return true
    }
}
