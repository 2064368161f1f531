/// The ids of the last `capacity` tweets delivered, to skip the ones a backfill sends again.
struct RecentTweetIds {
    let capacity: Int
    private var seen: Set<UInt64> = []
    /// Insertion order, as a ring: the oldest id is forgotten first.
    private var order: [UInt64] = []
    private var next = 0

    init(capacity: Int) {
        self.capacity = max(1, capacity)
        seen.reserveCapacity(self.capacity)
    }

    /// True the first time `id` is seen (and remembers it); false for a repeat.
    mutating func firstSeen(_ id: UInt64) -> Bool {
        guard seen.insert(id).inserted else { return false }
        if order.count < capacity {
            order.append(id)
        } else {
            seen.remove(order[next])
            order[next] = id
            next = (next + 1) % capacity
        }
        return true
    }
}
