import Foundation
import SluiceCore
import SluiceTesting
import StandardPlugins
import Testing

/// The registry the command line builds: core codecs plus the standard family.
private var registry: PluginRegistry {
    var r = PluginRegistry()
    StandardPlugins.register(into: &r)
    return r
}

/// Every registered plugin, with its kind.
private var allPlugins: [(kind: PluginKind, name: String)] {
    let r = registry
    return PluginKind.allCases.flatMap { kind in r.names(kind).map { (kind, $0) } }
}

private func specs(_ kind: PluginKind, _ name: String) -> [SettingSpec] { registry.settingSpecs(kind, name) ?? [] }

/// A valid value, in config syntax, for a setting of `type`.
private func sample(_ type: SettingType) -> String {
    switch type {
    case .string, .password, .any: return "\"x\""
    case .path: return "\"/tmp/sluice-settings-test\""
    case .template: return "\"/tmp/sluice-settings-test-%{+YYYY}\""
    case .number: return "1"
    case .float: return "1.5"
    case .boolean: return "true"
    case .array: return "[\"/tmp/sluice-settings-test-*.log\"]"
    case .hash: return "{ \"a\" => \"b\" }"
    case .codec: return "plain"
    case .fieldReference: return "\"[a][b]\""
    case .oneOf(let values): return "\"\(values[0])\""
    case .duration: return "\"5s\""
    case .bytes: return "\"1kb\""
    }
}

/// Values, in config syntax, that a setting of `type` must reject.
private func wrongValues(_ type: SettingType) -> [String] {
    let hash = "{ \"a\" => \"b\" }"
    switch type {
    case .string, .password, .path, .template: return [hash]
    case .number, .float: return [hash, "\"many\""]
    case .boolean: return [hash, "\"maybe\"", "1"]
    case .hash: return ["1"]
    case .codec: return ["1"]
    case .fieldReference: return [hash, "\"[a\""]
    case .oneOf: return [hash, "\"zz-not-allowed\""]
    case .duration: return [hash, "\"soon\""]
    case .bytes: return [hash, "\"lots\""]
    case .array, .any: return []
    }
}

/// Valid values for required settings whose type alone does not make a valid sample.
private let validSamples: [String: String] = ["filter date match": #"["t", "ISO8601"]"#]

/// A pipeline holding the plugin with its required settings filled, plus `extra` settings.
private func config(_ kind: PluginKind, _ name: String, extra: String = "") -> String {
    let required = specs(kind, name).filter { $0.required && !extra.hasPrefix("\($0.name) ") }
        .map { "\($0.name) => \(validSamples["\(kind) \(name) \($0.name)"] ?? sample($0.type))" }
    let body = (required + (extra.isEmpty ? [] : [extra])).joined(separator: " ")
    switch kind {
    case .input: return "input { \(name) { \(body) } }"
    case .filter: return "filter { \(name) { \(body) } }"
    case .output: return "output { \(name) { \(body) } }"
    case .codec: return "output { stdout { codec => \(name) { \(body) } } }"
    }
}

private func errors(_ config: String) -> String? { PipelineHarness(registry: registry).check(config).map { "\($0)" } }

@Suite("Settings of every standard plugin")
struct PluginSettingsTests {
    @Test func theRegistryHoldsTheStandardFamily() {
        #expect(Set(registry.names(.input)).isSuperset(of: ["file", "generator", "stdin"]))
        #expect(Set(registry.names(.filter)).isSuperset(of: ["date", "drop", "json", "mutate"]))
        #expect(Set(registry.names(.output)).isSuperset(of: ["file", "null", "stdout"]))
        #expect(Set(registry.names(.codec)).isSuperset(of: ["plain", "line", "json", "json_lines", "rubydebug", "dots"]))
    }

    @Test func requiredSettingsFilledValidate() {
        for (kind, name) in allPlugins {
            let c = config(kind, name)
            #expect(errors(c) == nil, "\(kind) \(name): \(c)")
        }
    }

    @Test func missingRequiredSettingsAreNamed() {
        for (kind, name) in allPlugins {
            for spec in specs(kind, name) where spec.required {
                let others = specs(kind, name).filter { $0.required && $0.name != spec.name }
                    .map { "\($0.name) => \(sample($0.type))" }.joined(separator: " ")
                let c: String
                switch kind {
                case .input: c = "input { \(name) { \(others) } }"
                case .filter: c = "filter { \(name) { \(others) } }"
                case .output: c = "output { \(name) { \(others) } }"
                case .codec: c = "output { stdout { codec => \(name) { \(others) } } }"
                }
                let e = errors(c)
                #expect(e?.contains("missing required setting `\(spec.name)`") == true, "\(kind) \(name): \(e ?? "accepted")")
            }
        }
    }

    @Test func aMisspelledSettingIsRejectedWithASuggestion() {
        for (kind, name) in allPlugins {
            for spec in specs(kind, name) where spec.name.count >= 4 {
                let typo = spec.name + "z"
                let e = errors(config(kind, name, extra: "\(typo) => \(sample(spec.type))")) ?? "accepted"
                #expect(e.contains("unknown setting `\(typo)`"), "\(kind) \(name): \(e)")
                #expect(e.contains("did you mean `\(spec.name)`?"), "\(kind) \(name): \(e)")
            }
        }
    }

    @Test func anUnrelatedUnknownSettingIsRejected() {
        for (kind, name) in allPlugins {
            let e = errors(config(kind, name, extra: "qqqqqqqqqqqq => 1")) ?? "accepted"
            #expect(e.contains("unknown setting `qqqqqqqqqqqq`"), "\(kind) \(name): \(e)")
            #expect(!e.contains("did you mean"), "\(kind) \(name): \(e)")
        }
    }

    @Test func wrongTypedValuesAreRejectedNamingTheSetting() {
        var checked = 0
        for (kind, name) in allPlugins {
            for spec in specs(kind, name) {
                for bad in wrongValues(spec.type) {
                    let e = errors(config(kind, name, extra: "\(spec.name) => \(bad)"))
                    #expect(e?.contains("`\(spec.name)`") == true, "\(kind) \(name): `\(spec.name) => \(bad)`: \(e ?? "accepted")")
                    checked += 1
                }
            }
        }
        #expect(checked > 100)
    }

    @Test func everySettingHasADocAndAValidDefault() {
        for (kind, name) in allPlugins {
            let all = specs(kind, name)
            #expect(Set(all.map(\.name)).count == all.count, "\(kind) \(name): a setting is declared twice")
            let summary = registry.describe(kind, name)?.summary ?? ""
            #expect(!summary.isEmpty, "\(kind) \(name) has no summary")
            for spec in all {
                #expect(!spec.doc.trimmingCharacters(in: .whitespaces).isEmpty, "\(kind) \(name): `\(spec.name)` has no doc")
                #expect(!(spec.required && spec.defaultValue != nil), "\(kind) \(name): `\(spec.name)` is required and has a default")
                guard let d = spec.defaultValue else { continue }
                switch spec.type {
                case .oneOf(let values):
                    #expect(d.stringValue.map(values.contains) == true, "\(kind) \(name): default of `\(spec.name)` is `\(d)`")
                case .number:
                    if case .int = d {} else { Issue.record("\(kind) \(name): default of `\(spec.name)` is not an integer") }
                case .boolean:
                    if case .bool = d {} else { Issue.record("\(kind) \(name): default of `\(spec.name)` is not a boolean") }
                case .array:
                    #expect(d.arrayValue != nil, "\(kind) \(name): default of `\(spec.name)` is not an array")
                case .duration, .float, .bytes:
                    switch d {
                    case .int, .double: break
                    default: Issue.record("\(kind) \(name): default of `\(spec.name)` is not a number")
                    }
                case .hash:
                    #expect(d.objectValue != nil, "\(kind) \(name): default of `\(spec.name)` is not a hash")
                case .codec:
                    #expect(d.stringValue.map { registry.codecs[$0] != nil } == true,
                            "\(kind) \(name): default codec `\(d)` is not registered")
                default:
                    break
                }
            }
        }
    }
}
