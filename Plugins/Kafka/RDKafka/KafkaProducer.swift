import CRdKafka
import SluiceCore
import Synchronization

/// Records to produce, their keys and values back to back in one buffer: one allocation per
/// batch rather than one or two per record.
struct KafkaMessages: Sendable {
    struct Message: Sendable {
        var topic: String
        var key: Range<Int>?
        var value: Range<Int>
        var headers: [(name: String, value: [UInt8])] = []
    }

    var bytes: [UInt8] = []
    var messages: [Message] = []

    var count: Int { messages.count }

    /// Appends a record whose key and value `write` appends to `bytes`.
    mutating func append(topic: String, key writeKey: ((inout [UInt8]) -> Void)?, value writeValue: (inout [UInt8]) -> Void,
                         headers: [(name: String, value: [UInt8])] = []) {
        var key: Range<Int>?
        if let writeKey {
            let start = bytes.count
            writeKey(&bytes)
            key = start..<bytes.count
        }
        let start = bytes.count
        writeValue(&bytes)
        messages.append(Message(topic: topic, key: key, value: start..<bytes.count, headers: headers))
    }
}

/// A librdkafka producer: `produce` hands a batch to librdkafka and returns when every
/// message's delivery report arrived, with each message's result. `close` flushes (with a
/// bound), purges what is left (those reports fail as retriable) and destroys the handle.
final class KafkaProducer: Sendable {
    private let client: RDKafkaClient
    /// `rd_kafka_topic_t` per topic name, created on first use, destroyed at `close`.
    private let topics = Mutex<[String: OpaquePointer]>([:])
    private let closed = Mutex(false)

    init(properties: [String: String], logger: Logger) throws(KafkaError) {
        client = try RDKafkaClient(kind: .producer, properties: properties, logger: logger, pollsInBackground: true) { conf in
            rd_kafka_conf_set_dr_msg_cb(conf, deliveryReportCallback)
        }
    }

    /// Produces the messages of `batch` and waits for their delivery reports: `nil` where the broker
    /// confirmed the message (as `acks` asks), the error where it did not. When the task is
    /// cancelled (shutdown timeout) it returns at once, every unconfirmed message failed as
    /// retriable; librdkafka may still deliver them (at least once, never lost).
    func produce(_ batch: KafkaMessages) async -> [KafkaError?] {
        let messages = batch.messages
        if messages.isEmpty { return [] }
        if closed.withLock({ $0 }) {
            return Array(repeating: KafkaError(RD_KAFKA_RESP_ERR__DESTROY, message: "the producer is closed"), count: messages.count)
        }
        let reports = DeliveryBatch(count: messages.count)
        let codes: [Int32]? = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                reports.setContinuation(continuation)
                client.onPollThread { self.enqueue(batch, reports: reports) }
            }
        } onCancel: {
            reports.cancel()
        }
        guard let codes else {
            let error = KafkaError(RD_KAFKA_RESP_ERR__TIMED_OUT, message: "no delivery report before the write was cancelled (shutdown)")
            return Array(repeating: error, count: messages.count)
        }
        return codes.map { $0 == 0 ? nil : KafkaError(code: $0) }
    }

    /// Hands the batch's messages to librdkafka, on the poll thread; a message refused gets
    /// its result at once.
    private func enqueue(_ batch: KafkaMessages, reports: DeliveryBatch) {
        let messages = batch.messages
        if closed.withLock({ $0 }) {
            for i in messages.indices { reports.report(i, code: RD_KAFKA_RESP_ERR__DESTROY.rawValue) }
            return reports.enqueued()
        }
        // Never empty, so every pointer is valid (librdkafka reads a NULL value as a tombstone).
        (batch.bytes.isEmpty ? [0] : batch.bytes).withUnsafeBytes { bytes in
            // Most batches go to one topic: its handle is looked up once per run of equal names.
            var start = 0
            while start < messages.count {
                let name = messages[start].topic
                var end = start + 1
                while end < messages.count, messages[end].topic == name { end += 1 }
                let run = messages[start..<end]
                if let handle = topic(name) {
                    enqueue(run, bytes: bytes, topic: handle, reports: reports)
                } else {
                    for i in run.indices { reports.report(i, code: RD_KAFKA_RESP_ERR__INVALID_ARG.rawValue) }
                }
                start = end
            }
        }
        reports.enqueued()
    }

    /// Hands a run of messages to one topic to librdkafka (it copies the bytes); a message it
    /// refused gets its result at once. Without headers, in one `rd_kafka_produce_batch` call:
    /// against one `produceva` per message it reads the enqueue time once per call instead of
    /// once per message (librdkafka 2.0.2 reads the clock three times per message; the
    /// partitioner's two reads remain), stamps one CreateTime for all, takes the topic's lock once
    /// (generator -> kafka, 8 runs each in turn: 1.60 -> 1.48 s CPU per million events).
    /// `produce_batch` takes no headers: with them, one `produceva` per message.
    private func enqueue(_ run: ArraySlice<KafkaMessages.Message>, bytes: UnsafeRawBufferPointer, topic: OpaquePointer,
                         reports: DeliveryBatch) {
        if run.contains(where: { !$0.headers.isEmpty }) {
            for i in run.indices {
                if let err = enqueue(run[i], bytes: bytes, topic: topic, slot: reports.slot(i)) { reports.report(i, code: err) }
            }
            return
        }
        withUnsafeTemporaryAllocation(of: rd_kafka_message_t.self, capacity: run.count) { records in
            for (n, i) in run.indices.enumerated() {
                let message = run[i]
                var record = rd_kafka_message_t()
                record.payload = bytes.mutableAddress(of: message.value)
                record.len = message.value.count
                if let key = message.key {
                    record.key = bytes.mutableAddress(of: key)
                    record.key_len = key.count
                }
                record._private = reports.slot(i)
                records.initializeElement(at: n, to: record)
            }
            let queued = rd_kafka_produce_batch(topic, -1 /* RD_KAFKA_PARTITION_UA: the partitioner chooses */,
                                                RD_KAFKA_MSG_F_COPY, records.baseAddress, Int32(run.count))
            // A refused message gets no delivery report: its error is in its record.
            if queued < run.count {
                for (n, i) in run.indices.enumerated() where records[n].err != RD_KAFKA_RESP_ERR_NO_ERROR {
                    reports.report(i, code: records[n].err.rawValue)
                }
            }
            records.deinitialize()
        }
    }

    /// Hands one message to librdkafka (it copies the bytes); the error code if it refused it.
    private func enqueue(_ message: KafkaMessages.Message, bytes: UnsafeRawBufferPointer, topic: OpaquePointer,
                         slot: UnsafeMutableRawPointer) -> Int32? {
        // On the stack: a heap array per message showed in profiles.
        return withUnsafeTemporaryAllocation(of: rd_kafka_vu_t.self, capacity: 5 + message.headers.count) { vus in
            var n = 0
            func add(_ body: (inout rd_kafka_vu_t) -> Void) {
                var vu = rd_kafka_vu_t()
                body(&vu)
                vus.initializeElement(at: n, to: vu)
                n += 1
            }
            add { $0.vtype = RD_KAFKA_VTYPE_RKT; $0.u.rkt = topic }
            add { $0.vtype = RD_KAFKA_VTYPE_MSGFLAGS; $0.u.i = RD_KAFKA_MSG_F_COPY }
            add { $0.vtype = RD_KAFKA_VTYPE_OPAQUE; $0.u.ptr = slot }
            add { $0.vtype = RD_KAFKA_VTYPE_VALUE; $0.u.mem.ptr = bytes.mutableAddress(of: message.value); $0.u.mem.size = message.value.count }
            if let key = message.key {
                add { $0.vtype = RD_KAFKA_VTYPE_KEY; $0.u.mem.ptr = bytes.mutableAddress(of: key); $0.u.mem.size = key.count }
            }
            return withHeaders(message.headers) { headers in
                for h in headers { add { $0 = h } }
                guard let error = rd_kafka_produceva(client.handle, vus.baseAddress, n) else { return nil }
                defer { rd_kafka_error_destroy(error) }
                return rd_kafka_error_code(error).rawValue
            }
        }
    }

    /// librdkafka's reason when the handle hit a fatal error (it then fails every message
    /// with `_FATAL`), nil otherwise.
    var fatalReason: String? {
        var errstr = [CChar](repeating: 0, count: 512)
        let err = rd_kafka_fatal_error(client.handle, &errstr, errstr.count)
        guard err != RD_KAFKA_RESP_ERR_NO_ERROR else { return nil }
        return "\(KafkaError(err).name): \(RDKafkaConfig.text(errstr))"
    }

    /// Raises a fatal error as librdkafka would (for tests of the recovery).
    func raiseFatalErrorForTesting() {
        _ = rd_kafka_test_fatal_error(client.handle, RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER, "raised by a test")
    }

    private func topic(_ name: String) -> OpaquePointer? {
        topics.withLock { topics in
            if let t = topics[name] { return t }
            guard let t = rd_kafka_topic_new(client.handle, name, nil) else { return nil }
            topics[name] = t
            return t
        }
    }

    /// Waits up to `timeout` for every queued message's delivery report, fails the rest
    /// (their reports say `_PURGE_QUEUE`/`_PURGE_INFLIGHT`, retriable) and destroys the handle.
    /// Returns the number of messages that were still unconfirmed at the bound. Blocking: call
    /// it off the cooperative pool. Idempotent.
    @discardableResult
    func close(timeout: Duration) -> Int32 {
        let first = closed.withLock { done in
            defer { done = true }
            return !done
        }
        guard first else { return 0 }
        let ms = Int32(clamping: timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        rd_kafka_flush(client.handle, max(0, ms))
        let left = rd_kafka_outq_len(client.handle)
        if left > 0 {
            rd_kafka_purge(client.handle, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT | RD_KAFKA_PURGE_F_NON_BLOCKING)
            rd_kafka_flush(client.handle, 100)
        }
        for t in topics.withLock({ $0 }).values { rd_kafka_topic_destroy(t) }
        client.destroy()
        return left
    }

    deinit { close(timeout: .zero) }
}

/// Calls `body` with one RD_KAFKA_VTYPE_HEADER per header; the name and value copies live
/// until `body` returns (produceva copies them again into the message).
private func withHeaders<R>(_ headers: [(name: String, value: [UInt8])], _ body: ([rd_kafka_vu_t]) -> R) -> R {
    if headers.isEmpty { return body([]) }
    var owned: [UnsafeMutableRawPointer] = []
    defer { owned.forEach { $0.deallocate() } }
    var vus: [rd_kafka_vu_t] = []
    for header in headers {
        let name = header.name.utf8CString
        let n = UnsafeMutablePointer<CChar>.allocate(capacity: name.count)
        _ = UnsafeMutableBufferPointer(start: n, count: name.count).initialize(from: name)
        let v = UnsafeMutableRawPointer.allocate(byteCount: max(1, header.value.count), alignment: 1)
        header.value.withUnsafeBytes { bytes in
            if let b = bytes.baseAddress { v.copyMemory(from: b, byteCount: bytes.count) }
        }
        owned.append(UnsafeMutableRawPointer(n))
        owned.append(v)
        var vu = rd_kafka_vu_t()
        vu.vtype = RD_KAFKA_VTYPE_HEADER
        vu.u.header.name = UnsafePointer(n)
        vu.u.header.val = UnsafeRawPointer(v)
        vu.u.header.size = header.value.count
        vus.append(vu)
    }
    return body(vus)
}

extension UnsafeRawBufferPointer {
    /// Where `range` of these bytes starts, as librdkafka's `void *` takes it (it only reads).
    fileprivate func mutableAddress(of range: Range<Int>) -> UnsafeMutableRawPointer? {
        UnsafeMutableRawPointer(mutating: baseAddress?.advanced(by: range.lowerBound))
    }
}

/// Delivery reports, on the poll thread: the message's opaque is its batch slot.
private func deliveryReportCallback(_ rk: OpaquePointer?, _ message: UnsafePointer<rd_kafka_message_t>?,
                                    _ opaque: UnsafeMutableRawPointer?) {
    guard let message, let slot = message.pointee._private else { return }
    DeliveryBatch.report(slot: slot, code: message.pointee.err.rawValue)
}
