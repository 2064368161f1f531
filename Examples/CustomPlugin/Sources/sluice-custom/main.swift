import SluiceCLI

// The whole Sluice command line (run, check, plugins, ...) plus our `reverse` filter.
await SluiceHost.main { registry in
    registry.register(ReverseFilter.self)
}
