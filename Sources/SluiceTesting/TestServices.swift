import SluiceCore
#if canImport(Glibc)
import Glibc
#endif

/// Addresses of the test servers `scripts/services.sh start` runs (`make test` starts them).
/// They are read from `Tests/.services/services.json` of the package being tested (or the
/// file named by `SLUICE_SERVICES_FILE`). A missing service is an error, so its tests fail
/// with a message saying how to start it; they never skip.
public enum TestServices {
    public struct NotRunning: Error, CustomStringConvertible {
        public let service: String
        public let file: String
        public var description: String {
            "test service \(service) is not running: start it with `scripts/services.sh start` (make test does this); looked in \(file)"
        }
    }

    /// The value of `name` in the services file, e.g. `url("http_sink")` -> "http://127.0.0.1:40123".
    public static func url(_ name: String) throws(NotRunning) -> String {
        let file = servicesFile
        guard let bytes = FileIO.readFile(file), let root = try? JSON.decode(bytes),
              let value = root.objectValue?[name]?.stringValue, !value.isEmpty else {
            throw NotRunning(service: name, file: file)
        }
        return value
    }

    /// Same as `url`: for entries that are file paths (e.g. "http_sink_ca").
    public static func path(_ name: String) throws(NotRunning) -> String { try url(name) }

    static var servicesFile: String {
        if let env = getenv("SLUICE_SERVICES_FILE") { return String(cString: env) }
        let relative = "Tests/.services/services.json"
        if FileIO.readFile(relative) != nil { return relative }
        // This file is Sources/SluiceTesting/TestServices.swift of the checkout under test.
        let parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        return (parts.dropLast(3) + ["Tests", ".services", "services.json"]).joined(separator: "/")
    }
}
