import SluiceCore

/// A grok pattern compiled for one filter instance: the regex plus where each capture goes
/// (with `target` and `overwrite` applied), grouped by top-level field.
final class GrokCompiledPattern {
    let grok: GrokPattern
    let groups: [GrokCaptureGroup]
    /// `grok` without reference counting, for the match on every event: `grok` keeps it
    /// alive, and a call through the strong reference costs a retain and a release.
    let unretainedGrok: Unmanaged<GrokPattern>

    init(_ grok: GrokPattern, target: FieldReference?, overwrite: Set<FieldReference>) {
        self.grok = grok
        unretainedGrok = Unmanaged.passUnretained(grok)
        let slots = grok.captures.map { GrokSlot(capture: $0, target: target, overwrite: overwrite) }
        groups = GrokCaptureGroup.groups(slots)
    }
}

/// Stores the captures of a successful match into an event, as Logstash's grok does.
struct GrokCaptureStore {
    let keepEmpty: Bool

    init(keepEmpty: Bool) { self.keepEmpty = keepEmpty }

    func store(_ p: GrokCompiledPattern, _ buf: UnsafeBufferPointer<UInt8>, into event: inout Event) {
        event.fields.reserveCapacity(event.fields.count + p.groups.count)
        let grok = p.grok
        let keep = keepEmpty
        for i in p.groups.indices {
            // Reading through `p.groups[i]` borrows the group from the array; binding it to a
            // local would retain and release it (two atomic operations per group and event).
            let head = p.groups[i].head
            if let plan = p.groups[i].unretainedPlan, event.fields.position(of: head) == nil {
                let built = plan._withUnsafeGuaranteedRef { $0.run(grok, buf, keepEmpty: keep) }
                if let v = built { event.fields.append(uniqueKey: head, v) }
                continue
            }
            for slot in p.groups[i].slots {
                if let v = Self.captured(grok, slot.group, slot.convert, buf, keep) { event.storeGrokCapture(v, slot) }
            }
        }
    }

    /// A capture's value, or nil when Logstash would drop it: it did not take part in the
    /// match, or it is empty (unless `keep_empty_captures`). Conversions apply to empty
    /// text too, as Ruby's `"".to_i` is 0.
    @inline(__always)
    static func captured(_ grok: GrokPattern, _ group: Int, _ convert: GrokConversion?,
                         _ buf: UnsafeBufferPointer<UInt8>, _ keepEmpty: Bool) -> Value? {
        guard let range = grok.range(ofGroup: group) else { return keepEmpty ? .null : nil }
        let bytes = UnsafeBufferPointer(rebasing: buf[range])
        if let convert { return convert.convert(bytes) }
        if range.isEmpty && !keepEmpty { return nil }
        return .string(String(decoding: bytes, as: UTF8.self))
    }
}
