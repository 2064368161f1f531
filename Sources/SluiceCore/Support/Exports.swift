// Plugins log through swift-log's Logger; re-export it so a plugin needs only `import SluiceCore`.
@_exported import Logging
