import CCurl
import SluiceTesting
import Testing
@testable import SluiceHTTP

@Suite struct RedactionAndPolicyTests {
    @Test(arguments: [
        ("https://user:secret@host:9200/path?q=1", "https://user:***@host:9200/path?q=1"),
        ("https://token123@github.com/x", "https://***@github.com/x"),
        ("http://host/a?api_key=abc&x=1&access_token=def#frag", "http://host/a?api_key=***&x=1&access_token=***#frag"),
        ("http://host/a?keyword=k", "http://host/a?keyword=k"),
        ("http://host", "http://host"),
        ("http://u:p%40ss@h/", "http://u:***@h/"),
        ("not a url", "not a url"),
        // Without userinfo or secret parameters the URL comes back as it is (the fast path).
        ("http://nn:9870/webhdfs/v1/a/b.log?op=APPEND&user.name=bench&namenoderpcaddress=x#f",
         "http://nn:9870/webhdfs/v1/a/b.log?op=APPEND&user.name=bench&namenoderpcaddress=x#f"),
        ("http://host/a?Token=abc&op=x", "http://host/a?Token=***&op=x"),
        ("http://host/a?op&sig=s", "http://host/a?op&sig=***"),
    ])
    func urls(input: String, expected: String) {
        #expect(Redaction.url(input) == expected)
    }

    @Test func headers() {
        let h: HTTPHeaders = ["Authorization": "Basic xyz", "cookie": "c=1", "X-Api-Key": "k", "api-key": "k2",
                              "Content-Type": "text/plain", "X-Mine": "m"]
        let s = Redaction.headers(h, extraSecrets: ["x-mine"])
        #expect(s == "Authorization: <redacted>, cookie: <redacted>, X-Api-Key: <redacted>, api-key: <redacted>, "
                + "Content-Type: text/plain, X-Mine: <redacted>")
        #expect(Redaction.urlSecrets("http://u:p%40ss@h/") == ["p%40ss", "p@ss"])
        #expect(Redaction.scrub("failed for p@ss and p%40ss", secrets: ["p%40ss", "p@ss"]) == "failed for *** and ***")
    }

    @Test func headerLookupIgnoresCaseAndKeepsAllValues() {
        var h = HTTPHeaders([("Set-Cookie", "a=1"), ("set-cookie", "b=2"), ("Location", "/x")])
        #expect(h["SET-COOKIE"] == "a=1")
        #expect(h.values(for: "Set-Cookie") == ["a=1", "b=2"])
        h.replaceOrAdd(name: "SET-cookie", value: "c=3")
        #expect(h.values(for: "set-cookie") == ["c=3"])
        #expect(h["location"] == "/x")
    }

    @Test func statusClassification() {
        let p = HTTPRetryPolicy()
        #expect([200, 201, 204].allSatisfy { p.classify(status: $0) == .success })
        #expect([429, 500, 502, 503, 504].allSatisfy { p.classify(status: $0) == .retry })
        #expect([301, 400, 401, 403, 404, 413, 501].allSatisfy { p.classify(status: $0) == .permanentFailure })
        #expect(p.classify(error: HTTPClientError(kind: .tls, request: "GET x", message: "")) == .permanentFailure)
        #expect(p.classify(error: HTTPClientError(kind: .timeout, request: "GET x", message: "")) == .retry)
    }

    @Test func curlCodesMapToKinds() {
        let alert = "OpenSSL SSL_read: error:0A00045C:SSL routines::tlsv13 alert certificate required, errno 0"
        #expect(HTTPClientError.kind(of: CURLE_RECV_ERROR, viaProxy: false, message: alert) == .tls)
        #expect(HTTPClientError.kind(of: CURLE_RECV_ERROR, viaProxy: false, message: "Connection reset by peer") == .receive)
        #expect(HTTPClientError.kind(of: CURLE_COULDNT_CONNECT, viaProxy: false, message: "") == .connectionRefused)
        #expect(HTTPClientError.kind(of: CURLE_COULDNT_CONNECT, viaProxy: true, message: "") == .proxy)
        #expect(HTTPClientError.kind(of: CURLE_COULDNT_RESOLVE_HOST, viaProxy: false, message: "") == .dns)
        #expect(HTTPClientError.kind(of: CURLE_PEER_FAILED_VERIFICATION, viaProxy: false, message: "") == .tls)
        #expect(HTTPClientError.kind(of: CURLE_OPERATION_TIMEDOUT, viaProxy: false, message: "") == .timeout)
        #expect(HTTPClientError.kind(of: CURLE_TOO_MANY_REDIRECTS, viaProxy: false, message: "") == .other)
    }

    @Test func retryAfter() {
        #expect(HTTPRetryPolicy.retryAfter("120", now: 0) == .seconds(120))
        #expect(HTTPRetryPolicy.retryAfter(" 5 ", now: 0) == .seconds(5))
        // 784111777 = Sun, 06 Nov 1994 08:49:37 GMT (RFC 9110's example).
        #expect(HTTPRetryPolicy.retryAfter("Sun, 06 Nov 1994 08:49:37 GMT", now: 784_111_770) == .seconds(7))
        #expect(HTTPRetryPolicy.retryAfter("Sun, 06 Nov 1994 08:49:37 GMT", now: 784_111_800) == .zero)
        #expect(HTTPRetryPolicy.retryAfter("soon", now: 0) == nil)
        #expect(HTTPRetryPolicy.retryAfter(nil, now: 0) == nil)
        #expect(HTTPRetryPolicy.retryAfter("-3", now: 0) == nil)
    }

    @Test func basicAuthEncoding() {
        #expect(Base64.encode(Array("Aladdin:open sesame".utf8)) == "QWxhZGRpbjpvcGVuIHNlc2FtZQ==")
        #expect(Base64.encode(Array("ab".utf8)) == "YWI=")
        #expect(Base64.encode([]) == "")
    }

    @Test func missingServiceSaysHowToStartIt() {
        let error = #expect(throws: TestServices.NotRunning.self) { try TestServices.url("no_such_service") }
        #expect(error?.description.contains("test service no_such_service is not running: start it with `scripts/services.sh start`") == true)
    }
}
