import Foundation
import Logging
@testable import SluiceCore
import SluiceTesting
import Testing

/// No silent change of values: numbers a double or Int64 cannot hold keep their digits and
/// are written back verbatim, replaced UTF-8 tags the event, blank json_lines are counted.
@Suite struct JSONFidelityTests {
    private func codecWith<T: Codec>(_ type: T.Type, logger: Logger) throws -> T {
        try T(settings: codecSettings(type, [:]), context: PluginContext(logger: logger, pipeline: PipelineSettings()))
    }

    private func number(_ text: String) -> Value {
        guard let n = NumberLiteral(text) else { Issue.record("\(text) is not a JSON number"); return .null }
        return .number(n)
    }

    @Test func numbersBeyondIntAndDoubleKeepTheirDigits() throws {
        for text in ["1e999", "-1e999", "1e-999", "123456789012345678901234567890", "-99999999999999999999",
                     "0.12345678901234567890123", "9007199254740993.0", "1.0000000000000001"] {
            #expect(try JSON.decode(text) == number(text), "\(text)")
            #expect(JSON.encodeToString(try JSON.decode(#"{"n":\#(text)}"#)) == #"{"n":\#(text)}"#, "\(text)")
        }
    }

    @Test func numbersADoubleHoldsStayDoubles() throws {
        let cases: [(String, Double)] = [("0.1", 0.1), ("1.10", 1.1), ("52.52", 52.52), ("1e300", 1e300), ("1e-30", 1e-30),
                                         ("0.30000000000000004", 0.30000000000000004), ("1.7976931348623157e308", .greatestFiniteMagnitude),
                                         ("1.000000000000000000000", 1), ("123456789012.3456", 123456789012.3456)]
        for (text, d) in cases { #expect(try JSON.decode(text) == .double(d), "\(text)") }
        // 9.000000000000001 is not the double nearest 9.0000000000000011: keep the written digits.
        #expect(try JSON.decode("9.0000000000000011") == number("9.0000000000000011"))
        #expect(try JSON.decode("42") == .int(42))
    }

    @Test func numberLiteralsCompareExactly() {
        #expect(NumberLiteral.compare("123456789012345678901234567890".utf8, "123456789012345678901234567891".utf8) == -1)
        #expect(NumberLiteral.compare("1e2".utf8, "100".utf8) == 0)
        #expect(NumberLiteral.compare("-1e999".utf8, "5".utf8) == -1)
        #expect(NumberLiteral.compare("0.0".utf8, "-0".utf8) == 0)
        #expect(NumberLiteral.compare("-2".utf8, "-10".utf8) == 1)
        #expect(NumberLiteral("12a") == nil && NumberLiteral("01") == nil && NumberLiteral("1.") == nil)
    }

    @Test func conditionsCompareBigNumbersNumerically() throws {
        let big = number("123456789012345678901234567890")
        #expect(ConditionValues.equal(big, number("1.2345678901234567890123456789e29")))
        #expect(!ConditionValues.equal(big, number("123456789012345678901234567891")))
        #expect(!ConditionValues.equal(big, .double(1.2345678901234568e29)))  // the double is another number
        #expect(ConditionValues.order(big, .int(Int64.max)) == 1)
        #expect(ConditionValues.order(.int(5), number("1e999")) == -1)
        #expect(ConditionValues.order(number("-1e999"), .double(-1e308)) == -1)
        #expect(ConditionValues.equal(number("100"), .int(100)))
    }

    @Test func theJSONCodecsWriteBigNumbersBackVerbatim() throws {
        let line = #"{"big":123456789012345678901234567890,"inf":1e999,"pi":3.14159265358979323846,"n":1}"#
        for codec in [try makeCodec(JSONCodec.self), try makeCodec(JSONLinesCodec.self)] as [any Codec] {
            var events: [Event] = []
            codec.decode(ArraySlice((line + "\n").utf8), into: &events)
            let e = try #require(events.first)
            #expect(e.fields["big"] == number("123456789012345678901234567890"))
            #expect(e.fields["inf"] == number("1e999"))
            #expect(e.tags.isEmpty)
            var out: [UInt8] = []
            codec.encode(e, into: &out)
            let text = String(decoding: out, as: UTF8.self)
            #expect(text.contains(#""big":123456789012345678901234567890"#), "\(text)")
            #expect(text.contains(#""inf":1e999"#) && text.contains(#""pi":3.14159265358979323846"#), "\(text)")
        }
    }

    @Test func invalidUTF8InAJSONStringTagsTheEvent() throws {
        let bytes: [UInt8] = Array(#"{"a":"x"#.utf8) + [0xFF, 0xC3] + Array(#"y","b":"ok"}"#.utf8) + [0x0A]
        for codec in [try makeCodec(JSONCodec.self), try makeCodec(JSONLinesCodec.self)] as [any Codec] {
            var events: [Event] = []
            codec.decode(ArraySlice(bytes), into: &events)
            #expect(events.count == 1)
            #expect(events.first?.fields["a"] == .string("x\u{FFFD}\u{FFFD}y"))
            #expect(events.first?.tags == [JSON.utf8ReplacedTag])
        }
        var clean: [Event] = []
        try makeCodec(JSONLinesCodec.self).decode(ArraySlice(#"{"a":"é"}"#.utf8), into: &clean)
        #expect(clean.first?.tags == [])
        var repaired = false
        _ = try JSON.decode(#"["\ud800"]"#, repairedUTF8: &repaired)
        #expect(repaired)
        _ = try JSON.decode(#"["\ud83d\ude00"]"#, repairedUTF8: &repaired)
        #expect(!repaired)
    }

    @Test func blankJSONLinesAreCountedAtDebugLevel() throws {
        let capture = LogCapture()
        let codec = try codecWith(JSONLinesCodec.self, logger: capture.logger)
        var events: [Event] = []
        codec.decode(ArraySlice("{\"a\":1}\n\n   \n{\"a\":2}\n".utf8), into: &events)
        #expect(events.count == 2)
        let debug = capture.entries.filter { $0.level == .debug }
        #expect(debug.count == 2, "\(capture.all)")
        #expect(debug.last?.message == "json_lines: skipped a blank line", "\(capture.all)")
        #expect(debug.last?.metadata.contains("blank_lines_skipped=2") == true, "\(capture.all)")
    }

    @Test func bigNumbersRoundTripThroughThePersistentQueueEncoding() throws {
        var e = Event(message: "m")
        e.fields.set("big", number("123456789012345678901234567890"))
        e.fields.set("inf", number("-1e999"))
        e.fields.set("list", .array([number("0.12345678901234567890123"), 1]))
        var bytes: [UInt8] = []
        EventSerializer.encode(e, into: &bytes)
        let back = try bytes.withUnsafeBytes { try EventSerializer.decode($0) }
        #expect(back == e)
        #expect(JSON.encodeToString(event: back).contains(#""big":123456789012345678901234567890"#))
    }
}

@Suite(.timeLimit(.minutes(1))) struct JSONFidelityQueueTests {
    @Test func bigNumbersRoundTripThroughThePersistentQueue() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-pq-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var settings = QueueSettings()
        settings.type = "persisted"
        settings.readCacheBytes = 0  // read back from the page, not from memory
        var events: [Event] = []
        try JSONLinesCodec(settings: codecSettings(JSONLinesCodec.self, [:]))
            .decode(ArraySlice(#"{"big":123456789012345678901234567890,"inf":1e999,"d":0.5}"#.utf8), into: &events)
        let q = try PersistentQueue(directory: dir, settings: settings, logger: Logger(label: "test.pq"))
        try await q.push(events, ack: nil)
        let batch = try #require(await q.pop(maxEvents: 10, maxDelay: .zero))
        #expect(batch.events == events)
        let text = JSON.encodeToString(event: try #require(batch.events.first))
        #expect(text.contains(#""big":123456789012345678901234567890,"inf":1e999,"d":0.5"#), "\(text)")
    }
}
