import SluiceCore
import SluiceTesting
import Testing

private func sequences(_ events: [Event], _ field: String = "sequence") -> [Int64] {
    events.compactMap { e in if case .int(let i)? = e[field: field] { return i } else { return nil } }
}

@Suite("generator input", .timeLimit(.minutes(1)))
struct GeneratorTests {
    private let h = standardHarness(pathData: "/nonexistent-sluice-test")

    @Test func countEmitsTheDefaultMessageThatManyTimes() async throws {
        let result = try await h.run("input { generator { count => 5 } }")
        #expect(messages(result.events) == Array(repeating: "Hello world!", count: 5))
        #expect(sequences(result.events) == [0, 1, 2, 3, 4])
        #expect(result.events.allSatisfy { $0.fields["host"]?.stringValue?.isEmpty == false })
        #expect(result.events.allSatisfy { $0.fields["@version"] == .string("1") })
    }

    @Test func aMessageSettingReplacesTheDefault() async throws {
        let result = try await h.run(#"input { generator { count => 2 message => "hi there" } }"#)
        #expect(messages(result.events) == ["hi there", "hi there"])
    }

    @Test func linesCycleCountTimes() async throws {
        let result = try await h.run(#"input { generator { lines => ["a", "b", "c"] count => 2 message => "ignored" } }"#)
        #expect(messages(result.events) == ["a", "b", "c", "a", "b", "c"])
        #expect(sequences(result.events) == Array(0..<6))
    }

    @Test func sequenceNumbersRunFromZeroAcrossManyBatches() async throws {
        var h = self.h
        h.settings.batchSize = 125
        let result = try await h.run("input { generator { count => 1000 } }")
        #expect(sequences(result.events) == Array(0..<1000))
    }

    @Test func ecsCompatibilityUsesECSFieldNames() async throws {
        let result = try await h.run(#"input { generator { count => 3 ecs_compatibility => "v8" } }"#)
        #expect(sequences(result.events, "[event][sequence]") == [0, 1, 2])
        for e in result.events {
            #expect(e[field: "[host][name]"]?.stringValue?.isEmpty == false)
            #expect(e.fields["sequence"] == nil)
        }
    }

    @Test func pipelineECSCompatibilityIsTheDefaultAndAPluginSettingWins() async throws {
        var h = self.h
        h.settings.ecsCompatibility = "v8"
        let ecs = try await h.run("input { generator { count => 2 } }")
        #expect(sequences(ecs.events, "[event][sequence]") == [0, 1])
        #expect(ecs.events.allSatisfy { $0.fields["sequence"] == nil })
        let legacy = try await h.run(#"input { generator { count => 2 ecs_compatibility => "disabled" } }"#)
        #expect(sequences(legacy.events) == [0, 1])
        #expect(legacy.events.allSatisfy { $0.fields["event"] == nil })
    }

    @Test func aCodecDecodesTheMessage() async throws {
        let result = try await h.run(#"input { generator { count => 2 message => '{"a":1,"b":"x"}' codec => json } }"#)
        #expect(result.events.map { $0.fields["a"] } == [.int(1), .int(1)])
        #expect(result.events.map { $0.fields["b"] } == [.string("x"), .string("x")])
        #expect(sequences(result.events) == [0, 1])
    }

    @Test func countZeroRunsUntilStoppedAndLosesNothingInFlight() async throws {
        var h = self.h
        h.settings.workers = 2
        let running = try h.start("input { generator { } }")
        #expect(await running.waitUntil { $0.events.count >= 2000 })
        running.stop()
        let got = sequences(try await running.finish().events).sorted()
        // Whatever was generated before the stop was delivered: no gaps, no repeats.
        #expect(got.count >= 2000)
        #expect(got == Array(0..<Int64(got.count)))
    }

    @Test func aNegativeCountIsRejected() {
        let e = h.check("input { generator { count => -1 } }")
        #expect(e.map { "\($0)" }?.contains("`count`: must be 0 or more") == true)
    }
}
