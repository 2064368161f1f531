#if canImport(Glibc)
import Glibc
#endif

/// The machine's host name, read once (inputs stamp it on events as Logstash does).
enum Host {
    static let name: String = {
        var buf = [CChar](repeating: 0, count: 256)
        guard gethostname(&buf, buf.count) == 0 else { return "localhost" }
        return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }()
}
