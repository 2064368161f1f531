// Dissect mappings (`%{a} %{+a/2} %{?k}=%{&k} %{b->}`): parse the mapping, then apply it to
// a line. `DissectPattern` is internal to the family; the fuzz build enables testing.
@testable import GrokPlugins
import SluiceCore
import LibFuzzerDriver
#if canImport(Glibc)
import Glibc
#endif

let line = "2024-01-02 10:11:12  WARN  [main] key=value rest of the message"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ bytes: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data = bytes else { return 0 }
    let mapping = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let pattern = try? DissectPattern(mapping) else { return 0 }
    var event = Event(message: line)
    _ = pattern.apply(line, to: &event)
    return 0
}

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv, fuzz))
