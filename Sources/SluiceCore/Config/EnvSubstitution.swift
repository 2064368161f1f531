#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `${VAR}` and `${VAR:default}` in configuration values, as Logstash's
/// `SubstitutionVariables` (names match `[a-zA-Z_.][a-zA-Z0-9_.]*`; anything else is left as written).
public enum EnvSubstitution {
    public struct Undefined: Error, Sendable {
        /// The placeholder as written, e.g. `${HOME}`.
        public let placeholder: String
        public let name: String
        /// Byte offset of the placeholder in the string.
        public let offset: Int

        public var message: String {
            "Cannot evaluate `\(placeholder)`. Replacement variable `\(name)` is not defined in the environment "
                + "and there is no default value given."
        }
    }

    /// Replaces every placeholder in `text`. `environment` nil means the process environment.
    public static func substitute(_ text: String, environment: [String: String]?) throws(Undefined) -> String {
        let b = Array(text.utf8)
        guard let first = findStart(b, from: 0) else { return text }
        var out: [UInt8] = []
        out.reserveCapacity(b.count)
        var copied = 0
        var i = first
        while i + 1 < b.count {
            guard b[i] == UInt8(ascii: "$"), b[i + 1] == UInt8(ascii: "{"),
                  let (name, defaultValue, end) = placeholder(b, at: i)
            else { i += 1; continue }
            out.append(contentsOf: b[copied..<i])
            guard let value = lookup(name, environment) ?? defaultValue else {
                throw Undefined(placeholder: String(decoding: b[i..<end], as: UTF8.self), name: name, offset: i)
            }
            out.append(contentsOf: value.utf8)
            copied = end
            i = end
        }
        out.append(contentsOf: b[copied...])
        return String(decoding: out, as: UTF8.self)
    }

    private static func findStart(_ b: [UInt8], from: Int) -> Int? {
        var i = from
        while i + 1 < b.count {
            if b[i] == UInt8(ascii: "$"), b[i + 1] == UInt8(ascii: "{") { return i }
            i += 1
        }
        return nil
    }

    /// Parses `${name}` or `${name:default}` at `i`; returns the end offset (after `}`).
    private static func placeholder(_ b: [UInt8], at i: Int) -> (String, String?, Int)? {
        var j = i + 2
        let nameStart = j
        while j < b.count, isNameByte(b[j], first: j == nameStart) { j += 1 }
        guard j > nameStart, j < b.count else { return nil }
        let name = String(decoding: b[nameStart..<j], as: UTF8.self)
        if b[j] == UInt8(ascii: "}") { return (name, nil, j + 1) }
        guard b[j] == UInt8(ascii: ":") else { return nil }
        let defStart = j + 1
        var k = defStart
        while k < b.count, b[k] != UInt8(ascii: "}") { k += 1 }
        guard k < b.count else { return nil }
        return (name, String(decoding: b[defStart..<k], as: UTF8.self), k + 1)
    }

    private static func isNameByte(_ c: UInt8, first: Bool) -> Bool {
        switch c {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "_"), UInt8(ascii: "."): return true
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return !first
        default: return false
        }
    }

    private static func lookup(_ name: String, _ environment: [String: String]?) -> String? {
        if let environment { return environment[name] }
        guard let p = getenv(name) else { return nil }
        return String(cString: p)
    }
}
