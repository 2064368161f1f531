
import Logging
import SluiceCore
import SluiceTesting
import Testing

@testable import GrokPlugins

// Expected values come from two independent sources:
// - Logstash's own plugin spec (logstash-filter-fingerprint spec/filters/fingerprint_spec.rb),
//   whose vectors Logstash computed; they pin the serialization (`|k|v|`, `.000Z` timestamps,
//   integers under MURMUR3). Each was re-checked with Python's hashlib/hmac/mmh3.
// - Python 3.11: `hashlib`, `hmac`, `base64` from the standard library and MurmurHash3 from both
//   the `mmh3` 5.3.1 package (`mmh3.hash(b, 0, signed=False)`, `mmh3.hash_bytes(b, 2)`) and a
//   pure-Python port of the reference C code; the script asserts both agree. For example:
//     hashlib.sha1(b"Hello world").hexdigest()
//     hmac.new(b"sluice-key", b"Hello world", hashlib.sha256).hexdigest()
//     mmh3.hash_bytes(struct.pack("<i", 42), 2).hex()      # MURMUR3_128 of an int32, seed 2
// Ruby texts (`{"x"=>"q\"uote", ...}`, `1.0e+20`) were written by hand from Ruby's
// `Hash#inspect`/`Float#to_s` rules and then hashed with Python.

private func makeFingerprint(_ values: [String: Value]) throws -> FingerprintFilter {
    var all: [String: Value] = [:]
    for spec in FingerprintFilter.settingSpecs + CommonSettings.filter {
        if let d = spec.defaultValue { all[spec.name] = d }
    }
    for (k, v) in values { all[k] = v }
    let settings = PluginSettings(pluginName: FingerprintFilter.pluginName, id: "fingerprint_test", values: all)
    let context = PluginContext(logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
                                pipeline: PipelineSettings())
    return try FingerprintFilter(settings: settings, context: context)
}

private func run(_ values: [String: Value], _ fields: KeyValuePairs<String, Value>,
                 timestamp: Timestamp = Timestamp(nanoseconds: 0)) throws -> Event {
    let filter = try makeFingerprint(values)
    var e = Event(timestamp: timestamp)
    for (k, v) in fields { e.fields.set(k, v) }
    var context = FilterContext()
    _ = filter.filter(&e, &context)
    return e
}

private func print(_ values: [String: Value], _ fields: KeyValuePairs<String, Value>) throws -> Value? {
    try run(values, fields).fields["fingerprint"]
}

@Suite("fingerprint")
struct FingerprintFilterTests {
    @Test func settingsDefaultsAndValidation() throws {
        let specs = Dictionary(uniqueKeysWithValues: FingerprintFilter.settingSpecs.map { ($0.name, $0) })
        #expect(specs["source"]?.defaultValue == ["message"])
        #expect(specs["method"]?.defaultValue == "SHA1")
        #expect(specs["base64encode"]?.defaultValue == false)
        #expect(specs["concatenate_sources"]?.defaultValue == false)
        #expect(specs["concatenate_all_fields"]?.defaultValue == false)
        #expect(specs["ecs_compatibility"]?.defaultValue == "disabled")
        #expect(specs["key"]?.type == .password)
        #expect(specs.values.allSatisfy { !$0.doc.isEmpty })
        // The host rejects unknown methods from the enum table.
        let error = PipelineHarness(registry: registry()).check("filter { fingerprint { method => \"SHA3\" } }")
        #expect(error.map { "\($0)".contains("must be one of") } == true)
        // IPV4_NETWORK needs a prefix length.
        #expect(throws: ConfigError.self) { try makeFingerprint(["method": "IPV4_NETWORK"]) }
        do {
            _ = try makeFingerprint(["method": "IPV4_NETWORK", "key": "40"])
            Issue.record("a prefix of 40 was accepted")
        } catch {
            #expect("\(error)".contains("`key`") && "\(error)".contains("0 to 32"))
        }
        #expect(throws: ConfigError.self) { try makeFingerprint(["target": "[bad"]) }
        #expect(throws: ConfigError.self) { try makeFingerprint(["source": ["ok", "[bad"]]) }
    }

    @Test func logstashSpecVectors() throws {
        let ip: KeyValuePairs<String, Value> = ["clientip": "123.123.123.123"]
        let source: Value = ["clientip"]
        #expect(try print(["source": source], ip) == "3a5076c520b4b463f43806896ea0b3978d09dcae")
        #expect(try print(["source": source, "base64encode": true], ip) == "OlB2xSC0tGP0OAaJbqCzl40J3K4=")
        #expect(try print(["source": source, "key": "longencryptionkey"], ip) == "fdc60acc4773dc5ac569ffb78fcb93c9630797f4")
        #expect(try print(["source": source, "key": "longencryptionkey", "base64encode": true], ip)
                == "/cYKzEdz3FrFaf+3j8uTyWMHl/Q=")
        #expect(try print(["source": source, "method": "SHA256", "key": "longencryptionkey"], ip)
                == "345bec3eff242d53b568916c2610b3e393d885d6b96d643f38494fd74bf4a9ca")
        #expect(try print(["source": source, "method": "MD5", "key": "longencryptionkey", "base64encode": true], ip)
                == "kzbIeeMFyWBKOEP8PnWUjw==")
        #expect(try print(["source": source, "method": "MURMUR3"], ip) == .int(4_013_733_395))
        #expect(try print(["source": source, "method": "MURMUR3"], ["clientip": 123]) == .int(823_512_154))
        #expect(try print(["source": source, "method": "IPV4_NETWORK", "key": "24"], ip) == "123.123.123.0")
        #expect(try print(["source": source], ["clientip": ["123.123.123.123", "223.223.223.223"]])
                == ["3a5076c520b4b463f43806896ea0b3978d09dcae", "47bbc4e06edebbace047fed35abeceec64968b81"])
        // Several sources without concatenation: the last present one wins (SHA1 of "test2").
        let two: KeyValuePairs<String, Value> = ["field1": "test1", "field2": "test2"]
        #expect(try print(["source": ["field1", "field2"]], two) == "109f4b3c50d7b0df729d299bc6f8e9ef9066971f")
        // SHA1 of "|field1|test1|field2|test2|".
        #expect(try print(["source": ["field2", "field1"], "concatenate_sources": true], two)
                == "e3b6b71eedc656f1d29408264e8a75535db985cb")
        // Whole-second timestamps keep `.000Z`: HMAC-SHA1 and MURMUR3 of "1970-01-01T00:00:00.000Z".
        let epoch: KeyValuePairs<String, Value> = ["@timestamp": .timestamp(Timestamp(nanoseconds: 0))]
        #expect(try print(["source": ["@timestamp"], "key": "0123"], epoch) == "1d5379ec92d86a67cfc642d55aa050ca312d3b9a")
        #expect(try print(["source": ["@timestamp"], "method": "MURMUR3"], epoch) == .int(743_372_282))
    }

    @Test func concatenateAllFieldsLogstashVector() throws {
        // "|@timestamp|2017-07-26T14:44:27.064Z|@version|1|clientip|123.123.123.123|log_level|INFO|
        //  message|This is a test message|offset|123456789|type|test|" -> SHA1 from Logstash's spec.
        let t = Timestamp(year: 2017, month: 7, day: 26, hour: 14, minute: 44, second: 27, nanosecond: 64_000_000)
        let e = try run(["concatenate_all_fields": true],
                        ["type": "test", "offset": 123_456_789, "message": "This is a test message",
                         "log_level": "INFO", "clientip": "123.123.123.123", "@metadata": ["ignored": true]],
                        timestamp: t)
        #expect(e.fields["fingerprint"] == "cbf022518e97860403160ed8a41847c0db104e63")
    }

    @Test(arguments: [
        ("SHA1", "7b502c3a1f48c8609ae212cdfb639dee39673f5e", "e1AsOh9IyGCa4hLN+2Od7jlnP14=",
         "c5320c3b5d6c216f13837ffde312cee49752783c", "xTIMO11sIW8Tg3/94xLO5JdSeDw="),
        ("SHA256", "64ec88ca00b268e5ba1a35678a1b5316d212f4f366b2477232534a8aeca37f3c",
         "ZOyIygCyaOW6GjVnihtTFtIS9PNmskdyMlNKiuyjfzw=",
         "2976a9ceec1dba0c54c908f7396f43339d595a56c90b0da77acdfdc1ddbc153f",
         "KXapzuwdugxUyQj3OW9DM51ZWlbJCw2nes39wd28FT8="),
        ("SHA384", "9203b0c4439fd1e6ae5878866337b7c532acd6d9260150c80318e8ab8c27ce330189f8df94fb890df1d298ff360627e1",
         "kgOwxEOf0eauWHiGYze3xTKs1tkmAVDIAxjoq4wnzjMBifjflPuJDfHSmP82Bifh",
         "18d236332601621d601001588b12265362a0224a6bb6afc54febb54a646a1c78fd72a7bd2b73cceca79ffdb5b278c40f",
         "GNI2MyYBYh1gEAFYixImU2KgIkprtq/FT+u1SmRqHHj9cqe9K3PM7Kef/bWyeMQP"),
        ("SHA512", "b7f783baed8297f0db917462184ff4f08e69c2d5e5f79a942600f9725f58ce1f29c18139bf80b06c0fff2bdd34738452ecf40c488c22a7e3d80cdf6f9c1c0d47",
         "t/eDuu2Cl/DbkXRiGE/08I5pwtXl95qUJgD5cl9Yzh8pwYE5v4CwbA//K900c4RS7PQMSIwip+PYDN9vnBwNRw==",
         "0e3f09a1a92ad167e7b602cc83f7d1059591bcaf58034d3ec18f287aed4a81a3994ab26a9eda232b5358dfc83d7fd51d29f8e2b8b29701014bf056e7e60df08d",
         "Dj8Joakq0WfntgLMg/fRBZWRvK9YA00+wY8oeu1KgaOZSrJqntojK1NY38g9f9UdKfjiuLKXAQFL8Fbn5g3wjQ=="),
        ("MD5", "3e25960a79dbc69b674cd4ec67a72c62", "PiWWCnnbxptnTNTsZ6csYg==",
         "1fb453bdae41161db21ca700ab472587", "H7RTva5BFh2yHKcAq0clhw=="),
    ])
    func digestMethods(method: String, hex: String, b64: String, hmacHex: String, hmacB64: String) throws {
        let msg: KeyValuePairs<String, Value> = ["message": "Hello world"]
        let m = Value.string(method)
        #expect(try print(["method": m], msg) == .string(hex))
        #expect(try print(["method": m, "base64encode": true], msg) == .string(b64))
        #expect(try print(["method": m, "key": "sluice-key"], msg) == .string(hmacHex))
        #expect(try print(["method": m, "key": "sluice-key", "base64encode": true], msg) == .string(hmacB64))
    }

    @Test func murmur3() throws {
        #expect(Murmur3.hash32([]) == 0)
        #expect(Murmur3.hash32(Array("hello".utf8)) == 0x248b_fa47)
        #expect(try print(["method": "MURMUR3"], ["message": "hello"]) == .int(613_153_351))
        #expect(try print(["method": "MURMUR3"], ["message": "Hello world"]) == .int(2_911_983_372))
        // Integers hash their 8 little-endian bytes: mmh3.hash(struct.pack("<q", -1)).
        #expect(try print(["method": "MURMUR3"], ["message": -1]) == .int(1_651_860_712))
        // key and base64encode do not apply to MURMUR3.
        #expect(try print(["method": "MURMUR3", "key": "k", "base64encode": true], ["message": "hello"]) == .int(613_153_351))
    }

    @Test func murmur3x128() throws {
        #expect(ByteText.hex(Murmur3.digest128([], seed: 2)) == "e85d6c701ab844305ba3e837cc6bf918")
        // 19 bytes: one full block and a tail over both halves.
        #expect(ByteText.hex(Murmur3.digest128(Array("0123456789abcdefXYZ".utf8), seed: 2))
                == "04492d6eae8ae53bd9a0c48a87aa2365")
        let m: Value = "MURMUR3_128"
        #expect(try print(["method": m], ["message": "hello"]) == "648a66fb923498d0ddfbffbb29aa9d64")
        #expect(try print(["method": m, "base64encode": true], ["message": "hello"]) == "ZIpm+5I0mNDd+/+7KaqdZA==")
        // The key does not apply to MURMUR3_128.
        #expect(try print(["method": m, "key": "k"], ["message": "hello"]) == "648a66fb923498d0ddfbffbb29aa9d64")
        #expect(try print(["method": m], ["message": "Hello world"]) == "f9359ecf8d17e59b7ac260cfe948f76e")
        // Integers within 32 bits hash 4 little-endian bytes, larger ones 8.
        #expect(try print(["method": m], ["message": 42]) == "16e583282d72b12ca418e843f88f56eb")
        #expect(try print(["method": m], ["message": -7]) == "b1bda73b4d6d12dccbd2edcbd5947b58")
        #expect(try print(["method": m], ["message": .int(1 << 40)]) == "1ee474ffa9e80fa2b867cee8ff621f70")
    }

    @Test func concatenateSourcesSerializesLikeRuby() throws {
        // '|a|1.5|b|{"x"=>"q\"uote", "y"=>[1, "z", nil]}|message|Hello world|'
        let fields: KeyValuePairs<String, Value> = [
            "message": "Hello world", "a": 1.5, "b": ["y": [1, "z", nil], "x": "q\"uote"],
        ]
        let config: [String: Value] = ["source": ["message", "b", "a"], "concatenate_sources": true]
        #expect(try print(config, fields) == "995ab56718bcc33bd62e269076f859c16557b946")
        var murmur = config
        murmur["method"] = "MURMUR3"
        #expect(try print(murmur, fields) == .int(1_267_371_691))
        // A missing source contributes an empty value: "|absent||message|Hello world|".
        #expect(try print(["source": ["message", "absent"], "concatenate_sources": true, "method": "SHA256"],
                          ["message": "Hello world"])
                == "9926039102c73c1eb94305d5a795463c96fa192321c85f9ab42b51d244fffeab")
    }

    @Test func concatenateAllFields() throws {
        // '|@timestamp|2024-05-06T07:08:09.000Z|@version|1|list|["b", "a"]|message|Hello world|
        //  nested|{"at"=>2024-05-06T07:08:09Z, "t"=>true}|' (nested timestamps print as ISO_INSTANT).
        let t = Timestamp(year: 2024, month: 5, day: 6, hour: 7, minute: 8, second: 9)
        let e = try run(["concatenate_all_fields": true, "method": "MD5"],
                        ["nested": ["t": true, "at": .timestamp(t)], "message": "Hello world",
                         "list": ["b", "a"], "@metadata": ["x": 1]],
                        timestamp: t)
        #expect(e.fields["fingerprint"] == "72660c65e6df5facad74a07877bdeb0b")
    }

    @Test func rubyFloatText() throws {
        func text(_ d: Double) -> String {
            var out: [UInt8] = []
            RubyText.appendFloat(d, into: &out)
            return String(decoding: out, as: UTF8.self)
        }
        #expect(text(1e20) == "1.0e+20")
        #expect(text(0.1) == "0.1")
        #expect(text(100) == "100.0")
        #expect(text(1e-5) == "1.0e-05")
        #expect(text(0.0001) == "0.0001")
        #expect(text(1e16) == "1.0e+16")
        #expect(text(1e15) == "1000000000000000.0")
        #expect(text(-2.5) == "-2.5")
        #expect(text(1.25e-7) == "1.25e-07")
        #expect(text(123_456.789) == "123456.789")
        // SHA1 of "1.0e+20" and "100.0", as Logstash hashes a float field's `to_s`.
        #expect(try print([:], ["message": 1e20]) == "b8bb38620bac1330e67eecdc725464cf07f94189")
        #expect(try print([:], ["message": 100.0]) == "6f50807584714e6e22f44060c99304e24165f7a5")
    }

    @Test func rubyInspectEscapes() {
        var out: [UInt8] = []
        RubyText.inspect(["k": "a\"b\\c\n\t#{x} #$ #@ # \u{1} é"], into: &out)
        #expect(String(decoding: out, as: UTF8.self) == ##"{"k"=>"a\"b\\c\n\t\#{x} \#$ \#@ # \u0001 é"}"##)
    }

    @Test func targetAndEcs() throws {
        #expect(try run(["target": "[doc][id]"], ["message": "Hello world"])[field: "[doc][id]"]
                == "7b502c3a1f48c8609ae212cdfb639dee39673f5e")
        let ecs = try run(["ecs_compatibility": "v8"], ["message": "Hello world"])
        #expect(ecs[field: "[event][hash]"] == "7b502c3a1f48c8609ae212cdfb639dee39673f5e")
        #expect(ecs.fields["fingerprint"] == nil)
        #expect(try run(["ecs_compatibility": "v1", "target": "fp"], ["message": "x"]).fields["fp"] != nil)
    }

    @Test func missingSourceLeavesTargetUnset() throws {
        let e = try run(["source": ["absent"]], ["message": "x"])
        #expect(e.fields["fingerprint"] == nil)
    }

    @Test func uuidAndPunctuation() throws {
        let u = try #require(try print(["method": "UUID"], [:])?.stringValue)
        let bytes = Array(u.utf8)
        #expect(bytes.count == 36 && bytes[8] == UInt8(ascii: "-") && bytes[14] == UInt8(ascii: "4"))
        #expect(try print(["method": "UUID"], [:]) != .string(u))
        // From Logstash's spec.
        let php = "PHP Warning:  json_encode() [<a href='function.json-encode'>function.json-encode</a>]: Invalid UTF-8 sequence in argument in /var/www/htdocs/test.php on line 233"
        #expect(try print(["method": "PUNCTUATION", "source": ["field1"]], ["field1": .string(php)])
                == ":_()[<='.-'>.-</>]:-////.")
        #expect(FingerprintFilter.punctuation("Héllo, wörld! €5 ≤ 6") == ",!€≤")
    }

    @Test func ipv4Network() throws {
        #expect(FingerprintFilter.maskIPv4("10.20.30.40", prefix: 16) == "10.20.0.0")
        #expect(FingerprintFilter.maskIPv4("10.20.30.40", prefix: 0) == "0.0.0.0")
        #expect(FingerprintFilter.maskIPv4("10.20.30.40", prefix: 32) == "10.20.30.40")
        #expect(FingerprintFilter.maskIPv4("10.020.30.40", prefix: 8) == nil)
        #expect(FingerprintFilter.maskIPv4("::1", prefix: 8) == nil)
        let e = try run(["method": "IPV4_NETWORK", "key": "8"], ["message": "not an ip"])
        #expect(e.fields["fingerprint"] == nil)
    }

    @Test func endToEndThroughConfig() async throws {
        let config = """
        filter {
          fingerprint {
            source => ["user", "action"]
            concatenate_sources => true
            method => "SHA256"
            key => "secret"
            target => "[doc][id]"
            add_tag => ["fingerprinted"]
          }
        }
        """
        var e = Event(message: "x")
        e.fields.set("user", "alice")
        e.fields.set("action", "login")
        let result = try await PipelineHarness(registry: registry()).run(config, events: [e])
        let out = try #require(result.events.first)
        // hmac.new(b"secret", b"|action|login|user|alice|", hashlib.sha256).hexdigest()
        #expect(out[field: "[doc][id]"] == "2a1fa69d74a91166b8892dce170ad4671a9754c16f890f20f3be85abf9cbf63c")
        #expect(out.hasTag("fingerprinted"))
    }
}

private func registry() -> PluginRegistry {
    var r = PluginRegistry()
    GrokPlugins.register(into: &r)
    return r
}
