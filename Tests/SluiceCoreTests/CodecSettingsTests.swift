import Testing
@testable import SluiceCore

/// Codec settings through the same validation pipeline files go through.
@Suite struct CodecSettingsTests {
    func validate(_ body: String) throws -> (PluginSettings?, [ConfigError]) {
        let node = try ConfigTest.plugin(body)
        var validator = SettingsValidator(registry: PluginRegistry(),
                                          context: PluginContext(logger: Logger(label: "test"), pipeline: PipelineSettings()))
        let settings = validator.settings(for: node, kind: .codec)
        return (settings, validator.errors)
    }

    @Test func defaults() throws {
        let (line, errors) = try validate("line { }")
        #expect(errors.isEmpty)
        #expect(line?.string("charset") == "UTF-8")
        #expect(line?.string("delimiter") == "\n")
        #expect(try validate("rubydebug { }").0?.bool("metadata") == false)
        #expect(try validate("json { target => \"[doc]\" }").0?.fieldReference("target")?.path == ["doc"])
        #expect(try validate("dots { }").1.isEmpty)
    }

    @Test func unknownSettingSuggestsTheRightOne() throws {
        let (settings, errors) = try validate("line { delimeter => \"|\" }")
        #expect(settings == nil)
        #expect(errors.first?.message.contains("did you mean `delimiter`") == true)
    }

    @Test func badValues() throws {
        #expect(try validate("plain { charset => \"KOI8-R\" }").1.count == 1)
        #expect(try validate("rubydebug { metadata => \"maybe\" }").1.count == 1)
        #expect(try validate("json_lines { charset => \"CP1252\" }").1.isEmpty)
    }

    @Test func validatedSettingsBuildWorkingCodecs() throws {
        let (settings, _) = try validate("line { format => \"%{message}!\" delimiter => \"|\" }")
        let s = try #require(settings)
        let codec = try LineCodec(settings: s, context: PluginContext(logger: Logger(label: "t"), pipeline: PipelineSettings()))
        #expect(encode(codec, Event(message: "hi")) == "hi!|")
    }
}
