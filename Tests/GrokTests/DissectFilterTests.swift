import Logging
import SluiceCore
import SluiceTesting
import Testing

@testable import GrokPlugins

// Cases marked "Logstash" come from logstash-filter-dissect's own spec and its
// spec/fixtures/dissect_tests.json, so they pin Logstash's delimiter handling.

private func makeDissect(_ values: [String: Value]) throws -> DissectFilter {
    var all: [String: Value] = [:]
    for spec in DissectFilter.settingSpecs + CommonSettings.filter {
        if let d = spec.defaultValue { all[spec.name] = d }
    }
    for (k, v) in values { all[k] = v }
    let settings = PluginSettings(pluginName: DissectFilter.pluginName, id: "dissect_test", values: all)
    let context = PluginContext(logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
                                pipeline: PipelineSettings())
    return try DissectFilter(settings: settings, context: context)
}

private func dissect(_ pattern: String, _ message: String, convert: Value? = nil,
                     extra: KeyValuePairs<String, Value> = [:]) throws -> (FilterResult, Event) {
    var values: [String: Value] = ["mapping": ["message": .string(pattern)]]
    if let convert { values["convert_datatype"] = convert }
    let filter = try makeDissect(values)
    var e = Event(message: message, timestamp: Timestamp(nanoseconds: 0))
    for (k, v) in extra { e.fields.set(k, v) }
    var context = FilterContext()
    let r = filter.filter(&e, &context)
    return (r, e)
}

private func isMatched(_ r: FilterResult) -> Bool { if case .matched = r { return true }; return false }

@Suite("dissect")
struct DissectFilterTests {
    @Test func settingsDefaultsAndValidation() throws {
        let specs = Dictionary(uniqueKeysWithValues: DissectFilter.settingSpecs.map { ($0.name, $0) })
        #expect(specs["mapping"]?.defaultValue == .object(FieldMap()))
        #expect(specs["convert_datatype"]?.defaultValue == .object(FieldMap()))
        #expect(specs["tag_on_failure"]?.defaultValue == ["_dissectfailure"])
        #expect(specs.values.allSatisfy { !$0.doc.isEmpty })
        _ = try makeDissect([:])
        func rejects(_ values: [String: Value], _ text: String) {
            do {
                _ = try makeDissect(values)
                Issue.record("accepted \(values)")
            } catch {
                #expect("\(error)".contains(text), "\(error)")
            }
        }
        rejects(["convert_datatype": ["code": "integer"]], "unsupported type `integer`")
        rejects(["mapping": ["message": "%{+&ts}"]], "cannot be both append (+) and indirect (&)")
        rejects(["mapping": ["message": "%{&+ts}"]], "cannot be both")
        rejects(["mapping": ["message": "%{+} %{b}"]], "has a prefix but no name")
        rejects(["mapping": ["message": "%{+a/x} %{b}"]], "append order")
        rejects(["mapping": ["message": "no fields here"]], "has no `%{field}`")
        rejects(["mapping": ["message": "%{[bad} x"]], "`mapping`")
        // Empty patterns are ignored, as in Logstash; `Int`/`FLOAT` are accepted like Logstash's upcasing.
        _ = try makeDissect(["mapping": ["message": ""], "convert_datatype": ["a": "Int", "b": "FLOAT"]])
    }

    @Test func basicWithRightPadding() throws {
        // Logstash: "Basic dissection".
        let (r, e) = try dissect("[%{occurred_at}] %{code} %{service->} %{ic} %{svc_message}",
                                 "[25/05/16 09:10:38:425 BST] 00000001 SystemOut     O java.lang:type=MemoryPool,name=class storage")
        #expect(isMatched(r))
        #expect(e.fields["occurred_at"] == "25/05/16 09:10:38:425 BST")
        #expect(e.fields["code"] == "00000001")
        #expect(e.fields["service"] == "SystemOut")
        #expect(e.fields["ic"] == "O")
        #expect(e.fields["svc_message"] == "java.lang:type=MemoryPool,name=class storage")
        #expect(e.tags.isEmpty)
    }

    @Test func paddingLeftAndRight() throws {
        // Logstash fixtures "ignore right padding" / "ignore left padding".
        let (_, right) = try dissect("%{id} %{function->} %{server}", "00000043 ViewReceive     machine-321")
        #expect(right.fields["function"] == "ViewReceive" && right.fields["server"] == "machine-321")
        let (_, left) = try dissect("%{id->} %{function} %{server}", "00000043    ViewReceive machine-321")
        #expect(left.fields["id"] == "00000043" && left.fields["function"] == "ViewReceive")
        #expect(left.fields["server"] == "machine-321")
        // logstash-filter-dissect#84: padding before a literal suffix or prefix.
        #expect(try dissect("XXX %{y->} %{z}", "XXX YYY   ZZZ").1.fields["z"] == "ZZZ")
        #expect(try dissect("XXX %{y->} ZZZ", "XXX YYY ZZZ").1.fields["y"] == "YYY")
        let (_, issue74) = try dissect("%{ts->} %{+ts->} %{+ts},%{1},%{2},%{3},%{4},%{5},%{6},%{7},%{8},",
                                       "Aug 27 05:48:35,07QK,from,a@b.com,0,,[113.95.98.90],,, ")
        #expect(issue74.fields["ts"] == "Aug 27 05:48:35" && issue74.fields["6"] == "[113.95.98.90]")
        #expect(issue74.fields["7"] == "" && issue74.fields["8"] == "" && issue74.tags.isEmpty)
        // Without `->`, consecutive delimiters are empty fields (Logstash >= 1.1.1).
        let (_, plain) = try dissect("%{a} %{b} %{c}", "x  y z")
        #expect(plain.fields["a"] == "x" && plain.fields["b"] == "" && plain.fields["c"] == "y z")
    }

    @Test func missingFieldsLikeCSV() throws {
        // Logstash fixture "missing fields" and spec "like CSV with missing fields".
        let (_, e) = try dissect("%{name},%{addr1},%{addr2},%{addr3},%{city},%{zip}",
                                 "Jane Doe,4321 Fifth Avenue,,,New York,87432")
        #expect(e.fields["addr2"] == "" && e.fields["addr3"] == "" && e.fields["city"] == "New York")
        let (_, q) = try dissect(#"values: "%{v1}","%{v2}","%{v3}"%{rest}"#, #"values: "f1","","f3""#)
        #expect(q.fields["v1"] == "f1" && q.fields["v2"] == "" && q.fields["v3"] == "f3" && q.fields["rest"] == "")
        // A source starting with the first delimiter has an empty first field (Logstash fails
        // the match here, logstash-filter-dissect#72, an open bug).
        let (r, lead) = try dissect("%{name},%{addr1},%{city}", ",4321 Fifth Avenue,New York")
        #expect(isMatched(r) && lead.fields["name"] == "" && lead.fields["city"] == "New York")
        let (_, braces) = try dissect("{%{a}}{%{b}}%{rest}", "{foo}{bar}")
        #expect(braces.fields["a"] == "foo" && braces.fields["b"] == "bar" && braces.fields["rest"] == "")
        #expect(braces.tags.isEmpty)
    }

    @Test func leadingAndTrailingDelimiters() throws {
        // Logstash fixtures.
        #expect(try dissect("/var/%{key}/log", "/var/foobar/log").1.fields["key"] == "foobar")
        #expect(try dissect("/var/%{key}", "/var/foobar/log").1.fields["key"] == "foobar/log")
        let (_, e) = try dissect("/var/%{key}/log/%{key1}.log", "/var/foobar/log/apache.log")
        #expect(e.fields["key"] == "foobar" && e.fields["key1"] == "apache")
        // Adjacent fields: the first is empty, the last takes the rest.
        let (_, adj) = try dissect("%{a}%{b} %{c}", "foo bar   baz")
        #expect(adj.fields["a"] == "" && adj.fields["b"] == "foo" && adj.fields["c"] == "bar   baz")
    }

    @Test func appendWithOrder() throws {
        // Logstash spec "dissect with skip and append".
        let (_, e) = try dissect("%{timestamp} %{+timestamp} %{+timestamp} %{logsource} %{} %{program}[%{pid}]: %{msg}",
                                 "Mar 16 00:01:25 evita skip-this postfix/smtpd[1713]: connect from camomile.cloud9.net[168.100.1.3]")
        #expect(e.fields["timestamp"] == "Mar 16 00:01:25")
        #expect(e.fields["logsource"] == "evita" && e.fields["program"] == "postfix/smtpd" && e.fields["pid"] == "1713")
        #expect(e.fields["msg"] == "connect from camomile.cloud9.net[168.100.1.3]")
        // Fixtures "simple ordered" / "simple append"; the join is the delimiter before the field.
        #expect(try dissect("%{+key/3} %{+key/1} %{+key/2}", "1 2 3").1.fields["key"] == "2 3 1")
        #expect(try dissect("%{key}-%{+key}-%{+key}", "1-2-3").1.fields["key"] == "1-2-3")
        #expect(try dissect("%{+a/2} %{+a/1} %{+a/4} %{+a/3}", "1 2 3 go").1.fields["a"] == "2 1 go 3")
        #expect(try dissect("%{a} %{b} %{+a}", "1 2 3 go").1.fields["a"] == "1 3 go")
        // A normal field is stored before appends, whatever its position.
        #expect(try dissect("%{+a} %{a} %{+a} %{b}", "December 31 1999 quux").1.fields["a"] == "31 December 1999")
        // An append onto a field the event already had.
        #expect(try dissect("%{+host}", "b", extra: ["host": "a"]).1.fields["host"] == "a b")
    }

    @Test func indirectFields() throws {
        // Fixtures "indirect field" and "named skiped field with indirect".
        let (_, e) = try dissect("%{key} %{&key}", "hello world")
        #expect(e.fields["key"] == "hello" && e.fields["hello"] == "world")
        let (_, s) = try dissect("%{?key} %{&key}", "hello world")
        #expect(s.fields["hello"] == "world" && s.fields["key"] == nil)
        // Docs example: `error: %{?err}, %{&err}`.
        let (_, d) = try dissect("error: %{?err}, %{&err}", "error: some_error, some_description")
        #expect(d.fields["some_error"] == "some_description")
        // The key may come from a field the event already had.
        let (_, pre) = try dissect("%{&k1}", "foo", extra: ["k1": "a"])
        #expect(pre.fields["a"] == "foo")
        // A key that resolves to nothing stores nothing.
        let (r, none) = try dissect("%{?k1}=%{&k3}", "foo=bar")
        #expect(isMatched(r) && none.fields["foo"] == nil && none.fields["bar"] == nil)
    }

    @Test func skipFieldsAndNestedNames() throws {
        let (_, e) = try dissect("%{} %{?middle} %{[web][status]}", "a b 200")
        #expect(e[field: "[web][status]"] == "200")
        #expect(e.fields["middle"] == nil)
        #expect(e.fields.count == 4)  // @timestamp, @version, message, web
    }

    @Test func multibyteDelimiters() throws {
        // Logstash spec "Basic dissection with multibyte Unicode characters".
        let (_, e) = try dissect("[%{occurred_at}]྿྿྿%{code}྿%{service}྿྿྿྿%{?ic}=%{&ic}%྿྿%{svc_message}",
                                 "[25/05/16 09:10:38:425 BST]྿྿྿00000001྿SystemOut྿྿྿྿cpu=95.43%྿྿java.lang:type=MemoryPool,name=class storage",
                                 convert: ["cpu": "float", "code": "int"])
        #expect(e.fields["code"] == 1)
        #expect(e.fields["cpu"] == 95.43)
        #expect(e.fields["service"] == "SystemOut")
        #expect(e.fields["svc_message"] == "java.lang:type=MemoryPool,name=class storage")
    }

    @Test func convertDatatype() throws {
        let (r, e) = try dissect("%{code} %{big} %{f} %{bad}", "00000001 4394740425750718628 2.5e2 x1",
                                 convert: ["code": "int", "big": "int", "f": "float", "bad": "int", "absent": "float"])
        #expect(isMatched(r))
        #expect(e.fields["code"] == 1)
        #expect(e.fields["big"] == .int(4_394_740_425_750_718_628))
        #expect(e.fields["f"] == 250.0)
        #expect(e.fields["bad"] == "x1")
        #expect(e.hasTag("_dataconversionuncoercible_bad_int"))
        #expect(e.hasTag("_dataconversionnullvalue_absent_float"))
        #expect(DissectFilter.integer("95.9") == 95)
        #expect(DissectFilter.integer(" -3 ") == -3)
        // Logstash spec: conversions also run without a mapping.
        let filter = try makeDissect(["convert_datatype": ["n": "int"]])
        var ev = Event(timestamp: Timestamp(nanoseconds: 0))
        ev.fields.set("n", "42")
        var context = FilterContext()
        #expect(isMatched(filter.filter(&ev, &context)))
        #expect(ev.fields["n"] == 42)
    }

    @Test func failures() throws {
        // Logstash: an empty source is a failure; a missing one is only logged.
        let (r1, empty) = try dissect("%{a} %{b}", "")
        #expect(!isMatched(r1) && empty.hasTag("_dissectfailure"))
        let filter = try makeDissect(["mapping": ["msg": "%{a} %{b}"]])
        var noField = Event(message: "1 2", timestamp: Timestamp(nanoseconds: 0))
        var context = FilterContext()
        #expect(!isMatched(filter.filter(&noField, &context)))
        #expect(noField.tags.isEmpty)
        // A delimiter that is not there: tagged, and nothing of the mapping is stored.
        let (r2, miss) = try dissect("%{a} - %{b} - %{c}", "x - y")
        #expect(!isMatched(r2) && miss.hasTag("_dissectfailure"))
        #expect(miss.fields["a"] == nil && miss.fields["b"] == nil)
        // A trailing delimiter that is not there.
        #expect(try dissect("%{a}.log", "apache").1.hasTag("_dissectfailure"))
        // Custom tags.
        let custom = try makeDissect(["mapping": ["message": "%{a};%{b}"], "tag_on_failure": ["x", "y"]])
        var e = Event(message: "no semicolon", timestamp: Timestamp(nanoseconds: 0))
        _ = custom.filter(&e, &context)
        #expect(e.tags == ["x", "y"])
    }

    @Test func laterMappingsSeeEarlierFields() throws {
        let filter = try makeDissect(["mapping": ["message": "%{head}|%{rest}", "rest": "%{x} %{y}"]])
        var e = Event(message: "h|1 2", timestamp: Timestamp(nanoseconds: 0))
        var context = FilterContext()
        #expect(isMatched(filter.filter(&e, &context)))
        #expect(e.fields["head"] == "h" && e.fields["x"] == "1" && e.fields["y"] == "2")
    }

    @Test func endToEndThroughConfig() async throws {
        var r = PluginRegistry()
        GrokPlugins.register(into: &r)
        let config = """
        filter {
          dissect {
            mapping => { "message" => "%{ts} %{+ts} %{level->} %{pid} %{msg}" }
            convert_datatype => { "pid" => "int" }
            add_tag => ["dissected"]
          }
        }
        """
        let result = try await PipelineHarness(registry: r)
            .run(config, events: [Event(message: "2024-01-02 10:00:00 INFO   42 started"), Event(message: "bad")])
        #expect(result.events.count == 2)
        let ok = result.events[0]
        #expect(ok.fields["ts"] == "2024-01-02 10:00:00" && ok.fields["level"] == "INFO")
        #expect(ok.fields["pid"] == 42 && ok.fields["msg"] == "started" && ok.hasTag("dissected"))
        #expect(result.events[1].tags == ["_dissectfailure"])
    }
}
