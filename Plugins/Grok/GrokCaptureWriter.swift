import SluiceCore

/// Where one capture of one compiled pattern goes, worked out once per filter instance.
/// A class: walking the slots of a match copies one reference per capture, not a struct's many.
final class GrokSlot {
    let group: Int
    let convert: GrokConversion?
    /// The field with `target` applied.
    let ref: FieldReference
    /// The path's first component and, for nested fields, the rest.
    let head: String
    let rest: ArraySlice<String>
    /// Paths through arrays (`[list][0]`) take the general route of `Event.set`.
    let simplePath: Bool
    let overwrite: Bool

    init(capture: GrokPattern.Capture, target: FieldReference?, overwrite: Set<FieldReference>) {
        group = capture.group
        convert = capture.convert
        let ref = target.map { FieldReference(path: $0.path + capture.field.path) } ?? capture.field
        self.ref = ref
        head = ref.path[0]
        rest = ref.path.dropFirst()
        simplePath = !ref.path.dropFirst().contains { Int($0) != nil }
        self.overwrite = overwrite.contains(capture.field)
    }
}

extension Event {
    /// Stores one captured value the way Logstash's grok does: `overwrite` fields are
    /// replaced; otherwise a missing (or null) field is set, an array gets the value
    /// appended, a string becomes `[old, new]`, and any other existing value is kept.
    @inline(__always)
    mutating func storeGrokCapture(_ value: consuming Value, _ slot: GrokSlot) {
        if slot.overwrite {
            set(slot.ref, value)
        } else if slot.rest.isEmpty {
            // Non-generic FieldMap calls: the generic `modify` is not specialized across modules.
            if let i = fields.position(of: slot.head) {
                var existing = fields.value(at: i)
                fields.setValue(.null, at: i)  // keep `existing` uniquely referenced
                GrokStore.merge(&existing, value)
                fields.setValue(existing, at: i)
            } else {
                fields.append(uniqueKey: slot.head, value)
            }
        } else if slot.simplePath {
            let v = copy value  // closures cannot take ownership of a parameter
            fields.modify(slot.head, default: .null) { GrokStore.store(&$0, slot.rest, v) }
        } else {
            let v = copy value
            if modify(slot.ref, { GrokStore.merge(&$0, v) }) == nil { set(slot.ref, value) }
        }
    }
}

/// Logstash's grok `handle`: how a capture meets what the field already holds.
enum GrokStore {
    @inline(__always)
    static func merge(_ existing: inout Value, _ value: consuming Value) {
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

    /// Walks (and creates) objects along `path` in one pass, then merges at the end.
    /// A scalar on the way leaves the event unchanged, like a failed `Event.set`.
    static func store(_ node: inout Value, _ path: ArraySlice<String>, _ value: consuming Value) {
        guard let key = path.first else { merge(&node, value); return }
        switch node {
        case .null:
            var child = Value.null
            store(&child, path.dropFirst(), value)
            var m = FieldMap(minimumCapacity: 4)
            m.set(key, child)
            node = .object(m)
        case .object(var m):
            node = .null  // keep `m` uniquely referenced while it changes
            let v = copy value  // closures cannot take ownership of a parameter
            m.modify(key, default: .null) { store(&$0, path.dropFirst(), v) }
            node = .object(m)
        default:
            break
        }
    }
}
