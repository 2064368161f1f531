import SluiceCore

/// How `timeout_millis` becomes PCRE2 limits. There is no timer: a match may take at most
/// a number of backtracking steps proportional to the timeout, so a runaway pattern stops
/// after roughly that time and the event is tagged `_groktimeout`.
///
/// The mapping, measured with JIT code on one core of the build machine (catastrophic
/// patterns like `(a+)+$` run 270k–380k steps per millisecond):
///
/// | setting            | PCRE2 limit                                          |
/// | ------------------ | ---------------------------------------------------- |
/// | `timeout_millis` N | match limit = N × 250,000 steps (at most 2³²−1, ~15 s) |
/// |                    | depth limit = the same number                        |
/// |                    | heap limit 64 MiB, JIT stack up to 1 MiB             |
/// | `timeout_millis` 0 | match and depth limits 2³²−1 (no practical limit)    |
///
/// The default 30,000 ms therefore allows 2³²−1 steps. The interpreter, used when a match
/// needs more JIT stack than allowed, counts its steps more coarsely; the heap limit
/// bounds it as well.
enum GrokTimeout {
    static let stepsPerMillisecond: UInt64 = 250_000

    static func limits(timeoutMillis: Int) -> RegexMatchLimits.Settings {
        let steps: UInt32
        if timeoutMillis <= 0 {
            steps = UInt32.max
        } else {
            steps = UInt32(clamping: UInt64(timeoutMillis) * stepsPerMillisecond)
        }
        return RegexMatchLimits.Settings(matchLimit: max(steps, 10_000), depthLimit: max(steps, 10_000),
                                         heapLimitKiB: 64 * 1024, jitStackBytes: 1 << 20)
    }
}
