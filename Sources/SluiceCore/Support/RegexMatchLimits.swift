import CPCRE2

/// A PCRE2 match context that bounds what one match may cost, instead of a timer:
/// a runaway pattern (`(a+)+$` on `aaaa…b`) stops with `.limitExceeded` after a bounded
/// amount of work, and the worker goes on with the next event.
///
/// - `matchLimit` caps backtracking steps (JIT and interpreter both honour it);
/// - `depthLimit` caps backtracking depth in the interpreter;
/// - `heapLimitKiB` caps the interpreter's heap frames;
/// - the JIT stack may grow to `jitStackBytes`; a match that needs more is retried by the
///   interpreter (see `Regex.match`), whose frames live on the heap under the limits above.
public final class RegexMatchLimits {
    public let settings: Settings
    public struct Settings: Sendable, Equatable {
        public var matchLimit: UInt32
        public var depthLimit: UInt32
        public var heapLimitKiB: UInt32
        public var jitStackBytes: Int

        public init(matchLimit: UInt32, depthLimit: UInt32, heapLimitKiB: UInt32 = 64 * 1024,
                    jitStackBytes: Int = 1 << 20) {
            self.matchLimit = matchLimit
            self.depthLimit = depthLimit
            self.heapLimitKiB = heapLimitKiB
            self.jitStackBytes = jitStackBytes
        }
    }

    let context: OpaquePointer?
    private let jitStack: OpaquePointer?

    public init(_ s: Settings) {
        settings = s
        context = pcre2_match_context_create_8(nil)
        jitStack = pcre2_jit_stack_create_8(32 * 1024, max(32 * 1024, s.jitStackBytes), nil)
        guard let context else { return }
        pcre2_set_match_limit_8(context, s.matchLimit)
        pcre2_set_depth_limit_8(context, s.depthLimit)
        pcre2_set_heap_limit_8(context, s.heapLimitKiB)
        if let jitStack { pcre2_jit_stack_assign_8(context, nil, UnsafeMutableRawPointer(jitStack)) }
    }

    deinit {
        if let context { pcre2_match_context_free_8(context) }
        if let jitStack { pcre2_jit_stack_free_8(jitStack) }
    }
}
