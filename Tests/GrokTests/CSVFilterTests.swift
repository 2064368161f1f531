import Logging
import SluiceCore
import SluiceTesting
import Testing

@testable import GrokPlugins

// Expected parses follow Ruby's CSV.parse_line (csv gem 3.x, which Logstash's csv filter
// calls) and the plugin's spec (logstash-filter-csv spec/filters/csv_spec.rb).

private func makeCSV(_ values: [String: Value]) throws -> CSVFilter {
    var all: [String: Value] = [:]
    for spec in CSVFilter.settingSpecs + CommonSettings.filter {
        if let d = spec.defaultValue { all[spec.name] = d }
    }
    for (k, v) in values { all[k] = v }
    let settings = PluginSettings(pluginName: CSVFilter.pluginName, id: "csv_test", values: all)
    let context = PluginContext(logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
                                pipeline: PipelineSettings())
    return try CSVFilter(settings: settings, context: context)
}

private func csv(_ message: Value, _ values: [String: Value] = [:]) throws -> (FilterResult, Event) {
    let filter = try makeCSV(values)
    var e = Event(timestamp: Timestamp(nanoseconds: 0))
    e.fields.set("message", message)
    var context = FilterContext()
    let r = filter.filter(&e, &context)
    return (r, e)
}

/// The fields the filter added, as one object value.
private func fields(_ message: String, _ values: [String: Value] = [:]) throws -> Value {
    var m = try csv(.string(message), values).1.fields
    for k in ["@timestamp", "@version", "message"] { m.removeValue(forKey: k) }
    return .object(m)
}

private func parse(_ line: String, separator: String = ",", quote: String = "\"") throws -> [String?]? {
    try CSVLineParser(separator: Array(separator.utf8), quote: Array(quote.utf8)).parse(line)
}

private func isMatched(_ r: FilterResult) -> Bool { if case .matched = r { return true }; return false }
private func isDrop(_ r: FilterResult) -> Bool { if case .drop = r { return true }; return false }

@Suite("csv")
struct CSVFilterTests {
    @Test func settingsDefaultsAndValidation() throws {
        let specs = Dictionary(uniqueKeysWithValues: CSVFilter.settingSpecs.map { ($0.name, $0) })
        #expect(specs["source"]?.defaultValue == "message")
        #expect(specs["target"]?.defaultValue == nil)
        #expect(specs["columns"]?.defaultValue == .array([]))
        #expect(specs["separator"]?.defaultValue == ",")
        #expect(specs["quote_char"]?.defaultValue == "\"")
        #expect(specs["autodetect_column_names"]?.defaultValue == false)
        #expect(specs["autogenerate_column_names"]?.defaultValue == true)
        #expect(specs["skip_header"]?.defaultValue == false)
        #expect(specs["skip_empty_columns"]?.defaultValue == false)
        #expect(specs["skip_empty_rows"]?.defaultValue == false)
        #expect(specs["convert"]?.defaultValue == .object(FieldMap()))
        #expect(specs["ecs_compatibility"]?.defaultValue == "disabled")
        #expect(specs.values.allSatisfy { !$0.doc.isEmpty })
        func rejects(_ values: [String: Value], _ text: String) {
            do {
                _ = try makeCSV(values)
                Issue.record("accepted \(values)")
            } catch {
                #expect("\(error)".contains(text), "\(error)")
            }
        }
        rejects(["separator": ""], "`separator`")
        rejects(["quote_char": "''"], "single character")
        rejects(["convert": ["a": "int"]], "invalid conversion type `int`")
        _ = try makeCSV(["quote_char": "\\x00", "separator": "||"])
    }

    @Test func defaultColumnNamesAndColumns() throws {
        #expect(try fields("big,bird,sesame street") == ["column1": "big", "column2": "bird", "column3": "sesame street"])
        // More values than names: the rest are numbered by position.
        #expect(try fields("val1,val2,val3", ["columns": ["first", "last"]])
                == ["first": "val1", "last": "val2", "column3": "val3"])
        // autogenerate_column_names => false drops unnamed columns.
        #expect(try fields("val1,val2,val3", ["columns": ["first"], "autogenerate_column_names": false]) == ["first": "val1"])
        // Fewer values than names: only what is there.
        #expect(try fields("a", ["columns": ["x", "y"]]) == ["x": "a"])
    }

    @Test func quotingLikeRubyCSV() throws {
        #expect(try parse(#""a,b",c"#) == ["a,b", "c"])
        #expect(try parse(#""He said ""hi""",x"#) == [#"He said "hi""#, "x"])
        #expect(try parse("\"two\nlines\",b\nnext,row") == ["two\nlines", "b"])
        // Empty unquoted fields are nil, empty quoted ones "".
        #expect(try parse(#"a,,"",b,"#) == ["a", nil, "", "b", nil])
        #expect(try parse(",") == [nil, nil])
        #expect(try parse("") == nil)
        #expect(try parse("\nx") == [])
        // Only the first row; row separators as Ruby detects them.
        #expect(try parse("a,b\r\nc,d") == ["a", "b"])
        #expect(try parse("a\rb\nc") == ["a"])
        #expect(try parse("a\r,b\n") == ["a"])  // the first CR comes before the first LF
        #expect(try parse("'x,y';z", separator: ";", quote: "'") == ["x,y", "z"])
        #expect(try parse("a||b||\"c||d\"", separator: "||") == ["a", "b", "c||d"])
        #expect(try parse("a\tb", separator: "\t") == ["a", "b"])
        for bad in [#"a"b,c"#, #"a, "b""#, #""a"b,c"#, #""unclosed,c"#] {
            #expect(throws: CSVLineParser.Malformed.self, "\(bad)") { try parse(bad) }
        }
    }

    @Test func parseFailuresAreTagged() throws {
        let (r, e) = try csv(#"a"b,c"#)
        #expect(!isMatched(r) && e.tags == ["_csvparsefailure"] && e.fields["column1"] == nil)
        // A source that is not text.
        #expect(try csv(42).1.tags == ["_csvparsefailure"])
        #expect(try csv(["a", "b"]).1.tags == ["_csvparsefailure"])
        // A missing (or null) source does nothing.
        let filter = try makeCSV(["source": "absent"])
        var e2 = Event(message: "a,b")
        var context = FilterContext()
        #expect(!isMatched(filter.filter(&e2, &context)) && e2.tags.isEmpty)
        #expect(try csv(.null).1.tags.isEmpty)
    }

    @Test func separatorQuoteCharAndTarget() throws {
        #expect(try fields("big;\"bird;x\"", ["separator": ";"]) == ["column1": "big", "column2": "bird;x"])
        #expect(try fields("'a,b',c", ["quote_char": "'"]) == ["column1": "a,b", "column2": "c"])
        // With NUL as quote, double quotes are ordinary characters.
        #expect(try fields(#"say "hi",x"#, ["quote_char": "\\x00"]) == ["column1": #"say "hi""#, "column2": "x"])
        let (_, e) = try csv("1,2", ["target": "[data][row]", "columns": ["a", "b"]])
        #expect(e[field: "[data][row][a]"] == "1" && e[field: "[data][row][b]"] == "2" && e.fields["a"] == nil)
        let (_, s) = try csv("x", ["source": "message", "target": "message"])
        #expect(s.tags == ["_csvparsefailure"])  // `message` is a string, it cannot hold columns
    }

    @Test func emptyColumnsAndRows() throws {
        #expect(try fields("a,,c") == ["column1": "a", "column2": nil, "column3": "c"])
        #expect(try fields(#"a,"",c"#, ["skip_empty_columns": true]) == ["column1": "a", "column3": "c"])
        // Logstash: an empty row fails unless skip_empty_rows, which tags it instead.
        #expect(try csv("").1.tags == ["_csvparsefailure"])
        let (r, e) = try csv("", ["skip_empty_rows": true])
        #expect(!isMatched(r) && e.tags == ["_csvskippedemptyfield"])
    }

    @Test func autodetectAndSkipHeader() throws {
        let filter = try makeCSV(["autodetect_column_names": true, "skip_header": true])
        var context = FilterContext()
        func feed(_ m: String) -> (FilterResult, Event) {
            var e = Event(message: m, timestamp: Timestamp(nanoseconds: 0))
            let r = filter.filter(&e, &context)
            return (r, e)
        }
        #expect(isDrop(feed("name,age,").0))
        let (r, e) = feed("alice,30,x")
        #expect(isMatched(r) && e.fields["name"] == "alice" && e.fields["age"] == "30" && e.fields["column3"] == "x")
        #expect(isDrop(feed("name,age,").0))  // the repeated header is skipped
        // skip_header with configured columns.
        let configured = try makeCSV(["columns": ["a", "b"], "skip_header": true])
        var header = Event(message: "a,b")
        #expect(isDrop(configured.filter(&header, &context)))
        var data = Event(message: "a,c")
        #expect(isMatched(configured.filter(&data, &context)))
    }

    @Test func conversions() throws {
        let config: [String: Value] = [
            "columns": ["i", "hex", "under", "notint", "f", "exp", "notfloat", "t", "no", "d", "dw", "dt", "dts", "dto", "dtw", "bad", "nil"],
            "convert": ["i": "integer", "hex": "integer", "under": "integer", "notint": "integer", "f": "float",
                        "exp": "float", "notfloat": "float", "t": "boolean", "no": "boolean", "d": "date", "dw": "date",
                        "dt": "date_time", "dts": "date_time", "dto": "date_time", "dtw": "date_time", "bad": "date",
                        "nil": "boolean"],
        ]
        let line = #"42, 0x1A ,1_000,12.5,3.14,1e3,abc,TRUE, no ,2017-09-20,"Sep 20, 2017",2017-09-20T06:14:20Z,2017-09-20 06:14:20,2017-09-20T06:14:20.5+02:00,Wed Sep 20 06:14:20 2017,2017-02-30,"#
        let (r, e) = try csv(.string(line), config)
        #expect(isMatched(r) && e.tags.isEmpty)
        #expect(e.fields["i"] == 42 && e.fields["hex"] == 26 && e.fields["under"] == 1000)
        #expect(e.fields["notint"] == "12.5")
        #expect(e.fields["f"] == 3.14 && e.fields["exp"] == 1000.0 && e.fields["notfloat"] == "abc")
        #expect(e.fields["t"] == true && e.fields["no"] == "no")
        let midnight = Timestamp(year: 2017, month: 9, day: 20)
        #expect(e.fields["d"] == .timestamp(midnight) && e.fields["dw"] == .timestamp(midnight))
        let t = Timestamp(year: 2017, month: 9, day: 20, hour: 6, minute: 14, second: 20)
        #expect(e.fields["dt"] == .timestamp(t) && e.fields["dts"] == .timestamp(t) && e.fields["dtw"] == .timestamp(t))
        #expect(e.fields["dto"] == .timestamp(Timestamp(year: 2017, month: 9, day: 20, hour: 4, minute: 14, second: 20,
                                                        nanosecond: 500_000_000)))
        #expect(e.fields["bad"] == "2017-02-30")
        #expect(e.fields["nil"] == .null)
        #expect(CSVConversion.rubyInteger("010") == 8 && CSVConversion.rubyInteger("08") == nil)
        #expect(CSVConversion.rubyInteger("-0b101") == -5 && CSVConversion.rubyInteger("1__0") == nil)
        #expect(CSVConversion.rubyFloat(".5") == 0.5 && CSVConversion.rubyFloat("5.") == nil)
        #expect(CSVConversion.rubyFloat("Infinity") == nil && CSVConversion.rubyFloat(" -2.5e-3 ") == -0.0025)
        #expect(CSVDates.dateTime("Sep 20 06:14:20 17") == t)
        #expect(CSVDates.date("2017-09-20T06:14:20Z") == nil)  // `date` admits only the date
        #expect(CSVDates.dateTime("2017-09-20T06:14:20+02") == nil)  // Ruby's matcher needs `+hh:mm`
        // Dates a timestamp cannot hold stay strings instead of wrapping around.
        #expect(CSVDates.date("9999-12-31") == nil && CSVDates.dateTime("1500-01-01 00:00:00") == nil)
        #expect(CSVDates.date("2261-12-31") == Timestamp(year: 2261, month: 12, day: 31))
    }

    @Test func ecsCompatibilityKeepsRootWithoutTarget() throws {
        #expect(try fields("a", ["ecs_compatibility": "v8"]) == ["column1": "a"])
    }

    @Test func endToEndAutodetectThroughConfig() async throws {
        var r = PluginRegistry()
        GrokPlugins.register(into: &r)
        let config = """
        filter {
          csv {
            autodetect_column_names => true
            convert => { "qty" => "integer" }
            add_field => { "parsed" => "%{item}" }
          }
        }
        """
        let events = ["item,qty", "apple,3", "\"pear, green\",12"].map { Event(message: $0) }
        let result = try await PipelineHarness(registry: r).run(config, events: events)
        #expect(result.events.count == 2)
        #expect(result.events[0].fields["item"] == "apple" && result.events[0].fields["qty"] == 3)
        #expect(result.events[1].fields["item"] == "pear, green" && result.events[1].fields["parsed"] == "pear, green")
    }
}
