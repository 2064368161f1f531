import Synchronization

/// Capped exponential backoff with jitter: each delay doubles up to `max`, plus up to a
/// quarter more at random, so that many plugins failing together do not retry in lockstep.
public struct Backoff: Sendable {
    public let initial: Duration
    public let max: Duration
    private var current: Duration

    public init(initial: Duration, max: Duration) {
        self.initial = initial
        self.max = max
        current = initial
    }

    public mutating func next() -> Duration {
        defer { current = Swift.min(current * 2, max) }
        let jitter = current * Double.random(in: 0..<0.25)
        return Swift.min(current + jitter, max)
    }

    public mutating func reset() { current = initial }
}

/// Logs retries without flooding the log: per plugin, at most one warning every `interval`
/// (the others at debug level, counted in the next warning). It also remembers which
/// plugins are retrying, for the shutdown-timeout message.
public final class RetryLog: Sendable {
    private struct Entry {
        var lastWarning: ContinuousClock.Instant?
        var suppressed = 0
        var attempts = 0
        var lastError = ""
    }
    private let entries = Mutex<[String: Entry]>([:])
    private let interval: Duration
    private let logger: Logger

    public init(logger: Logger, interval: Duration = .seconds(10)) {
        self.logger = logger
        self.interval = interval
    }

    /// Records a failed attempt of `what` (e.g. `output http_1`) that will be retried after `delay`.
    public func failed(_ what: String, attempt: Int, error: any Error, retryIn delay: Duration) {
        let now = ContinuousClock.now
        let message = "\(error)"
        let suppressed: Int? = entries.withLock { all in
            var e = all[what] ?? Entry()
            e.attempts = attempt
            e.lastError = message
            defer { all[what] = e }
            if let last = e.lastWarning, now - last < interval {
                e.suppressed += 1
                return nil
            }
            e.lastWarning = now
            defer { e.suppressed = 0 }
            return e.suppressed
        }
        let line = "\(what): attempt \(attempt) failed: \(message); retrying in \(Self.format(delay))"
        if let suppressed {
            let more = suppressed > 0 ? " (\(suppressed) more failed attempts since the last message)" : ""
            logger.warning("\(line)\(more)")
        } else {
            logger.debug("\(line)")
        }
    }

    /// `what` succeeded: it is no longer retrying.
    public func succeeded(_ what: String) {
        _ = entries.withLock { $0.removeValue(forKey: what) }
    }

    /// The plugins retrying right now, with their attempt count and last error.
    public var retrying: [(what: String, attempts: Int, lastError: String)] {
        entries.withLock { all in all.map { ($0.key, $0.value.attempts, $0.value.lastError) } }.sorted { $0.what < $1.what }
    }

    static func format(_ d: Duration) -> String {
        let ms = d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000
        return ms < 1000 ? "\(ms) ms" : "\(Double(ms / 100) / 10) s"
    }
}
