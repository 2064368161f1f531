import Logging
import SluiceCore
import StandardPlugins
import Testing

// MARK: helpers

/// Builds the filter the way the host does: every declared setting present, spec defaults
/// (the plugin's and the common filter ones) overridden by `values`.
private func makeMutate(_ values: [String: Value]) throws -> MutateFilter {
    var all: [String: Value] = [:]
    for spec in MutateFilter.settingSpecs + CommonSettings.filter {
        if let d = spec.defaultValue { all[spec.name] = d }
    }
    for (k, v) in values { all[k] = v }
    let settings = PluginSettings(pluginName: MutateFilter.pluginName, id: "mutate_test", values: all)
    let context = PluginContext(logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
                                pipeline: PipelineSettings())
    return try MutateFilter(settings: settings, context: context)
}

private func event(_ fields: KeyValuePairs<String, Value>) -> Event {
    var e = Event(timestamp: Timestamp(nanoseconds: 0))
    for (k, v) in fields { e.fields.set(k, v) }
    return e
}

/// Runs one mutate block over `fields` and returns the result and the event.
private func mutate(_ values: [String: Value], _ fields: KeyValuePairs<String, Value>) throws -> (FilterResult, Event) {
    let filter = try makeMutate(values)
    var e = event(fields)
    var context = FilterContext()
    let result = filter.filter(&e, &context)
    return (result, e)
}

private func configError(_ values: [String: Value]) -> String? {
    do {
        _ = try makeMutate(values)
        return nil
    } catch {
        return "\(error)"
    }
}

private func isMatched(_ r: FilterResult) -> Bool { if case .matched = r { return true }; return false }
private func isUnmatched(_ r: FilterResult) -> Bool { if case .unmatched = r { return true }; return false }

// MARK: settings

@Suite("mutate")
struct MutateFilterTests {}

extension MutateFilterTests {
    @Test func declaresLogstashSettingsWithDefaults() throws {
        let specs = Dictionary(uniqueKeysWithValues: MutateFilter.settingSpecs.map { ($0.name, $0) })
        for name in ["coerce", "rename", "update", "replace", "convert", "gsub", "uppercase", "capitalize",
                     "lowercase", "strip", "split", "join", "merge", "copy", "tag_on_failure"] {
            #expect(specs[name] != nil, "missing setting \(name)")
        }
        #expect(specs["tag_on_failure"]?.defaultValue == "_mutate_error")
        #expect(specs["convert"]?.type == .hash)
        #expect(specs["gsub"]?.type == .array)
        #expect(MutateFilter.pluginName == "mutate")
        // No settings at all is a valid (no-op) mutate.
        let (result, e) = try mutate([:], ["message": "hi"])
        #expect(isMatched(result))
        #expect(e.fields["message"] == "hi")
    }

    @Test func rejectsUnknownConversionWithSuggestion() {
        let message = configError(["convert": ["n": "interger"]])
        #expect(message?.contains("invalid conversion `interger`") == true)
        #expect(message?.contains("did you mean `integer`") == true)
        #expect(message?.contains("`convert`") == true)
        // Logstash's own spec: `int` is not a conversion.
        #expect(configError(["convert": ["n": "int"]])?.contains("expected one of `integer`") == true)
    }

    @Test func rejectsIncompleteGsubTriplets() {
        let message = configError(["gsub": ["message", "toreplace"]])
        #expect(message?.contains("triplets") == true)
    }

    @Test func rejectsInvalidRegex() {
        let message = configError(["gsub": ["message", "(unclosed", "x"]])
        #expect(message?.contains("(unclosed") == true)
    }

    @Test func rejectsMalformedFieldReferences() {
        #expect(configError(["uppercase": ["[a][b"]]) != nil)
        #expect(configError(["rename": ["[a]]": "b"]]) != nil)
        #expect(configError(["copy": ["a": "[b"]]) != nil)
        #expect(configError(["split": ["f": ["a", "b"]]])?.contains("must be a string") == true)
    }
}

// MARK: operations

extension MutateFilterTests {
    @Test func coerceSetsOnlyNullFields() throws {
        let (_, e) = try mutate(["coerce": ["empty": "default", "missing": "x", "full": "y", "templ": "%{full}!"]],
                                ["empty": nil, "full": "kept", "templ": nil])
        #expect(e.fields["empty"] == "default")
        #expect(e.fields["full"] == "kept")
        #expect(e.fields["templ"] == "kept!")
        // Logstash coerces only fields that exist with a null value.
        #expect(e.fields["missing"] == nil)
    }

    @Test func renameMovesValuesAndSkipsMissing() throws {
        let (r, e) = try mutate(["rename": ["old": "new", "nosuch": "hello", "[a][b]": "[c][d]", "x": "taken"]],
                                ["old": [1, 2], "a": ["b": "deep"], "x": "X", "taken": "before"])
        #expect(isMatched(r))
        #expect(e.fields["old"] == nil)
        #expect(e.fields["new"] == [1, 2])
        #expect(e.fields["hello"] == nil)
        #expect(e[field: "[c][d]"] == "deep")
        #expect(e[field: "[a][b]"] == nil)
        #expect(e.fields["taken"] == "X")
    }

    @Test func renameWithSprintfNames() throws {
        let (_, e) = try mutate(["rename": ["value": "%{kind}_value"]], ["kind": "cpu", "value": 42])
        #expect(e.fields["cpu_value"] == 42)
        #expect(e.fields["value"] == nil)
    }

    @Test func updateOnlyTouchesExistingFields() throws {
        let (_, e) = try mutate(["update": ["present": "new %{other}", "absent": "weee"]],
                                ["present": "old", "other": "o"])
        #expect(e.fields["present"] == "new o")
        #expect(e.fields["absent"] == nil)
    }

    @Test func replaceSetsOrAddsWithSprintf() throws {
        let (_, e) = try mutate(["replace": ["message": "%{host}: new", "added": "newnew", "[n][x]": "nested"]],
                                ["message": "old", "host": "web1"])
        #expect(e.fields["message"] == "web1: new")
        #expect(e.fields["added"] == "newnew")
        #expect(e[field: "[n][x]"] == "nested")
    }

    @Test func replaceWithSprintfFieldName() throws {
        let (_, e) = try mutate(["replace": ["[%{kind}][seen]": "yes"]], ["kind": "cpu"])
        #expect(e[field: "[cpu][seen]"] == "yes")
    }

    @Test func convertInteger() throws {
        let (_, e) = try mutate(
            ["convert": ["a": "integer", "b": "integer", "c": "integer", "d": "integer", "e": "integer", "f": "integer",
                         "g": "integer", "h": "integer", "i": "integer", "j": "integer", "k": "integer", "l": "integer"]],
            ["a": "1,000", "b": "7890.4", "c": " 42 ", "d": "1e3", "e": "0x1A", "f": "-7.9", "g": "abc",
             "h": 3.99, "i": -2.7, "j": true, "k": 5, "l": "12abc"])
        #expect(e.fields["a"] == 1000)
        #expect(e.fields["b"] == 7890)
        #expect(e.fields["c"] == 42)
        #expect(e.fields["d"] == 1000)
        #expect(e.fields["e"] == 26)
        #expect(e.fields["f"] == -7)
        #expect(e.fields["g"] == "abc")  // unconvertible: left as it is
        #expect(e.fields["h"] == 3)
        #expect(e.fields["i"] == -2)
        #expect(e.fields["j"] == 1)
        #expect(e.fields["k"] == 5)
        #expect(e.fields["l"] == "12abc")
    }

    @Test func convertIntegerEU() throws {
        let (_, e) = try mutate(["convert": ["a": "integer_eu", "b": "integer_eu", "c": "integer_eu"]],
                                ["a": "1.000", "b": "1.234,56", "c": 2.5])
        #expect(e.fields["a"] == 1000)
        #expect(e.fields["b"] == 1234)
        #expect(e.fields["c"] == 2)
    }

    @Test func convertFloat() throws {
        let (_, e) = try mutate(["convert": ["a": "float", "b": "float", "c": "float", "d": "float", "e": "float"]],
                                ["a": "1,000.5", "b": 3, "c": true, "d": "nope", "e": "-0.25"])
        #expect(e.fields["a"] == 1000.5)
        #expect(e.fields["b"] == 3.0)
        #expect(e.fields["c"] == 1.0)
        #expect(e.fields["d"] == "nope")
        #expect(e.fields["e"] == -0.25)
    }

    @Test func convertFloatEU() throws {
        let (_, e) = try mutate(["convert": ["a": "float_eu", "b": "float_eu"]], ["a": "1.000,5", "b": "3,25"])
        #expect(e.fields["a"] == 1000.5)
        #expect(e.fields["b"] == 3.25)
    }

    @Test func convertString() throws {
        let (_, e) = try mutate(["convert": ["a": "string", "b": "string", "c": "string", "d": "string"]],
                                ["a": 1234, "b": true, "c": 1.5, "d": "same"])
        #expect(e.fields["a"] == "1234")
        #expect(e.fields["b"] == "true")
        #expect(e.fields["c"] == "1.5")
        #expect(e.fields["d"] == "same")
    }

    @Test func convertBoolean() throws {
        var convert = FieldMap()
        let inputs: [(String, Value, Value)] = [
            ("t1", "true", true), ("t2", "True", true), ("t3", "t", true), ("t4", "yes", true), ("t5", "Y", true),
            ("t6", "1", true), ("t7", "1.0", true), ("t8", 1, true), ("t9", 1.0, true),
            ("f1", "false", false), ("f2", "False", false), ("f3", "f", false), ("f4", "no", false), ("f5", "N", false),
            ("f6", "0", false), ("f7", "0.0", false), ("f8", 0, false), ("f9", "", false),
            ("w1", "none of the above", "none of the above"), ("w2", 7, 7),
        ]
        var e = event([:])
        for (name, input, _) in inputs {
            convert.set(name, "boolean")
            e.fields.set(name, input)
        }
        let filter = try makeMutate(["convert": .object(convert)])
        var context = FilterContext()
        #expect(isMatched(filter.filter(&e, &context)))
        for (name, _, expected) in inputs {
            #expect(e.fields[name] == expected, "\(name)")
        }
    }

    @Test func convertArraysElementWiseAndSkipsHashes() throws {
        let (_, e) = try mutate(["convert": ["list": "integer", "mixed": "boolean", "hash": "integer",
                                             "[nested][n]": "float", "[arr][0]": "integer"]],
                                ["list": ["1234", "7890.4", "7.9", nil], "mixed": ["yes", "maybe", 0],
                                 "hash": ["k": "1"], "nested": ["n": "2.5"], "arr": ["100", "200"]])
        #expect(e.fields["list"] == [1234, 7890, 7, nil])
        #expect(e.fields["mixed"] == [true, "maybe", false])
        #expect(e.fields["hash"] == ["k": "1"])
        #expect(e[field: "[nested][n]"] == 2.5)
        #expect(e.fields["arr"] == [100, "200"])
    }

    @Test func gsubOnStringsAndArrays() throws {
        let (_, e) = try mutate(
            ["gsub": ["path", "/", "_",
                      "list", "extinct", "common",
                      "digits", "\\d$", "blue",
                      "groups", "(\\w+)@(\\w+)", "\\2 at \\1",
                      "number", "1", "2"]],
            ["path": "a/b/c", "list": ["Magnificient extinct animals", 7, "Other extinct ideas"],
             "digits": "red3", "groups": "me@host", "number": 1])
        #expect(e.fields["path"] == "a_b_c")
        #expect(e.fields["list"] == ["Magnificient common animals", 7, "Other common ideas"])
        #expect(e.fields["digits"] == "redblue")
        #expect(e.fields["groups"] == "host at me")
        #expect(e.fields["number"] == 1)
    }

    @Test func gsubAnchorsMatchAtLinesLikeRuby() throws {
        let (_, e) = try mutate(["gsub": ["text", " +$", "", "text", "^", "> "]], ["text": "a  \nb  "])
        #expect(e.fields["text"] == "> a\n> b")
    }

    @Test func gsubWithSprintfPatternAndReplacement() throws {
        let (r, e) = try mutate(["gsub": ["unicorns", "of type %{color}", "%{color} and green"]],
                                ["unicorns": "Unicorns of type blue are common", "color": "blue"])
        #expect(isMatched(r))
        #expect(e.fields["unicorns"] == "Unicorns blue and green are common")
    }

    @Test func caseOperations() throws {
        let (_, e) = try mutate(["uppercase": ["up", "upList"], "lowercase": ["low", "lowList"],
                                 "capitalize": ["cap", "capList", "number"]],
                                ["up": "example", "upList": ["ExAmPlE", 3], "low": "ExAmPlE", "lowList": ["ÀBC", "X"],
                                 "cap": "hELLO wORLD", "capList": ["élan", "x"], "number": 4])
        #expect(e.fields["up"] == "EXAMPLE")
        #expect(e.fields["upList"] == ["EXAMPLE", 3])
        #expect(e.fields["low"] == "example")
        #expect(e.fields["lowList"] == ["àbc", "x"])
        #expect(e.fields["cap"] == "Hello world")
        #expect(e.fields["capList"] == ["Élan", "X"])
        #expect(e.fields["number"] == 4)
    }

    @Test func stripWhitespace() throws {
        let (_, e) = try mutate(["strip": ["a", "b", "c"]],
                                ["a": "  padded \t\n", "b": [" x ", "y  ", 1], "c": "clean"])
        #expect(e.fields["a"] == "padded")
        #expect(e.fields["b"] == ["x", "y", 1])
        #expect(e.fields["c"] == "clean")
    }

    @Test func splitLikeRuby() throws {
        let (_, e) = try mutate(["split": ["csv": ",", "words": " ", "trailing": ",", "multi": "::",
                                           "chars": "", "num": ","]],
                                ["csv": "a,b,,c", "words": "  one two\t three ", "trailing": "a,b,,",
                                 "multi": "x::y::z", "chars": "abc", "num": 12])
        #expect(e.fields["csv"] == ["a", "b", "", "c"])
        #expect(e.fields["words"] == ["one", "two", "three"])
        #expect(e.fields["trailing"] == ["a", "b"])
        #expect(e.fields["multi"] == ["x", "y", "z"])
        #expect(e.fields["chars"] == ["a", "b", "c"])
        #expect(e.fields["num"] == 12)
    }

    @Test func joinArrays() throws {
        let (_, e) = try mutate(["join": ["list": ", ", "nested": "-", "scalar": ","]],
                                ["list": ["a", 1, true, 2.5], "nested": ["a", ["b", "c"], nil], "scalar": "s"])
        #expect(e.fields["list"] == "a, 1, true, 2.5")
        #expect(e.fields["nested"] == "a-b-c-")
        #expect(e.fields["scalar"] == "s")
    }

    @Test func mergeArraysStringsAndHashes() throws {
        let cases: [(KeyValuePairs<String, Value>, Value)] = [
            (["foo": "bar"], ["bar"]),
            (["foo": "bar", "list": []], ["bar"]),
            (["foo": "bar", "list": ["baz"]], ["baz", "bar"]),
            (["foo": ["bar"], "list": ["baz"]], ["baz", "bar"]),
            (["foo": [], "list": ["baz"]], ["baz"]),
            (["foo": ["bar"], "list": "baz"], ["baz", "bar"]),
            (["foo": "bar", "list": "baz"], ["baz", "bar"]),
            (["foo": ["k2": "v2", "k": "new"], "list": ["k": "old"]], ["k": "new", "k2": "v2"]),
        ]
        for (fields, expected) in cases {
            let (r, e) = try mutate(["merge": ["list": "foo"]], fields)
            #expect(isMatched(r))
            #expect(e.fields["list"] == expected)
            #expect(e.fields["foo"] == fields.first { $0.key == "foo" }?.value)
        }
    }

    @Test func mergeOfHashAndArrayIsSkippedNotFailed() throws {
        let (r, e) = try mutate(["merge": ["list": "hash"]], ["list": ["a"], "hash": ["k": "v"]])
        #expect(isMatched(r))
        #expect(e.fields["list"] == ["a"])
        #expect(!e.hasTag("_mutate_error"))
    }

    @Test func mergeOfTwoMissingFieldsMakesAnEmptyArray() throws {
        // Ruby's Array(nil) + Array(nil): Logstash sets the destination to [].
        let (_, e) = try mutate(["merge": ["dest": "nosuch"]], ["message": "x"])
        #expect(e.fields["dest"] == [])
    }

    @Test func mergeSeveralSources() throws {
        let (_, e) = try mutate(["merge": ["all": ["a", "b"]]], ["all": ["x"], "a": "y", "b": ["z"]])
        #expect(e.fields["all"] == ["x", "y", "z"])
    }

    @Test func copyIsIndependentAndOverwrites() throws {
        let (_, e) = try mutate(["copy": ["src": "dst", "missing": "nope", "[obj]": "[copy][of]"]],
                                ["src": "value", "dst": "old", "obj": ["k": [1, 2]]])
        #expect(e.fields["dst"] == "value")
        #expect(e.fields["src"] == "value")
        #expect(e.fields["nope"] == nil)
        #expect(e[field: "[copy][of][k]"] == [1, 2])
        #expect(e.fields["obj"] == ["k": [1, 2]])
    }

    @Test func copySkipsNull() throws {
        let (_, e) = try mutate(["copy": ["src": "dst"]], ["src": nil])
        #expect(e.fields["dst"] == nil)
    }

    @Test func operationsRunInLogstashOrderNotFileOrder() throws {
        // Declared backwards; Logstash's order is coerce, rename, update, replace, convert, gsub,
        // uppercase, capitalize, lowercase, strip, split, join, merge, copy.
        let settings: [String: Value] = [
            "copy": ["name": "orig"],
            "merge": ["list": "n"],
            "join": ["name": "+"],
            "split": ["name": ","],
            "strip": ["name"],
            "lowercase": ["word"],
            "capitalize": ["word", "w2"],
            "uppercase": ["name", "w2"],
            "gsub": ["label", "5", "five"],
            "convert": ["n": "integer"],
            "replace": ["label": "%{n}"],
            "update": ["n": "5"],
            "rename": ["count": "n", "nothing": "something"],
            "coerce": ["nothing": "filled"],
        ]
        let (r, e) = try mutate(settings, ["name": " hello,world ", "count": "12", "nothing": nil,
                                           "word": "hELLO", "w2": "abc"])
        #expect(isMatched(r))
        #expect(e.fields["something"] == "filled")  // coerce before rename
        #expect(e.fields["count"] == nil)
        #expect(e.fields["n"] == 5)  // rename, then update, then convert
        #expect(e.fields["label"] == "five")  // replace rendered "5", then gsub
        #expect(e.fields["word"] == "hello")  // capitalize, then lowercase
        #expect(e.fields["w2"] == "Abc")  // uppercase, then capitalize
        #expect(e.fields["name"] == "HELLO+WORLD")  // uppercase, strip, split, join
        #expect(e.fields["list"] == [5])  // merge after convert
        #expect(e.fields["orig"] == "HELLO+WORLD")  // copy last
    }

    @Test func failureTagsAndSkipsRemainingOperations() throws {
        let (r, e) = try mutate(["replace": ["[msg][sub]": "x"], "uppercase": ["other"]],
                                ["msg": "a string", "other": "lower"])
        #expect(isUnmatched(r))
        #expect(e.hasTag("_mutate_error"))
        #expect(e.fields["other"] == "lower")
    }

    @Test func customFailureTagAndBadDynamicFieldName() throws {
        let (r, e) = try mutate(["rename": ["a": "%{bad}"], "tag_on_failure": "_oops"], ["a": 1, "bad": "x]["])
        #expect(isUnmatched(r))
        #expect(e.tags == ["_oops"])
    }

    /// Numbers kept as digits (beyond Int64 or a double) convert like Logstash's Bignum/BigDecimal.
    @Test func convertsNumbersKeptAsDigits() throws {
        let big = Value.number(try #require(NumberLiteral("123456789012345678901234567890")))
        let dec = Value.number(try #require(NumberLiteral("2.50000000000000000000001")))
        let huge = Value.number(try #require(NumberLiteral("1e999")))
        let (_, e) = try mutate(["convert": ["a": "integer", "b": "float", "c": "string", "d": "integer", "e": "float"]],
                                ["a": big, "b": big, "c": big, "d": dec, "e": huge])
        #expect(e.fields["a"] == big)  // a Bignum stays whole and exact
        #expect(e.fields["b"] == .double(1.2345678901234568e29))
        #expect(e.fields["c"] == "123456789012345678901234567890")
        #expect(e.fields["d"] == .int(2))
        #expect(e.fields["e"] == huge)  // no double holds it: left as it is
    }

    @Test func neverCrashesOnOddValues() throws {
        let filter = try makeMutate([
            "convert": ["v": "integer"], "gsub": ["v", "a", "b"], "uppercase": ["v"], "strip": ["v"],
            "split": ["v": ","], "join": ["v": ","], "merge": ["v": "w"], "copy": ["v": "w"],
        ])
        let values: [Value] = [nil, true, 1.5e300, -0.0, "", ["x": [1, nil]], [[], [[]]], .timestamp(Timestamp(nanoseconds: 1)),
                               "\u{0}\u{FFFD}é", "9999999999999999999999", "-0x8000000000000000"]
        for v in values {
            var e = event(["v": v, "w": v])
            var context = FilterContext()
            _ = filter.filter(&e, &context)
        }
    }
}
