import CPCRE2

/// A compiled PCRE2 pattern with JIT. One instance per worker: it owns its match data,
/// so it is not safe to share across threads (build one per worker instead).
public final class Regex {
    public let pattern: String
    private let code: OpaquePointer
    private let matchData: OpaquePointer
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
    }

    public init(_ pattern: String, options: Options = []) throws(CompileError) {
        self.pattern = pattern
        var err: Int32 = 0
        var off: Int = 0
        let utf = UInt32(PCRE2_UTF | PCRE2_MATCH_INVALID_UTF)
        let compiled = pattern.withCString { p in
            pcre2_compile_8(UnsafeRawPointer(p).assumingMemoryBound(to: UInt8.self), pattern.utf8.count,
                            options.rawValue | utf, &err, &off, nil)
        }
        guard let compiled else {
            throw CompileError(pattern: pattern, offset: off, message: Regex.message(for: err))
        }
        code = compiled
        pcre2_jit_compile_8(compiled, UInt32(PCRE2_JIT_COMPLETE))  // falls back to the interpreter if JIT is unavailable
        guard let md = pcre2_match_data_create_from_pattern_8(compiled, nil) else {
            pcre2_code_free_8(compiled)
            throw CompileError(pattern: pattern, offset: 0, message: "out of memory")
        }
        matchData = md
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

    /// True when the pattern matches anywhere in `text`.
    public func matches(_ text: String) -> Bool {
        var t = text
        return t.withUTF8 { buf in
            pcre2_match_8(code, buf.baseAddress, buf.count, 0, 0, matchData, nil) >= 0
        }
    }

    /// The byte ranges of the whole match and each group (nil for unset groups), or nil.
    public func firstMatch(in buf: UnsafeBufferPointer<UInt8>, from start: Int = 0) -> [Range<Int>?]? {
        let rc = pcre2_match_8(code, buf.baseAddress, buf.count, start, 0, matchData, nil)
        guard rc >= 0 else { return nil }
        let ov = pcre2_get_ovector_pointer_8(matchData)!
        var out: [Range<Int>?] = []
        out.reserveCapacity(captureCount + 1)
        for i in 0...captureCount {
            let s = ov[2 * i], e = ov[2 * i + 1]
            out.append(s == ~Int(0) ? nil : Int(s)..<Int(e))
        }
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
            while pos <= buf.count, let m = firstMatch(in: buf, from: pos), let whole = m[0] {
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
                    if whole.upperBound < buf.count { out.append(buf[whole.upperBound]) }
                    last = whole.upperBound + 1
                    pos = whole.upperBound + 1
                } else {
                    pos = whole.upperBound
                }
            }
            if last < buf.count { out.append(contentsOf: buf[last...]) }
            return String(decoding: out, as: UTF8.self)
        }
    }
}
