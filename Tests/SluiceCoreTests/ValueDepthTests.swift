import Testing
@testable import SluiceCore

/// Values as deep as a pipeline can make them: JSON decoded (at most 512 levels) under a
/// target path of up to 1,000 selectors. Encoders, comparisons and the queue serializer
/// handle them on a test thread's small stack, and the serializer never writes a record
/// its reader would refuse.
@Suite struct ValueDepthTests {
    static let depth = 1_512

    /// `{"k":[{"k":[ ... 1 ... ]}]}` nested `n` levels.
    static func nested(_ n: Int) -> Value {
        var v = Value.int(1)
        for i in 0..<n {
            if i % 2 == 0 { var m = FieldMap(); m.set("k", v); v = .object(m) } else { v = .array([v]) }
        }
        return v
    }

    @Test func encodersAndComparisonsHandleTheDeepestPipelineValue() throws {
        let v = Self.nested(Self.depth)
        let json = JSON.encodeToString(v)
        #expect(json.hasPrefix(#"[{"k":[{"k":"#) && json.hasSuffix("}]}]"))
        #expect(try JSON.decode(String(repeating: "[", count: 511) + "1" + String(repeating: "]", count: 511)) != .null)
        var ruby: [UInt8] = []
        RubyInspect.appendValue(v, indentation: 0, &ruby)
        #expect(ruby.count > Self.depth)
        #expect(ConditionValues.equal(v, Self.nested(Self.depth)))
        #expect(!ConditionValues.equal(v, Self.nested(Self.depth - 2)))
    }

    @Test func theQueueSerializerKeepsDeepRecordsReadable() throws {
        var event = Event()
        event[field: "deep"] = Self.nested(Self.depth)
        event[field: "message"] = .string("kept")
        var record: [UInt8] = []
        EventSerializer.encode(event, into: &record)
        let back = try record.withUnsafeBytes { try EventSerializer.decode($0) }
        #expect(back[field: "message"] == .string("kept"))
        // Below the reader's bound the value is intact; the part beneath is marked, not lost silently.
        let text = JSON.encodeToString(back[field: "deep"] ?? .null)
        #expect(text.contains(EventSerializer.tooDeep))
        // A value within the bound round-trips exactly.
        var shallow = Event()
        shallow[field: "v"] = Self.nested(500)
        var r2: [UInt8] = []
        EventSerializer.encode(shallow, into: &r2)
        #expect(try r2.withUnsafeBytes { try EventSerializer.decode($0) }[field: "v"] == Self.nested(500))
    }
}
