import SluiceCore
import SluiceHTTP

/// The reader: connects, cuts the stream into lines, hands them to the buffer, and
/// reconnects by `TwitterReconnect` until the input stops. It never waits for the pipeline.
struct TwitterConnectionLoop: Sendable {
    let input: TwitterInput
    let http: HTTPClient
    let buffer: TweetBuffer
    /// A line longer than this is not a tweet: the stream is broken, reconnect.
    static let maxLine = 16 << 20

    private var logger: Logger { input.logger }

    func run() async {
        var policy = input.reconnect
        var dropped = DropReport()
        var attempts = 0
        // When bytes (a tweet or a keep-alive) last arrived: the stream was sound until then.
        var lastAlive: ContinuousClock.Instant? = nil
        while !input.stopped.load(ordering: .acquiring), !Task.isCancelled {
            let backfill = backfillMinutes(since: lastAlive)
            guard let request = input.streamRequest(backfillMinutes: backfill) else { return }
            attempts += 1
            let failure: TwitterReconnect.Failure
            var announcedWait: Duration? = nil
            var established: ContinuousClock.Instant? = nil
            do {
                let response = try await http.stream(request)
                if response.status == 200 {
                    let start = ContinuousClock.now
                    established = start
                    policy.connected()
                    logger.info("twitter: connected to \(request.description)\(attempts > 1 ? " (attempt \(attempts))" : "")")
                    attempts = 0
                    try await read(response, &dropped, &lastAlive)
                    if Task.isCancelled || input.stopped.load(ordering: .acquiring) { break }
                    logger.warning("twitter: the server ended the stream; reconnecting")
                    failure = .disconnected(lasted: ContinuousClock.now - start)
                } else {
                    failure = try await refused(response, &announcedWait)
                }
            } catch let e as HTTPClientError {
                if e.kind == .cancelled || input.stopped.load(ordering: .acquiring) { break }
                if let established {
                    logger.warning("twitter: stream lost: \(e.kind == .timeout ? "stalled, nothing received for \(input.readTimeout)" : "\(e)"); reconnecting")
                    failure = .disconnected(lasted: ContinuousClock.now - established)
                } else {
                    failure = .network
                    logger.warning("twitter: cannot connect: \(e)")
                }
            } catch {
                if Task.isCancelled || input.stopped.load(ordering: .acquiring) { break }
                // Not expected; never let it end the input quietly.
                logger.warning("twitter: stream failed: \(error); reconnecting")
                failure = established.map { .disconnected(lasted: ContinuousClock.now - $0) } ?? .network
            }
            dropped.flush(logger, bufferSize: buffer.capacity)
            let delay = policy.delay(after: failure, rateLimitReset: announcedWait)
            if delay > .zero {
                logger.info("twitter: reconnecting in \(delay)")
                do { try await Task.sleep(for: delay) } catch { break }
            }
        }
        dropped.flush(logger, bufferSize: buffer.capacity)
    }

    /// Minutes of backfill to ask for now: none at the first connection or without
    /// `backfill_minutes`, else enough to cover the time since the stream was last known
    /// sound, at most `backfill_minutes` (with a warning when the gap is longer).
    private func backfillMinutes(since lastAlive: ContinuousClock.Instant?) -> Int {
        guard input.backfillMinutes > 0, let lastAlive else { return 0 }
        let gap = ContinuousClock.now - lastAlive
        let needed = Int((gap / .seconds(60)).rounded(.up))
        if needed > input.backfillMinutes {
            logger.warning("twitter: the stream was down for \(gap): tweets older than \(input.backfillMinutes) minutes (`backfill_minutes`, at most 5) cannot be asked for again")
        }
        return min(input.backfillMinutes, max(1, needed))
    }

    /// Reads lines until the stream ends (returns) or fails (throws `HTTPClientError`).
    private func read(_ response: HTTPStreamingResponse, _ dropped: inout DropReport,
                      _ lastAlive: inout ContinuousClock.Instant?) async throws {
        var framer = LineFramer(delimiter: [10])
        for try await chunk in response.body {
            if input.stopped.load(ordering: .acquiring) {
                response.cancel()
                return
            }
            lastAlive = .now
            let region = chunk.withUnsafeBytes { framer.completeLines(appending: $0) }
            region.withUnsafeBufferPointer { buf in
                framer.forEachLine(in: buf, includingFinal: false) { range, _ in
                    var end = range.upperBound
                    if end > range.lowerBound, buf[end - 1] == 13 { end -= 1 }
                    guard end > range.lowerBound else { return }  // keep-alive
                    let line = Array(buf[range.lowerBound..<end])
                    if !buffer.push(line) { dropped.add(line) }
                }
            }
            if framer.pending.count > Self.maxLine {
                response.cancel()
                throw HTTPClientError(kind: .receive, request: "twitter stream", message: "a line of more than \(Self.maxLine) bytes: not a stream of tweets")
            }
            dropped.flushIfDue(logger, bufferSize: buffer.capacity)
        }
    }

    /// Logs why a connection was refused and says which backoff applies.
    private func refused(_ response: HTTPStreamingResponse, _ wait: inout Duration?) async throws -> TwitterReconnect.Failure {
        var body: [UInt8] = []
        do {
            for try await chunk in response.body {
                body += chunk
                if body.count >= 4096 { break }
            }
        } catch {}
        response.cancel()
        let detail = TwitterStreamV2.problem(body) ?? String(decoding: body.prefix(300), as: UTF8.self)
        let status = response.status
        switch status {
        case 420, 429:
            if let reset = response.headers["x-rate-limit-reset"].flatMap({ Int64($0) }) {
                let left = reset - Timestamp.now().epochSeconds
                if left > 0 { wait = .seconds(left) }
            }
            logger.warning("twitter: rate limited (HTTP \(status)) \(detail)")
            return .rateLimited
        case 401:
            logger.error("twitter: credentials refused (HTTP 401) \(detail): check \(input.api == .v2 ? "`bearer_token`" : "the OAuth credentials and the clock")")
        case 403 where input.api == .v11:
            logger.error("twitter: HTTP 403 \(detail): Twitter shut the v1.1 streams down in 2023; use `bearer_token` (v2)")
        case 409 where input.api == .v2:
            logger.error("twitter: HTTP 409 \(detail): the stream has no rules; syncing them again")
            // Restored: try again shortly (a linear, short backoff in case it keeps happening).
            if await input.resyncRules(http) { return .network }
        default:
            logger.error("twitter: stream refused: HTTP \(status) \(detail)")
        }
        return .http
    }
}

/// Tweets the buffer had no room for: counted and logged with their ids, at most one
/// warning every 10 s.
struct DropReport {
    var count = 0
    var bytes = 0
    var ids: [String] = []
    var lastWarning: ContinuousClock.Instant? = nil

    mutating func add(_ line: [UInt8]) {
        count += 1
        bytes += line.count
        if ids.count < 20, let id = Self.tweetId(line) { ids.append(id) }
    }

    mutating func flushIfDue(_ logger: Logger, bufferSize: Int) {
        guard count > 0 else { return }
        if let last = lastWarning, ContinuousClock.now - last < .seconds(10) { return }
        flush(logger, bufferSize: bufferSize)
    }

    mutating func flush(_ logger: Logger, bufferSize: Int) {
        guard count > 0 else { return }
        let more = count > ids.count ? " and \(count - ids.count) more" : ""
        logger.warning("twitter: dropped \(count) tweets (\(bytes) bytes): the pipeline is slower than the stream and the \(bufferSize)-byte buffer is full (`buffer_size`); ids: \(ids.joined(separator: ", "))\(more)")
        lastWarning = .now
        count = 0
        bytes = 0
        ids = []
    }

    /// The first `"id":"…"` or `"id_str":"…"` of a line (the tweet's own: it comes first in
    /// both APIs' objects), without parsing the whole line.
    static func tweetId(_ line: [UInt8]) -> String? {
        for key in [Array(#""id":""#.utf8), Array(#""id_str":""#.utf8)] {
            guard let start = line.firstRange(of: key)?.upperBound else { continue }
            let digits = line[start...].prefix { $0 >= 48 && $0 <= 57 }
            if !digits.isEmpty { return String(decoding: digits, as: UTF8.self) }
        }
        return nil
    }
}
