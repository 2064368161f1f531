import Synchronization

extension Secrets {
    /// Values of secret settings met while validating configurations in this process.
    private static let known = Mutex<[String]>([])

    /// Remembers a secret setting's value, so that no log line or error printed by this
    /// process shows it, whichever plugin or library wrote it.
    public static func remember(_ value: String) {
        guard !value.isEmpty else { return }
        known.withLock { if !$0.contains(value) { $0.append(value) } }
    }

    /// `text` with every remembered secret replaced by `<redacted>` (see `redact`).
    public static func redactRemembered(_ text: String) -> String {
        let secrets = known.withLock { $0 }
        return secrets.isEmpty ? text : redact(text, secrets)
    }
}

/// A log handler that replaces remembered secret values (`Secrets.remember`) in every
/// message and metadata value before the wrapped handler writes them: plugins' own errors
/// (a server echoing a password back, a connection string in an exception) are covered too.
public struct RedactingLogHandler: LogHandler {
    public var inner: any LogHandler

    public init(_ inner: any LogHandler) { self.inner = inner }

    public var logLevel: Logger.Level {
        get { inner.logLevel }
        set { inner.logLevel = newValue }
    }

    public var metadata: Logger.Metadata {
        get { inner.metadata }
        set { inner.metadata = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { inner[metadataKey: key] }
        set { inner[metadataKey: key] = newValue }
    }

    public func log(event: LogEvent) {
        var e = event
        e.message = "\(Secrets.redactRemembered("\(event.message)"))"
        e.metadata = event.metadata?.mapValues { .string(Secrets.redactRemembered("\($0)")) }
        inner.log(event: e)
    }
}
