/// A problem in a pipeline configuration, rendered like a compiler diagnostic:
///
///     pipeline.conf:3:21: error: expected `=>` after setting name `add_field`, found `{`
///         mutate { add_field { "a" => "b" } }
///                            ^
public struct ConfigError: Error, Sendable, CustomStringConvertible, Equatable {
    public var location: SourceLocation?
    public var message: String
    public var note: String?

    public init(location: SourceLocation? = nil, message: String, note: String? = nil) {
        self.location = location
        self.message = message
        self.note = note
    }

    public var description: String {
        var out: String
        if let location {
            out = "\(location): error: \(message)\n" + location.snippet
        } else {
            out = "error: \(message)"
        }
        if let note { out += "\nnote: \(note)" }
        return out
    }
}

/// Several configuration problems reported at once, rendered one after another.
public struct ConfigErrors: Error, Sendable, CustomStringConvertible {
    public var errors: [ConfigError]

    public init(_ errors: [ConfigError]) { self.errors = errors }
    public init(_ error: ConfigError) { self.errors = [error] }

    public var first: ConfigError? { errors.first }
    public var count: Int { errors.count }
    public var isEmpty: Bool { errors.isEmpty }

    public var description: String {
        errors.map(\.description).joined(separator: "\n\n")
    }
}
