import CRdKafka
import SluiceCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Owns one librdkafka handle (`rd_kafka_t`): builds it from librdkafka properties, routes its
/// logs and errors to the plugin's logger, runs its poll loop on a thread of its own (so
/// callbacks never run on Swift's cooperative pool) and destroys it once.
///
/// A producer polls with `rd_kafka_poll`, which runs delivery-report callbacks; a consumer
/// (the kafka input) polls its own queue with `rd_kafka_consumer_poll` on its own thread and
/// uses this class for the handle, the logs, the error mapping and the rebalance callback
/// (`pollsInBackground: false`).
final class RDKafkaClient: @unchecked Sendable {
    /// A consumer group's rebalance (`rd_kafka_conf_set_rebalance_cb`): it runs on the thread
    /// that polls the consumer, inside `rd_kafka_consumer_poll` or `rd_kafka_consumer_close`,
    /// and must assign or unassign the partitions.
    typealias Rebalance = @Sendable (_ handle: OpaquePointer, _ err: rd_kafka_resp_err_t,
                                     _ partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?) -> Void

    enum Kind {
        case producer, consumer
        var rdType: rd_kafka_type_t { self == .producer ? RD_KAFKA_PRODUCER : RD_KAFKA_CONSUMER }
    }

    /// The `rd_kafka_t`. Valid until `destroy()`.
    let handle: OpaquePointer
    private let callbacks: Unmanaged<CallbackContext>
    private let poller: PollLoop?
    private let destroyed = Mutex(false)

    /// - Parameters:
    ///   - properties: librdkafka properties; secret values never reach logs or errors.
    ///   - configure: sets kind-specific callbacks on the configuration (delivery reports)
    ///     before the handle is created.
    ///   - rebalance: a consumer's rebalance handler (nil: librdkafka assigns by itself).
    init(kind: Kind, properties: [String: String], logger: Logger, pollsInBackground: Bool,
         configure: (OpaquePointer) -> Void = { _ in }, rebalance: Rebalance? = nil) throws(KafkaError) {
        let conf = try RDKafkaConfig.make(properties)
        let context = Unmanaged.passRetained(CallbackContext(logger: logger, rebalance: rebalance))
        rd_kafka_conf_set_opaque(conf, context.toOpaque())
        rd_kafka_conf_set_log_cb(conf, logCallback)
        rd_kafka_conf_set_error_cb(conf, errorCallback)
        if rebalance != nil { rd_kafka_conf_set_rebalance_cb(conf, rebalanceCallback) }
        configure(conf)
        var errstr = [CChar](repeating: 0, count: 512)
        // rd_kafka_new takes the configuration over when it succeeds, not when it fails.
        guard let rk = rd_kafka_new(kind.rdType, conf, &errstr, errstr.count) else {
            rd_kafka_conf_destroy(conf)
            context.release()
            throw KafkaError.local("cannot create the Kafka client: \(RDKafkaConfig.text(errstr))")
        }
        handle = rk
        callbacks = context
        if pollsInBackground {
            do {
                poller = try PollLoop(handle: rk)
            } catch {
                rd_kafka_destroy(rk)
                context.release()
                throw error
            }
        } else {
            poller = nil
        }
    }

    deinit { destroy() }

    /// Runs `job` on the poll thread before its next poll (in submission order), or at once
    /// on the caller's thread for a client without one or after `destroy`.
    func onPollThread(_ job: @escaping @Sendable () -> Void) {
        if let poller { poller.submit(job) } else { job() }
    }

    /// Stops the poll thread and destroys the handle. Idempotent. A producer flushes and
    /// purges before this (`KafkaProducer.close`), so no delivery report is left pending.
    func destroy() {
        let first = destroyed.withLock { done in
            defer { done = true }
            return !done
        }
        guard first else { return }
        poller?.stop()
        // Callbacks still queued (purged messages' reports) run here, before the handle goes.
        if poller != nil { rd_kafka_poll(handle, 0) }
        rd_kafka_destroy(handle)
        callbacks.release()
    }
}

/// What librdkafka's C callbacks find through the configuration's opaque pointer.
private final class CallbackContext: Sendable {
    let logger: Logger
    let rebalance: RDKafkaClient.Rebalance?
    init(logger: Logger, rebalance: RDKafkaClient.Rebalance?) {
        self.logger = logger
        self.rebalance = rebalance
    }

    static func from(_ rk: OpaquePointer?) -> CallbackContext? {
        guard let rk, let opaque = rd_kafka_opaque(rk) else { return nil }
        return Unmanaged<CallbackContext>.fromOpaque(opaque).takeUnretainedValue()
    }
}

/// librdkafka's own log lines (syslog levels). It redacts secret properties itself.
private func logCallback(_ rk: OpaquePointer?, _ level: Int32, _ facility: UnsafePointer<CChar>?,
                         _ message: UnsafePointer<CChar>?) {
    guard let context = CallbackContext.from(rk), let message else { return }
    let text = String(cString: message)
    let fac = facility.map { String(cString: $0) } ?? "-"
    // Errors here are the cluster's state (a broker refusing connections), which the client
    // rides out; the events they affect are retried or dead-lettered by the output.
    let l: Logger.Level = level <= 4 ? .warning : level <= 6 ? .info : .debug
    context.logger.log(level: l, "librdkafka \(fac): \(text)")
}

/// Client-level errors (all brokers down, authentication failed, fatal idempotence errors).
/// They are reported here; the messages they affect fail through their delivery reports.
private func errorCallback(_ rk: OpaquePointer?, _ err: Int32, _ reason: UnsafePointer<CChar>?,
                           _ opaque: UnsafeMutableRawPointer?) {
    guard let opaque else { return }
    let context = Unmanaged<CallbackContext>.fromOpaque(opaque).takeUnretainedValue()
    let error = KafkaError(code: err, message: reason.map { String(cString: $0) })
    // A transport error was already logged by librdkafka's own line (logCallback).
    if err == RD_KAFKA_RESP_ERR__TRANSPORT.rawValue { return }
    context.logger.warning("kafka: \(error)")
}

/// Rebalances of a consumer group, on the consumer's polling thread.
private func rebalanceCallback(_ rk: OpaquePointer?, _ err: rd_kafka_resp_err_t,
                               _ partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?,
                               _ opaque: UnsafeMutableRawPointer?) {
    guard let rk, let opaque else { return }
    let context = Unmanaged<CallbackContext>.fromOpaque(opaque).takeUnretainedValue()
    context.rebalance?(rk, err, partitions)
}

/// The thread that serves a handle's queue with `rd_kafka_poll` until stopped, and runs the
/// jobs handed to it (a producer's enqueueing) between polls.
private final class PollLoop: @unchecked Sendable {
    private let handle: OpaquePointer
    /// The handle's main queue, kept to wake a waiting `rd_kafka_poll` (`rd_kafka_queue_yield`).
    private let mainQueue: OpaquePointer?
    private let stopping = Atomic<Bool>(false)
    /// True while the thread may be about to wait, or waits, in `rd_kafka_poll`.
    private let mayWait = Atomic<Bool>(false)
    private let inbox = Mutex<Inbox>(Inbox())
    private var thread: OSThread?

    private struct Inbox {
        var jobs: [@Sendable () -> Void] = []
        var stopped = false
    }

    init(handle: OpaquePointer) throws(KafkaError) {
        self.handle = handle
        mainQueue = rd_kafka_queue_get_main(handle)
        do {
            thread = try OSThread.start { [self] in run() }
        } catch {
            if let mainQueue { rd_kafka_queue_destroy(mainQueue) }
            throw KafkaError.local("cannot start the Kafka poll thread (\(error.code))")
        }
    }

    private func run() {
        while !stopping.load(ordering: .acquiring) {
            // Announce the wait before looking at the inbox: a job submitted after the look
            // then sees `mayWait` and wakes the poll (see `submit`).
            mayWait.store(true, ordering: .sequentiallyConsistent)
            let jobs = inbox.withLock { inbox in
                defer { inbox.jobs.removeAll(keepingCapacity: true) }
                return inbox.jobs
            }
            if !jobs.isEmpty {
                mayWait.store(false, ordering: .relaxed)
                for job in jobs { job() }
                rd_kafka_poll(handle, 0)
                continue
            }
            // Returns as soon as a callback ran or a job woke it; the timeout only bounds
            // how long `stop` waits.
            rd_kafka_poll(handle, 100)
            mayWait.store(false, ordering: .relaxed)
        }
    }

    /// Runs `job` on the poll thread, before its next poll; on the caller's thread once the
    /// loop stopped. Jobs run in the order they were submitted.
    ///
    /// A producer's workers each calling `rd_kafka_produceva` contended with each other and
    /// with this thread's delivery reports on librdkafka's locks for every message (`make
    /// bench`: ~33,000 futex calls per million messages); one thread doing both, as kcat
    /// does, avoids that.
    func submit(_ job: @escaping @Sendable () -> Void) {
        let queued = inbox.withLock { inbox -> Bool in
            if inbox.stopped { return false }
            inbox.jobs.append(job)
            return true
        }
        guard queued else { return job() }
        if mayWait.load(ordering: .sequentiallyConsistent), let mainQueue { rd_kafka_queue_yield(mainQueue) }
    }

    func stop() {
        stopping.store(true, ordering: .releasing)
        // Ends a `rd_kafka_poll` that is waiting now (it serves this queue), rather than
        // after its timeout: a producer's close would otherwise take up to 100 ms more.
        if let mainQueue { rd_kafka_queue_yield(mainQueue) }
        thread?.join()
        // Jobs submitted after the loop's last look run here.
        let left = inbox.withLock { inbox in
            inbox.stopped = true
            defer { inbox.jobs = [] }
            return inbox.jobs
        }
        for job in left { job() }
        if let mainQueue { rd_kafka_queue_destroy(mainQueue) }
    }
}
