import SluiceCore

/// A grok pattern compiled once into a PCRE2 regex (JIT, dot matches newline, `^`/`$` at
/// line boundaries as in Ruby, ASCII `\w \d \s`). It owns its match data, so like `Regex`
/// it belongs to one worker.
///
/// Captures are resolved to group numbers at compile time; matching never looks up names.
public final class GrokPattern {
    /// One field the pattern captures.
    public struct Capture: Sendable {
        /// The field as written in the pattern (`clientip`, `[http][response][status_code]`).
        public let name: String
        public let field: FieldReference
        /// `int` or `float` when the pattern says `:int` / `:float`.
        public let conversion: String?
        let convert: GrokConversion?
        let group: Int
    }

    public let source: String
    /// The regex after expansion (what PCRE2 compiles).
    public let expanded: String
    public let captures: [Capture]
    private let regex: Regex
    /// Compiled on first use, for subjects that are not valid UTF-8.
    private var byteRegex: Regex?
    /// The offsets of the last match: the UTF-8 regex's or, after a byte-wise match, the
    /// byte regex's (both live as long as this pattern).
    private var lastOffsets: UnsafeMutablePointer<Int>
    private let limits: RegexMatchLimits?

    static let options: Regex.Options = [.dotAll, .multiline]

    public init(_ pattern: String, library: GrokLibrary, namedCapturesOnly: Bool = true,
                limits: RegexMatchLimits? = nil) throws(GrokError) {
        source = pattern
        self.limits = limits
        var expander = GrokExpander(library: library, namedCapturesOnly: namedCapturesOnly)
        expanded = try expander.expand(pattern)
        do {
            regex = try Regex(expanded, options: Self.options)
        } catch {
            throw GrokError(Self.describe(error, pattern: pattern, expanded: expanded, library: library))
        }
        regex.setLimits(limits)
        lastOffsets = regex.offsets
        let numbers = regex.groupNumbers
        var caps: [Capture] = []
        for spec in expander.captures {
            guard let group = numbers[spec.groupName] else { continue }
            let field: FieldReference
            do { field = try FieldReference(parsing: spec.fieldText) } catch {
                throw GrokError("invalid field name `\(spec.fieldText)` in `\(pattern)`: \(error.reason)")
            }
            caps.append(Capture(name: spec.fieldText, field: field, conversion: spec.conversion?.rawValue,
                                convert: spec.conversion, group: group))
        }
        captures = caps
    }

    /// Matches `buf`. Valid UTF-8 (every Swift String) is matched as characters; anything
    /// else byte by byte, so no input can make matching fail or crash.
    @inline(__always)
    public func match(_ buf: UnsafeBufferPointer<UInt8>, validUTF8: Bool) -> Regex.MatchResult {
        if validUTF8 || Self.isValidUTF8(buf) {
            lastOffsets = regex.offsets
            return regex.match(buf, validUTF8: true)
        }
        let bytes = bytewise()
        lastOffsets = bytes.offsets
        return bytes.match(buf)
    }

    /// The bytes of `capture` in the last successful match, nil when it did not take part.
    @inline(__always)
    public func range(of capture: Capture) -> Range<Int>? { range(ofGroup: capture.group) }

    @inline(__always)
    func range(ofGroup group: Int) -> Range<Int>? { Regex.range(ofGroup: group, in: lastOffsets) }

    /// The value of `capture` in the last match: its text (invalid UTF-8 replaced by U+FFFD)
    /// or its `:int`/`:float` conversion; nil when the capture did not take part.
    @inline(__always)
    public func value(of capture: Capture, in buf: UnsafeBufferPointer<UInt8>) -> Value? {
        guard let r = range(of: capture) else { return nil }
        let slice = UnsafeBufferPointer(rebasing: buf[r])
        if let c = capture.convert { return c.convert(slice) }
        return .string(String(decoding: slice, as: UTF8.self))
    }

    private func bytewise() -> Regex {
        if let byteRegex { return byteRegex }
        // The same regex over bytes. If it cannot be compiled that way (code points above
        // 255), the UTF-8 one runs instead: invalid sequences then just never match.
        let r = (try? Regex(expanded, options: Self.options.union(.bytes))) ?? regex
        r.setLimits(limits)
        byteRegex = r
        return r
    }

    static func isValidUTF8(_ buf: UnsafeBufferPointer<UInt8>) -> Bool {
        // ASCII fast path, then the standard library's validation.
        var i = 0
        while i < buf.count, buf[i] < 0x80 { i += 1 }
        if i == buf.count { return true }
        return String(validating: UnsafeBufferPointer(rebasing: buf[i...]), as: UTF8.self) != nil
    }

    /// A compile error, naming the pattern definition at fault when one fails on its own.
    private static func describe(_ error: Regex.CompileError, pattern: String, expanded: String,
                                 library: GrokLibrary) -> String {
        for name in referencedNames(pattern, library: library) {
            guard let def = library[name] else { continue }
            var e = GrokExpander(library: library, namedCapturesOnly: true)
            guard let text = try? e.expand(def.regex) else { continue }
            do { _ = try Regex(text, options: options) } catch {
                return "invalid regular expression in pattern `\(name)` (\(def.origin)): \(error.message)"
            }
        }
        let bytes = Array(expanded.utf8)
        let at = min(max(0, error.offset), bytes.count)
        let context = String(decoding: bytes[max(0, at - 30)..<min(bytes.count, at + 10)], as: UTF8.self)
        return "invalid regular expression in `\(pattern)`: \(error.message) (near `\(context)`)"
    }

    /// Names referenced by `pattern`, directly or through other patterns, deepest first.
    private static func referencedNames(_ pattern: String, library: GrokLibrary) -> [String] {
        var seen: Set<String> = []
        var order: [String] = []
        func visit(_ text: String, depth: Int) {
            guard depth < 64 else { return }
            let t = Array(text.utf8)
            var i = 0
            while i + 1 < t.count {
                if t[i] == UInt8(ascii: "%"), t[i + 1] == UInt8(ascii: "{"), let ref = GrokReference.parse(t, i) {
                    if seen.insert(ref.name).inserted, let def = library[ref.name] {
                        visit(def.regex, depth: depth + 1)
                        order.append(ref.name)
                    }
                    i = ref.end
                } else {
                    i += 1
                }
            }
        }
        visit(pattern, depth: 0)
        return order
    }
}
