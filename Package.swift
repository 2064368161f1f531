// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Sluice",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "sluice", targets: ["sluice"]),
        // The core: what a plugin is written against. It carries no family, so a custom plugin
        // package that needs only the core builds with libpcre2 and zlib alone.
        .library(name: "SluiceCore", targets: ["SluiceCore"]),
        // One product per plugin family: a package pulls in only the C libraries of what it uses.
        .library(name: "StandardPlugins", targets: ["StandardPlugins"]),
        .library(name: "GrokPlugins", targets: ["GrokPlugins"]),
        .library(name: "KafkaPlugins", targets: ["KafkaPlugins"]),
        .library(name: "MongoDBPlugins", targets: ["MongoDBPlugins"]),
        .library(name: "SpooldirPlugins", targets: ["SpooldirPlugins"]),
        // The command line as a library: a custom plugin package starts it with the families
        // it chose and its own plugins (`SluiceHost.main(families:registering:)`).
        .library(name: "Sluice", targets: ["SluiceCLI"]),
        .library(name: "SluiceTesting", targets: ["SluiceTesting"]),
        // The one HTTP client of every HTTP-speaking plugin family (libcurl), and the `http` family.
        .library(name: "SluiceHTTP", targets: ["SluiceHTTP"]),
        .library(name: "HTTPPlugins", targets: ["HTTPPlugins"]),
        .library(name: "WebHDFSPlugins", targets: ["WebHDFSPlugins"]),
        .library(name: "ElasticsearchPlugins", targets: ["ElasticsearchPlugins"]),
        .library(name: "TwitterPlugins", targets: ["TwitterPlugins"]),
        .library(name: "GoogleCloudPlugins", targets: ["GoogleCloudPlugins"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        // sluice.yml is YAML (as logstash.yml): parsed by Yams (libyaml vendored inside).
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
    ],
    targets: [
        .systemLibrary(name: "CPCRE2", path: "Sources/CPCRE2", pkgConfig: "libpcre2-8",
                       providers: [.apt(["libpcre2-dev"])]),
        .systemLibrary(name: "CCurl", path: "Sources/CCurl", pkgConfig: "libcurl",
                       providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CRdKafka", path: "Sources/CRdKafka", pkgConfig: "rdkafka",
                       providers: [.apt(["librdkafka-dev"])]),
        .systemLibrary(name: "CMongoC", path: "Sources/CMongoC", pkgConfig: "libmongoc-1.0",
                       providers: [.apt(["libmongoc-dev"])]),
        // CRC-32C with the CPU's instruction, for the persistent queue's record checksums.
        .target(name: "CCRC32C", path: "Sources/CCRC32C"),
        .target(name: "SluiceCore",
                dependencies: ["CPCRE2", "CZlib", "CCRC32C", .product(name: "Logging", package: "swift-log")],
                path: "Sources/SluiceCore"),
        .target(name: "SluiceHTTP",
                dependencies: ["CCurl", "SluiceCore", .product(name: "Logging", package: "swift-log")],
                path: "Sources/SluiceHTTP"),
        // The `http` output: the first plugin on SluiceHTTP, the template of the REST outputs.
        .target(name: "HTTPPlugins", dependencies: ["SluiceCore", "SluiceHTTP"], path: "Plugins/HTTP"),
        // The `webhdfs` output: HDFS over the WebHDFS REST API, on SluiceHTTP.
        .target(name: "WebHDFSPlugins", dependencies: ["SluiceCore", "SluiceHTTP"], path: "Plugins/WebHDFS"),
        // The `elasticsearch` output: the bulk API on SluiceHTTP.
        .target(name: "ElasticsearchPlugins", dependencies: ["SluiceCore", "SluiceHTTP"], path: "Plugins/Elasticsearch"),
        // The `twitter` input: v2 filtered stream and v1.1 statuses streams on SluiceHTTP.
        .target(name: "TwitterPlugins",
                dependencies: ["SluiceCore", "SluiceHTTP", .product(name: "Crypto", package: "swift-crypto")],
                path: "Plugins/Twitter"),
        // `google_cloud_storage` and `google_bigquery` outputs, one credentials type for both.
        .target(name: "GoogleCloudPlugins",
                dependencies: ["SluiceCore", "SluiceHTTP", .product(name: "Crypto", package: "swift-crypto"),
                               .product(name: "_CryptoExtras", package: "swift-crypto")],
                path: "Plugins/GoogleCloud"),
        .target(name: "StandardPlugins", dependencies: ["SluiceCore"], path: "Plugins/Standard"),
        // Field extraction: grok (with its pattern library), dissect, kv, csv, fingerprint.
        .target(name: "GrokPlugins",
                dependencies: ["SluiceCore", .product(name: "Crypto", package: "swift-crypto")],
                path: "Plugins/Grok", exclude: ["patterns"]),
        .target(name: "KafkaPlugins", dependencies: ["SluiceCore", "CRdKafka"], path: "Plugins/Kafka"),
        .target(name: "MongoDBPlugins", dependencies: ["SluiceCore", "CMongoC"], path: "Plugins/MongoDB"),
        // Flume's spooling-directory source on SluiceCore's file machinery.
        .target(name: "SpooldirPlugins", dependencies: ["SluiceCore"], path: "Plugins/Spooldir"),
        // The command line. It lists no family: the `sluice` executable passes them in. It uses
        // GrokPlugins only for the `sluice grok` debugger (libpcre2, like the core).
        .target(name: "SluiceCLI",
                dependencies: ["SluiceCore", "GrokPlugins",
                               .product(name: "ArgumentParser", package: "swift-argument-parser"),
                               .product(name: "Logging", package: "swift-log"),
                               .product(name: "Yams", package: "Yams")],
                path: "Sources/SluiceCLI"),
        // Test support for Sluice's own tests and for custom plugin packages.
        .target(name: "SluiceTesting", dependencies: ["SluiceCore", .product(name: "Logging", package: "swift-log")],
                path: "Sources/SluiceTesting"),
        // mimalloc replaces glibc's malloc in the `sluice` binary: events are allocated on one
        // thread and freed on another, which glibc's per-thread arenas handle with a lock
        // (about 10% of the CPU of a grok pipeline; see `make bench`).
        .executableTarget(name: "sluice",
                          dependencies: ["SluiceCLI", "StandardPlugins", "GrokPlugins", "HTTPPlugins", "KafkaPlugins", "MongoDBPlugins",
                                         "WebHDFSPlugins", "SpooldirPlugins", "ElasticsearchPlugins", "TwitterPlugins",
                                         "GoogleCloudPlugins"],
                          path: "Sources/sluice",
                          linkerSettings: [.linkedLibrary("mimalloc", .when(platforms: [.linux]))]),
        .testTarget(name: "SluiceCoreTests", dependencies: ["SluiceCore", "SluiceTesting"], path: "Tests/SluiceCoreTests",
                    exclude: ["Fixtures"]),
        .testTarget(name: "StandardTests", dependencies: ["SluiceCore", "StandardPlugins", "SluiceTesting"],
                    path: "Tests/StandardTests"),
        .testTarget(name: "GrokTests", dependencies: ["SluiceCore", "GrokPlugins", "SluiceTesting"],
                    path: "Tests/GrokTests"),
        .testTarget(name: "SluiceHTTPTests",
                    dependencies: ["SluiceHTTP", "SluiceCore", "SluiceTesting",
                                   .product(name: "Logging", package: "swift-log")],
                    path: "Tests/SluiceHTTPTests"),
        .testTarget(name: "HTTPTests", dependencies: ["HTTPPlugins", "SluiceHTTP", "SluiceCore", "SluiceTesting"],
                    path: "Tests/HTTPTests"),
        .testTarget(name: "WebHDFSTests", dependencies: ["WebHDFSPlugins", "SluiceHTTP", "SluiceCore", "SluiceTesting"],
                    path: "Tests/WebHDFSTests"),
        .testTarget(name: "GoogleCloudTests", dependencies: ["GoogleCloudPlugins", "SluiceHTTP", "SluiceCore", "SluiceTesting"],
                    path: "Tests/GoogleCloudTests"),
        .testTarget(name: "KafkaTests", dependencies: ["KafkaPlugins", "StandardPlugins", "CRdKafka", "SluiceCore", "SluiceTesting"],
                    path: "Tests/KafkaTests"),
        .testTarget(name: "MongoDBTests", dependencies: ["MongoDBPlugins", "CMongoC", "SluiceCore", "SluiceTesting"],
                    path: "Tests/MongoDBTests"),
        .testTarget(name: "SpooldirTests",
                    dependencies: ["SpooldirPlugins", "StandardPlugins", "SluiceCore", "SluiceTesting"],
                    path: "Tests/SpooldirTests"),
        .testTarget(name: "CLITests", dependencies: ["SluiceCLI", "sluice", "SluiceTesting"], path: "Tests/CLITests"),
    ],
    swiftLanguageModes: [.v6]
)
