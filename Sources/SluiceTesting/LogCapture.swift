import Logging
import Synchronization

/// Collects log lines in memory, so a test can check what was logged (and that no secret was).
///
/// ```swift
/// let capture = LogCapture()
/// let context = PluginContext(logger: capture.logger, pipeline: PipelineSettings())
/// #expect(!capture.all.contains("hunter2"))
/// ```
public final class LogCapture: Sendable {
    public struct Entry: Sendable {
        public var level: Logger.Level
        public var message: String
        public var metadata: String
    }
    private let state = Mutex<[Entry]>([])

    public init() {}

    public var entries: [Entry] { state.withLock { $0 } }
    /// Every line with its metadata, one per line.
    public var all: String { entries.map { "\($0.level) \($0.message) \($0.metadata)" }.joined(separator: "\n") }
    /// How many lines were logged at `level`.
    public func count(_ level: Logger.Level) -> Int { entries.filter { $0.level == level }.count }

    /// A logger at trace level writing here.
    public var logger: Logger {
        var l = Logger(label: "capture") { _ in Handler(capture: self) }
        l.logLevel = .trace
        return l
    }

    struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { $1 }
            let meta = all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            capture.state.withLock { $0.append(Entry(level: event.level, message: "\(event.message)", metadata: meta)) }
        }
    }
}
