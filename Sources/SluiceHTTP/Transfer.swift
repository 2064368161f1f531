import CCurl
import Logging
import Synchronization

/// One request: its curl easy handle, the C memory curl reads during the transfer, the
/// response being received, and the continuation(s) waiting for it.
///
/// Set up on the caller's thread, then touched only by the `CurlMulti` thread until it
/// completes (the hand-over goes through the multi's lock); `cancelled` is the only state
/// other threads touch afterwards. Hence `@unchecked Sendable`.
final class Transfer: @unchecked Sendable {
    enum Waiter {
        case none
        case buffered(CheckedContinuation<HTTPResponse, any Error>)
        /// `stream` is held only until the head is delivered: once the caller drops it, its
        /// termination handler cancels the transfer.
        case streaming(head: CheckedContinuation<HTTPStreamingResponse, any Error>?, cancel: @Sendable () -> Void,
                       body: AsyncThrowingStream<[UInt8], any Error>.Continuation,
                       stream: AsyncThrowingStream<[UInt8], any Error>?)
    }

    let easy: UnsafeMutableRawPointer
    /// Method and redacted URL, for logs and errors.
    let label: String
    let cancelled = Atomic<Bool>(false)
    private let logger: Logger
    private let secrets: [String]
    private let viaProxy: Bool
    private let followsRedirects: Bool
    private let started = ContinuousClock.now

    private var headerList: UnsafeMutablePointer<curl_slist>?
    private let errorBuffer: UnsafeMutablePointer<CChar>
    /// The request body; curl reads it in place (CURLOPT_POSTFIELDS), including when a
    /// 307/308 redirect makes it send the body again.
    private var body: UnsafeMutableRawBufferPointer?

    var waiter = Waiter.none
    private var status = 0
    private var headers = HTTPHeaders()
    private var responseBody: [UInt8] = []
    private var headDelivered = false
    private var finished = false
    /// Stall detection (multi thread): bytes seen (headers and body received, body sent)
    /// and when that count last changed.
    private var stallLimit: Duration?
    private var received: Int64 = 0
    private var lastActivityBytes: Int64 = 0
    private var lastActivity = ContinuousClock.now
    private var stalled = false

    /// Builds the easy handle for `request`. `body` is already compressed if it should be.
    init(request: HTTPRequest, body requestBody: [UInt8]?, headers requestHeaders: HTTPHeaders,
         options: Options, logger: Logger) throws(HTTPClientError) {
        label = request.description
        self.logger = logger
        viaProxy = options.proxy != nil
        followsRedirects = options.followRedirects
        var secrets = Redaction.urlSecrets(request.url) + options.secrets
        if let auth = request.auth { secrets += auth.secrets }
        for h in requestHeaders where Redaction.isSecretHeader(h.name, extra: options.secretHeaders) {
            secrets.append(h.value)
        }
        self.secrets = secrets
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        guard let easy = curl_easy_init() else {
            errorBuffer.deallocate()
            throw HTTPClientError(kind: .other, request: request.description, message: "curl_easy_init failed")
        }
        self.easy = easy
        if let requestBody {
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(requestBody.count, 1), alignment: 1)
            buffer.copyBytes(from: requestBody)
            body = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<requestBody.count])
        }
        try configure(request: request, headers: requestHeaders, options: options)
    }

    deinit {
        curl_easy_cleanup(easy)
        curl_slist_free_all(headerList)
        errorBuffer.deallocate()
        body?.deallocate()
    }

    /// What the client contributes to every easy handle.
    struct Options {
        var connectTimeout: Duration
        var timeout: Duration
        var stallTimeout: Duration?
        var followRedirects: Bool
        var maxRedirects: Int
        var tls: HTTPTLSConfiguration
        var caBundle: [UInt8]?
        var proxy: String?
        var userAgent: String
        var secretHeaders: [String]
        /// Key password, proxy password: scrubbed from curl's messages.
        var secrets: [String]
    }

    private func configure(request: HTTPRequest, headers: HTTPHeaders, options: Options) throws(HTTPClientError) {
        var failed: CURLcode? = nil
        func check(_ rc: CURLcode) { if rc != CURLE_OK, failed == nil { failed = rc } }
        func set(_ o: CURLoption, _ v: Int) { check(sluice_curl_easy_setopt_long(easy, o, v)) }
        func set(_ o: CURLoption, _ v: String) { check(sluice_curl_easy_setopt_string(easy, o, v)) }

        let context = Unmanaged.passUnretained(self).toOpaque()
        set(CURLOPT_URL, request.url)
        set(CURLOPT_NOSIGNAL, 1)  // threads must not get SIGALRM from DNS timeouts
        set(CURLOPT_PROTOCOLS_STR, "http,https")
        set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https")
        check(sluice_curl_easy_setopt_pointer(easy, CURLOPT_ERRORBUFFER, errorBuffer))
        check(sluice_curl_easy_setopt_callback(easy, CURLOPT_WRITEFUNCTION, transferWriteCallback))
        check(sluice_curl_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, context))
        check(sluice_curl_easy_setopt_callback(easy, CURLOPT_HEADERFUNCTION, transferHeaderCallback))
        check(sluice_curl_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, context))
        set(CURLOPT_ACCEPT_ENCODING, "")  // every encoding curl can decode; bodies arrive decoded
        set(CURLOPT_TCP_KEEPALIVE, 1)
        set(CURLOPT_USERAGENT, options.userAgent)

        // Method and body. POSTFIELDS lets curl rewind the body by itself on 307/308.
        switch (request.method, body) {
        case (.get, nil): set(CURLOPT_HTTPGET, 1)
        case (.head, nil): set(CURLOPT_NOBODY, 1)
        case (let method, let body):
            if let body {
                check(sluice_curl_easy_setopt_off_t(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)))
                check(sluice_curl_easy_setopt_pointer(easy, CURLOPT_POSTFIELDS, body.baseAddress))
            } else if method == .post || method == .put || method == .patch {
                check(sluice_curl_easy_setopt_off_t(easy, CURLOPT_POSTFIELDSIZE_LARGE, 0))
                set(CURLOPT_COPYPOSTFIELDS, "")  // POSTFIELDS would keep a pointer to a temporary
            }
            if method != .post { set(CURLOPT_CUSTOMREQUEST, method.rawValue) }
        }

        // Headers. curl would otherwise add its own Content-Type to a body and an
        // `Expect: 100-continue` round trip to large ones; an empty value suppresses a header.
        var lines = headers.map { "\($0.name): \($0.value)" }
        if let auth = request.auth { let f = auth.headerField; lines.append("\(f.name): \(f.value)") }
        if body != nil, !headers.contains("Content-Type") { lines.append("Content-Type:") }
        lines.append("Expect:")
        for line in lines {
            guard let list = curl_slist_append(headerList, line) else {
                throw HTTPClientError(kind: .other, request: label, message: "out of memory building headers")
            }
            headerList = list
        }
        check(sluice_curl_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, headerList))

        set(CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(options.connectTimeout))
        set(CURLOPT_TIMEOUT_MS, Self.milliseconds(options.timeout))
        if let stall = options.stallTimeout {
            // Not CURLOPT_LOW_SPEED_*: that averages over seconds, so a healthy stream that
            // only sends a keep-alive newline every 20 s counts as "too slow" and is cut.
            // The progress callback runs at least once a second (the multi loop's poll) and
            // aborts only when no byte at all moved for `stall`.
            stallLimit = stall
            set(CURLOPT_NOPROGRESS, 0)
            check(sluice_curl_easy_setopt_xferinfo(easy, transferProgressCallback))
            check(sluice_curl_easy_setopt_pointer(easy, CURLOPT_XFERINFODATA, context))
        }
        set(CURLOPT_FOLLOWLOCATION, options.followRedirects ? 1 : 0)
        set(CURLOPT_MAXREDIRS, options.maxRedirects)

        let tls = options.tls
        set(CURLOPT_SSL_VERIFYPEER, tls.verificationMode == .full ? 1 : 0)
        set(CURLOPT_SSL_VERIFYHOST, tls.verificationMode == .full ? 2 : 0)
        if var bundle = options.caBundle {
            bundle.withUnsafeMutableBytes { raw in
                var blob = curl_blob(data: raw.baseAddress, len: raw.count, flags: UInt32(CURL_BLOB_COPY))
                check(sluice_curl_easy_setopt_blob(easy, CURLOPT_CAINFO_BLOB, &blob))
            }
        } else if let file = tls.certificateAuthorities.first {
            set(CURLOPT_CAINFO, file)
        }
        if let dir = tls.certificateAuthorityDirectory {
            set(CURLOPT_CAPATH, dir)
            if tls.certificateAuthorities.isEmpty { check(sluice_curl_easy_setopt_pointer(easy, CURLOPT_CAINFO, nil)) }
        } else if !tls.certificateAuthorities.isEmpty {
            // Configured CAs replace the system's: drop the built-in CA directory too.
            check(sluice_curl_easy_setopt_pointer(easy, CURLOPT_CAPATH, nil))
        }
        if let cert = tls.clientCertificate { set(CURLOPT_SSLCERT, cert) }
        if let key = tls.clientKey { set(CURLOPT_SSLKEY, key) }
        if let password = tls.clientKeyPassword { set(CURLOPT_KEYPASSWD, password) }
        set(CURLOPT_PROXY, options.proxy ?? "")  // "" = no proxy, environment variables ignored

        if let failed {
            throw HTTPClientError(kind: failed == CURLE_URL_MALFORMAT ? .invalidRequest : .other, request: label,
                                  message: "setting up the request: " + String(cString: curl_easy_strerror(failed)),
                                  curlCode: Int(failed.rawValue))
        }
    }

    static func milliseconds(_ d: Duration) -> Int {
        let c = d.components
        return Int(c.seconds) * 1000 + Int(c.attoseconds / 1_000_000_000_000_000)
    }

    // MARK: receiving (multi thread)

    /// Whether the transfer is stalled: nothing received or sent for `stallLimit`.
    func progress(sent: Int64) -> Bool {
        guard let limit = stallLimit else { return false }
        let now = ContinuousClock.now
        let bytes = received + sent
        if bytes != lastActivityBytes {
            lastActivityBytes = bytes
            lastActivity = now
            return false
        }
        if now - lastActivity >= limit { stalled = true }
        return stalled
    }

    func receiveHeaderLine(_ line: UnsafeRawBufferPointer) {
        received += Int64(line.count)
        var end = line.count
        while end > 0, line[end - 1] == 0x0A || line[end - 1] == 0x0D { end -= 1 }
        let text = Substring(String(decoding: UnsafeRawBufferPointer(rebasing: line[0..<end]), as: UTF8.self))
        if text.hasPrefix("HTTP/") {
            // A new response (after a 1xx, or a redirect being followed): start over.
            let parts = text.split(separator: " ", maxSplits: 2)
            status = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
            headers = HTTPHeaders()
            responseBody.removeAll(keepingCapacity: true)
        } else if text.isEmpty {
            if isFinalHead { deliverHead() }
        } else if let colon = text.firstIndex(of: ":") {
            headers.add(name: String(text[..<colon]), value: String(text[text.index(after: colon)...]).trimmingSpaces)
        }
    }

    /// A 1xx, or a 3xx curl is about to follow, is not the response the caller waits for.
    private var isFinalHead: Bool {
        if (100..<200).contains(status) { return false }
        if followsRedirects, (300..<400).contains(status), headers.contains("Location") { return false }
        return true
    }

    func receiveBody(_ chunk: UnsafeRawBufferPointer) {
        received += Int64(chunk.count)
        switch waiter {
        case .streaming(_, _, let body, _):
            if !headDelivered { deliverHead() }
            body.yield(Array(chunk))
        default:
            responseBody.append(contentsOf: chunk)
        }
    }

    private func deliverHead() {
        guard !headDelivered, case .streaming(let head, let cancel, let body, let stream?) = waiter else { return }
        headDelivered = true
        waiter = .streaming(head: nil, cancel: cancel, body: body, stream: nil)
        head?.resume(returning: HTTPStreamingResponse(status: status, headers: headers, effectiveURL: effectiveURL,
                                                      body: stream, onCancel: cancel))
    }

    private var effectiveURL: String {
        var p: UnsafeMutablePointer<CChar>? = nil
        guard sluice_curl_easy_getinfo_string(easy, CURLINFO_EFFECTIVE_URL, &p) == CURLE_OK, let p else { return "" }
        return Redaction.url(String(cString: p))
    }

    // MARK: completion (multi thread, once)

    func complete(_ code: CURLcode) {
        if code == CURLE_ABORTED_BY_CALLBACK, stalled, let limit = stallLimit {
            fail(HTTPClientError(kind: .timeout, request: label,
                                 message: "no data received for \(Self.milliseconds(limit)) ms (stalled)",
                                 curlCode: Int(code.rawValue)))
            return
        }
        guard code == CURLE_OK else {
            let message = errorBuffer.pointee != 0 ? String(cString: errorBuffer) : String(cString: curl_easy_strerror(code))
            fail(HTTPClientError(kind: HTTPClientError.kind(of: code, viaProxy: viaProxy, message: message), request: label,
                                 message: Redaction.scrub(message, secrets: secrets), curlCode: Int(code.rawValue)))
            return
        }
        var connects = 0
        _ = sluice_curl_easy_getinfo_long(easy, CURLINFO_NUM_CONNECTS, &connects)
        var code = 0
        if sluice_curl_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK, code != 0 { status = code }
        logger.trace("HTTP response", metadata: ["request": "\(label)", "status": "\(status)",
                                                 "bytes": "\(responseBody.count)", "new_connections": "\(connects)",
                                                 "ms": "\(Self.milliseconds(ContinuousClock.now - started))"])
        finished = true
        switch waiter {
        case .buffered(let c):
            c.resume(returning: HTTPResponse(status: status, headers: headers, body: responseBody,
                                             effectiveURL: effectiveURL, connectionsOpened: connects))
        case .streaming(_, _, let body, _):
            deliverHead()
            body.finish()
        case .none: break
        }
        waiter = .none
    }

    func fail(_ error: HTTPClientError) {
        guard !finished else { return }
        finished = true
        logger.debug("HTTP request failed", metadata: ["error": "\(error)"])
        switch waiter {
        case .buffered(let c): c.resume(throwing: error)
        case .streaming(let head, _, let body, _):
            if let head { head.resume(throwing: error) }
            body.finish(throwing: error)
        case .none: break
        }
        waiter = .none
    }
}

private func transferWriteCallback(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int,
                                   _ context: UnsafeMutableRawPointer?) -> Int {
    guard let context else { return 0 }
    let n = size * count
    Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue().receiveBody(UnsafeRawBufferPointer(start: data, count: n))
    return n
}

private func transferProgressCallback(_ context: UnsafeMutableRawPointer?, _ downloadTotal: curl_off_t,
                                      _ downloaded: curl_off_t, _ uploadTotal: curl_off_t, _ uploaded: curl_off_t) -> Int32 {
    guard let context else { return 0 }
    return Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue().progress(sent: Int64(uploaded)) ? 1 : 0
}

private func transferHeaderCallback(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int,
                                    _ context: UnsafeMutableRawPointer?) -> Int {
    guard let context else { return 0 }
    let n = size * count
    Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue().receiveHeaderLine(UnsafeRawBufferPointer(start: data, count: n))
    return n
}
