import GrokPlugins
import ReversePlugin
import SluiceCLI
import StandardPlugins

// The whole Sluice command line (run, check, plugins, ...) with the families this binary
// wants (standard and grok; not Kafka or MongoDB, so it needs neither library) plus our own.
await SluiceHost.main(families: [StandardPlugins.register, GrokPlugins.register, ReversePlugin.register])
