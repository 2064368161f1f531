/// A complete response with its body buffered.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// The URL of the last request (after redirects, when followed), with any password removed.
    public var effectiveURL: String
    /// How many new connections this request opened (0 when it reused a kept-alive one).
    public var connectionsOpened: Int

    public init(status: Int, headers: HTTPHeaders, body: [UInt8], effectiveURL: String, connectionsOpened: Int = 0) {
        self.status = status
        self.headers = headers
        self.body = body
        self.effectiveURL = effectiveURL
        self.connectionsOpened = connectionsOpened
    }

    /// `Location` of a 3xx, for callers that follow redirects themselves.
    public var location: String? { (300..<400).contains(status) ? headers["Location"] : nil }

    /// The body as UTF-8 text (invalid sequences repaired).
    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// A response whose body arrives as it is received: for long-lived streams.
/// `cancel()`, or dropping every copy of `body`, aborts the transfer.
public struct HTTPStreamingResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var effectiveURL: String
    /// Body chunks as they arrive; finishes at the end of the body, throws `HTTPClientError`
    /// if the transfer fails. Unbounded: a slow consumer never stalls the socket.
    public var body: AsyncThrowingStream<[UInt8], any Error>
    let onCancel: @Sendable () -> Void

    /// Aborts the transfer; `body` then throws a `.cancelled` error. No-op once it ended.
    public func cancel() { onCancel() }
}
