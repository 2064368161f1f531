import SluiceCore

/// Where one capture of one compiled pattern goes, worked out once per filter instance.
struct GrokSlot {
    let capture: GrokPattern.Capture
    /// The field with `target` applied.
    let ref: FieldReference
    /// `ref`'s only component, for the common top-level case.
    let topLevelKey: String?
    let overwrite: Bool

    init(capture: GrokPattern.Capture, target: FieldReference?, overwrite: Set<FieldReference>) {
        self.capture = capture
        let ref = target.map { FieldReference(path: $0.path + capture.field.path) } ?? capture.field
        self.ref = ref
        topLevelKey = ref.path.count == 1 ? ref.path[0] : nil
        self.overwrite = overwrite.contains(capture.field)
    }
}

extension Event {
    /// Stores one captured value the way Logstash's grok does: `overwrite` fields are
    /// replaced; otherwise a missing (or null) field is set, an array gets the value
    /// appended, a string becomes `[old, new]`, and any other existing value is kept.
    @inline(__always)
    mutating func storeGrokCapture(_ value: Value, _ slot: GrokSlot) {
        if slot.overwrite {
            set(slot.ref, value)
            return
        }
        if let key = slot.topLevelKey {
            // One lookup: a missing field is created as null and then filled in.
            fields.modify(key, default: .null) { Self.mergeCapture(&$0, value) }
            return
        }
        if modify(slot.ref, { Self.mergeCapture(&$0, value) }) == nil {
            set(slot.ref, value)
        }
    }

    @inline(__always)
    private static func mergeCapture(_ existing: inout Value, _ value: Value) {
        switch existing {
        case .null:
            existing = value
        case .array(var a):
            existing = .null  // keep `a` uniquely referenced while appending
            a.append(value)
            existing = .array(a)
        case .string(let s):
            existing = .array([.string(s), value])
        default:
            break
        }
    }
}
