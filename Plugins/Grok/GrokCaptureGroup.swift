import SluiceCore

/// The captures of one compiled pattern, grouped by their top-level field.
///
/// ECS patterns put many captures under a few objects (`[http][request][method]`,
/// `[http][response][status_code]`, ...). When the event does not have the top-level
/// field yet, which is the common case, the whole object is built bottom-up in one pass
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

/// A post-order program that builds one top-level object from the last match: `leaf`
/// pushes a capture's value (or nothing), `object` pops its children's values and pushes
/// the object made of those that are present. Instructions are plain values, so running
/// the program costs no reference counting beyond the values themselves.
final class GrokObjectPlan {
    enum Op {
        /// Push the merged value of the leaves `range` (a field captured twice becomes an array).
        case leaf(Range<Int>)
        /// Pop `count` optional values, named by `keys[keyStart...]`, and push their object.
        case object(keyStart: Int, count: Int)
    }

    let ops: [Op]
    let keys: [String]
    /// What the leaves read, in leaf order: group numbers and conversions (plain values,
    /// so reading them costs no reference counting).
    let groups: [Int]
    let converts: [GrokConversion?]

    /// Nil when the group needs the general route: a single top-level leaf (one lookup is
    /// cheaper), `overwrite`, array indexes, or a field that is both a value and an object.
    init?(_ group: [GrokSlot]) {
        guard group.contains(where: { !$0.rest.isEmpty }),
              !group.contains(where: { $0.overwrite || !$0.simplePath }) else { return nil }
        var ops: [Op] = []
        var keys: [String] = []
        var slots: [GrokSlot] = []
        guard Self.emit(group, depth: 1, &ops, &keys, &slots) else { return nil }
        self.ops = ops
        self.keys = keys
        groups = slots.map(\.group)
        converts = slots.map(\.convert)
    }

    private static func emit(_ group: [GrokSlot], depth: Int, _ ops: inout [Op], _ keys: inout [String],
                             _ slots: inout [GrokSlot]) -> Bool {
        let leaves = group.filter { $0.ref.path.count == depth }
        let deeper = group.filter { $0.ref.path.count > depth }
        if !leaves.isEmpty {
            guard deeper.isEmpty else { return false }
            ops.append(.leaf(slots.count..<(slots.count + leaves.count)))
            slots += leaves
            return true
        }
        var order: [String] = []
        var byKey: [String: [GrokSlot]] = [:]
        for s in deeper {
            let k = s.ref.path[depth]
            if byKey[k] == nil { order.append(k) }
            byKey[k, default: []].append(s)
        }
        for k in order {
            guard emit(byKey[k] ?? [], depth: depth + 1, &ops, &keys, &slots) else { return false }
        }
        ops.append(.object(keyStart: keys.count, count: order.count))
        keys += order
        return true
    }

    /// Runs the program over the last match of `grok`; `stack` is scratch space reused
    /// across events, indexed by hand (no appends or removals on the hot path).
    func run(_ stack: inout [Value?], _ grok: GrokPattern, _ buf: UnsafeBufferPointer<UInt8>, keepEmpty: Bool) -> Value? {
        if stack.count < ops.count { stack = Array(repeating: nil, count: ops.count) }
        // Through the buffer: no uniqueness check of the array on every push and pop.
        return stack.withUnsafeMutableBufferPointer { stack in
            var top = 0
            for op in ops {
                switch op {
                case .leaf(let range):
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
                    stack[top] = result
                    top += 1
                case .object(let keyStart, let count):
                    let base = top - count
                    var map = FieldMap()
                    for i in 0..<count {
                        // Move the value out of the stack rather than copy it.
                        guard let v = stack[base + i].take() else { continue }
                        if map.isEmpty { map.reserveCapacity(count) }
                        map.append(uniqueKey: keys[keyStart + i], v)
                    }
                    stack[base] = map.isEmpty ? nil : .object(consume map)
                    top = base + 1
                }
            }
            return top > 0 ? stack[top - 1].take() : nil
        }
    }
}
