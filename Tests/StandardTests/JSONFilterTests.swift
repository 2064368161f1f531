import Logging
import SluiceCore
import StandardPlugins
import Testing

/// Builds the filter as the host does: spec defaults (own and common) overridden by `values`.
private func makeJSON(_ values: [String: Value]) throws -> JSONFilter {
    var all: [String: Value] = [:]
    for spec in JSONFilter.settingSpecs + CommonSettings.filter {
        if let d = spec.defaultValue { all[spec.name] = d }
    }
    for (k, v) in values { all[k] = v }
    let settings = PluginSettings(pluginName: JSONFilter.pluginName, id: "json_test", values: all)
    let context = PluginContext(logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
                                pipeline: PipelineSettings())
    return try JSONFilter(settings: settings, context: context)
}

private let epoch = Timestamp(nanoseconds: 0)

private func parse(_ values: [String: Value], _ fields: KeyValuePairs<String, Value>) throws -> (FilterResult, Event) {
    let filter = try makeJSON(values)
    var e = Event(timestamp: epoch)
    for (k, v) in fields { e.fields.set(k, v) }
    var context = FilterContext()
    let result = filter.filter(&e, &context)
    return (result, e)
}

private func isMatched(_ r: FilterResult) -> Bool { if case .matched = r { return true }; return false }

@Suite("json")
struct JSONFilterTests {
    @Test func settingsDefaultsAndRequiredSource() throws {
        let specs = Dictionary(uniqueKeysWithValues: JSONFilter.settingSpecs.map { ($0.name, $0) })
        #expect(specs["source"]?.required == true)
        #expect(specs["target"]?.defaultValue == nil)
        #expect(specs["skip_on_invalid_json"]?.defaultValue == false)
        #expect(specs["tag_on_failure"]?.defaultValue == ["_jsonparsefailure"])
        do {
            _ = try makeJSON([:])
            Issue.record("a json filter without source was accepted")
        } catch {
            #expect("\(error)".contains("`source`"))
        }
        do {
            _ = try makeJSON(["source": "message", "target": "[bad"])
            Issue.record("a malformed target was accepted")
        } catch {
            #expect("\(error)".contains("`target`"))
        }
    }

    @Test func mergesObjectIntoRoot() throws {
        let (r, e) = try parse(["source": "message"],
                               ["message": #"{ "hello": "world", "list": [1, 2, 3], "hash": { "k": "v" }, "n": 1.5 }"#])
        #expect(isMatched(r))
        #expect(e.fields["hello"] == "world")
        #expect(e.fields["list"] == [1, 2, 3])
        #expect(e.fields["hash"] == ["k": "v"])
        #expect(e.fields["n"] == 1.5)
        #expect(e.fields["message"] != nil)
        #expect(e.tags.isEmpty)
    }

    @Test func parsesIntoTarget() throws {
        let (r, e) = try parse(["source": "message", "target": "[doc][parsed]"],
                               ["message": #"{ "a": { "b": [true, null] } }"#])
        #expect(isMatched(r))
        #expect(e[field: "[doc][parsed][a][b]"] == [true, nil])
        #expect(e.fields["a"] == nil)
    }

    @Test func sourceCanBeTarget() throws {
        let (_, e) = try parse(["source": "example", "target": "example"], ["example": #"{ "hello": "world" }"#])
        #expect(e.fields["example"] == ["hello": "world"])
    }

    /// No silent change of values: big numbers keep their digits, a replaced surrogate tags.
    @Test func bigNumbersKeepTheirDigitsAndReplacementsAreTagged() throws {
        let (r, e) = try parse(["source": "message"], ["message": #"{"n":1e999,"id":123456789012345678901234567890}"#])
        #expect(isMatched(r))
        #expect(e.fields["n"] == .number(try #require(NumberLiteral("1e999"))))
        #expect(e.fields["id"] == .number(try #require(NumberLiteral("123456789012345678901234567890"))))
        #expect(e.tags.isEmpty)
        #expect(JSON.encodeToString(event: e).contains(#""n":1e999,"id":123456789012345678901234567890"#))
        let (r2, e2) = try parse(["source": "message"], ["message": #"{"s":"a\ud800b"}"#])
        #expect(isMatched(r2))
        #expect(e2.fields["s"] == "a\u{FFFD}b")
        #expect(e2.tags == [JSON.utf8ReplacedTag])
    }

    @Test func nonObjectNeedsTarget() throws {
        let (r, e) = try parse(["source": "message"], ["message": "[1, 2, 3]"])
        #expect(!isMatched(r))
        #expect(e.tags == ["_jsonparsefailure"])
        let (r2, e2) = try parse(["source": "message", "target": "data"], ["message": #"[ { "k": "v" }, 2 ]"#])
        #expect(isMatched(r2))
        #expect(e2.fields["data"] == [["k": "v"], 2])
    }

    @Test func invalidJSONIsTaggedAndLeftAlone() throws {
        let (r, e) = try parse(["source": "message", "tag_on_failure": ["_jsonparsefailure", "_custom"]],
                               ["message": "random_message", "tags": ["_earlier"]])
        #expect(!isMatched(r))
        #expect(e.tags == ["_earlier", "_jsonparsefailure", "_custom"])
        #expect(e.fields["message"] == "random_message")
    }

    @Test func skipOnInvalidJSONLeavesNoTrace() throws {
        let (r, e) = try parse(["source": "message", "skip_on_invalid_json": true], ["message": "this is not json"])
        #expect(!isMatched(r))
        #expect(e.fields["tags"] == nil)
        #expect(e.fields["message"] == "this is not json")
    }

    @Test func missingSourceIsANoOp() throws {
        let (r, e) = try parse(["source": "nosuch"], ["message": "{}"])
        #expect(!isMatched(r))
        #expect(e.fields["tags"] == nil)
    }

    @Test func nonStringSourceFails() throws {
        let (r, e) = try parse(["source": "n"], ["n": 42])
        #expect(!isMatched(r))
        #expect(e.tags == ["_jsonparsefailure"])
    }

    @Test func timestampFromJSONBecomesEventTimestamp() throws {
        let (r, e) = try parse(["source": "message"],
                               ["message": #"{ "foo": "bar", "@timestamp": "2015-12-02T17:40:00.666Z" }"#])
        #expect(isMatched(r))
        #expect(e.timestamp.iso8601 == "2015-12-02T17:40:00.666Z")
        #expect(e.fields["foo"] == "bar")
        #expect(e.fields["_@timestamp"] == nil)
    }

    @Test func invalidTimestampIsKeptAside() throws {
        let (r, e) = try parse(["source": "message"], ["message": #"{ "foo": "bar", "@timestamp": "foobar" }"#])
        #expect(isMatched(r))
        #expect(e.hasTag("_timestampparsefailure"))
        #expect(e.fields["_@timestamp"] == "foobar")
        #expect(e.timestamp != epoch)  // replaced by the current time
        if case .timestamp? = e.fields["@timestamp"] {} else { Issue.record("@timestamp is not a timestamp") }
    }

    @Test func bracketedKeysAreFieldReferences() throws {
        let (_, e) = try parse(["source": "message"], ["message": #"{ "[a][b]": 1, "odd]key": 2 }"#])
        #expect(e[field: "[a][b]"] == 1)
        #expect(e.fields["odd]key"] == 2)
    }

    @Test func targetUnderScalarFails() throws {
        let (r, e) = try parse(["source": "message", "target": "[message][x]"], ["message": "{}"])
        #expect(!isMatched(r))
        #expect(e.tags == ["_jsonparsefailure"])
    }
}
