// The condition compiler: the input is the condition of `if <input> { }`, parsed by the
// config parser, compiled once (`ConditionCompiler.compile`) and evaluated on an event.
// The regression replay in Tests/CLITests wraps stored inputs the same way.
import SluiceCore
import LibFuzzerDriver
#if canImport(Glibc)
import Glibc
#endif

let event: Event = {
    var e = Event(message: "GET /index.html 200 1.5")
    _ = e.set(FieldReference(path: ["status"]), .int(200))
    _ = e.set(FieldReference(path: ["ratio"]), .double(0.5))
    _ = e.set(FieldReference(path: ["nested", "list"]), .array([.string("a"), .int(1), .null]))
    _ = e.set(FieldReference(path: ["ok"]), .bool(true))
    e.addTag("fuzz")
    return e
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ bytes: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data = bytes else { return 0 }
    let condition = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let text = "filter {\n  if " + condition + " {\n  }\n}\n"
    guard let config = try? ConfigParser.parse(text, name: "fuzz.conf") else { return 0 }
    for case .conditional(let c) in config.filters {
        for branch in c.branches {
            if let compiled = try? ConditionCompiler.compile(branch.condition, at: branch.location) {
                _ = compiled(event)
            }
        }
    }
    return 0
}

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv, fuzz))
