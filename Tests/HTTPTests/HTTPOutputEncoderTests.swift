import SluiceCore
import Testing
@testable import HTTPPlugins

@Suite struct HTTPOutputEncoderTests {
    private func event(_ seq: Int, _ message: String = "hi") -> Event {
        var e = Event(message: message)
        e.fields.set("seq", .int(Int64(seq)))
        e.fields.set("@metadata", ["secret": "never sent"])
        e.fields.set("@timestamp", .timestamp(Timestamp(seconds: 0, nanos: 0)))
        return e
    }

    private func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    @Test func jsonIsOneEventWithoutMetadata() {
        let enc = HTTPOutputEncoder(format: .json, mapping: nil, message: nil)
        #expect(!enc.isBatch)
        #expect(enc.defaultContentType == "application/json")
        let body = text(enc.body([event(1)]))
        #expect(body.contains("\"seq\":1") && body.contains("\"message\":\"hi\""))
        #expect(!body.contains("never sent"))
    }

    @Test func jsonBatchIsAnArrayAndNdjsonALinePerEvent() throws {
        let events = [event(1), event(2), event(3)]
        let batch = HTTPOutputEncoder(format: .jsonBatch, mapping: nil, message: nil)
        #expect(batch.isBatch)
        let array = try JSON.decode(batch.body(events[...])).arrayValue ?? []
        #expect(array.compactMap { $0.objectValue?["seq"] } == [1, 2, 3])

        let nd = HTTPOutputEncoder(format: .ndjson, mapping: nil, message: nil)
        #expect(nd.defaultContentType == "application/x-ndjson")
        let lines = text(nd.body(events[...])).split(separator: "\n")
        #expect(lines.count == 3)
        #expect(try lines.map { try JSON.decode(String($0)).objectValue?["seq"] } == [1, 2, 3])
        #expect(text(nd.body(events[...])).hasSuffix("\n"))
    }

    @Test func mappingRendersItsStringsAsSprintfAtEveryDepth() throws {
        let mapping = Mapping(["id": "%{seq}", "nested": ["text": "say %{message}", "n": 7], "list": ["%{message}", true]])
        let enc = HTTPOutputEncoder(format: .json, mapping: mapping, message: nil)
        let v = try JSON.decode(enc.body([event(5, "yo")]))
        #expect(v.objectValue?["id"] == .string("5"))
        #expect(v.objectValue?["nested"]?.objectValue?["text"] == .string("say yo"))
        #expect(v.objectValue?["nested"]?.objectValue?["n"] == .int(7))
        #expect(v.objectValue?["list"] == .array([.string("yo"), .bool(true)]))
        #expect(v.objectValue?["message"] == nil, "only the mapping is sent")
    }

    @Test func formEncodesTopLevelFieldsAndNestedValuesAsJSON() {
        let fields: Value = ["a b": "x&y=z é", "n": 3, "o": ["k": "v"], "@metadata": ["k": "v"]]
        let e = Event(fields: fields.objectValue ?? FieldMap(), stamp: false)
        let enc = HTTPOutputEncoder(format: .form, mapping: nil, message: nil)
        #expect(enc.defaultContentType == "application/x-www-form-urlencoded")
        #expect(text(enc.body([e])) == "a+b=x%26y%3Dz+%C3%A9&n=3&o=%7B%22k%22%3A%22v%22%7D")
    }

    @Test func messageSendsTheRenderedTemplate() {
        let enc = HTTPOutputEncoder(format: .message, mapping: nil, message: Template("seq=%{seq} %{message}"))
        #expect(enc.defaultContentType == "text/plain")
        #expect(text(enc.body([event(9, "done")])) == "seq=9 done")
    }
}
