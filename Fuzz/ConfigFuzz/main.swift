// The pipeline-language parser (`ConfigParser.parse`), with `${VAR}` substitution and escapes,
// and the rendering of its errors (file:line:col, the line and a caret).
import SluiceCore
import LibFuzzerDriver
#if canImport(Glibc)
import Glibc
#endif

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ bytes: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data = bytes else { return 0 }
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    // Alternate the option that changes how strings are read.
    let options = ParseOptions(supportEscapes: size % 2 == 0, environment: ["HOME": "/home/fuzz"])
    do {
        _ = try ConfigParser.parse(text, name: "fuzz.conf", options: options)
    } catch {
        _ = error.description
    }
    return 0
}

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv, fuzz))
