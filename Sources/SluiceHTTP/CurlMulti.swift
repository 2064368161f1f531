import CCurl
import SluiceCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Owns the curl multi handle and the thread that drives every transfer of one client.
///
/// Callers hand transfers over with `add` / `cancel` (queued under a lock, then
/// `curl_multi_wakeup`); only the thread calls into the multi handle and the easy handles
/// in it. The multi handle's connection cache keeps idle connections alive for reuse, so
/// easy handles need no pooling.
final class CurlMulti: @unchecked Sendable {
    private struct Inbox {
        var adds: [Transfer] = []
        var cancels: [Transfer] = []
        var stopping = false
    }

    private let multi: UnsafeMutableRawPointer
    private let inbox = Mutex(Inbox())
    /// Transfers in the multi handle, by easy handle. Thread only.
    private var active: [UnsafeMutableRawPointer: Transfer] = [:]
    private var thread: OSThread?
    private let joined = Mutex(false)

    init(maxConnections: Int, maxConnectionsPerHost: Int) throws(HTTPClientError) {
        CurlGlobal.initialize()
        guard let multi = curl_multi_init() else {
            throw HTTPClientError(kind: .other, request: "-", message: "curl_multi_init failed")
        }
        self.multi = multi
        _ = sluice_curl_multi_setopt_long(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, max(0, maxConnections))
        _ = sluice_curl_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, max(0, maxConnectionsPerHost))
        // Idle connections kept for reuse.
        _ = sluice_curl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, max(4, maxConnections))
        // The thread keeps the multi alive until it exits.
        do {
            thread = try OSThread.start { [self] in run() }
        } catch {
            curl_multi_cleanup(multi)
            throw HTTPClientError(kind: .other, request: "-", message: "could not start the HTTP thread (\(error.code))")
        }
    }

    deinit {
        curl_multi_cleanup(multi)
    }

    /// Queues `transfer`; throws a cancellation error once the client is shut down.
    func add(_ transfer: Transfer) throws(HTTPClientError) {
        let accepted = inbox.withLock { inbox in
            if inbox.stopping { return false }
            inbox.adds.append(transfer)
            return true
        }
        guard accepted else { throw HTTPClientError(kind: .cancelled, request: transfer.label, message: "the HTTP client is shut down") }
        curl_multi_wakeup(multi)
    }

    /// Removes `transfer` and fails it with a cancellation error (no-op once it completed).
    func cancel(_ transfer: Transfer) {
        transfer.cancelled.store(true, ordering: .sequentiallyConsistent)
        inbox.withLock { $0.cancels.append(transfer) }
        curl_multi_wakeup(multi)
    }

    /// Fails everything in flight with a cancellation error and stops the thread. Idempotent.
    func shutdown() {
        inbox.withLock { $0.stopping = true }
        curl_multi_wakeup(multi)
        let mustJoin = joined.withLock { done in
            defer { done = true }
            return !done
        }
        guard mustJoin, let thread else { return }
        // A transfer's callback may shut the client down on the thread itself.
        if thread.isCurrent { thread.detach() } else { thread.join() }
    }

    private func run() {
        while true {
            let work = inbox.withLock { inbox in
                defer { inbox.adds = []; inbox.cancels = [] }
                return inbox
            }
            for t in work.adds { start(t) }
            for t in work.cancels { remove(t, failing: .cancelled(t.label)) }
            if work.stopping { break }

            var running: Int32 = 0
            _ = curl_multi_perform(multi, &running)
            collectFinished()
            var fds: Int32 = 0
            _ = curl_multi_poll(multi, nil, 0, 1000, &fds)
        }
        for t in Array(active.values) {
            remove(t, failing: HTTPClientError(kind: .cancelled, request: t.label, message: "the HTTP client is shut down"))
        }
    }

    private func start(_ t: Transfer) {
        if t.cancelled.load(ordering: .sequentiallyConsistent) {
            t.fail(.cancelled(t.label))
            return
        }
        let rc = curl_multi_add_handle(multi, t.easy)
        guard rc == CURLM_OK else {
            t.fail(HTTPClientError(kind: .other, request: t.label,
                                   message: "curl_multi_add_handle: " + String(cString: curl_multi_strerror(rc))))
            return
        }
        active[t.easy] = t
    }

    private func remove(_ t: Transfer, failing error: HTTPClientError) {
        guard active.removeValue(forKey: t.easy) != nil else { return }
        curl_multi_remove_handle(multi, t.easy)
        t.fail(error)
    }

    private func collectFinished() {
        var left: Int32 = 0
        while let msg = curl_multi_info_read(multi, &left) {
            guard msg.pointee.msg == CURLMSG_DONE, let easy = msg.pointee.easy_handle else { continue }
            let code = msg.pointee.data.result
            guard let t = active.removeValue(forKey: easy) else { continue }
            curl_multi_remove_handle(multi, easy)
            t.complete(code)
        }
    }
}

/// `curl_global_init` must run once before any other curl call, before threads start using curl.
enum CurlGlobal {
    private static let initialized: Bool = {
        curl_global_init(Int(CURL_GLOBAL_ALL)) == CURLE_OK
    }()

    static func initialize() { _ = initialized }
}
