import SluiceCore

/// Decides what a response status or a client error means for delivery.
public struct HTTPRetryPolicy: Sendable {
    public enum Decision: Sendable, Equatable {
        case success
        /// Transient: send again after a backoff (honour `retryAfter` when given).
        case retry
        /// Sending the same request again cannot help.
        case permanentFailure
    }

    /// Statuses worth retrying (Logstash http output `retryable_codes`).
    public var retryableStatuses: Set<Int>

    public static let defaultRetryableStatuses: Set<Int> = [429, 500, 502, 503, 504]

    public init(retryableStatuses: Set<Int> = HTTPRetryPolicy.defaultRetryableStatuses) {
        self.retryableStatuses = retryableStatuses
    }

    public func classify(status: Int) -> Decision {
        if (200..<300).contains(status) { return .success }
        return retryableStatuses.contains(status) ? .retry : .permanentFailure
    }

    public func classify(_ response: HTTPResponse) -> Decision { classify(status: response.status) }

    /// `HTTPClientError`s that can succeed on a second try (connection failures, timeouts) retry;
    /// anything else is permanent.
    public func classify(error: any Error) -> Decision {
        if let e = error as? HTTPClientError, e.isRetriable { return .retry }
        return .permanentFailure
    }

    /// The wait a `Retry-After` header asks for: delay-seconds or an HTTP-date
    /// (RFC 9110 §10.2.3), relative to `now` (seconds since 1970). Nil when absent or unreadable.
    public static func retryAfter(_ value: String?, now: Double) -> Duration? {
        guard let raw = value?.trimmingSpaces, !raw.isEmpty else { return nil }
        if let seconds = Int(raw) { return seconds >= 0 ? .seconds(seconds) : nil }
        guard let date = HTTPDate.parse(raw) else { return nil }
        return .seconds(max(0, date - now.rounded(.down)))
    }

    /// `retryAfter(_:now:)` of the response's `Retry-After` header; `now` defaults to the
    /// current time.
    public static func retryAfter(_ response: HTTPResponse, now: Double? = nil) -> Duration? {
        retryAfter(response.headers["Retry-After"], now: now ?? Double(Timestamp.now().epochSeconds))
    }
}

/// The IMF-fixdate form of an HTTP-date, "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110 §5.6.7),
/// the only form servers may send.
enum HTTPDate {
    static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    /// Seconds since 1970, or nil.
    static func parse(_ s: String) -> Double? {
        let parts = s.split(separator: " ")
        guard parts.count == 6, parts[5] == "GMT",
              let day = Int(parts[1]), let monthIndex = months.firstIndex(of: parts[2].lowercased()),
              let year = Int(parts[3]) else { return nil }
        let hms = parts[4].split(separator: ":").compactMap { Int($0) }
        guard hms.count == 3, (1...31).contains(day), (0..<24).contains(hms[0]), (0..<60).contains(hms[1]),
              (0...60).contains(hms[2]) else { return nil }
        let days = daysFromCivil(year: year, month: monthIndex + 1, day: day)
        return Double(days * 86400 + hms[0] * 3600 + hms[1] * 60 + hms[2])
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " || s.first == "\t" { s.removeFirst() }
        while s.last == " " || s.last == "\t" || s.last == "\r\n" || s.last == "\r" || s.last == "\n" { s.removeLast() }
        return String(s)
    }
}
