import SluiceCore

/// Turns events into request bodies for the `http` output, in Logstash's formats plus `ndjson`.
struct HTTPOutputEncoder: Sendable {
    enum Format: String, CaseIterable, Sendable {
        case json, jsonBatch = "json_batch", ndjson, form, message
    }

    let format: Format
    /// Logstash's `mapping`: the body is this hash with every string rendered as sprintf,
    /// instead of the whole event.
    let mapping: Mapping?
    /// Logstash's `message`: the body of the `message` format.
    let message: Template?

    /// `json_batch` and `ndjson` send a whole batch in one request; the others one per event.
    var isBatch: Bool { format == .jsonBatch || format == .ndjson }

    var defaultContentType: String {
        switch format {
        case .json, .jsonBatch: return "application/json"
        case .ndjson: return "application/x-ndjson"
        case .form: return "application/x-www-form-urlencoded"
        case .message: return "text/plain"
        }
    }

    /// The body of one request holding `events` (one event unless `isBatch`).
    func body(_ events: ArraySlice<Event>) -> [UInt8] {
        var out: [UInt8] = []
        switch format {
        case .json:
            if let e = events.first { appendJSON(e, &out) }
        case .jsonBatch:
            out.append(UInt8(ascii: "["))
            for (k, e) in events.enumerated() {
                if k > 0 { out.append(UInt8(ascii: ",")) }
                appendJSON(e, &out)
            }
            out.append(UInt8(ascii: "]"))
        case .ndjson:
            for e in events {
                appendJSON(e, &out)
                out.append(UInt8(ascii: "\n"))
            }
        case .form:
            if let e = events.first { appendForm(e, &out) }
        case .message:
            if let e = events.first { message?.render(e, into: &out) }
        }
        return out
    }

    private func appendJSON(_ event: Event, _ out: inout [UInt8]) {
        if let mapping {
            JSON.encode(mapping.render(event), into: &out)
        } else {
            JSON.encode(event: event, into: &out)
        }
    }

    /// `key=value&...` of the top-level fields (or the mapping); objects and arrays as JSON.
    private func appendForm(_ event: Event, _ out: inout [UInt8]) {
        let fields = mapping?.render(event).objectValue ?? event.fields
        var first = true
        for (key, value) in fields where key != "@metadata" {
            if !first { out.append(UInt8(ascii: "&")) }
            first = false
            Self.percentEncode(Array(key.utf8), &out)
            out.append(UInt8(ascii: "="))
            let text: [UInt8]
            switch value {
            case .string(let s): text = Array(s.utf8)
            case .array, .object: text = JSON.encode(value)
            default: text = Array(value.renderedString.utf8)
            }
            Self.percentEncode(text, &out)
        }
    }

    /// application/x-www-form-urlencoded: unreserved bytes as they are, space as `+`, the rest `%XX`.
    static func percentEncode(_ bytes: [UInt8], _ out: inout [UInt8]) {
        let hex = Array("0123456789ABCDEF".utf8)
        for b in bytes {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                 UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(b)
            case UInt8(ascii: " "):
                out.append(UInt8(ascii: "+"))
            default:
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(b >> 4)])
                out.append(hex[Int(b & 15)])
            }
        }
    }
}

/// A `mapping` hash with its strings compiled as sprintf templates once.
indirect enum Mapping: Sendable {
    case template(Template)
    case array([Mapping])
    case object([(String, Mapping)])
    case value(Value)

    init(_ value: Value) {
        switch value {
        case .string(let s): self = .template(Template(s))
        case .array(let a): self = .array(a.map(Mapping.init))
        case .object(let m): self = .object(m.map { ($0.key, Mapping($0.value)) })
        default: self = .value(value)
        }
    }

    func render(_ event: Event) -> Value {
        switch self {
        case .template(let t): return .string(t.render(event))
        case .array(let a): return .array(a.map { $0.render(event) })
        case .object(let entries):
            var m = FieldMap()
            for (k, v) in entries { m.set(k, v.render(event)) }
            return .object(m)
        case .value(let v): return v
        }
    }
}
