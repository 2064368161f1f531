import SluiceCLI

await SluiceHost.main()
