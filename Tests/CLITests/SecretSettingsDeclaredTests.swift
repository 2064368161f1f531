import SluiceCLI
import SluiceCore
import Testing

@testable import sluice

/// Every built-in setting whose name says it holds a secret is declared `.password`, the
/// type that keeps its value out of messages, excerpts and `sluice plugins`; and every
/// password's name is one the parser masks before declarations are known (syntax errors).
@Suite struct SecretSettingsDeclaredTests {
    @Test func secretNamedSettingsAreDeclaredAsPasswords() {
        let registry = SluiceHost.registry(families: BuiltinFamilies.all)
        var checked = 0
        for kind in [PluginKind.input, .filter, .output, .codec] {
            for name in registry.names(kind) {
                for spec in registry.settingSpecs(kind, name) ?? [] {
                    let secretName = Secrets.looksSecret(spec.name)
                    if secretName { checked += 1 }
                    #expect(secretName == (spec.type == .password),
                            "\(kind.rawValue) \(name): `\(spec.name)` is \(spec.type)\(secretName ? ", not password" : "")")
                }
            }
        }
        // fingerprint's `key` and the HTTP plugins' passwords and tokens at least.
        #expect(checked >= 3)
    }
}
