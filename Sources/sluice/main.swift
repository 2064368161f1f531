import GrokPlugins
import KafkaPlugins
import MongoDBPlugins
import SluiceCLI
import StandardPlugins

// Every plugin family of the `sluice` binary, in one list: adding a family means adding it
// here (and its target and product in Package.swift), nowhere else.
await SluiceHost.main(families: [
    StandardPlugins.register,
    GrokPlugins.register,
    KafkaPlugins.register,
    MongoDBPlugins.register,
])
