// Field references (`[a][b][0]`) and sprintf templates (`%{[a][b]}`, `%{+YYYY.MM.dd}`):
// parse, then set (what was set must read back), remove, and render on an event.
import SluiceCore
import LibFuzzerDriver
#if canImport(Glibc)
import Glibc
#endif

let base: Event = {
    var e = Event(message: "hello", timestamp: Timestamp(nanoseconds: 1_700_000_000_123_456_789))
    _ = e.set(FieldReference(path: ["a", "b"]), .array([.int(1), .string("x"), .object(FieldMap())]))
    return e
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ bytes: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data = bytes else { return 0 }
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    var event = base
    if let ref = try? FieldReference(parsing: text) {
        _ = ref.description
        if event.set(ref, .string("v")) {
            precondition(event[ref] == .string("v"), "`\(text)` was set but does not read back")
        }
        _ = event.remove(ref)
    }
    let template = Template(text)
    _ = template.render(event)
    return 0
}

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv, fuzz))
