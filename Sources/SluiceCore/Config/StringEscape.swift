/// Backslash escapes in quoted strings when `config.support_escapes` is on, as Logstash's
/// `LogStash::Config::StringEscape`: `\\ \" \' \n \r \t \0`; any other `\x` stays as written.
public enum StringEscape {
    public static func process(_ input: String) -> String {
        guard input.utf8.contains(UInt8(ascii: "\\")) else { return input }
        var out = String.UnicodeScalarView()
        var it = input.unicodeScalars.makeIterator()
        while let c = it.next() {
            guard c == "\\" else { out.append(c); continue }
            guard let n = it.next() else { out.append(c); break }
            switch n {
            case "\"", "'", "\\": out.append(n)
            case "n": out.append("\n")
            case "r": out.append("\r")
            case "t": out.append("\t")
            case "0": out.append("\0")
            default: out.append(c); out.append(n)
            }
        }
        return String(out)
    }
}
