import Foundation
import SluiceCore
import SluiceHTTP
import Synchronization

/// OAuth access tokens for a service account: a signed JWT exchanged at the key's token URI
/// (grant type `urn:ietf:params:oauth:grant-type:jwt-bearer`), kept and refreshed *before* it
/// expires — at 80% of its lifetime, and at the latest 5 minutes before — so no request waits
/// for a 401 to learn the token is gone (vector #10828 and #18432, fluent-bit #7361 lost data
/// hourly that way). Concurrent callers share one refresh. Tokens are remembered as secrets,
/// so a log line that would show one is masked.
final class ServiceAccountTokens: GoogleTokenSource {
    private struct Token {
        let header: String
        /// From here on a caller refreshes (sharing one fetch), still using the token if that fails.
        let refreshAt: ContinuousClock.Instant
        /// Past this the token is not used any more.
        let expiresAt: ContinuousClock.Instant
    }

    private struct State {
        var token: Token?
        var refreshing: Task<Token, any Error>?
    }

    let key: ServiceAccountKey
    let scope: String
    private let http: HTTPClient
    private let logger: Logger
    private let state = Mutex(State())

    init(key: ServiceAccountKey, scope: String, http: HTTPClient, logger: Logger) {
        self.key = key
        self.scope = scope
        self.http = http
        self.logger = logger
    }

    deinit {
        http.shutdown()
    }

    func authorization() async throws -> String? {
        let now = ContinuousClock.now
        let (current, task): (Token?, Task<Token, any Error>?) = state.withLock { s in
            if let t = s.token, now < t.refreshAt { return (t, nil) }
            if s.refreshing == nil {
                s.refreshing = Task { [self] in try await self.fetch() }
            }
            return (s.token, s.refreshing)
        }
        guard let task else { return current?.header }
        do {
            let fresh = try await task.value
            state.withLock { s in
                s.token = fresh
                s.refreshing = nil
            }
            return fresh.header
        } catch {
            state.withLock { s in s.refreshing = nil }
            // An early refresh that failed leaves a token that is still good for a while.
            if let current, ContinuousClock.now < current.expiresAt {
                logger.warning("refreshing the access token failed, the current one is used until it expires: \(error)")
                return current.header
            }
            throw error
        }
    }

    func invalidate() {
        state.withLock { $0.token = nil }
    }

    private func fetch() async throws -> Token {
        let started = ContinuousClock.now
        let jwt = try key.assertion(scope: scope, now: Timestamp.now().epochSeconds)
        let body = "grant_type=" + "urn:ietf:params:oauth:grant-type:jwt-bearer".formEncoded + "&assertion=" + jwt
        var request = HTTPRequest(method: .post, url: key.tokenURI,
                                  headers: ["Content-Type": "application/x-www-form-urlencoded"], body: Array(body.utf8))
        request.timeout = .seconds(30)
        let response: HTTPResponse
        do {
            response = try await http.execute(request)
        } catch let error as HTTPClientError {
            throw PluginError("getting an access token for \(key.file): \(error)", retriable: error.isRetriable, code: .connection)
        }
        guard response.status == 200 else {
            // Google's error body is {"error": ..., "error_description": ...}: safe to quote; the
            // rest of the body is not echoed.
            let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any]
            let reason = [object?["error"] as? String, object?["error_description"] as? String].compactMap { $0 }.joined(separator: ": ")
            let retriable = response.status == 429 || response.status >= 500
            throw PluginError("the token endpoint refused the key \(key.file) (HTTP \(response.status)\(reason.isEmpty ? "" : ": " + reason))",
                              retriable: retriable, code: retriable ? .unavailable : .authentication)
        }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any],
              let token = object["access_token"] as? String, !token.isEmpty else {
            throw PluginError("the token endpoint's answer for \(key.file) has no access_token", retriable: true, code: .unavailable)
        }
        Secrets.remember(token)
        let lifetime = max(1, (object["expires_in"] as? NSNumber)?.doubleValue ?? 3600)
        let refreshIn = min(lifetime * 0.8, max(lifetime - 300, lifetime * 0.5))
        logger.debug("access token for \(key.email) valid for \(Int(lifetime)) s, refreshed after \(Int(refreshIn)) s")
        let type = (object["token_type"] as? String) ?? "Bearer"
        return Token(header: "\(type == "bearer" ? "Bearer" : type) \(token)",
                     refreshAt: started + .milliseconds(Int64(refreshIn * 1000)),
                     expiresAt: started + .milliseconds(Int64(max(lifetime - 10, lifetime * 0.9) * 1000)))
    }
}

extension String {
    /// application/x-www-form-urlencoded value: everything but unreserved characters escaped.
    var formEncoded: String {
        PercentEncoding.encode(self)
    }
}
