import Logging
import SluiceCore
import StandardPlugins
import Testing

/// Builds the filter as the host does: spec defaults (own and common) overridden by `values`.
private func makeDrop(_ values: [String: Value]) throws -> DropFilter {
    var all: [String: Value] = [:]
    for spec in DropFilter.settingSpecs + CommonSettings.filter {
        if let d = spec.defaultValue { all[spec.name] = d }
    }
    for (k, v) in values { all[k] = v }
    let settings = PluginSettings(pluginName: DropFilter.pluginName, id: "drop_test", values: all)
    let context = PluginContext(logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
                                pipeline: PipelineSettings())
    return try DropFilter(settings: settings, context: context)
}

/// How many of `n` events the filter drops.
private func dropped(by filter: DropFilter, of n: Int) -> Int {
    var context = FilterContext()
    var count = 0
    for i in 0..<n {
        var e = Event(message: "event \(i)")
        if case .drop = filter.filter(&e, &context) { count += 1 }
    }
    return count
}

@Suite("drop")
struct DropFilterTests {
    @Test func settingsDefaultToDroppingEverything() throws {
        let spec = DropFilter.settingSpecs.first { $0.name == "percentage" }
        #expect(spec?.defaultValue == 100)
        #expect(spec?.type == .number)
        #expect(dropped(by: try makeDrop([:]), of: 1000) == 1000)
    }

    @Test(arguments: [Value.int(101), .int(-1), .double(100.5)])
    func rejectsPercentagesOutsideZeroToHundred(_ bad: Value) {
        do {
            _ = try makeDrop(["percentage": bad])
            Issue.record("percentage \(bad) was accepted")
        } catch {
            #expect("\(error)".contains("`percentage`: must be between 0 and 100"))
        }
    }

    @Test func zeroPercentKeepsEverythingWithoutDecorating() throws {
        let filter = try makeDrop(["percentage": 0])
        #expect(dropped(by: filter, of: 10_000) == 0)
        var e = Event(message: "kept")
        var context = FilterContext()
        // Logstash's drop never calls filter_matched: a kept event gets no add_tag/add_field.
        if case .unmatched = filter.filter(&e, &context) {} else { Issue.record("expected .unmatched") }
        #expect(e.message == "kept")
    }

    @Test(arguments: [25.0, 50.0, 0.5, 99.5])
    func dropsAboutThePercentage(_ percentage: Double) throws {
        let n = 200_000
        let count = dropped(by: try makeDrop(["percentage": .double(percentage)]), of: n)
        // Binomial: standard deviation at most sqrt(n)/2 ≈ 224; allow 8 of them (never flaky).
        let expected = Double(n) * percentage / 100
        let sigma = (Double(n) * percentage / 100 * (1 - percentage / 100)).squareRoot()
        #expect(abs(Double(count) - expected) <= max(8 * sigma, 10), "dropped \(count), expected ≈ \(expected)")
    }

    @Test func instancesDrawIndependently() throws {
        // Two workers must not drop the same events in lockstep.
        let a = try makeDrop(["percentage": 50]), b = try makeDrop(["percentage": 50])
        var context = FilterContext()
        var differ = 0
        for _ in 0..<1000 {
            var e1 = Event(), e2 = Event()
            let r1 = a.filter(&e1, &context), r2 = b.filter(&e2, &context)
            if case .drop = r1, case .drop = r2 { continue }
            if case .unmatched = r1, case .unmatched = r2 { continue }
            differ += 1
        }
        #expect(differ > 300)
    }
}
