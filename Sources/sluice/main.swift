import SluiceCLI

await SluiceHost.main(families: BuiltinFamilies.all)
