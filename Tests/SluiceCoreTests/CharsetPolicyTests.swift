import SluiceCore
import Testing

private func convert(_ bytes: [UInt8], _ charset: String, _ policy: DecodeErrorPolicy) -> Charset.Conversion {
    bytes.withUnsafeBufferPointer { Charset(name: charset).utf8($0, policy: policy) }
}

private func text(_ c: Charset.Conversion, _ original: [UInt8]) -> String? {
    switch c {
    case .unchanged: return String(decoding: original, as: UTF8.self)
    case .converted(let bytes): return String(decoding: bytes, as: UTF8.self)
    case .invalid: return nil
    }
}

/// Text converted to UTF-8 under `fail`, `replace` and `ignore` (the spooldir's
/// `decode_error_policy`).
@Suite struct CharsetPolicyTests {
    @Test func validUTF8IsPassedOnUncopied() {
        #expect(convert(Array("plain ascii".utf8), "UTF-8", .fail) == .unchanged)
        #expect(convert(Array("ünïcödé € 日本".utf8), "UTF-8", .fail) == .unchanged)
        #expect(convert([], "UTF-8", .fail) == .unchanged)
    }

    @Test func invalidUTF8FailsAtItsFirstBadByteOrIsReplacedOrDropped() {
        let bad: [UInt8] = Array("ok é ".utf8) + [0xC3, 0x28] + Array(" \u{20AC} ".utf8) + [0xFF]
        #expect(convert(bad, "UTF-8", .fail) == .invalid(at: 6))
        #expect(text(convert(bad, "UTF-8", .replace), bad) == "ok é \u{FFFD}( € \u{FFFD}")
        #expect(text(convert(bad, "UTF-8", .ignore), bad) == "ok é ( € ")
        // A truncated sequence at the end.
        #expect(convert([0x61, 0xE2, 0x82], "UTF-8", .fail) == .invalid(at: 1))
    }

    @Test func singleByteCharsetsConvertAndFlagUndefinedBytes() {
        #expect(text(convert([0x63, 0x61, 0x66, 0xE9], "ISO-8859-1", .fail), []) == "café")
        #expect(text(convert([0x80, 0x41], "CP1252", .fail), []) == "€A")
        // 0x81 is undefined in CP1252, anything above 0x7F in ASCII.
        #expect(convert([0x41, 0x81], "CP1252", .fail) == .invalid(at: 1))
        #expect(text(convert([0x41, 0x81, 0x42], "CP1252", .ignore), []) == "AB")
        #expect(text(convert([0x41, 0xE9], "US-ASCII", .replace), []) == "A\u{FFFD}")
        #expect(convert([0x41, 0xE9], "US-ASCII", .fail) == .invalid(at: 1))
    }
}
