import CCurl

/// A request that got no HTTP response. (A response with an error status is not an error:
/// classify it with `HTTPRetryPolicy`.) Its description names the redacted URL and curl's
/// message and never contains a credential.
public struct HTTPClientError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case connectionRefused = "connection refused"
        case dns = "host name not resolved"
        case timeout = "timed out"
        case tls = "TLS failure"
        case send = "send failed"
        case receive = "receive failed"
        case proxy = "proxy failure"
        case cancelled = "cancelled"
        case invalidRequest = "invalid request"
        case other = "failed"
    }

    public var kind: Kind
    /// Method and redacted URL of the request.
    public var request: String
    /// curl's message (already scrubbed of secrets), or ours.
    public var message: String
    /// The CURLcode, when curl reported the failure.
    public var curlCode: Int?

    public init(kind: Kind, request: String, message: String, curlCode: Int? = nil) {
        self.kind = kind
        self.request = request
        self.message = message
        self.curlCode = curlCode
    }

    /// Whether sending the same request again can succeed: connection failures and timeouts
    /// can; TLS failures (e.g. an unverifiable certificate), bad requests and cancellation cannot.
    public var isRetriable: Bool {
        switch kind {
        case .connectionRefused, .dns, .timeout, .send, .receive, .proxy: true
        case .tls, .cancelled, .invalidRequest, .other: false
        }
    }

    public var description: String {
        var s = "HTTP \(request) \(kind.rawValue)"
        if !message.isEmpty { s += ": \(message)" }
        if let curlCode { s += " (curl \(curlCode))" }
        return s
    }

    static func cancelled(_ request: String) -> HTTPClientError {
        HTTPClientError(kind: .cancelled, request: request, message: "")
    }

    static func kind(of code: CURLcode, viaProxy: Bool, message: String) -> Kind {
        // With TLS 1.3 a server rejects a client certificate after the handshake, so curl
        // reports it as a failed read; the TLS alert in the message says what it is.
        if code == CURLE_RECV_ERROR || code == CURLE_SEND_ERROR,
           message.contains("SSL routines"), message.contains(" alert ") {
            return .tls
        }
        return switch code {
        case CURLE_COULDNT_CONNECT: viaProxy ? .proxy : .connectionRefused
        case CURLE_COULDNT_RESOLVE_HOST: .dns
        case CURLE_COULDNT_RESOLVE_PROXY, CURLE_PROXY: .proxy
        case CURLE_OPERATION_TIMEDOUT: .timeout
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM,
             CURLE_SSL_CIPHER, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CRL_BADFILE, CURLE_SSL_ISSUER_ERROR,
             CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_ENGINE_NOTFOUND,
             CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_ENGINE_INITFAILED, CURLE_SSL_SHUTDOWN_FAILED,
             CURLE_USE_SSL_FAILED, CURLE_SSL_CLIENTCERT:
            .tls
        case CURLE_SEND_ERROR, CURLE_SEND_FAIL_REWIND: .send
        case CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE, CURLE_HTTP2, CURLE_HTTP2_STREAM,
             CURLE_HTTP3, CURLE_BAD_CONTENT_ENCODING:
            .receive
        case CURLE_ABORTED_BY_CALLBACK: .cancelled
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL, CURLE_BAD_FUNCTION_ARGUMENT: .invalidRequest
        default: .other
        }
    }
}
