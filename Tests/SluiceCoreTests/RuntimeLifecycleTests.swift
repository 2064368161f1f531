import Logging
import SluiceCore
import SluiceTesting
import Synchronization
import Testing

@Suite struct RuntimeLifecycleTests {
    private func steps(_ p: Probe) -> [String] {
        p.log.compactMap { if case .step(let s) = $0 { return s } else { return nil } }
    }

    @Test func outputsStartBeforeInputsAndEveryPluginClosesOnceAfterItsLastUse() async throws {
        let p = Probe.make()
        let config = """
            input { lifecycle_input { probe => "\(p.id)" id => "in" count => 7 } }
            output { lifecycle { probe => "\(p.id)" id => "out" } }
            """
        _ = try await runtimeHarness().run(config)
        let s = steps(p)
        #expect(s.first == "out start")
        #expect(s.filter { $0 == "out close" }.count == 1)
        #expect(s.filter { $0 == "in close" }.count == 1)
        #expect(s.firstIndex(of: "out start")! < s.firstIndex(of: "in start")!)
        #expect(s.firstIndex(of: "in start")! < s.firstIndex(of: "in run")!)
        #expect(s.lastIndex(of: "out write")! < s.firstIndex(of: "out close")!)
        #expect(s.firstIndex(of: "in run")! < s.firstIndex(of: "in close")!)
        #expect(p.events(by: "out").count == 7)
        #expect(p.acks.map(\.status) == [.delivered])
    }

    @Test func aTransientStartFailureIsRetriedWhileThePipelineWaits() async throws {
        let p = Probe.make()
        let config = """
            input { lifecycle_input { probe => "\(p.id)" id => "in" } }
            output { lifecycle { probe => "\(p.id)" id => "out" start_failures => 2 } }
            """
        _ = try await runtimeHarness().run(config)
        let s = steps(p)
        #expect(s.prefix(3) == ["out start", "out start", "out start"])
        #expect(s.firstIndex(of: "in start")! > 2, "the input waits until the output started")
        #expect(p.events(by: "out").count == 3)
    }

    @Test func aPermanentStartFailureStopsThePipelineNamingThePluginAndItsPlace() async throws {
        let p = Probe.make()
        let config = """
            input { lifecycle_input { probe => "\(p.id)" id => "in" } }
            output {
              lifecycle { probe => "\(p.id)" id => "first" }
              lifecycle { probe => "\(p.id)" id => "second" start_failures => -1 retriable => false }
            }
            """
        do {
            _ = try await runtimeHarness().run(config)
            Issue.record("run should have thrown")
        } catch let e as PluginStartError {
            #expect(e.pluginId == "second")
            #expect(e.cause.code == .connection)
            #expect("\(e)" == "output second (config string:4:3) could not start: bucket `b` does not answer (attempt 1)")
        }
        let s = steps(p)
        #expect(p.attempts("second start") == 1, "a permanent failure is not retried")
        #expect(!s.contains("in start") && !s.contains("in run"), "no input starts")
        #expect(s.filter { $0 == "first close" }.count == 1, "what started is closed")
        #expect(!s.contains("second close"), "what never started is not closed")
    }

    @Test func aFailingInputStartClosesTheOutputsAlreadyStarted() async throws {
        let p = Probe.make()
        let config = """
            input { lifecycle_input { probe => "\(p.id)" id => "in" start_failures => -1 } }
            output { lifecycle { probe => "\(p.id)" id => "out" } }
            """
        await #expect(throws: PluginStartError.self) { _ = try await runtimeHarness().run(config) }
        #expect(steps(p) == ["out start", "in start", "out close"])
    }

    @Test func stopReachesAnInputBlockedOutsideSwiftAndClosesEverythingOnce() async throws {
        let p = Probe.make()
        let config = """
            input { lifecycle_input { probe => "\(p.id)" id => "in" wait => true } }
            output { lifecycle { probe => "\(p.id)" id => "out" } }
            """
        let running = try runtimeHarness().start(config)
        #expect(await running.waitUntil { _ in p.events(by: "out").count == 3 })
        running.stop()
        running.stop()
        _ = try await running.finish()
        let s = steps(p)
        #expect(s.filter { $0 == "in stop" }.count == 1)
        #expect(s.filter { $0 == "in close" }.count == 1)
        #expect(s.filter { $0 == "out close" }.count == 1)
        #expect(s.firstIndex(of: "in stop")! < s.firstIndex(of: "in close")!)
    }

    @Test func stopWhileAStartIsRetriedEndsTheRunWithoutStartingInputs() async throws {
        let p = Probe.make()
        let config = """
            input { lifecycle_input { probe => "\(p.id)" id => "in" } }
            output { lifecycle { probe => "\(p.id)" id => "out" start_failures => -1 } }
            """
        let running = try runtimeHarness().start(config)
        #expect(await running.waitUntil { _ in p.attempts("out start") >= 1 })
        let clock = ContinuousClock(), begin = clock.now
        running.stop()
        _ = try await running.finish()
        #expect(clock.now - begin < .seconds(2))
        #expect(!steps(p).contains("in start"))
        #expect(!steps(p).contains("out close"), "an output that never started is not closed")
    }

    @Test func theShutdownTimeoutEndsRetriesAndLeavesTheBatchUnacknowledged() async throws {
        let p = Probe.make()
        var h = runtimeHarness()
        h.settings.shutdownTimeout = .seconds(1)
        let config = """
            input { lifecycle_input { probe => "\(p.id)" id => "in" wait => true } }
            output { lifecycle { probe => "\(p.id)" id => "out" write_fails => true } }
            """
        let running = try h.start(config)
        #expect(await running.waitUntil { _ in p.attempts("out") >= 2 })
        let clock = ContinuousClock(), begin = clock.now
        running.stop()
        _ = try await running.finish()
        let took = clock.now - begin
        #expect(took >= .seconds(1) && took < .seconds(3), "took \(took)")
        #expect(p.acks.map(\.status) == [.failed], "the input must not commit what was never written")
        #expect(steps(p).filter { $0 == "out close" }.count == 1)
    }

    @Test func retriesAreLoggedAtMostOncePerIntervalWithIdAttemptAndDelay() {
        let lines = LogCapture()
        let log = RetryLog(logger: lines.logger, interval: .seconds(60))
        for attempt in 1...5 {
            log.failed("output es_1", attempt: attempt, error: PluginError("503 Service Unavailable", retriable: true), retryIn: .milliseconds(400))
        }
        log.failed("output kafka_2", attempt: 1, error: PluginError("broker down", retriable: true), retryIn: .seconds(2))
        let warnings = lines.entries.filter { $0.level == .warning }.map(\.message)
        #expect(warnings == [
            "output es_1: attempt 1 failed: 503 Service Unavailable; retrying in 400 ms",
            "output kafka_2: attempt 1 failed: broker down; retrying in 2.0 s",
        ])
        #expect(lines.entries.filter { $0.level == .debug }.count == 4)
        #expect(log.retrying.map(\.what) == ["output es_1", "output kafka_2"])
        #expect(log.retrying.first?.attempts == 5)
        log.succeeded("output es_1")
        #expect(log.retrying.map(\.what) == ["output kafka_2"])
    }

    @Test func backoffDoublesUpToItsCapWithAtMostAQuarterOfJitter() {
        var b = Backoff(initial: .milliseconds(100), max: .seconds(1))
        for expected in [100, 200, 400, 800, 1000, 1000] {
            let d = b.next()
            #expect(d >= .milliseconds(expected) && d <= .milliseconds(min(1000, expected * 5 / 4)), "\(d)")
        }
    }
}
