import Testing
@testable import SluiceCore

@Suite struct JSONDecodeTests {
    func decode(_ s: String) throws -> Value { try JSON.decode(s) }

    func error(_ s: String) -> JSONError? {
        do { _ = try JSON.decode(s); return nil } catch { return error }
    }

    @Test func objectKeepsKeyOrder() throws {
        guard case .object(let m) = try decode(#"{"z":1,"a":2,"m":3}"#) else { Issue.record("not an object"); return }
        #expect(m.keys == ["z", "a", "m"])
        #expect(m.values == [.int(1), .int(2), .int(3)])
    }

    @Test func duplicateKeyLastValueWins() throws {
        guard case .object(let m) = try decode(#"{"a":1,"b":2,"a":3}"#) else { Issue.record("not an object"); return }
        #expect(m.keys == ["a", "b"])
        #expect(m["a"] == .int(3))
    }

    @Test func scalarsAndNesting() throws {
        #expect(try decode("true") == .bool(true))
        #expect(try decode(" false ") == .bool(false))
        #expect(try decode("null") == .null)
        #expect(try decode(#"{"a":{"b":[1,{"c":null}, "x", []]},"e":{}}"#)
                == ["a": ["b": [1, ["c": nil], "x", []]], "e": .object(FieldMap())])
        #expect(try decode(" \t\r\n[ 1 , 2 ]\n") == [1, 2])
    }

    @Test func integers() throws {
        #expect(try decode("0") == .int(0))
        #expect(try decode("-0") == .int(0))
        #expect(try decode("42") == .int(42))
        #expect(try decode("-17") == .int(-17))
        #expect(try decode("9223372036854775807") == .int(Int64.max))
        #expect(try decode("-9223372036854775808") == .int(Int64.min))
    }

    @Test func overflowingIntegersKeepTheirDigits() throws {
        #expect(try decode("9223372036854775808") == .number(NumberLiteral("9223372036854775808")!))
        #expect(try decode("-9223372036854775809") == .number(NumberLiteral("-9223372036854775809")!))
        #expect(try decode("123456789012345678901234567890") == .number(NumberLiteral("123456789012345678901234567890")!))
    }

    @Test func doubles() throws {
        #expect(try decode("0.1") == .double(0.1))
        #expect(try decode("1e300") == .double(1e300))
        #expect(try decode("1E2") == .double(100))
        #expect(try decode("1.5e-7") == .double(1.5e-7))
        #expect(try decode("123.456e2") == .double(12345.6))
        #expect(try decode("0.30000000000000004") == .double(0.30000000000000004))
        #expect(try decode("2.2250738585072014e-308") == .double(2.2250738585072014e-308))
        #expect(try decode("3.14159265358979323846264338327950288") == .number(NumberLiteral("3.14159265358979323846264338327950288")!))
        #expect(try decode("3.141592653589793") == .double(Double.pi))
        #expect(try decode("5e-324") == .double(Double.leastNonzeroMagnitude))
        guard case .double(let z) = try decode("-0.0") else { Issue.record("not a double"); return }
        #expect(z == 0 && z.sign == .minus)
    }

    @Test func doublesMatchTheStandardLibrary() throws {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let d = Double(bitPattern: rng.next() & 0x7FEF_FFFF_FFFF_FFFF)
            let text = "\(d)"
            guard case .double(let parsed) = try decode(text) else { Issue.record("\(text) not a double"); continue }
            #expect(parsed.bitPattern == d.bitPattern, "\(text)")
        }
    }

    @Test func stringEscapes() throws {
        #expect(try decode(#""a\"b\\c\/d\b\f\n\r\t""#) == .string("a\"b\\c/d\u{08}\u{0C}\n\r\t"))
        #expect(try decode(#""caf\u00e9 \u65E5""#) == .string("café 日"))
        #expect(try decode(#""\u0000x""#) == .string("\u{0}x"))
    }

    @Test func surrogatePairs() throws {
        #expect(try decode(#""\ud83d\ude00""#) == .string("😀"))
        #expect(try decode(#""\uD834\uDD1E""#) == .string("𝄞"))
        // Lone halves cannot be represented in a Swift string: U+FFFD, as with invalid UTF-8.
        #expect(try decode(#""\ud83d""#) == .string("\u{FFFD}"))
        #expect(try decode(#""\ude00x""#) == .string("\u{FFFD}x"))
        #expect(try decode(#""\ud83d\u0041""#) == .string("\u{FFFD}A"))
    }

    @Test func multibyteUTF8PassesThrough() throws {
        #expect(try decode(#"{"名前":"héllo 日本 😀"}"#) == ["名前": "héllo 日本 😀"])
    }

    @Test func invalidUTF8IsReplaced() throws {
        #expect(try JSON.decode([0x22, 0xFF, 0x61, 0x22] as [UInt8]) == .string("\u{FFFD}a"))
        #expect(try JSON.decode([0x22, 0xE6, 0x97, 0x22] as [UInt8]) == .string("\u{FFFD}"))
        let obj: [UInt8] = Array(#"{""#.utf8) + [0xC3] + Array(#"":"\n\u00e9"#.utf8) + [0xFE] + Array(#""}"#.utf8)
        #expect(try JSON.decode(obj) == .object({ var m = FieldMap(); m.set("\u{FFFD}", .string("\n\u{e9}\u{FFFD}")); return m }()))
    }

    @Test func inputForms() throws {
        let bytes = Array(#"xx{"a":1}"#.utf8)
        #expect(try JSON.decode(bytes[2...]) == ["a": 1])
        #expect(try JSON.decode(Array(bytes.dropFirst(2))) == ["a": 1])
        let fromBuffer = try bytes.withUnsafeBufferPointer { b throws(JSONError) in
            try JSON.decode(UnsafeBufferPointer(rebasing: b[2...]))
        }
        #expect(fromBuffer == ["a": 1])
        #expect(try JSON.decode([0xEF, 0xBB, 0xBF] + Array("[1]".utf8)) == [1])
    }

    @Test(arguments: [
        ("", 0), ("   ", 3), ("{", 1), (#"{"a":1,}"#, 7), ("[1 2]", 3), (#"{"a" 1}"#, 5), (#""abc"#, 0),
        ("tru", 0), ("nul", 0), ("01", 0), ("1.", 2), ("1e", 2), ("-", 0), ("+1", 0), (#""\x""#, 1),
        (#"{"a":1} x"#, 8), (#""\u12G4""#, 1), ("[1,]", 3), ("{1:2}", 1), (".5", 0), ("[", 1),
    ])
    func errorsCarryOffsets(input: String, offset: Int) {
        let e = error(input)
        #expect(e?.offset == offset, "\(input): \(String(describing: e))")
    }

    @Test func controlCharactersMustBeEscaped() {
        #expect(error("\"a\u{01}b\"")?.offset == 2)
        #expect(error("\"a\nb\"")?.message.contains("control") == true)
    }

    @Test func deepNestingIsRejected() {
        let deep = String(repeating: "[", count: JSON.maxDepth + 1) + String(repeating: "]", count: JSON.maxDepth + 1)
        #expect(error(deep)?.message.contains("nesting") == true)
        let ok = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(error(ok) == nil)
    }

    @Test func errorDescription() {
        #expect(error("[1 2]")?.description == "expected ',' or ']' in array, found character '2' at byte 3")
    }

    /// Arbitrary bytes never crash the decoder; errors point inside the input.
    @Test func randomInputIsSafe() {
        let alphabet = Array(#"{}[]":,.-+eE0123456789 \tntrufalse\u\"x"#.utf8) + [0xFF, 0xC3, 0x00, 0x0A]
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<5000 {
            let n = Int.random(in: 0...40, using: &rng)
            let bytes = (0..<n).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &rng)] }
            do { _ = try JSON.decode(bytes) } catch { #expect(error.offset >= 0 && error.offset <= bytes.count) }
        }
    }
}
