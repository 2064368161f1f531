// swift-tools-version:6.0
// A custom Sluice plugin in its own package, without touching Sluice's code:
// - `ReversePlugin`, the plugin itself, depends on the core only (`SluiceCore`: libpcre2 and zlib);
// - `sluice-custom`, a full `sluice` command line, adds the host (`Sluice`) and the plugin
//   families it chooses (`StandardPlugins`, `GrokPlugins`) and registers the plugin next to them.
import PackageDescription

let package = Package(
    name: "CustomPlugin",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "ReversePlugin", targets: ["ReversePlugin"]),
    ],
    dependencies: [
        .package(name: "Sluice", path: "../.."),
    ],
    targets: [
        .target(
            name: "ReversePlugin",
            dependencies: [.product(name: "SluiceCore", package: "Sluice")],
            path: "Sources/ReversePlugin"),
        .executableTarget(
            name: "sluice-custom",
            dependencies: ["ReversePlugin",
                           .product(name: "Sluice", package: "Sluice"),
                           .product(name: "StandardPlugins", package: "Sluice"),
                           .product(name: "GrokPlugins", package: "Sluice")],
            path: "Sources/sluice-custom"),
    ],
    swiftLanguageModes: [.v6]
)
