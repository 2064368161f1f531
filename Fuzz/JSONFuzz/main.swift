// The JSON decoder on the codecs' path (`JSON.decode`), and the encoder on what it decoded:
// whatever the decoder accepts, the encoder must write as JSON the decoder reads back.
import SluiceCore
import LibFuzzerDriver
#if canImport(Glibc)
import Glibc
#endif

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ bytes: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data = bytes else { return 0 }
    guard let value = try? JSON.decode(UnsafeBufferPointer(start: data, count: size)) else { return 0 }
    let encoded = JSON.encode(value)
    do {
        _ = try JSON.decode(encoded)
    } catch {
        preconditionFailure("the encoder wrote JSON its decoder rejects (\(error)): \(String(decoding: encoded, as: UTF8.self))")
    }
    return 0
}

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv, fuzz))
