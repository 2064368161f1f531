// swift-tools-version:6.0
// A custom Sluice plugin in its own package: it depends on Sluice's library product and
// starts the host with its plugin registered, without touching Sluice's code.
import PackageDescription

let package = Package(
    name: "CustomPlugin",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Sluice", path: "../.."),
    ],
    targets: [
        .executableTarget(
            name: "sluice-custom",
            dependencies: [.product(name: "Sluice", package: "Sluice")],
            path: "Sources/sluice-custom"),
    ],
    swiftLanguageModes: [.v6]
)
