import Logging
import SluiceCore
import SluiceTesting
import Testing

@testable import GrokPlugins

// Cases marked "Logstash" are from logstash-filter-kv's spec/filters/kv_spec.rb.

private func makeKV(_ values: [String: Value]) throws -> KVFilter {
    var all: [String: Value] = [:]
    for spec in KVFilter.settingSpecs + CommonSettings.filter {
        if let d = spec.defaultValue { all[spec.name] = d }
    }
    for (k, v) in values { all[k] = v }
    let settings = PluginSettings(pluginName: KVFilter.pluginName, id: "kv_test", values: all)
    let context = PluginContext(logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
                                pipeline: PipelineSettings())
    return try KVFilter(settings: settings, context: context)
}

private func kv(_ message: Value, _ values: [String: Value] = [:],
                extra: KeyValuePairs<String, Value> = [:]) throws -> (FilterResult, Event) {
    let filter = try makeKV(values)
    var e = Event(timestamp: Timestamp(nanoseconds: 0))
    e.fields.set("message", message)
    for (k, v) in extra { e.fields.set(k, v) }
    var context = FilterContext()
    let r = filter.filter(&e, &context)
    return (r, e)
}

/// The fields kv added, as one object value.
private func pairs(_ message: String, _ values: [String: Value] = [:]) throws -> Value {
    var m = try kv(.string(message), values).1.fields
    for k in ["@timestamp", "@version", "message"] { m.removeValue(forKey: k) }
    return .object(m)
}

private func isMatched(_ r: FilterResult) -> Bool { if case .matched = r { return true }; return false }

private let sample = "hello=world foo=bar baz=fizz doublequoted=\"hello world\" singlequoted='hello world' bracketsone=(hello world) bracketstwo=[hello world] bracketsthree=<hello world>"

@Suite("kv")
struct KVFilterTests {
    @Test func settingsDefaultsAndValidation() throws {
        let specs = Dictionary(uniqueKeysWithValues: KVFilter.settingSpecs.map { ($0.name, $0) })
        #expect(specs["source"]?.defaultValue == "message")
        #expect(specs["field_split"]?.defaultValue == " ")
        #expect(specs["value_split"]?.defaultValue == "=")
        #expect(specs["include_brackets"]?.defaultValue == true)
        #expect(specs["recursive"]?.defaultValue == false)
        #expect(specs["allow_duplicate_values"]?.defaultValue == true)
        #expect(specs["whitespace"]?.defaultValue == "lenient")
        #expect(specs["prefix"]?.defaultValue == "")
        #expect(specs["timeout_millis"]?.defaultValue == 30_000)
        #expect(specs["tag_on_timeout"]?.defaultValue == "_kv_filter_timeout")
        #expect(specs["tag_on_failure"]?.defaultValue == ["_kv_filter_error"])
        #expect(specs["include_keys"]?.defaultValue == .array([]) && specs["exclude_keys"]?.defaultValue == .array([]))
        #expect(specs["default_keys"]?.defaultValue == .object(FieldMap()))
        #expect(specs["transform_key"]?.type == .oneOf(["lowercase", "uppercase", "capitalize"]))
        #expect(specs.values.allSatisfy { !$0.doc.isEmpty })
        func rejects(_ values: [String: Value], _ text: String) {
            do {
                _ = try makeKV(values)
                Issue.record("accepted \(values)")
            } catch {
                #expect("\(error)".contains(text), "\(error)")
            }
        }
        rejects(["value_split": ""], "`value_split`")
        rejects(["field_split_pattern": ""], "`field_split_pattern`")
        rejects(["value_split_pattern": ""], "`value_split_pattern`")
        rejects(["trim_key": "\\"], "`trim_key`")
        rejects(["value_split_pattern": "(unclosed"], "`value_split_pattern`")
        rejects(["timeout_millis": -1], "`timeout_millis`")
        var r = PluginRegistry()
        GrokPlugins.register(into: &r)
        let error = PipelineHarness(registry: r).check("filter { kv { transform_key => \"camel\" } }")
        #expect(error.map { "\($0)".contains("must be one of") } == true)
    }

    @Test func quotesAndBrackets() throws {
        // Logstash: the default splitters with quoted and bracketed values.
        #expect(try pairs(sample) == ["hello": "world", "foo": "bar", "baz": "fizz", "doublequoted": "hello world",
                                      "singlequoted": "hello world", "bracketsone": "hello world",
                                      "bracketstwo": "hello world", "bracketsthree": "hello world"])
        let noBrackets = try pairs(sample, ["include_brackets": false])
        #expect(noBrackets.objectValue?["bracketsone"] == "(hello" && noBrackets.objectValue?["bracketstwo"] == "[hello")
        #expect(noBrackets.objectValue?["bracketsthree"] == "<hello" && noBrackets.objectValue?["doublequoted"] == "hello world")
        // Logstash: outside the quotes is cut off by the field splitter; empty quoted values are skipped.
        #expect(try pairs(#"foo=bar baz="quoted stuff" and more unquoted msg="some fully-quoted message " empty="" non-empty="foo""#)
                == ["foo": "bar", "baz": "quoted stuff", "msg": "some fully-quoted message ", "non-empty": "foo"])
        // Escaped spaces stay part of the value, backslashes included.
        #expect(try pairs(#"path=a\ b c=d"#) == ["path": #"a\ b"#, "c": "d"])
    }

    @Test func splitCharactersAndPatterns() throws {
        // Logstash: query strings.
        #expect(try pairs("?pin=12345~0&d=123&e=foo@bar.com&oq=bobo&ss=12345", ["field_split": "&?"])
                == ["pin": "12345~0", "d": "123", "e": "foo@bar.com", "oq": "bobo", "ss": "12345"])
        #expect(try pairs("a:1 b:2", ["value_split": ":"]) == ["a": "1", "b": "2"])
        // Logstash "multi character splitting".
        let expected: Value = ["hello": "world", "foo": "bar", "baz": "fizz", "doublequoted": "hello world",
                               "singlequoted": "hello world", "bracketsone": "hello world",
                               "bracketstwo": "hello world", "bracketsthree": "hello world"]
        #expect(try pairs("hello::world__foo::bar__baz::fizz__doublequoted::\"hello world\"__singlequoted::'hello world'__bracketsone::(hello world)__bracketstwo::[hello world]__bracketsthree::<hello world>",
                          ["field_split_pattern": "__", "value_split_pattern": "::"]) == expected)
        #expect(try pairs("hello:world_foo::bar__baz:::fizz___doublequoted:::\"hello world\"____singlequoted:::::'hello world'____bracketsone:::(hello world)__bracketstwo:[hello world]_bracketsthree::::::<hello world>",
                          ["field_split_pattern": "_+", "value_split_pattern": ":+"]) == expected)
        #expect(try pairs("hello++world??foo++bar??baz++fizz??doublequoted++\"hello world\"??singlequoted++'hello world'??bracketsone++(hello world)??bracketstwo++[hello world]??bracketsthree++<hello world>",
                          ["field_split_pattern": "\\?\\?", "value_split_pattern": "\\+\\+"]) == expected)
        let msg = #"foo=bar!!!!!baz="quoted stuff" and more unquoted!!!!!msg="fully-quoted with a part! of the separator"!!!!!blip="this!!!!!is it"!!!!!empty=""!!!!!non-empty="foo""#
        #expect(try pairs(msg, ["field_split_pattern": "!!!!!"])
                == ["foo": "bar", "baz": #""quoted stuff" and more unquoted"#, "msg": "fully-quoted with a part! of the separator",
                    "blip": "this!!!!!is it", "non-empty": "foo"])
        // Logstash: "example from @guyboertje in #15".
        #expect(try pairs(#"key1: val1; key2: val2; key3:  https://site/?g={......"...;  CLR  rv:11.0)"..}; key4: val4;"#,
                          ["field_split_pattern": ";\\s*(?=key.+?:)|;$", "value_split_pattern": ":\\s+"])
                == ["key1": "val1", "key2": "val2", "key3": #"https://site/?g={......"...;  CLR  rv:11.0)"..}"#, "key4": "val4"])
        // Logstash: empty values between splitters.
        #expect(try pairs("a=1|b=|c=3", ["field_split": "|"]) == ["a": "1", "c": "3"])
        #expect(try pairs("a=1|b=|c=3", ["field_split_pattern": "\\|", "value_split_pattern": "="]) == ["a": "1", "c": "3"])
    }

    @Test func whitespaceModes() throws {
        #expect(try pairs("a= b c = d") == ["a": "b", "c": "d"])
        #expect(try pairs("a= b c=d", ["whitespace": "strict"]) == ["c": "d"])
    }

    @Test func trimsAndRemovals() throws {
        // Logstash: trim only leading and trailing characters.
        #expect(try pairs("key1= value1 with spaces | key2 with spaces =value2",
                          ["field_split": "\\|", "trim_value": " ", "trim_key": " "])
                == ["key1": "value1 with spaces", "key2 with spaces": "value2"])
        // Logstash: several characters, repeated.
        let postfix = "to=<foo@example.com>, orig_to=<bar@example.com>, %+relay=mail.example.com[private/dovecot-lmtp], delay=2.2, delays=1.9/0.01/0.01/0.21, dsn=2.0.0, status=sent (250 2.0.0 <foo@example.com> YERDHejiRSXFDSdfUXTV Saved) "
        #expect(try pairs(postfix, ["trim_value": "<>,", "trim_key": "%+"])
                == ["to": "foo@example.com", "orig_to": "bar@example.com", "relay": "mail.example.com[private/dovecot-lmtp]",
                    "delay": "2.2", "delays": "1.9/0.01/0.01/0.21", "dsn": "2.0.0", "status": "sent"])
        // Logstash: remove characters anywhere.
        #expect(try pairs("key1= value1 with spaces | key2 with spaces =value2",
                          ["field_split": "\\|", "remove_char_value": " ", "remove_char_key": " "])
                == ["key1": "value1withspaces", "key2withspaces": "value2"])
    }

    @Test func transforms() throws {
        #expect(try pairs("Hello=World FOO=bAr", ["transform_key": "lowercase", "transform_value": "uppercase"])
                == ["hello": "WORLD", "foo": "BAR"])
        #expect(try pairs("hello=wORLD", ["transform_key": "capitalize", "transform_value": "capitalize"]) == ["Hello": "World"])
    }

    @Test func includeExcludeAndPrefix() throws {
        // Logstash docs example.
        #expect(try pairs("Hey, from=<abc>, to=def foo=bar", ["include_keys": ["from", "to"], "trim_value": "<>,"])
                == ["from": "abc", "to": "def"])
        #expect(try pairs("Hey, from=<abc>, to=def foo=bar", ["exclude_keys": ["from", "to"]]) == ["foo": "bar"])
        // Keys are filtered before the prefix is added; all three settings take sprintf.
        let (_, e) = try kv("a=1 b=2 c=3", ["include_keys": ["%{want}", "b"], "exclude_keys": ["b"], "prefix": "%{p}_"],
                            extra: ["want": "a", "p": "arg"])
        #expect(e.fields["arg_a"] == "1" && e.fields["arg_b"] == nil && e.fields["arg_c"] == nil && e.fields["a"] == nil)
    }

    @Test func duplicates() throws {
        // Logstash: repeated keys collect into an array; unique values only when asked.
        #expect(try pairs("from=me from=me to=a to=b to=a") == ["from": ["me", "me"], "to": ["a", "b", "a"]])
        #expect(try pairs("from=me from=me to=a to=b to=a", ["allow_duplicate_values": false])
                == ["from": "me", "to": ["a", "b"]])
        // As Ruby's `String#include?`: a value contained in the stored string counts as a duplicate.
        #expect(try pairs("k=foobar k=bar", ["allow_duplicate_values": false]) == ["k": "foobar"])
    }

    @Test func recursive() throws {
        let message = #"a=x b="c=1 d=(e=2)" f=plain"#
        #expect(try pairs(message, ["recursive": true]) == ["a": "x", "b": ["c": "1", "d": ["e": "2"]], "f": "plain"])
        #expect(try pairs(message) == ["a": "x", "b": "c=1 d=(e=2)", "f": "plain"])
    }

    @Test func defaultKeysAndTarget() throws {
        #expect(try pairs("a=1 b=2", ["default_keys": ["b": "default", "z": "zz"]]) == ["b": "2", "z": "zz", "a": "1"])
        // Defaults apply even when nothing is parsed.
        let (r, e) = try kv("nothing here", ["default_keys": ["z": "zz"]])
        #expect(isMatched(r) && e.fields["z"] == "zz")
        let (_, t) = try kv("a=1 a=2", ["target": "[kv][pairs]"])
        #expect(t[field: "[kv][pairs]"] == ["a": ["1", "2"]] && t.fields["a"] == nil)
        // Nothing parsed and no defaults: the filter does not match (no add_field/add_tag).
        #expect(!isMatched(try kv("nothing here").0))
    }

    @Test func sourceTypes() throws {
        let filter = try makeKV(["source": "[log][kv]"])
        var e = Event(timestamp: Timestamp(nanoseconds: 0))
        e[field: "[log][kv]"] = ["a=1", 5, "b=2 a=3"]
        var context = FilterContext()
        #expect(isMatched(filter.filter(&e, &context)))
        #expect(e.fields["a"] == ["1", "3"] && e.fields["b"] == "2")
        // Logstash only logs other types: no tag, nothing parsed.
        let (r, n) = try kv(42)
        #expect(!isMatched(r) && n.tags.isEmpty)
        #expect(try kv(.null).1.tags.isEmpty)
    }

    @Test func failureTags() throws {
        // A key that is not a field reference cannot be stored (Logstash raises, caught as `_kv_filter_error`).
        let (r, e) = try kv("a[b=1")
        #expect(!isMatched(r) && e.tags == ["_kv_filter_error"])
        // A target under a field that is not a hash.
        let (_, t) = try kv("a=1", ["target": "[message][kv]", "tag_on_failure": ["KV-ERROR", "second"]])
        #expect(t.tags == ["KV-ERROR", "second"])
    }

    @Test func timeout() throws {
        let big = (0..<100_000).map { "key\($0)=value\($0)" }.joined(separator: " ")
        let (r, e) = try kv(.string(big), ["timeout_millis": 1, "default_keys": ["d": "x"], "add_tag": ["kv"]])
        #expect(!isMatched(r) && e.tags == ["_kv_filter_timeout"])
        #expect(e.fields["d"] == nil && e.fields["key0"] == nil)
        #expect(try kv(.string(big), ["timeout_millis": 1, "tag_on_timeout": "BADKV"]).1.tags == ["BADKV"])
        // 0 disables the timeout.
        #expect(try kv(.string(big), ["timeout_millis": 0]).1.fields["key99999"] == "value99999")
    }

    @Test func ecsCompatibilityOnlyReports() throws {
        // ECS changes nothing but a start-up message when `target` is missing.
        #expect(try pairs("a=1", ["ecs_compatibility": "v8"]) == ["a": "1"])
        #expect(try kv("a=1", ["ecs_compatibility": "v1", "target": "kv"]).1.fields["kv"] == ["a": "1"])
    }

    @Test func endToEndThroughConfig() async throws {
        var r = PluginRegistry()
        GrokPlugins.register(into: &r)
        let config = """
        filter {
          kv {
            field_split => "&?"
            target => "query"
            include_keys => ["q", "page"]
            add_tag => ["kv_ok"]
          }
        }
        """
        let result = try await PipelineHarness(registry: r).run(config, events: [Event(message: "?q=swift&page=2&x=1")])
        let e = try #require(result.events.first)
        #expect(e.fields["query"] == ["q": "swift", "page": "2"] && e.hasTag("kv_ok"))
    }
}
