import CPCRE2

/// A compiled PCRE2 pattern with JIT. One instance per worker: it owns its match data,
/// so it is not safe to share across threads (build one per worker instead).
public final class Regex {
    public let pattern: String
    public let options: Options
    private let code: OpaquePointer
    private let matchData: OpaquePointer
    /// The match data's offset vector, read after each match (start/end pairs per group).
    @usableFromInline let ovector: UnsafeMutablePointer<Int>
    private var limits: RegexMatchLimits?
    public let captureCount: Int

    public struct CompileError: Error, CustomStringConvertible, Sendable {
        public let pattern: String
        public let offset: Int
        public let message: String
        public var description: String { "invalid regular expression at offset \(offset): \(message)" }
    }

    public struct Options: OptionSet, Sendable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        public static let caseless = Options(rawValue: PCRE2_CASELESS)
        public static let dotAll = Options(rawValue: PCRE2_DOTALL)
        public static let multiline = Options(rawValue: PCRE2_MULTILINE)
        /// Match bytes rather than UTF-8 characters (`.` is one byte). For subjects that
        /// are not valid UTF-8; captures may then split a character.
        public static let bytes = Options(rawValue: 1 << 28)  // a bit PCRE2 leaves unused
    }

    /// How a match attempt ended.
    public enum MatchResult: Equatable, Sendable {
        case matched
        case noMatch
        /// A match, depth, heap or JIT-stack limit stopped the attempt (a runaway pattern).
        case limitExceeded
        /// Any other PCRE2 error (its code).
        case failed(Int32)
    }

    public init(_ pattern: String, options: Options = []) throws(CompileError) {
        self.pattern = pattern
        self.options = options
        var err: Int32 = 0
        var off: Int = 0
        // Invalid UTF-8 never matches instead of failing the whole match.
        let utf: UInt32 = options.contains(.bytes) ? 0 : UInt32(PCRE2_UTF | PCRE2_MATCH_INVALID_UTF)
        let flags = options.subtracting(.bytes).rawValue | utf
        let source = utf == 0 ? pattern : Regex.wrapNegatedShorthands(pattern)
        let compiled = source.withCString { p in
            pcre2_compile_8(UnsafeRawPointer(p).assumingMemoryBound(to: UInt8.self), source.utf8.count,
                            flags, &err, &off, nil)
        }
        guard let compiled else {
            throw CompileError(pattern: pattern, offset: off, message: Regex.message(for: err))
        }
        code = compiled
        pcre2_jit_compile_8(compiled, UInt32(PCRE2_JIT_COMPLETE))  // falls back to the interpreter if JIT is unavailable
        guard let md = pcre2_match_data_create_from_pattern_8(compiled, nil),
              let ov = pcre2_get_ovector_pointer_8(md) else {
            pcre2_code_free_8(compiled)
            throw CompileError(pattern: pattern, offset: 0, message: "out of memory")
        }
        matchData = md
        ovector = ov
        var n: UInt32 = 0
        pcre2_pattern_info_8(compiled, UInt32(PCRE2_INFO_CAPTURECOUNT), &n)
        captureCount = Int(n)
    }

    deinit {
        pcre2_match_data_free_8(matchData)
        pcre2_code_free_8(code)
    }

    static func message(for code: Int32) -> String {
        var buf = [UInt8](repeating: 0, count: 256)
        let n = pcre2_get_error_message_8(code, &buf, buf.count)
        return n > 0 ? String(decoding: buf[0..<Int(n)], as: UTF8.self) : "error \(code)"
    }

    /// Group numbers by name, from PCRE2's name table. Read once after compiling
    /// so that matching never looks names up.
    public var groupNumbers: [String: Int] {
        var count: UInt32 = 0, entrySize: UInt32 = 0
        var table: UnsafePointer<UInt8>? = nil
        pcre2_pattern_info_8(code, UInt32(PCRE2_INFO_NAMECOUNT), &count)
        pcre2_pattern_info_8(code, UInt32(PCRE2_INFO_NAMEENTRYSIZE), &entrySize)
        pcre2_pattern_info_8(code, UInt32(PCRE2_INFO_NAMETABLE), &table)
        guard count > 0, let table else { return [:] }
        var out: [String: Int] = [:]
        for i in 0..<Int(count) {
            // Each entry: the group number (2 bytes, big-endian), then the NUL-terminated name.
            let entry = table + i * Int(entrySize)
            let number = Int(entry[0]) << 8 | Int(entry[1])
            var end = 2
            while end < Int(entrySize), entry[end] != 0 { end += 1 }
            out[String(decoding: UnsafeBufferPointer(start: entry + 2, count: end - 2), as: UTF8.self)] = number
        }
        return out
    }

    /// Bounds the cost of every later match (see `RegexMatchLimits`). Several regexes of
    /// one worker may share one limits object.
    public func setLimits(_ l: RegexMatchLimits?) {
        limits = l
    }

    /// Matches `buf` from byte `start`. After `.matched`, `range(ofGroup:)` reads the groups.
    /// Any bytes are safe: invalid UTF-8 sequences never match (compile with `.bytes` to
    /// match them byte by byte). `validUTF8` promises a valid subject, as every Swift String is.
    @inline(__always)
    public func match(_ buf: UnsafeBufferPointer<UInt8>, from start: Int = 0, validUTF8: Bool = false) -> MatchResult {
        let opts: UInt32 = validUTF8 && !options.contains(.bytes) ? UInt32(PCRE2_NO_UTF_CHECK) : 0
        var rc = pcre2_match_8(code, buf.baseAddress, buf.count, start, opts, matchData, limits?.context)
        if rc == PCRE2_ERROR_JIT_STACKLIMIT {
            // Deep backtracking on a long subject: the interpreter keeps its frames on the
            // heap (bounded by the heap limit) where JIT code would need a huge stack.
            rc = pcre2_match_8(code, buf.baseAddress, buf.count, start, opts | UInt32(PCRE2_NO_JIT),
                               matchData, limits?.context)
        }
        if rc >= 0 { return .matched }
        switch rc {
        case PCRE2_ERROR_NOMATCH: return .noMatch
        case PCRE2_ERROR_MATCHLIMIT, PCRE2_ERROR_DEPTHLIMIT, PCRE2_ERROR_HEAPLIMIT,
             PCRE2_ERROR_JIT_STACKLIMIT, PCRE2_ERROR_NOMEMORY:
            return .limitExceeded
        default: return .failed(rc)
        }
    }

    /// The byte range of group `i` in the last successful match, nil when it did not take part.
    @inlinable
    public func range(ofGroup i: Int) -> Range<Int>? { Regex.range(ofGroup: i, in: ovector) }

    /// The same, read from a saved `offsets` pointer: callers on the hot path keep it to
    /// avoid going through the (reference-counted) regex for every capture.
    @inlinable
    public static func range(ofGroup i: Int, in offsets: UnsafeMutablePointer<Int>) -> Range<Int>? {
        let s = offsets[2 * i], e = offsets[2 * i + 1]
        return s == ~Int(0) || e < s ? nil : s..<e
    }

    /// Where the offsets of the last match are (PCRE2's ovector), valid as long as the regex.
    @inlinable
    public var offsets: UnsafeMutablePointer<Int> { ovector }

    /// True when the pattern matches anywhere in `text`.
    public func matches(_ text: String) -> Bool {
        var t = text
        return t.withUTF8 { buf in match(buf, validUTF8: true) == .matched }
    }

    /// The byte ranges of the whole match and each group (nil for unset groups), or nil.
    public func firstMatch(in buf: UnsafeBufferPointer<UInt8>, from start: Int = 0,
                           validUTF8: Bool = false) -> [Range<Int>?]? {
        guard match(buf, from: start, validUTF8: validUTF8) == .matched else { return nil }
        var out: [Range<Int>?] = []
        out.reserveCapacity(captureCount + 1)
        for i in 0...captureCount { out.append(range(ofGroup: i)) }
        return out
    }

    /// Replaces every match in `text` with `replacement`, where `\1`..`\9` name groups (Ruby's gsub).
    public func replaceAll(in text: String, with replacement: String) -> String {
        var t = text
        return t.withUTF8 { buf -> String in
            var out: [UInt8] = []
            out.reserveCapacity(buf.count)
            var pos = 0
            var last = 0
            let rep = Array(replacement.utf8)
            while pos <= buf.count, let m = firstMatch(in: buf, from: pos, validUTF8: true), let whole = m[0] {
                out.append(contentsOf: buf[last..<whole.lowerBound])
                var i = 0
                while i < rep.count {
                    if rep[i] == UInt8(ascii: "\\"), i + 1 < rep.count, rep[i + 1] >= 48, rep[i + 1] <= 57 {
                        let g = Int(rep[i + 1] - 48)
                        if g < m.count, let r = m[g] { out.append(contentsOf: buf[r]) }
                        i += 2
                    } else {
                        out.append(rep[i]); i += 1
                    }
                }
                last = whole.upperBound
                if whole.isEmpty {
                    // Step over one whole character: matching must start on a character boundary.
                    var next = whole.upperBound + 1
                    while next < buf.count, buf[next] & 0xC0 == 0x80 { next += 1 }
                    if whole.upperBound < buf.count { out.append(contentsOf: buf[whole.upperBound..<min(next, buf.count)]) }
                    last = next
                    pos = next
                } else {
                    pos = whole.upperBound
                }
            }
            if last < buf.count { out.append(contentsOf: buf[last...]) }
            return String(decoding: out, as: UTF8.self)
        }
    }
}
