// Grok pattern expansion (`%{NAME:field:type}`, `%{NAME=regex}`, Oniguruma rewrites) and
// compilation with PCRE2, then one match on a typical line, with the filter's match limits.
import GrokPlugins
import SluiceCore
import LibFuzzerDriver
#if canImport(Glibc)
import Glibc
#endif

let library = GrokLibrary.builtIn(.disabled)
// As the filter bounds a match (`timeout_millis`), so that a runaway regex ends.
nonisolated(unsafe) let limits = RegexMatchLimits(.init(matchLimit: 1_000_000, depthLimit: 100_000))
let line = Array("127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] \"GET /apache_pb.gif HTTP/1.0\" 200 2326".utf8)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ bytes: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data = bytes else { return 0 }
    let pattern = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let grok = try? GrokPattern(pattern, library: library, limits: limits)
    else { return 0 }
    line.withUnsafeBufferPointer { buf in
        if case .matched = grok.match(buf, validUTF8: true) {
            for capture in grok.captures { _ = grok.value(of: capture, in: buf) }
        }
    }
    return 0
}

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv, fuzz))
