import SluiceCore

/// The output's `path`: a Logstash sprintf template that may also hold Flume's HDFS-sink
/// escapes (`%y %m %d %H %M %S %Y %j %s %t`, `%{header}` is sprintf already), with Flume's
/// rounding (`round`, `round_value`, `round_unit`): every time in the path is rendered from
/// `@timestamp` rounded down to a multiple of the unit, so `%H%M` rounded to 10 minutes
/// names one directory per 10 minutes. Times are UTC, as Logstash's `%{+...}`.
struct WebHDFSPath: Sendable {
    let template: Template
    /// Rounding step in nanoseconds; nil when rounding is off or the path holds no time.
    let roundNanos: Int64?

    init(_ raw: String, roundSeconds: Int64?) {
        let translated = Self.translate(raw)
        template = Template(translated)
        let usesTime = translated.contains("%{+") || translated.contains("%{{")
        roundNanos = usesTime ? roundSeconds.map { $0 * 1_000_000_000 } : nil
    }

    var isConstant: Bool { template.isConstant }

    func render(_ event: Event) -> String {
        guard let step = roundNanos, case .timestamp(let t)? = event.fields[Event.timestampKey] else {
            return template.render(event)
        }
        // Rendering reads only @timestamp for times: a copy with the rounded time is enough.
        var rounded = event
        let n = t.nanoseconds
        let floor = n >= 0 ? n - n % step : n - ((n % step) + step) % step
        rounded.fields.set(Event.timestampKey, .timestamp(Timestamp(nanoseconds: floor)))
        return template.render(rounded)
    }

    /// Flume escape letter -> the Logstash sprintf part that renders the same.
    static let flumeEscapes: [Character: String] = [
        "y": "%{+yy}", "m": "%{+MM}", "d": "%{+dd}", "H": "%{+HH}", "M": "%{+mm}", "S": "%{+ss}",
        "Y": "%{+yyyy}", "j": "%{+DDD}", "s": "%{+%s}",
        // Flume's %t is epoch milliseconds: epoch seconds followed by the three millisecond digits.
        "t": "%{+%s}%{+SSS}",
        "a": "%{+EEE}", "A": "%{+EEEE}", "b": "%{+MMM}", "B": "%{+MMMM}", "k": "%{+H}", "p": "%{+a}",
    ]

    /// `raw` with Flume escapes replaced by sprintf parts; `%{` and unknown escapes stay.
    static func translate(_ raw: String) -> String {
        var out = ""
        var i = raw.startIndex
        while i < raw.endIndex {
            let c = raw[i]
            let next = raw.index(after: i)
            if c == "%", next < raw.endIndex, let part = flumeEscapes[raw[next]] {
                out += part
                i = raw.index(after: next)
            } else {
                out.append(c)
                i = next
            }
        }
        return out
    }
}
