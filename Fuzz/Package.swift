// swift-tools-version:6.0
// libFuzzer targets for Sluice's parsers, in their own package so that the main package's
// `swift build` and `make test` never see them. Build and run them with `make fuzz`
// (scripts/fuzz.sh): the flags `-sanitize=fuzzer,address` and `-enable-testing` come from there.
// Each target is one main.swift: a test function and a call to libFuzzer's driver with it
// (SwiftPM gives an executable its own `main`, so libFuzzer's is not linked).
import PackageDescription

let sluice: [Target.Dependency] = ["LibFuzzerDriver", .product(name: "SluiceCore", package: "Sluice")]

let package = Package(
    name: "SluiceFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Sluice", path: ".."),
    ],
    targets: [
        .target(name: "LibFuzzerDriver", path: "LibFuzzerDriver"),
        .executableTarget(name: "ConfigFuzz", dependencies: sluice, path: "ConfigFuzz"),
        .executableTarget(name: "ConditionFuzz", dependencies: sluice, path: "ConditionFuzz"),
        .executableTarget(name: "JSONFuzz", dependencies: sluice, path: "JSONFuzz"),
        .executableTarget(name: "FieldReferenceFuzz", dependencies: sluice, path: "FieldReferenceFuzz"),
        .executableTarget(name: "GrokFuzz", dependencies: ["LibFuzzerDriver", .product(name: "GrokPlugins", package: "Sluice")],
                          path: "GrokFuzz"),
        .executableTarget(name: "DissectFuzz", dependencies: ["LibFuzzerDriver", .product(name: "GrokPlugins", package: "Sluice")],
                          path: "DissectFuzz"),
        .executableTarget(name: "SettingsFuzz", dependencies: ["LibFuzzerDriver", .product(name: "Sluice", package: "Sluice")],
                          path: "SettingsFuzz"),
    ],
    swiftLanguageModes: [.v6]
)
