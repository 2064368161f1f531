import SluiceCore
import Testing

@testable import SluiceCLI

/// Every pipeline-setting flag names a key of the settings table (so its value is validated
/// there) and takes its help from it.
@Suite struct SettingFlagsTests {
    @Test func everyFlagIsATableKey() {
        for flag in SettingFlags.all {
            #expect(PipelineSettingSpecs.spec(flag.key) != nil, "--\(flag.key) is not in PipelineSettingSpecs")
        }
        #expect(SettingFlags.shown("pipeline.workers") == "-w, --pipeline.workers")
        #expect(SettingFlags.shown("queue.drain") == nil)
    }
}
