// The settings file (`sluice.yml`), through the entry point the command line uses:
// `SettingsSources.load` reads the file and applies every entry through the settings table.
// It reads a path, so each input is written to a scratch file first.
@testable import SluiceCLI
#if canImport(Glibc)
import Glibc
#endif
import LibFuzzerDriver

let path = "/tmp/sluice-settings-fuzz-\(getpid()).yml"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ bytes: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data = bytes else { return 0 }
    guard let f = fopen(path, "wb") else { return 0 }
    _ = fwrite(data, 1, size, f)
    fclose(f)
    do {
        _ = try SettingsSources.load(pathSettings: path, flags: [])
    } catch {
        _ = "\(error)"
    }
    return 0
}

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv, fuzz))
