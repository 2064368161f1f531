/// Where an input sends its events. It stamps the input's common options (`type`, `tags`,
/// `add_field`) on each event, applies backpressure, and reports delivery back to the input.
public struct EventSink: Sendable {
    let queue: any EventQueue
    let decoration: InputDecoration
    let batchSize: Int

    init(queue: any EventQueue, decoration: InputDecoration, batchSize: Int) {
        self.queue = queue
        self.decoration = decoration
        self.batchSize = max(1, batchSize)
    }

    /// Sends events; suspends while the queue is full. `acknowledged` is called once, after
    /// every output confirmed them all (`.delivered`), or with `.failed` if they were not.
    /// Throws `QueueClosedError` once the pipeline is shutting down.
    ///
    /// `events` is consumed: the queue should hold the only reference to each event, or the
    /// first filter to change one would copy its fields.
    public func send(_ events: consuming [Event], acknowledged: (@Sendable (AckStatus) -> Void)? = nil) async throws {
        if !decoration.isEmpty {
            for i in events.indices { decoration.apply(to: &events[i]) }
        }
        let pieces = events.isEmpty ? 1 : (events.count + batchSize - 1) / batchSize
        let ack = acknowledged.map { Acknowledgement(pieces: pieces, callback: $0) }
        if events.count <= batchSize {
            try await queue.push(consume events, ack: ack)
            return
        }
        var start = 0
        while start < events.count {
            let end = min(start + batchSize, events.count)
            do {
                try await queue.push(Self.take(&events, start..<end), ack: ack)
            } catch {
                // The rest was never queued: resolve its pieces so the input hears `.failed`.
                var left = (events.count - start + batchSize - 1) / batchSize
                while left > 0 { ack?.complete(.failed); left -= 1 }
                throw error
            }
            start = end
        }
    }

    /// Moves `events[range]` out, leaving empty events behind, so the pushed piece does not
    /// share its events with the rest of the array.
    private static func take(_ events: inout [Event], _ range: Range<Int>) -> [Event] {
        var piece: [Event] = []
        piece.reserveCapacity(range.count)
        for i in range {
            var e = Event(fields: FieldMap(), stamp: false)
            swap(&e, &events[i])
            piece.append(e)
        }
        return piece
    }

    /// Says this input has nothing more to send for now (it reached the end of its files,
    /// a poll came back empty): workers holding part of a batch pass it on at once instead
    /// of waiting out `pipeline.batch.delay` for more. The next `send` ends this.
    public func flush() {
        queue.flush()
    }

    /// Sends one event.
    public func send(_ event: Event, acknowledged: (@Sendable (AckStatus) -> Void)? = nil) async throws {
        try await send([event], acknowledged: acknowledged)
    }
}

/// The input common options, compiled once.
struct InputDecoration: Sendable {
    var type: String?
    var tags: [String]
    var addFields: [(FieldReference, Template)]

    var isEmpty: Bool { type == nil && tags.isEmpty && addFields.isEmpty }

    init(settings: PluginSettings) {
        type = settings.string("type")
        tags = settings.strings("tags")
        addFields = settings.hash("add_field").compactMap { k, v in
            (try? FieldReference(parsing: k)).map { ($0, Template(v.renderedString)) }
        }
    }

    init() { type = nil; tags = []; addFields = [] }

    func apply(to event: inout Event) {
        if let type, event.fields["type"] == nil { event.fields.set("type", .string(type)) }
        for t in tags { event.addTag(t) }
        for (ref, template) in addFields { event.addField(ref, template.render(event)) }
    }
}

extension Event {
    /// Logstash's add_field: a new field is set; an existing one becomes an array with the value appended.
    public mutating func addField(_ ref: FieldReference, _ value: String) {
        switch self[ref] {
        case nil: set(ref, .string(value))
        case .array(var a)?:
            a.append(.string(value)); set(ref, .array(a))
        case let existing?:
            set(ref, .array([existing, .string(value)]))
        }
    }
}
