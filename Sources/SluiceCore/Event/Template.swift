/// A Logstash sprintf template (`"%{[host][name]}-%{+YYYY.MM.dd}"`), compiled once into parts.
///
/// Forms, as Logstash's `StringInterpolation` reads them:
/// - `%{name}`, `%{[a][b]}`, `%{[list][0]}`: a field; strings as they are, arrays joined with
///   commas, hashes as JSON, timestamps as ISO8601. A missing (or null) field stays literal:
///   `%{missing}` renders as `%{missing}`.
/// - `%{+YYYY.MM.dd}`: `@timestamp` formatted with a Joda pattern in UTC.
/// - `%{{yyyy-MM-dd}}`: `@timestamp` formatted with a java.time pattern in UTC;
///   `%{{TIME_NOW}}` is the current time.
/// - `%{+%s}`: `@timestamp` as epoch seconds.
/// Nothing here throws: malformed parts render as written, as in Logstash. One deviation: when
/// the event has no `@timestamp`, Logstash renders time formats as nothing; Sluice leaves them
/// literal so the gap is visible.
public struct Template: Sendable, Hashable, CustomStringConvertible {
    public let text: String
    private let parts: [Part]
    /// Set when the template is exactly one top-level field (`%{message}`): rendered without
    /// walking `parts`, whose shared storage every worker would otherwise retain per event.
    private let singleField: String?
    /// True when rendering does not depend on the event.
    public let isConstant: Bool

    private enum Part: Sendable {
        case literal([UInt8])
        /// `raw` is the `%{...}` text, written back when the field is missing.
        case field(FieldReference?, raw: [UInt8])
        case time(JodaFormatter, raw: [UInt8])
        case epochSeconds(raw: [UInt8])
        case now
    }

    public init(_ text: String) {
        self.text = text
        let b = Array(text.utf8)
        var parts: [Part] = []
        func literal(_ r: Range<Int>) {
            guard !r.isEmpty else { return }
            if case .literal(let prev)? = parts.last {
                parts[parts.count - 1] = .literal(prev + b[r])
            } else {
                parts.append(.literal(Array(b[r])))
            }
        }
        func find(_ c: UInt8, from: Int) -> Int? { b[from...].firstIndex(of: c) }
        func findOpen(from: Int) -> Int? {
            var k = from
            while k + 1 < b.count {
                if b[k] == UInt8(ascii: "%") && b[k + 1] == UInt8(ascii: "{") { return k }
                k += 1
            }
            return nil
        }
        var pos = 0
        // Same scan as Logstash: from each `%{` to the next `}`; `%{{` ... `}}` takes one more brace.
        while let open = findOpen(from: pos), var close = find(UInt8(ascii: "}"), from: open) {
            literal(pos..<open)
            let content = String(decoding: b[(open + 2)..<close], as: UTF8.self)
            if content == "+%s" {
                parts.append(.epochSeconds(raw: Array(b[open...close])))
            } else if b[open + 2] == UInt8(ascii: "{") && close + 1 < b.count && b[close + 1] == UInt8(ascii: "}") {
                close += 1
                let pattern = String(decoding: b[(open + 3)..<(close - 1)], as: UTF8.self)
                parts.append(pattern == "TIME_NOW" ? .now
                             : .time(JodaFormatter(javaTimePattern: pattern), raw: Array(b[open...close])))
            } else if b[open + 2] == UInt8(ascii: "+") {
                let pattern = String(decoding: b[(open + 3)..<close], as: UTF8.self)
                parts.append(.time(JodaFormatter(pattern), raw: Array(b[open...close])))
            } else {
                parts.append(.field(try? FieldReference(parsing: content), raw: Array(b[open...close])))
            }
            pos = close + 1
        }
        literal(pos..<b.count)
        self.parts = parts
        isConstant = parts.allSatisfy { if case .literal = $0 { return true } else { return false } }
        if parts.count == 1, case .field(let ref?, _) = parts[0], ref.path.count == 1 {
            singleField = ref.path[0]
        } else {
            singleField = nil
        }
    }


    public func render(_ event: Event) -> String {
        if isConstant { return text }
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count + 32)
        render(event, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    public func render(_ event: Event, into out: inout [UInt8]) { write(event, into: &out) }

    /// The same into an output's batch buffer.
    public func render(_ event: Event, into out: inout ByteBuffer) { write(event, into: &out) }

    func write<S: ByteSink & ~Copyable>(_ event: Event, into out: inout S) {
        if let key = singleField, let i = event.fields.position(of: key) {
            switch event.fields.entries[i].value {
            case .string(let s): out.append(utf8: s)
            case .null: out.append(utf8: text)
            case let v: v.writeRendered(to: &out)
            }
            return
        }
        for part in parts {
            switch part {
            case .literal(let bytes):
                out.append(bytes)
            case .field(let ref, let raw):
                if let ref, let v = event[ref], !v.isNull { v.writeRendered(to: &out) } else { out.append(raw) }
            case .time(let formatter, let raw):
                if case .timestamp(let t)? = event.fields[Event.timestampKey] {
                    var text: [UInt8] = []
                    formatter.format(t, into: &text)
                    out.append(text)
                } else {
                    out.append(raw)
                }
            case .epochSeconds(let raw):
                if case .timestamp(let t)? = event.fields[Event.timestampKey] { JSONWriter.appendInt(t.epochSeconds, &out) }
                else { out.append(raw) }
            case .now:
                Timestamp.now().writeISO8601(to: &out)
            }
        }
    }

    public var description: String { text }
    public static func == (a: Template, b: Template) -> Bool { a.text == b.text }
    public func hash(into h: inout Hasher) { h.combine(text) }
}

extension Value {
    /// Appends `renderedString` without building it: strings raw, arrays comma-joined,
    /// hashes as JSON, timestamps ISO8601, null as nothing.
    public func appendRendered(to out: inout [UInt8]) { writeRendered(to: &out) }

    func writeRendered<S: ByteSink & ~Copyable>(to out: inout S) {
        switch self {
        case .null: break
        case .bool(let b): JSONWriter.appendASCII(b ? "true" : "false", &out)
        case .int(let n): JSONWriter.appendInt(n, &out)
        case .double(let d): JSONWriter.appendDouble(d, &out)
        case .number(let n): out.append(utf8: n.text)
        case .string(let s): out.append(utf8: s)
        case .timestamp(let t): t.writeISO8601(to: &out)
        case .object: JSONWriter.write(self, &out)
        case .array(let a):
            for (k, e) in a.enumerated() {
                if k > 0 { out.append(UInt8(ascii: ",")) }
                e.writeRendered(to: &out)
            }
        }
    }
}
