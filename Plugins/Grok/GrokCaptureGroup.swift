import SluiceCore

/// The captures of one compiled pattern, grouped by their top-level field.
///
/// ECS patterns put many captures under a few objects (`[http][request][method]`,
/// `[http][response][status_code]`, ...). When the event does not have the top-level
/// field yet, which is the common case, the whole object is built in one pass
/// (`GrokObjectPlan`) instead of walking the event once per capture.
final class GrokCaptureGroup {
    let head: String
    /// Every slot of the group, in pattern order: the general route.
    let slots: [GrokSlot]
    /// How to build the group's object in one pass, when its shape allows it.
    let plan: GrokObjectPlan?
    /// The same plan without reference counting: `plan` keeps it alive as long as the group,
    /// and calling through a strong reference read from the group array costs a retain and
    /// a release per event.
    let unretainedPlan: Unmanaged<GrokObjectPlan>?

    init(head: String, slots: [GrokSlot], plan: GrokObjectPlan?) {
        self.head = head
        self.slots = slots
        self.plan = plan
        unretainedPlan = plan.map { Unmanaged.passUnretained($0) }
    }

    /// Groups `slots` by top-level field, in order of first appearance.
    static func groups(_ slots: [GrokSlot]) -> [GrokCaptureGroup] {
        var order: [String] = []
        var byHead: [String: [GrokSlot]] = [:]
        for s in slots {
            if byHead[s.head] == nil { order.append(s.head) }
            byHead[s.head, default: []].append(s)
        }
        return order.map { head in
            let group = byHead[head] ?? []
            return GrokCaptureGroup(head: head, slots: group, plan: GrokObjectPlan(group))
        }
    }
}

/// How to build one top-level object from the last match, as a tree walked top-down: each
/// object node lists its children, each a run of leaves (a capture's value; a field
/// captured twice becomes an array) or a nested object node. Each object is filled as it
/// is walked, so a value goes from the capture straight into its map. Every part is a
/// plain value, so walking the plan costs no reference counting beyond the values.
final class GrokObjectPlan {
    struct Child {
        let key: String
        /// The leaves whose merged value this child is (empty for an object).
        let leaves: Range<Int>
        /// The object node this child is, or -1 for leaves.
        let object: Int
    }

    /// Each object node's children, as a range of `children`; node 0 is the top-level object.
    let nodes: [Range<Int>]
    let children: [Child]
    /// What the leaves read, in leaf order: group numbers and conversions.
    let groups: [Int]
    let converts: [GrokConversion?]

    /// Nil when the group needs the general route: a single top-level leaf (one lookup is
    /// cheaper), `overwrite`, array indexes, or a field that is both a value and an object.
    init?(_ group: [GrokSlot]) {
        guard group.allSatisfy({ !$0.rest.isEmpty && !$0.overwrite && $0.simplePath }) else { return nil }
        var builder = Builder()
        guard builder.object(group, depth: 1) != nil else { return nil }
        nodes = builder.nodes
        children = builder.children
        groups = builder.slots.map(\.group)
        converts = builder.slots.map(\.convert)
    }

    private struct Builder {
        var nodes: [Range<Int>] = []
        var children: [Child] = []
        var slots: [GrokSlot] = []

        /// Adds the object node for `group` (whose paths all go deeper than `depth`), its
        /// children keyed by the path component at `depth` in order of first appearance.
        mutating func object(_ group: [GrokSlot], depth: Int) -> Int? {
            var order: [String] = []
            var byKey: [String: [GrokSlot]] = [:]
            for s in group {
                let k = s.ref.path[depth]
                if byKey[k] == nil { order.append(k) }
                byKey[k, default: []].append(s)
            }
            let node = nodes.count
            nodes.append(0..<0)
            var kids: [Child] = []
            for k in order {
                let sub = byKey[k] ?? []
                let leaves = sub.filter { $0.ref.path.count == depth + 1 }
                if leaves.isEmpty {
                    guard let n = object(sub, depth: depth + 1) else { return nil }
                    kids.append(Child(key: k, leaves: 0..<0, object: n))
                } else {
                    guard leaves.count == sub.count else { return nil }  // both a value and an object
                    kids.append(Child(key: k, leaves: slots.count..<(slots.count + leaves.count), object: -1))
                    slots += leaves
                }
            }
            nodes[node] = children.count..<(children.count + kids.count)
            children += kids
            return node
        }
    }

    /// The top-level object built from the last match of `grok`, or nil when no capture in
    /// it took part.
    func run(_ grok: GrokPattern, _ buf: UnsafeBufferPointer<UInt8>, keepEmpty: Bool) -> Value? {
        // `if let` rather than `Optional.map`, which copies the map (a retain and a release).
        if let map = build(0, grok, buf, keepEmpty) { return .object(map) }
        return nil
    }

    private func build(_ node: Int, _ grok: GrokPattern, _ buf: UnsafeBufferPointer<UInt8>, _ keepEmpty: Bool) -> FieldMap? {
        var map = FieldMap()
        let kids = nodes[node]
        for c in kids {
            let value: Value?
            if children[c].object < 0 {
                value = leaf(children[c].leaves, grok, buf, keepEmpty)
            } else if let nested = build(children[c].object, grok, buf, keepEmpty) {
                value = .object(nested)
            } else {
                value = nil
            }
            guard let value else { continue }
            if map.isEmpty { map.reserveCapacity(kids.count) }
            map.append(uniqueKey: children[c].key, value)
        }
        return map.isEmpty ? nil : map
    }

    @inline(__always)
    private func leaf(_ range: Range<Int>, _ grok: GrokPattern, _ buf: UnsafeBufferPointer<UInt8>, _ keepEmpty: Bool) -> Value? {
        if range.count == 1 { return GrokCaptureStore.captured(grok, groups[range.lowerBound], converts[range.lowerBound], buf, keepEmpty) }
        var result: Value? = nil
        for i in range {
            guard let v = GrokCaptureStore.captured(grok, groups[i], converts[i], buf, keepEmpty) else { continue }
            if var existing = result.take() {
                GrokStore.merge(&existing, v)
                result = existing
            } else {
                result = v
            }
        }
        return result
    }
}
