import SluiceCLI
import SluiceCore
import Testing

@testable import sluice

/// The `sluice` binary's one list of families gives the registry every built-in plugin.
@Suite struct BuiltinFamiliesTests {
    @Test func theRegistryHoldsEveryFamily() {
        let r = SluiceHost.registry(families: BuiltinFamilies.all)
        #expect(Set(r.names(.input)).isSuperset(of: ["stdin", "generator", "file", "dead_letter_queue", "spooldir", "kafka_lag"]))
        #expect(Set(r.names(.filter)).isSuperset(of: ["mutate", "drop", "json", "date", "grok", "dissect", "kv", "csv", "fingerprint"]))
        #expect(Set(r.names(.output)).isSuperset(of: ["stdout", "file", "null", "http", "kafka", "webhdfs", "mongodb", "csv"]))
        #expect(Set(r.names(.codec)).isSuperset(of: ["plain", "line", "json", "json_lines", "rubydebug", "dots"]))
    }
}
