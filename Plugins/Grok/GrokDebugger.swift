import SluiceCore

/// Matches lines against one grok pattern and returns the fields it captures, exactly as
/// the `grok` filter would store them: the engine of `sluice grok`. Lines need not be
/// valid UTF-8 (they are then matched byte by byte).
public final class GrokDebugger {
    public enum Outcome: Sendable {
        case matched(FieldMap)
        case noMatch
        /// The pattern exceeded its time budget (`timeoutMillis`) on this line.
        case timedOut
    }

    public let pattern: GrokPattern
    private let compiled: GrokCompiledPattern
    private let store: GrokCaptureStore

    public init(pattern: String, library: GrokLibrary, timeoutMillis: Int = 30000,
                namedCapturesOnly: Bool = true, keepEmptyCaptures: Bool = false) throws(GrokError) {
        let limits = RegexMatchLimits(GrokTimeout.limits(timeoutMillis: timeoutMillis))
        self.pattern = try GrokPattern(pattern, library: library, namedCapturesOnly: namedCapturesOnly, limits: limits)
        compiled = GrokCompiledPattern(self.pattern, target: nil, overwrite: [])
        store = GrokCaptureStore(keepEmpty: keepEmptyCaptures)
    }

    public func match(_ line: UnsafeBufferPointer<UInt8>) -> Outcome {
        switch pattern.match(line, validUTF8: false) {
        case .matched:
            var event = Event(fields: FieldMap(), stamp: false)
            store.store(compiled, line, into: &event)
            return .matched(event.fields)
        case .limitExceeded:
            return .timedOut
        case .noMatch, .failed:
            return .noMatch
        }
    }

    public func match(_ line: String) -> Outcome {
        var line = line
        return line.withUTF8 { match($0) }
    }
}
