import CCurl
import Logging
import SluiceCore

/// The HTTP client of every HTTP-speaking plugin: libcurl's multi interface on one thread
/// of its own, keep-alive connections shared by all requests, TLS verified by default.
///
/// ```swift
/// let client = try HTTPClient(configuration: .init(maxConnections: 8), logger: logger)
/// let response = try await client.execute(HTTPRequest(method: .post, url: url, body: bytes))
/// switch HTTPRetryPolicy().classify(response) { ... }
/// client.shutdown()
/// ```
///
/// A response with any status is returned; only a request that got no response throws
/// (`HTTPClientError`). Logs and errors never contain credentials.
public final class HTTPClient: Sendable {
    public let configuration: HTTPClientConfiguration
    private let logger: Logger
    private let multi: CurlMulti
    /// Several CA files, concatenated (curl takes one file or one in-memory bundle).
    private let caBundle: [UInt8]?

    /// Starts the client's thread. Throws if a configured CA file cannot be read.
    public init(configuration: HTTPClientConfiguration = HTTPClientConfiguration(), logger: Logger) throws(HTTPClientError) {
        self.configuration = configuration
        self.logger = logger
        let cas = configuration.tls.certificateAuthorities
        var bundle: [UInt8] = []
        for file in cas {
            guard let bytes = FileIO.readFile(file) else {
                throw HTTPClientError(kind: .tls, request: "-", message: "cannot read CA file \(file)")
            }
            if cas.count > 1 { bundle += bytes + [UInt8(ascii: "\n")] }
        }
        caBundle = cas.count > 1 ? bundle : nil
        multi = try CurlMulti(maxConnections: configuration.maxConnections,
                              maxConnectionsPerHost: configuration.maxConnectionsPerHost)
        if configuration.tls.verificationMode == .none {
            logger.warning("TLS certificate verification is disabled: connections can be intercepted")
        }
    }

    deinit {
        multi.shutdown()
    }

    /// Sends `request` and returns the response with its whole body. Cancelling the calling
    /// task aborts the transfer (throwing a `.cancelled` error).
    public func execute(_ request: HTTPRequest) async throws -> HTTPResponse {
        let transfer = try makeTransfer(request, defaultTimeout: configuration.requestTimeout)
        let multi = self.multi
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<HTTPResponse, any Error>) in
                transfer.waiter = .buffered(c)
                do { try multi.add(transfer) } catch { c.resume(throwing: error) }
            }
        } onCancel: {
            multi.cancel(transfer)
        }
    }

    /// Sends `request` and returns as soon as the response head arrived; the body follows as
    /// an async stream of chunks (see `HTTPStreamingResponse`). Without a `timeout` in the request there is no total time
    /// limit (use `stallTimeout` to detect a dead stream). Ending the body's iteration, or
    /// cancelling the task, aborts the transfer.
    public func stream(_ request: HTTPRequest) async throws -> HTTPStreamingResponse {
        let transfer = try makeTransfer(request, defaultTimeout: .zero)
        let multi = self.multi
        let (stream, body) = AsyncThrowingStream<[UInt8], any Error>.makeStream(bufferingPolicy: .unbounded)
        body.onTermination = { reason in
            if case .cancelled = reason { multi.cancel(transfer) }
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<HTTPStreamingResponse, any Error>) in
                transfer.waiter = .streaming(head: c, cancel: { multi.cancel(transfer) }, body: body, stream: stream)
                do { try multi.add(transfer) } catch { transfer.waiter = .none; c.resume(throwing: error) }
            }
        } onCancel: {
            multi.cancel(transfer)
        }
    }

    /// Fails every request in flight with a `.cancelled` error and stops the client's thread.
    /// Later requests fail at once. Idempotent.
    public func shutdown() {
        multi.shutdown()
    }

    private func makeTransfer(_ request: HTTPRequest, defaultTimeout: Duration) throws(HTTPClientError) -> Transfer {
        let config = configuration
        var headers = request.headers
        var body = request.body
        if let raw = body, request.compressBody ?? config.compressRequestBody {
            var gz: [UInt8] = []
            do {
                try Gzip.appendMember(raw, to: &gz)
            } catch {
                throw HTTPClientError(kind: .other, request: request.description, message: "gzip: \(error)")
            }
            body = gz
            headers.replaceOrAdd(name: "Content-Encoding", value: "gzip")
        }
        var secrets: [String] = []
        if let proxy = config.proxy { secrets += Redaction.urlSecrets(proxy) }
        if let password = config.tls.clientKeyPassword { secrets.append(password) }
        let options = Transfer.Options(
            connectTimeout: request.connectTimeout ?? config.connectTimeout,
            timeout: request.timeout ?? defaultTimeout,
            stallTimeout: request.stallTimeout,
            followRedirects: request.followRedirects ?? config.followRedirects,
            maxRedirects: config.maxRedirects, tls: config.tls, caBundle: caBundle, proxy: config.proxy,
            userAgent: config.userAgent,
            secretHeaders: config.secretHeaders + (request.auth.flatMap { if case .header(let n, _) = $0 { [n] } else { nil } } ?? []),
            secrets: secrets)
        if logger.logLevel <= .trace {
            logger.trace("HTTP request", metadata: [
                "request": "\(request)",
                "headers": "\(Redaction.headers(loggedHeaders(headers, request.auth), extraSecrets: options.secretHeaders))",
                "bytes": "\(body?.count ?? 0)",
            ])
        }
        return try Transfer(request: request, body: body, headers: headers, options: options, logger: logger)
    }

    private func loggedHeaders(_ headers: HTTPHeaders, _ auth: HTTPAuth?) -> HTTPHeaders {
        guard let auth else { return headers }
        var h = headers
        h.add(name: auth.headerField.name, value: auth.headerField.value)
        return h
    }
}
