import Testing
@testable import SluiceCore

/// Plugins read defaulted settings with `declared*`: the value comes from the spec (filled in by
/// validation), and a setting without a declared default is an error, never a silent fallback.
@Suite struct PluginSettingsDeclaredTests {
    @Test func declaredAccessorsReturnTheValidatedValue() throws {
        let s = PluginSettings(pluginName: "t", id: "t_1",
                               values: ["n": .int(5), "s": .string("x"), "b": .bool(true), "d": .double(1.5)])
        #expect(try s.declaredInt("n") == 5)
        #expect(try s.declaredString("s") == "x")
        #expect(try s.declaredBool("b"))
        #expect(try s.declaredDouble("d") == 1.5)
    }

    @Test func aSettingWithoutValueIsAConfigErrorNamingIt() {
        let s = PluginSettings(pluginName: "t", id: "t_1", values: [:])
        do {
            _ = try s.declaredInt("count")
            Issue.record("no error")
        } catch {
            #expect(error.message.contains("t: `count`: has no value"), "\(error.message)")
        }
    }

    @Test func aCodecBuiltFromItsSpecGetsTheSpecDefault() throws {
        // `delimiter` is left at the spec's default ("\n"): the codec has no default of its own.
        let codec = try makeCodec(LineCodec.self, ["format": .string("%{message}")])
        var out: [UInt8] = []
        var e = Event(timestamp: Timestamp(nanoseconds: 0))
        e.fields.set("message", .string("a"))
        codec.encode(e, into: &out)
        #expect(String(decoding: out, as: UTF8.self) == "a\n")
        #expect(throws: ConfigError.self) {
            _ = try LineCodec(settings: PluginSettings(pluginName: "line", id: "line_1", values: [:]))
        }
    }
}
