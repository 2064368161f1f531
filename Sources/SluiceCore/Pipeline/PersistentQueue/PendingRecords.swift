/// The records of the persistent queue not yet handed to a worker, oldest first, as runs
/// of consecutive seqs.
///
/// A run is written to its page before it is added here. While few events wait, a pushed
/// run also keeps its events in memory (a read cache of up to `cacheLimit` record bytes),
/// so that workers get them without reading and decoding the page; past the limit (a
/// backlog, or records recovered at start) a run is read back from its page. The cache saves work
/// only: what is on disk, and when it is acknowledged, is the same either way.
struct PendingRecords {
    enum Source {
        /// The pushed events themselves (those in `range`), and the size of their records.
        /// The whole array, not a slice: a worker that takes all of it gets it without a copy,
        /// and so the last release of the events is the worker's, not the input's.
        case memory([Event], range: Range<Int>, bytes: Int)
        /// Records in an open page: record i spans `base + bounds[i] ..< base + bounds[i + 1]`.
        case page(fd: Int32, base: Int, bounds: ArraySlice<Int>)
    }

    struct Run {
        var firstSeq: UInt64
        var count: Int
        var source: Source
    }

    private var runs: [Run] = []
    private var head = 0
    /// Events waiting.
    private(set) var count = 0
    /// Record bytes of the events waiting in memory.
    private(set) var cachedBytes = 0
    let cacheLimit: Int

    init(cacheLimit: Int) { self.cacheLimit = max(0, cacheLimit) }

    /// Adds a pushed run, cached when the cache has room for it.
    mutating func append(firstSeq: UInt64, events: [Event], fd: Int32, base: Int, bounds: [Int]) {
        guard !events.isEmpty, let bytes = bounds.last else { return }
        if cachedBytes + bytes <= cacheLimit {
            cachedBytes += bytes
            append(Run(firstSeq: firstSeq, count: events.count, source: .memory(events, range: events.indices, bytes: bytes)))
        } else {
            append(Run(firstSeq: firstSeq, count: events.count, source: .page(fd: fd, base: base, bounds: bounds[...])))
        }
    }

    mutating func append(_ run: Run) {
        guard run.count > 0 else { return }
        runs.append(run)
        count += run.count
    }

    /// Takes up to `max` events (at least one when any wait), splitting a run if needed.
    mutating func take(max: Int) -> [Run] {
        var taken: [Run] = []
        var left = Swift.max(1, max)
        while left > 0, head < runs.count {
            var run = runs[head]
            if run.count <= left {
                runs[head] = Run(firstSeq: 0, count: 0, source: .memory([], range: 0..<0, bytes: 0))  // release its events
                head += 1
            } else {
                runs[head] = run.dropFirst(left)
                run = run.prefix(left)
            }
            taken.append(run)
            left -= run.count
            count -= run.count
            if case .memory(_, _, let bytes) = run.source { cachedBytes -= bytes }
        }
        if head > 64 && head * 2 > runs.count {
            runs.removeFirst(head)
            head = 0
        }
        return taken
    }
}

extension PendingRecords.Run {
    func prefix(_ n: Int) -> Self {
        switch source {
        case .memory(let e, let range, let bytes):
            // The bytes are shared out in proportion: only the cache's total must add up.
            return Self(firstSeq: firstSeq, count: n, source: .memory(e, range: range.lowerBound..<(range.lowerBound + n), bytes: bytes * n / count))
        case .page(let fd, let base, let bounds):
            return Self(firstSeq: firstSeq, count: n, source: .page(fd: fd, base: base, bounds: bounds.prefix(n + 1)))
        }
    }

    func dropFirst(_ n: Int) -> Self {
        switch source {
        case .memory(let e, let range, let bytes):
            return Self(firstSeq: firstSeq + UInt64(n), count: count - n, source: .memory(e, range: (range.lowerBound + n)..<range.upperBound, bytes: bytes - bytes * n / count))
        case .page(let fd, let base, let bounds):
            return Self(firstSeq: firstSeq + UInt64(n), count: count - n, source: .page(fd: fd, base: base, bounds: bounds.dropFirst(n)))
        }
    }
}
