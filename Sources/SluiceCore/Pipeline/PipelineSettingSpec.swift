/// The value types of pipeline settings (`sluice.yml` keys and their command-line flags).
/// Like the plugins' `SettingType`, the allowed values live here, not in the code that reads them.
public enum PipelineSettingType: Sendable, CustomStringConvertible {
    /// A whole number within the range.
    case count(ClosedRange<Int>)
    /// A size: `64mb`, `1gb`, `512kb` or a number of bytes; at least `min`.
    case bytes(min: Int)
    /// A number of milliseconds (`50`), or a duration with a unit (`50ms`, `1s`); within the range.
    case milliseconds(ClosedRange<Int>)
    /// A duration with a unit (`60s`, `2m`, `500ms`, `5d`); a plain number counts in
    /// `bareUnit` seconds, or is refused when `bareUnit` is nil.
    case duration(bareUnit: Double?)
    /// One of the listed words.
    case oneOf([String])
    case bool
    case string
    case path

    public var description: String {
        switch self {
        case .count(let r): return r.upperBound == Int.max ? "count (at least \(r.lowerBound))" : "count (\(r.lowerBound) to \(r.upperBound))"
        case .bytes: return "bytes (64mb, 1gb)"
        case .milliseconds: return "milliseconds"
        case .duration(let bare): return bare == nil ? "duration (5d, 12h, 30m)" : "duration (60s, 2m, 500ms or seconds)"
        case .oneOf(let vs): return "one of " + vs.joined(separator: ", ")
        case .bool: return "true or false"
        case .string: return "string"
        case .path: return "path"
        }
    }
}

/// A validated setting value.
public enum PipelineSettingValue: Sendable, Equatable {
    case int(Int)
    case bool(Bool)
    case string(String)
    case duration(Duration)

    var int: Int { if case .int(let n) = self { return n }; return 0 }
    var bool: Bool { if case .bool(let b) = self { return b }; return false }
    var string: String { if case .string(let s) = self { return s }; return "" }
    var duration: Duration { if case .duration(let d) = self { return d }; return .zero }
}

/// A setting that could not be applied; the message names the setting, the value and what is allowed,
/// the same whether the value came from `sluice.yml` or from a flag.
public struct PipelineSettingError: Error, CustomStringConvertible, Sendable {
    public let key: String
    public let message: String
    public var description: String { message }
}

/// One pipeline setting: its `sluice.yml` key (Logstash's name), type, default, doc and how
/// it lands in `PipelineSettings`. `PipelineSettingSpecs.all` is the one list of them.
public struct PipelineSettingSpec: Sendable {
    public let key: String
    public let type: PipelineSettingType
    /// The default as written in `sluice.yml`; nil when it is derived (`defaultNote` says how) or unset.
    public let defaultValue: String?
    /// What the default is when it is not a fixed value ("the number of cores").
    public let defaultNote: String?
    public let doc: String
    let apply: @Sendable (inout PipelineSettings, PipelineSettingValue) -> Void
    /// The current value in `settings` (nil when unset), so tests can hold defaults to the table.
    public let read: @Sendable (PipelineSettings) -> PipelineSettingValue?
    /// A warning about what a legal but costly value does, given all settings.
    let warning: (@Sendable (PipelineSettings) -> String?)?

    init(_ key: String, _ type: PipelineSettingType, default defaultValue: String?, defaultNote: String? = nil,
         doc: String,
         apply: @escaping @Sendable (inout PipelineSettings, PipelineSettingValue) -> Void,
         read: @escaping @Sendable (PipelineSettings) -> PipelineSettingValue?,
         warning: (@Sendable (PipelineSettings) -> String?)? = nil) {
        self.key = key
        self.type = type
        self.defaultValue = defaultValue
        self.defaultNote = defaultNote
        self.doc = doc
        self.apply = apply
        self.read = read
        self.warning = warning
    }

    /// Parses and checks `text` against the type.
    public func validate(_ text: String) throws(PipelineSettingError) -> PipelineSettingValue {
        let t = text.trimmed(" ")
        func fail(_ what: String) -> PipelineSettingError {
            PipelineSettingError(key: key, message: "\(key) \(what)")
        }
        func inRange(_ n: Int, _ r: ClosedRange<Int>, unit: String = "") throws(PipelineSettingError) -> Int {
            if n < r.lowerBound { throw fail("must be at least \(r.lowerBound)\(unit), got \(t)") }
            if n > r.upperBound { throw fail("must be at most \(r.upperBound)\(unit), got \(t)") }
            return n
        }
        switch type {
        case .count(let r):
            guard let n = Int(t) else { throw fail("must be a whole number, got `\(t)`") }
            return .int(try inRange(n, r))
        case .bytes(let min):
            guard let b = Units.bytes(t), let n = Int(exactly: b) else {
                throw fail("must be a size like 64mb or a number of bytes, got `\(t)`")
            }
            if n < min { throw fail("must be at least \(min) byte\(min == 1 ? "" : "s"), got \(t)") }
            return .int(n)
        case .milliseconds(let r):
            let ms: Double?
            if let n = Double(t) { ms = n } else if t.contains(where: \.isLetter), let s = Units.seconds(t) { ms = s * 1000 } else { ms = nil }
            guard let ms, ms.isFinite, abs(ms) < 9e15, ms == ms.rounded() else {
                throw fail("must be a whole number of milliseconds (or a duration like 50ms, 1s), got `\(t)`")
            }
            return .int(try inRange(Int(ms), r, unit: " ms"))
        case .duration(let bare):
            let hasUnit = t.contains(where: \.isLetter)
            let seconds: Double?
            if hasUnit { seconds = Units.seconds(t) } else if let bare, let n = Double(t) { seconds = n * bare } else { seconds = nil }
            guard let seconds, seconds.isFinite, seconds >= 0, seconds < 1e12 else {
                throw fail(bare == nil ? "must be a duration with a unit like 5d, 12h or 30m, got `\(t)`"
                                       : "must be a duration like 60s, 2m or 500ms (or a number of seconds), got `\(t)`")
            }
            if seconds == 0 { throw fail("must be more than 0, got \(t)") }
            return .duration(.nanoseconds(Int64(seconds * 1e9)))
        case .oneOf(let allowed):
            guard allowed.contains(t) else {
                var msg = "must be one of " + allowed.joined(separator: ", ") + ", got `\(t)`"
                if let near = Suggest.closest(to: t, in: allowed) { msg += " (did you mean `\(near)`?)" }
                throw fail(msg)
            }
            return .string(t)
        case .bool:
            guard t == "true" || t == "false" else { throw fail("must be true or false, got `\(t)`") }
            return .bool(t == "true")
        case .string, .path:
            guard !t.isEmpty else { throw fail("must not be empty") }
            return .string(t)
        }
    }

    /// The default as shown in docs.
    public var defaultDescription: String { defaultNote ?? defaultValue ?? "" }
}

extension PipelineSettingValue {
    /// As written in `sluice.yml`, for comparing values and showing them.
    public var text: String {
        switch self {
        case .int(let n): return String(n)
        case .bool(let b): return b ? "true" : "false"
        case .string(let s): return s
        case .duration(let d):
            let (s, atto) = d.components
            return atto == 0 ? "\(s)s" : "\(s * 1000 + atto / 1_000_000_000_000_000)ms"
        }
    }
}

extension Duration {
    /// In seconds, exactly for whole seconds.
    var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
}
