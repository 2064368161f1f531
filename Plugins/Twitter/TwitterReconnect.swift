/// Twitter's documented reconnect rules for its streams ("Connecting to a streaming
/// endpoint", "Handling disconnections"):
/// - an established connection that drops is reconnected at once;
/// - a TCP/IP-level failure (refused, reset, stalled) backs off linearly, +250 ms per
///   attempt up to 16 s;
/// - an HTTP error backs off exponentially from 5 s, doubling up to 320 s;
/// - a 420 or 429 (rate limited) backs off exponentially from 60 s, doubling up to
///   `rateLimitMax` (Logstash's `rate_limit_reset_in`), and never for less than the
///   `x-rate-limit-reset` the server announced.
/// A successful connection resets every counter.
public struct TwitterReconnect: Sendable {
    public enum Failure: Sendable, Equatable {
        /// The stream was established, was up for `lasted`, then ended (closed by the server,
        /// stalled, reset).
        case disconnected(lasted: Duration)
        /// No HTTP response: connection refused, DNS, TLS handshake, timeout while connecting.
        case network
        /// An HTTP error status other than 420/429.
        case http
        /// 420 Enhance Your Calm or 429 Too Many Requests.
        case rateLimited
    }

    public let networkStep: Duration
    public let networkMax: Duration
    public let httpInitial: Duration
    public let httpMax: Duration
    public let rateLimitInitial: Duration
    public let rateLimitMax: Duration
    private var networkAttempts = 0
    private var httpAttempts = 0
    private var rateLimitAttempts = 0

    public init(networkStep: Duration = .milliseconds(250), networkMax: Duration = .seconds(16),
                httpInitial: Duration = .seconds(5), httpMax: Duration = .seconds(320),
                rateLimitInitial: Duration = .seconds(60), rateLimitMax: Duration = .seconds(960)) {
        self.networkStep = networkStep
        self.networkMax = networkMax
        self.httpInitial = httpInitial
        self.httpMax = httpMax
        self.rateLimitInitial = rateLimitInitial
        self.rateLimitMax = max(rateLimitMax, rateLimitInitial)
    }

    /// A stream was established: the next failure starts its backoff from the beginning.
    public mutating func connected() {
        networkAttempts = 0
        httpAttempts = 0
        rateLimitAttempts = 0
    }

    /// How long to wait before the next connection attempt after `failure`. `rateLimitReset`
    /// is the wait the server announced (`x-rate-limit-reset`), if any.
    public mutating func delay(after failure: Failure, rateLimitReset: Duration? = nil) -> Duration {
        switch failure {
        case .disconnected(let lasted):
            // At once; but a stream that drops within a second of being established is
            // treated as a network failure, so a server that accepts and closes at once is
            // not hammered in a loop.
            return lasted >= .seconds(1) ? .zero : delay(after: .network)
        case .network:
            networkAttempts += 1
            return min(networkStep * networkAttempts, networkMax)
        case .http:
            httpAttempts += 1
            return Self.doubled(httpInitial, times: httpAttempts - 1, max: httpMax)
        case .rateLimited:
            rateLimitAttempts += 1
            let backoff = Self.doubled(rateLimitInitial, times: rateLimitAttempts - 1, max: rateLimitMax)
            guard let reset = rateLimitReset else { return backoff }
            return max(backoff, min(reset, rateLimitMax))
        }
    }

    private static func doubled(_ initial: Duration, times: Int, max limit: Duration) -> Duration {
        var d = initial
        for _ in 0..<Swift.max(0, times) {
            d = d * 2
            if d >= limit { return limit }
        }
        return min(d, limit)
    }
}
