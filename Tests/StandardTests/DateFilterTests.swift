import Logging
import SluiceCore
import StandardPlugins
import Testing

/// Builds the filter as the host does: spec defaults (own and common) overridden by `values`.
private func makeDate(_ values: [String: Value]) throws -> DateFilter {
    var all: [String: Value] = [:]
    for spec in DateFilter.settingSpecs + CommonSettings.filter {
        if let d = spec.defaultValue { all[spec.name] = d }
    }
    for (k, v) in values { all[k] = v }
    let settings = PluginSettings(pluginName: DateFilter.pluginName, id: "date_test", values: all)
    let context = PluginContext(logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
                                pipeline: PipelineSettings())
    return try DateFilter(settings: settings, context: context)
}

private let epoch = Timestamp(nanoseconds: 0)

private func run(_ values: [String: Value], _ fields: KeyValuePairs<String, Value>) throws -> (FilterResult, Event) {
    let filter = try makeDate(values)
    var e = Event(timestamp: epoch)
    for (k, v) in fields { e.fields.set(k, v) }
    var context = FilterContext()
    let result = filter.filter(&e, &context)
    return (result, e)
}

/// The `@timestamp` a match produced (nil when the filter did not match).
private func parsed(_ match: [Value], _ input: Value, _ extra: [String: Value] = [:]) throws -> String? {
    var values = extra
    values["match"] = .array(match)
    let (r, e) = try run(values, ["when": input])
    guard case .matched = r else { return nil }
    return e.timestamp.iso8601
}

private func configError(_ values: [String: Value]) -> String? {
    do {
        _ = try makeDate(values)
        return nil
    } catch {
        return "\(error)"
    }
}

@Suite("date")
struct DateFilterTests {}

extension DateFilterTests {
    @Test func defaults() {
        let specs = Dictionary(uniqueKeysWithValues: DateFilter.settingSpecs.map { ($0.name, $0) })
        #expect(specs["match"]?.required == true)
        #expect(specs["target"]?.defaultValue == "@timestamp")
        #expect(specs["tag_on_failure"]?.defaultValue == ["_dateparsefailure"])
        #expect(specs["timezone"] != nil && specs["locale"] != nil)
    }

    @Test func rejectsBadSettingsAtInit() {
        #expect(configError([:])?.contains("`match`: expects the field name followed by at least one date format") == true)
        #expect(configError(["match": ["when"]]) != nil)
        #expect(configError(["match": ["when", "yyyy-MM-dd qq"]])?.contains("Illegal pattern component: q") == true)
        #expect(configError(["match": ["when", "ISO8601"], "timezone": "Mars/Olympus"])?.contains("unknown time zone") == true)
        #expect(configError(["match": ["[bad", "ISO8601"]])?.contains("`match`") == true)
        #expect(configError(["match": ["when", "dd MMM yyyy"], "locale": "fr-FR"])?.contains("`locale`") == true)
        #expect(configError(["match": ["when", "dd MMM yyyy"], "locale": "en_US"]) == nil)
        #expect(configError(["match": ["when", "dd/MM/yyyy"], "locale": "de"]) == nil)
    }
}

extension DateFilterTests {
    @Test func jodaPatternWithTimezone() throws {
        #expect(try parsed(["when", "MMM dd yyyy HH:mm:ss"], "Aug 13 2010 00:03:44", ["timezone": "America/New_York"])
                == "2010-08-13T04:03:44.000Z")
    }

    @Test func jodaPatternWithOffsetInText() throws {
        #expect(try parsed(["when", "dd/MMM/yyyy:HH:mm:ss Z"], "17/May/2015:10:05:03 +0200", ["timezone": "Asia/Tokyo"])
                == "2015-05-17T08:05:03.000Z")
    }

    @Test func iso8601() throws {
        #expect(try parsed(["when", "ISO8601"], "2011-04-19T03:44:01.103Z") == "2011-04-19T03:44:01.103Z")
        #expect(try parsed(["when", "ISO8601"], "2011-04-19T03:44:01", ["timezone": "+02:00"]) == "2011-04-19T01:44:01.000Z")
        #expect(try parsed(["when", "ISO8601"], "2011-04-19 03:44:01,5-0100") == "2011-04-19T04:44:01.500Z")
    }

    @Test func unixSeconds() throws {
        #expect(try parsed(["when", "UNIX"], "1326149001.132") == "2012-01-09T22:43:21.132Z")
        #expect(try parsed(["when", "UNIX"], 1326149001) == "2012-01-09T22:43:21.000Z")
        #expect(try parsed(["when", "UNIX"], 1326149001.5) == "2012-01-09T22:43:21.500Z")
        #expect(try parsed(["when", "UNIX"], "not a number") == nil)
    }

    @Test func unixMilliseconds() throws {
        #expect(try parsed(["when", "UNIX_MS"], "1366125117000") == "2013-04-16T15:11:57.000Z")
        #expect(try parsed(["when", "UNIX_MS"], 1366125117123) == "2013-04-16T15:11:57.123Z")
    }

    @Test func tai64n() throws {
        let filter = try makeDate(["match": ["when", "TAI64N"]])
        for text in ["4000000050d506482dbdf024", "@4000000050d506482dbdf024"] {
            var e = Event(timestamp: epoch)
            e.fields.set("when", .string(text))
            var context = FilterContext()
            guard case .matched = filter.filter(&e, &context) else { Issue.record("no match for \(text)"); continue }
            #expect(e.timestamp.epochMilliseconds == 1_356_138_046_767)
        }
    }

    @Test func triesFormatsInOrder() throws {
        let match: [Value] = ["when", "dd/MM/yyyy", "UNIX", "ISO8601"]
        #expect(try parsed(match, "2020-02-03T04:05:06Z") == "2020-02-03T04:05:06.000Z")
        #expect(try parsed(match, "03/02/2020", ["timezone": "UTC"]) == "2020-02-03T00:00:00.000Z")
        #expect(try parsed(match, 86400) == "1970-01-02T00:00:00.000Z")
    }

    @Test func writesToTarget() throws {
        let (r, e) = try run(["match": ["when", "ISO8601"], "target": "[parsed][at]"], ["when": "2020-01-01T00:00:00Z"])
        guard case .matched = r else { Issue.record("no match"); return }
        #expect(e[field: "[parsed][at]"] == .timestamp(Timestamp(seconds: 1_577_836_800)))
        #expect(e.timestamp == epoch)
    }

    @Test func failureIsTagged() throws {
        let (r, e) = try run(["match": ["when", "ISO8601", "UNIX"]], ["when": "yesterday-ish"])
        if case .matched = r { Issue.record("matched garbage") }
        #expect(e.tags == ["_dateparsefailure"])
        #expect(e.timestamp == epoch)

        let (_, e2) = try run(["match": ["when", "ISO8601"], "tag_on_failure": ["_a", "_b"]], ["when": 12])
        #expect(e2.tags == ["_a", "_b"])
    }

    @Test func missingFieldIsANoOp() throws {
        let (r, e) = try run(["match": ["when", "ISO8601"]], ["other": "2020-01-01"])
        if case .matched = r { Issue.record("matched a missing field") }
        #expect(e.fields["tags"] == nil)
    }

    @Test func arrayFieldUsesFirstElement() throws {
        #expect(try parsed(["when", "ISO8601"], ["2020-05-06T07:08:09Z", "garbage"]) == "2020-05-06T07:08:09.000Z")
        #expect(try parsed(["when", "UNIX"], [10, 20]) == "1970-01-01T00:00:10.000Z")
    }

    @Test func sprintfTimezone() throws {
        let filter = try makeDate(["match": ["when", "yyyy-MM-dd HH:mm:ss"], "timezone": "%{tz}"])
        let cases: [(String, String?)] = [("Europe/Paris", "2021-01-15T11:00:00.000Z"), ("+05:00", "2021-01-15T07:00:00.000Z"),
                                          ("Nowhere/Land", nil), ("Europe/Paris", "2021-01-15T11:00:00.000Z")]
        for (tz, expected) in cases {
            var e = Event(timestamp: epoch)
            e.fields.set("when", "2021-01-15 12:00:00")
            e.fields.set("tz", .string(tz))
            var context = FilterContext()
            let r = filter.filter(&e, &context)
            if let expected {
                #expect(e.timestamp.iso8601 == expected, "\(tz)")
            } else {
                if case .matched = r { Issue.record("unknown zone \(tz) matched") }
                #expect(e.hasTag("_dateparsefailure"))
            }
        }
    }

    @Test func patternWithoutYearGuessesIt() throws {
        let (r, e) = try run(["match": ["when", "MMM dd HH:mm:ss"], "timezone": "UTC"], ["when": "Apr 17 09:32:01"])
        guard case .matched = r else { Issue.record("no match"); return }
        let c = e.timestamp.components()
        #expect((c.month, c.day, c.hour, c.minute, c.second) == (4, 17, 9, 32, 1))
        let thisYear = Timestamp.now().components().year
        #expect(abs(c.year - thisYear) <= 1)
    }
}
